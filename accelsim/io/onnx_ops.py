"""The per-op converters of the ONNX importer: which ONNX op becomes which accelsim layer, which
are folded into their producer (activations, BatchNorm, a bias Add), passed through (layout ops)
or skipped, and which refuse to import (ops with MACs but no layer). See `accelsim.io.onnx_import`.
"""

from __future__ import annotations

import math
from typing import Any

from accelsim.errors import InputError
from accelsim.io.onnx_walk import GraphWalk
from accelsim.ir.graph import LayerGraph
from accelsim.ir.layers import Add, Concat, Conv2d, Dense, Flatten, Layer, MatMul, Pool, Reshape
from accelsim.ir.vector_layers import LayerNorm, RMSNorm, Softmax

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


class Importer(GraphWalk):
    """Converts each ONNX node into a layer (or a fold, a pass-through or a skip) as it is walked."""

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


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """numpy broadcasting of two leading-axis tuples, or None when they clash."""
    out = []
    for x, y in zip((1,) * (len(b) - len(a)) + a, (1,) * (len(a) - len(b)) + b, strict=True):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


__all__ = ["LAYOUT_OPS", "MAC_OPS", "SHAPE_OPS", "VECTOR_OPS", "Importer"]
