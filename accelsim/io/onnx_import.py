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
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import replace
from typing import Any

from accelsim.errors import InputError
from accelsim.inputfiles import check_regular_file
from accelsim.ir.checks import check_batch
from accelsim.ir.graph import LayerGraph
from accelsim.ir.layers import Add, Concat, Conv2d, Dense, Flatten, Layer, MatMul, Pool, Reshape
from accelsim.ir.vector_layers import LayerNorm, RMSNorm, Softmax

INSTALL_HINT = "pip install 'accelsim[onnx]'"

#: Ops that multiply-accumulate but have no accelsim layer: importing without them would hide work.
MAC_OPS = frozenset(
    {
        "ConvTranspose",
        "ConvInteger",
        "QLinearConv",
        "DeformConv",
        "MatMulInteger",
        "QLinearMatMul",
        "Einsum",
        "LSTM",
        "GRU",
        "RNN",
        "Attention",
        "MultiHeadAttention",
        "FusedConv",
        "FusedGemm",
        "FusedMatMul",
        "QGemm",
        "MatMulNBits",
        "DynamicQuantizeMatMul",
    }
)
#: Pure data-movement ops: mapped through silently (counted in metadata["passthrough_ops"]).
LAYOUT_OPS = frozenset({"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Cast", "CastLike"})
#: ONNX ops that become vector layers (normalised over the last axis).
VECTOR_OPS: dict[str, type[Layer]] = {
    "Softmax": Softmax,
    "LayerNormalization": LayerNorm,
    "RMSNormalization": RMSNorm,
    "SimplifiedLayerNormalization": RMSNorm,
}
#: Ops whose output is shape metadata, not an activation.
SHAPE_OPS = frozenset({"Shape", "Size"})

_Ref = tuple[str, str]  # ("layer", layer name) or ("input", graph input name)


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise InputError("onnx", "not installed", f"ONNX import needs the optional extra: {INSTALL_HINT}") from None
    return onnx


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
    return _Importer(onnx, model, batch, label).run()


#: Graph names exporters write whatever the model is (PyTorch, older PyTorch, tf2onnx); a file name says more.
GENERIC_GRAPH_NAMES = frozenset({"main_graph", "torch_jit", "torch-jit-export", "tf2onnx", "graph", ""})


def model_name(model: Any) -> str:
    """The model's own graph name, or "" when the exporter wrote a generic one."""
    graph_name = str(model.graph.name or "").strip()
    return "" if graph_name.lower() in GENERIC_GRAPH_NAMES else graph_name


