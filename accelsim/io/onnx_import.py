"""Build a `LayerGraph` from an ONNX model, so any exported network can be simulated.

The importer keeps what the cost model counts and nothing else:

* MAC layers: ``Conv`` (2-D) -> `Conv2d`; ``Gemm`` and ``MatMul`` with a constant second operand ->
  `Dense`; ``Gemm`` / ``MatMul`` of two activations -> `MatMul` (leading axes folded into its batch).
* Structure: ``MaxPool`` / ``AveragePool`` / ``GlobalAveragePool`` / ``GlobalMaxPool`` (and
  ``ReduceMean`` / ``ReduceMax`` over H and W) -> `Pool`,
  ``Add`` / ``Sum`` of same-shape activations -> `Add`, ``Concat`` -> `Concat`, ``Flatten`` -> `Flatten`.
* Vector layers (they cost vector-unit cycles, `accelsim.model.vector_unit`): ``Softmax`` -> `Softmax`,
  ``LayerNormalization`` -> `LayerNorm`, ``RMSNormalization`` / ``SimplifiedLayerNormalization`` ->
  `RMSNorm`, each over the last axis.
* Folded into the producing layer when it is that tensor's only reader: ``Relu`` / ``Clip(0, 6)`` /
  ``Gelu`` -> its ``act``, ``BatchNormalization`` -> ``batchnorm=True``, a constant
  ``Add`` after a bias-free Conv/Dense -> ``bias=True``.
* Layout ops (Reshape, Transpose, Squeeze, ...) are pass-through: the consumer reads the producer's
  tensor. When the shape the consumer expects differs from what the producer gives, a `Flatten`
  (to ``(N, features)``) or a zero-cost `Reshape` layer is inserted, so every edge keeps an exact
  shape; a mismatch in element count is an `InputError` naming the node.
* Other ops without MACs (Sigmoid, Mul, Resize, ...) are skipped like layout ops and listed by op
  type in ``metadata["skipped_ops"]``; ops that do carry MACs but have no layer here (ConvTranspose,
  Einsum, LSTM, quantized convs ...) raise `InputError` naming the node, since dropping them would
  understate the work.

Shape-only files import too: initializers stored as external data (``data_location: EXTERNAL``,
as large models and ZigZag's workload files are saved) are never read, only their dims, so the
``.data`` file may be absent; how many were left out is in ``metadata["external_initializers"]``.

Shapes come from ``onnx.shape_inference.infer_shapes``; dynamic input dims are pinned first (the
first axis to `batch`, any other to 1) and listed in ``metadata["pinned_dims"]``. `onnx` is an
optional extra, imported only when this module is used.

This module is the entry point; the graph walk and its bookkeeping are in `accelsim.io.onnx_walk`,
the per-op converters in `accelsim.io.onnx_ops`.
"""

from __future__ import annotations

import os
from typing import Any

from accelsim.errors import InputError, optional_import
from accelsim.inputfiles import check_regular_file
from accelsim.io.onnx_ops import LAYOUT_OPS, MAC_OPS, Importer
from accelsim.ir.checks import check_batch
from accelsim.ir.graph import LayerGraph

INSTALL_HINT = "pip install 'accelsim[onnx]'"


def _onnx() -> Any:
    return optional_import("onnx", "onnx", "not installed", f"ONNX import needs the optional extra: {INSTALL_HINT}")


def import_onnx(source: str | os.PathLike[str] | Any, batch: int = 1, *, name: str | None = None) -> LayerGraph:
    """An ONNX model (a path or an `onnx.ModelProto`) as a `LayerGraph`; see the module docstring.

    `batch` pins a dynamic first axis of the model's inputs; a model whose batch is static keeps it,
    and asking for another batch is an `InputError`.
    """
    onnx = _onnx()
    check_batch(batch)
    if isinstance(source, onnx.ModelProto):
        model, label = source, name or model_name(source) or "onnx_model"
    else:
        path = check_regular_file(source, "workload")  # a FIFO would block onnx.load for ever
        try:
            model = onnx.load(str(path), load_external_data=False)  # shapes only: weights never read
        except FileNotFoundError:
            raise InputError("workload", str(path), "no such file") from None
        except Exception as exc:  # protobuf DecodeError and friends: not an ONNX file
            raise InputError(
                "workload", str(path), f"is not a readable ONNX model ({type(exc).__name__}: {exc})"
            ) from None
        label = name or model_name(model) or path.stem
    return Importer(onnx, model, batch, label).run()


#: Graph names exporters write whatever the model is (PyTorch, older PyTorch, tf2onnx); a file name says more.
GENERIC_GRAPH_NAMES = frozenset({"main_graph", "torch_jit", "torch-jit-export", "tf2onnx", "graph", ""})


def model_name(model: Any) -> str:
    """The model's own graph name, or "" when the exporter wrote a generic one."""
    graph_name = str(model.graph.name or "").strip()
    return "" if graph_name.lower() in GENERIC_GRAPH_NAMES else graph_name


__all__ = ["INSTALL_HINT", "LAYOUT_OPS", "MAC_OPS", "import_onnx", "model_name"]
