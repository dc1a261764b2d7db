"""The walk over an ONNX graph that `accelsim.io.onnx_import` builds layers on: pinning dynamic
dims and inferring shapes, then the bookkeeping every op converter shares (which layer or network
input a tensor comes from, folding into a producer, linking a consumer to its producer with a
Flatten/Reshape where the shapes differ, fitting ONNX padding) and the final `LayerGraph`.

The per-op converters are in `accelsim.io.onnx_ops`; the public entry point is
`accelsim.io.onnx_import.import_onnx`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from typing import Any

from accelsim.errors import InputError
from accelsim.ir.graph import LayerGraph
from accelsim.ir.layers import Flatten, Layer, Reshape

_Ref = tuple[str, str]  # ("layer", layer name) or ("input", graph input name)


class GraphWalk:
    """One pass over the (topologically sorted) ONNX nodes, staging layers before building the graph;
    subclassed by `accelsim.io.onnx_ops.Importer`, which converts each op."""

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

    def _emit(self, node: Any, layer: Layer, tensors: list[str], nname: str, op: str, multi: bool = False) -> None:
        inputs: list[str] = []
        for t, shape in zip(tensors, layer.input_shapes, strict=True):
            inputs += self._link(t, shape, nname, op, multi=multi)
        self._stage(layer, inputs)
        self.src[node.output[0]] = ("layer", layer.name)

    def _skip(self, node: Any, nname: str, op: str, source: str) -> None:
        self.skipped.setdefault(op, []).append(nname)
        self._pass(node, source)

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


__all__ = ["GraphWalk"]