class _Importer:
    """One pass over the (topologically sorted) ONNX nodes, staging layers before building the graph."""

    def __init__(self, onnx: Any, model: Any, batch: int, label: str) -> None:
        self.onnx = onnx
        self.label = label
        self.batch = batch
        self.model = onnx.ModelProto()
        self.model.CopyFrom(model)
        self.layers: dict[str, Layer] = {}
        self.inputs: dict[str, list[str]] = {}
        self.src: dict[str, _Ref] = {}
        self.via: dict[str, str] = {}  # pass-through output tensor -> the tensor it came from
        self.via_op: dict[str, str] = {}  # ... and the op it went through
        self.const: set[str] = set()
        self.const_nodes: dict[str, Any] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.readers: Counter[str] = Counter()
        self.outputs: set[str] = set()
        self.reshape_memo: dict[tuple[str, tuple[int, ...]], str] = {}
        self.skipped: dict[str, list[str]] = {}
        self.passthrough: Counter[str] = Counter()
        self.notes: list[str] = []
        self.pinned: list[str] = []
        self.used_names: set[str] = set()
        self.graph_batch: int | None = None

    # --- setup ----------------------------------------------------------------------------------
    def _pin_and_infer(self) -> None:
        graph = self.model.graph
        initializers = {t.name for t in graph.initializer}
        dynamic_batch = False
        for vi in graph.input:
            if vi.name in initializers:
                continue
            tt = vi.type.tensor_type
            if not vi.type.HasField("tensor_type") or not tt.HasField("shape"):
                raise InputError(f"{self.label} input {vi.name}", "no shape", "graph inputs need a known rank")
            for axis, dim in enumerate(tt.shape.dim):
                if dim.HasField("dim_value") and dim.dim_value > 0:
                    continue
                value = self.batch if axis == 0 else 1
                dynamic_batch |= axis == 0
                self.pinned.append(f"{vi.name}[{axis}] {dim.dim_param or '?'} -> {value}")
                dim.Clear()
                dim.dim_value = value
        if self.batch != 1 and not dynamic_batch:
            raise InputError(
                "batch", self.batch, f"{self.label} fixes its own batch (its inputs have no dynamic first axis)"
            )
        for vi in [*graph.output, *graph.value_info]:  # stale symbolic shapes would clash with the pinned ones
            tt = vi.type.tensor_type
            if tt.HasField("shape") and not all(d.HasField("dim_value") for d in tt.shape.dim):
                tt.ClearField("shape")
        inference = self.onnx.shape_inference
        try:
            inferred = inference.infer_shapes(self.model, strict_mode=True, data_prop=True)
        except Exception as exc:  # inference errors are the model's problem: say so, then try leniently
            self.notes.append(f"strict shape inference failed ({type(exc).__name__}); used lenient inference")
            inferred = inference.infer_shapes(self.model, strict_mode=False, data_prop=True)
        g = inferred.graph
        for vi in [*g.input, *g.value_info, *g.output]:
            tt = vi.type.tensor_type
            if vi.type.HasField("tensor_type") and tt.HasField("shape"):
                dims = [d.dim_value if d.HasField("dim_value") else 0 for d in tt.shape.dim]
                if all(d > 0 for d in dims):
                    self.shapes[vi.name] = tuple(dims)
        for t in g.initializer:
            self.shapes[t.name] = tuple(t.dims)
            self.const.add(t.name)
            self.const_nodes[t.name] = t
        self.model = inferred
        for node in g.node:
            for t in {t for t in node.input if t}:
                self.readers[t] += 1
        self.outputs = {vi.name for vi in g.output}
        for vi in g.input:
            if vi.name not in initializers:
                self.src[vi.name] = ("input", vi.name)
                if self.graph_batch is None and vi.name in self.shapes and self.shapes[vi.name]:
                    self.graph_batch = self.shapes[vi.name][0]

    # --- helpers --------------------------------------------------------------------------------
    def _where(self, nname: str, op: str) -> str:
        return f"{self.label} node {nname} ({op})"

    def _shape(self, tensor: str, nname: str, op: str) -> tuple[int, ...]:
        if tensor not in self.shapes:
            hint = ""
            if any(_is_external(self.onnx, t) for t in self.model.graph.initializer):
                hint = " (a shape constant saved as external data cannot be read: keep small tensors inline)"
            raise InputError(self._where(nname, op), tensor, f"has no static shape after ONNX shape inference{hint}")
        return self.shapes[tensor]

    def _unique(self, base: str) -> str:
        name, k = base, 2
        while name in self.used_names:
            name = f"{base}_{k}"
            k += 1
        self.used_names.add(name)
        return name

    def _attrs(self, node: Any) -> dict[str, Any]:
        out = {}
        for a in node.attribute:
            value = self.onnx.helper.get_attribute_value(a)
            out[a.name] = value.decode() if isinstance(value, bytes) else value
        return out

    def _const_value(self, tensor: str) -> Any:
        """Value of a constant tensor (initializer or Constant node), or None when unknown."""
        proto = self.const_nodes.get(tensor)
        if proto is None or _is_external(self.onnx, proto):  # external data is not read: unknown
            return None
        return self.onnx.numpy_helper.to_array(proto)

    def _stage(self, layer: Layer, inputs: list[str]) -> str:
        self.layers[layer.name] = layer
        self.inputs[layer.name] = inputs
        return layer.name

    def _build(self, cls: type[Layer], nname: str, op: str, **kwargs: Any) -> Layer:
        try:
            return cls(**kwargs)
        except InputError as exc:
            raise InputError(f"{self._where(nname, op)} {exc.field}", exc.value, exc.rule) from None

    def _pass(self, node: Any, source: str) -> None:
        if source not in self.src:
            raise InputError(self._where(node.name or "?", node.op_type), source, "is read before any node produces it")
        for out in node.output:
            if out:
                self.src[out] = self.src[source]
                self.via[out] = source
                self.via_op[out] = node.op_type

    def _foldable(self, tensor: str) -> Layer | None:
        """The layer whose output `tensor` is, if every tensor from it to here has exactly one reader
        (folding an activation into a layer whose output someone else reads would change their input)."""
        ref = self.src.get(tensor)
        if ref is None or ref[0] != "layer":
            return None
        t: str | None = tensor
        while t is not None:
            if self.readers[t] != 1 or t in self.outputs:
                return None
            t = self.via.get(t)
        return self.layers[ref[1]]

    def _refold(self, layer: Layer, **changes: Any) -> None:
        self.layers[layer.name] = replace(layer, **changes)

    def _network_input_layer(self, input_name: str) -> str:
        """A multi-input layer cannot read the network input directly: an identity Reshape stands for it."""
        key = (f"input:{input_name}", ())
        if key not in self.reshape_memo:
            shape = self.shapes[input_name]
            name = self._unique(input_name)
            layer = self._build(Reshape, name, "input", name=name, in_shape=shape, to_shape=shape)
            self.reshape_memo[key] = self._stage(layer, [])
        return self.reshape_memo[key]

    def _link(self, tensor: str, expected: tuple[int, ...], nname: str, op: str, *, multi: bool = False) -> list[str]:
        """Producers for a layer reading `tensor` as `expected` ([] = the network input)."""
        ref = self.src.get(tensor)
        if ref is None:
            raise InputError(self._where(nname, op), tensor, "is read before any node produces it")
        kind, who = ref
        if kind == "input":
            if not multi:
                return []
            producer = self._network_input_layer(who)
        else:
            producer = who
        produced = self.layers[producer].out_shape
        if produced == expected:
            return [producer]
        if math.prod(produced) != math.prod(expected):
            path, t = [], tensor
            while t in self.via:
                path.append(self.via_op[t])
                t = self.via[t]
            raise InputError(
                self._where(nname, op),
                tensor,
                f"is read as shape {expected} but comes from {producer} of shape {produced} through "
                f"{', '.join(reversed(path)) or 'no op'}, which accelsim skips; the element counts differ, "
                "so the edge cannot be mapped",
            )
        key = (producer, expected)
        if key not in self.reshape_memo:
            name = self._unique(tensor)
            if len(expected) == 2 and len(produced) in (3, 4) and expected[0] == produced[0]:
                layer: Layer = self._build(Flatten, nname, op, name=name, in_shape=produced)
            else:
                layer = self._build(Reshape, nname, op, name=name, in_shape=produced, to_shape=expected)
            self.reshape_memo[key] = self._stage(layer, [producer])
        return [self.reshape_memo[key]]

    def _fit_padding(
        self,
        nname: str,
        op: str,
        attrs: dict[str, Any],
        size: tuple[int, ...],
        kernel: tuple[int, ...],
        stride: tuple[int, ...],
        dilation: tuple[int, ...],
        want: tuple[int, ...],
    ) -> tuple[int, int]:
        """Symmetric per-axis padding that gives ONNX's output size (MACs depend only on that size)."""
        auto = attrs.get("auto_pad", "NOTSET")
        pads = list(attrs.get("pads", [0, 0, 0, 0]))
        chosen = []
        for i in range(2):
            reach = dilation[i] * (kernel[i] - 1) + 1
            if auto in ("SAME_UPPER", "SAME_LOWER"):
                total = max((want[i] - 1) * stride[i] + reach - size[i], 0)
            elif auto == "VALID":
                total = 0
            else:
                total = pads[i] + pads[i + 2]
            candidates = [total // 2, (total + 1) // 2, *range(reach + 1)]
            for p in candidates:
                if (size[i] + 2 * p - reach) // stride[i] + 1 == want[i]:
                    break
            else:
                raise InputError(self._where(nname, op), pads, f"no symmetric padding gives ONNX's output size {want}")
            if 2 * p != total:
                self.notes.append(f"{nname}: padding {pads or auto} modelled as symmetric {p} on axis {i + 2}")
            chosen.append(p)
        return chosen[0], chosen[1]

    # --- op handlers ----------------------------------------------------------------------------
    def _conv(self, node: Any, nname: str, op: str) -> None:
        x, w = node.input[0], node.input[1]
        xs, ws = self._shape(x, nname, op), self._shape(w, nname, op)
        if len(xs) != 4:
            raise InputError(self._where(nname, op), xs, "only 2-D convolution on NCHW tensors has a layer")
        out = self._shape(node.output[0], nname, op)
        a = self._attrs(node)
        kernel = tuple(a.get("kernel_shape", ws[2:]))
        self._check_conv_weights(node, nname, op, xs, ws, kernel, int(a.get("group", 1)))
        stride = tuple(a.get("strides", (1, 1)))
        dilation = tuple(a.get("dilations", (1, 1)))
        padding = self._fit_padding(nname, op, a, xs[2:], kernel, stride, dilation, out[2:])
        layer = self._build(
            Conv2d,
            nname,
            op,
            name=nname,
            in_shape=xs,
            out_channels=ws[0],
            kernel=kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=int(a.get("group", 1)),
            bias=len(node.input) > 2 and bool(node.input[2]),
        )
        self._emit(node, layer, [x], nname, op)

    def _check_conv_weights(
        self,
        node: Any,
        nname: str,
        op: str,
        xs: tuple[int, ...],
        ws: tuple[int, ...],
        kernel: tuple[int, ...],
        groups: int,
    ) -> None:
        """The weight (and bias) tensors hold what the input needs: a 3-channel kernel on a 4-channel
        input would otherwise import as more weights than the file holds (lenient inference allows it)."""
        if groups < 1 or xs[1] % groups:
            raise InputError(self._where(nname, op), groups, f"group must divide the {xs[1]} input channels")
        want = (ws[0] if ws else 0, xs[1] // groups, *kernel)
        if tuple(ws) != want:
            raise InputError(
                self._where(nname, op),
                f"weight {node.input[1]} {tuple(ws)}",
                f"does not match input {node.input[0]} {xs} (expects {want})",
            )
        if len(node.input) > 2 and node.input[2] and node.input[2] in self.shapes:
            bias = self.shapes[node.input[2]]
            if tuple(bias) != (ws[0],):
                raise InputError(
                    self._where(nname, op), f"bias {node.input[2]} {tuple(bias)}", f"must have shape ({ws[0]},)"
                )

    def _emit(self, node: Any, layer: Layer, tensors: list[str], nname: str, op: str, multi: bool = False) -> None:
        inputs: list[str] = []
        for t, shape in zip(tensors, layer.input_shapes, strict=True):
            inputs += self._link(t, shape, nname, op, multi=multi)
        self._stage(layer, inputs)
        self.src[node.output[0]] = ("layer", layer.name)

    def _gemm(self, node: Any, nname: str, op: str) -> None:
        a, b = node.input[0], node.input[1]
        attrs = self._attrs(node) if op == "Gemm" else {}
        sa, sb = self._shape(a, nname, op), self._shape(b, nname, op)
        if op == "Gemm":
            if attrs.get("transA", 0):
                sa = (sa[1], sa[0])
            if attrs.get("transB", 0):
                sb = (sb[1], sb[0])
        if len(sa) < 2 or len(sb) < 2:
            raise InputError(self._where(nname, op), (sa, sb), "1-D operands have no layer; reshape them to 2-D")
        if sa[-1] != sb[-2]:  # checked here: lenient shape inference lets a mismatched initializer through
            raise InputError(
                self._where(nname, op),
                f"{b} {tuple(sb)}",
                f"does not match {a} {tuple(sa)}: inner sizes {sa[-1]} != {sb[-2]}",
            )
        if b in self.const and a not in self.const:
            if math.prod(sb[:-2]) != 1:
                raise InputError(self._where(nname, op), sb, "a batched constant operand has no layer")
            in_shape = sa if len(sa) <= 3 else (math.prod(sa[:-2]), sa[-2], sa[-1])
            bias = op == "Gemm" and len(node.input) > 2 and bool(node.input[2])
            layer: Layer = self._build(Dense, nname, op, name=nname, in_shape=in_shape, out_features=sb[-1], bias=bias)
            self._emit(node, layer, [a], nname, op)
        elif a in self.const:
            raise InputError(self._where(nname, op), a, "a constant first operand (weights @ activations) has no layer")
        else:
            lead = _broadcast(sa[:-2], sb[:-2])
            if lead is None:
                raise InputError(self._where(nname, op), (sa, sb), "leading axes do not broadcast")
            g = math.prod(lead)
            layer = self._build(MatMul, nname, op, name=nname, a_shape=(g, sa[-2], sa[-1]), b_shape=(g, sb[-2], sb[-1]))
            self._emit(node, layer, [a, b], nname, op, multi=True)

    def _pool(self, node: Any, nname: str, op: str) -> None:
        x = node.input[0]
        xs = self._shape(x, nname, op)
        if len(xs) != 4:
            raise InputError(self._where(nname, op), xs, "only 2-D pooling on NCHW tensors has a layer")
        mode = "max" if "Max" in op else "avg"
        if op.startswith("Global"):
            kernel = stride = (xs[2], xs[3])
            padding = (0, 0)
        else:
            a = self._attrs(node)
            kernel = tuple(a["kernel_shape"])
            stride = tuple(a.get("strides", (1, 1)))
            out = self._shape(node.output[0], nname, op)
            padding = self._fit_padding(nname, op, a, xs[2:], kernel, stride, (1, 1), out[2:])
        layer = self._build(
            Pool, nname, op, name=nname, in_shape=xs, mode=mode, kernel=kernel, stride=stride, padding=padding
        )
        self._emit(node, layer, [x], nname, op)

    def _reduce(self, node: Any, nname: str, op: str) -> None:
        """ReduceMean/ReduceMax over H and W of an NCHW tensor is a global pool (a common GAP export)."""
        x = node.input[0]
        xs = self._shape(x, nname, op)
        attrs = self._attrs(node)
        axes = attrs.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            value = self._const_value(node.input[1])
            axes = None if value is None else [int(v) for v in value.reshape(-1)]
        if len(xs) != 4 or axes is None or sorted(a % 4 for a in axes) != [2, 3]:
            self._skip(node, nname, op, x)
            return
        mode = "max" if op == "ReduceMax" else "avg"
        hw = (xs[2], xs[3])
        layer = self._build(Pool, nname, op, name=nname, in_shape=xs, mode=mode, kernel=hw, stride=hw)
        self._emit(node, layer, [x], nname, op)

    def _add(self, node: Any, nname: str, op: str, acts: list[str]) -> None:
        out = self._shape(node.output[0], nname, op)
        if len(acts) < len([t for t in node.input if t]):  # a constant term: a bias
            owner = self._foldable(acts[0]) if len(acts) == 1 else None
            if isinstance(owner, (Conv2d, Dense)) and not owner.bias and owner.out_shape == out:
                self._refold(owner, bias=True)
            self.passthrough[f"{op} (constant)"] += 1
            self._pass(node, acts[0])
            return
        shapes = [self._shape(t, nname, op) for t in acts]
        if len(acts) >= 2 and all(s == out for s in shapes):
            layer = self._build(Add, nname, op, name=nname, shape=out, n_inputs=len(acts))
            self._emit(node, layer, acts, nname, op, multi=True)
            return
        full = next((t for t, s in zip(acts, shapes, strict=True) if s == out), acts[0])
        self._skip(node, nname, f"{op} (broadcast)", full)

    def _concat(self, node: Any, nname: str, op: str, acts: list[str]) -> None:
        if len(acts) != len([t for t in node.input if t]):
            raise InputError(self._where(nname, op), node.input, "concatenating a constant has no layer")
        shapes = tuple(self._shape(t, nname, op) for t in acts)
        if len(acts) == 1:
            self._pass(node, acts[0])
            return
        axis = int(self._attrs(node)["axis"]) % len(shapes[0])
        layer = self._build(Concat, nname, op, name=nname, in_shapes=shapes, axis=axis)
        self._emit(node, layer, list(acts), nname, op, multi=True)

    def _flatten(self, node: Any, nname: str, op: str) -> None:
        x = node.input[0]
        xs = self._shape(x, nname, op)
        if int(self._attrs(node).get("axis", 1)) % max(len(xs), 1) != 1 or len(xs) not in (2, 3, 4):
            self.passthrough[op] += 1
            self._pass(node, x)  # the consumer's link inserts the Reshape it needs
            return
        self._emit(node, self._build(Flatten, nname, op, name=nname, in_shape=xs), [x], nname, op)

    def _activation(self, node: Any, nname: str, op: str, act: str | None) -> None:
        x = node.input[0]
        owner = self._foldable(x) if act else None
        if owner is not None and act is not None and owner.act == "none" and not isinstance(owner, (Reshape, Flatten)):
            self._refold(owner, act=act)
            self._pass(node, x)
            return
        self._skip(node, nname, op, x)

    def _vector(self, node: Any, nname: str, op: str) -> None:
        x = node.input[0]
        xs = self._shape(x, nname, op)
        if len(xs) not in (2, 3, 4):
            self._skip(node, nname, op, x)
            return
        fields: dict[str, Any] = {}
        if op == "LayerNormalization":
            fields["bias"] = len(node.input) > 2 and bool(node.input[2])
        layer = self._build(VECTOR_OPS[op], nname, op, name=nname, shape=xs, **fields)
        self._emit(node, layer, [x], nname, op)

    def _clip_act(self, node: Any) -> str | None:
        attrs = self._attrs(node)
        lo = attrs.get("min")
        hi = attrs.get("max")
        if len(node.input) > 1 and node.input[1]:
            value = self._const_value(node.input[1])
            lo = None if value is None else float(value)
        if len(node.input) > 2 and node.input[2]:
            value = self._const_value(node.input[2])
            hi = None if value is None else float(value)
        if lo == 0 and hi == 6:
            return "relu6"
        if lo == 0 and hi is None and not (len(node.input) > 2 and node.input[2]):
            return "relu"
        return None

    def _batchnorm(self, node: Any, nname: str, op: str) -> None:
        x = node.input[0]
        owner = self._foldable(x)
        if isinstance(owner, (Conv2d, Dense)) and not owner.batchnorm and owner.act == "none":
            self._refold(owner, batchnorm=True)
            self._pass(node, x)
            return
        self._skip(node, nname, op, x)

    def _skip(self, node: Any, nname: str, op: str, source: str) -> None:
        self.skipped.setdefault(op, []).append(nname)
        self._pass(node, source)

    # --- driver ---------------------------------------------------------------------------------
    def run(self) -> LayerGraph:
        self._pin_and_infer()
        graph = self.model.graph
        for i, node in enumerate(graph.node):
            op = node.op_type
            data = [t for t in node.input if t]
            acts = [t for t in data if t not in self.const]
            if op == "Constant" or op in SHAPE_OPS or not acts:
                for out in node.output:
                    if out:
                        self.const.add(out)
                if op == "Constant":
                    value = next((a.t for a in node.attribute if a.name == "value"), None)
                    if value is not None:
                        self.const_nodes[node.output[0]] = value
                continue
            nname = self._unique(node.name or f"{op}_{i}")
            if op in MAC_OPS:
                raise InputError(
                    self._where(nname, op), op, "carries MACs but has no accelsim layer (Conv, Gemm, MatMul do)"
                )
            if op == "Conv":
                self._conv(node, nname, op)
            elif op in ("Gemm", "MatMul"):
                self._gemm(node, nname, op)
            elif op in ("MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"):
                self._pool(node, nname, op)
            elif op in ("ReduceMean", "ReduceMax"):
                self._reduce(node, nname, op)
            elif op in ("Add", "Sum"):
                self._add(node, nname, op, acts)
            elif op == "Concat":
                self._concat(node, nname, op, acts)
            elif op == "Flatten":
                self._flatten(node, nname, op)
            elif op in ("Relu", "Gelu"):
                self._activation(node, nname, op, op.lower())
            elif op in VECTOR_OPS:
                self._vector(node, nname, op)
            elif op == "Clip":
                self._activation(node, nname, op, self._clip_act(node))
            elif op == "BatchNormalization":
                self._batchnorm(node, nname, op)
            elif op in LAYOUT_OPS:
                self.passthrough[op] += 1
                self._pass(node, acts[0])
            else:  # no MACs, no layer: the output reads like its full-size input (x in x * sigmoid(s))
                out = self.shapes.get(node.output[0]) if node.output else None
                self._skip(node, nname, op, next((t for t in acts if self.shapes.get(t) == out), acts[0]))
        if not self.layers:
            raise InputError("workload", self.label, "has no node accelsim can model (Conv, Gemm, MatMul, Pool, ...)")
        return self._graph()

    def _graph(self) -> LayerGraph:
        graph = self.model.graph
        metadata: dict[str, Any] = {
            "source": "onnx",
            "file": self.label,
            "batch": self.graph_batch if self.graph_batch is not None else self.batch,
            "input_shapes": {
                vi.name: list(self.shapes[vi.name])
                for vi in graph.input
                if self.src.get(vi.name, ("", ""))[0] == "input"
            },
            "opset": {(o.domain or "ai.onnx"): o.version for o in self.model.opset_import},
            "skipped_ops": self.skipped,
            "passthrough_ops": dict(self.passthrough),
        }
        if self.model.producer_name:
            metadata["producer"] = f"{self.model.producer_name} {self.model.producer_version}".strip()
        external = sum(_is_external(self.onnx, t) for t in graph.initializer)
        if external:
            metadata["external_initializers"] = external
        if self.pinned:
            metadata["pinned_dims"] = self.pinned
        if self.notes:
            metadata["notes"] = self.notes
        out = LayerGraph(self.label, metadata=metadata)
        for name, layer in self.layers.items():
            out.add(layer, self.inputs[name])
        return out


def _is_external(onnx: Any, tensor: Any) -> bool:
    """An initializer whose values live in a separate file (not loaded: only its dims are used)."""
    return tensor.HasField("data_location") and tensor.data_location == onnx.TensorProto.EXTERNAL


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """numpy broadcasting of two leading-axis tuples, or None when they clash."""
    out = []
    for x, y in zip((1,) * (len(b) - len(a)) + a, (1,) * (len(a) - len(b)) + b, strict=True):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


__all__ = ["INSTALL_HINT", "LAYOUT_OPS", "MAC_OPS", "import_onnx"]
