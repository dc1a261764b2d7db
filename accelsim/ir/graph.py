"""`LayerGraph`: a network as a DAG of layers with per-layer precision, and its JSON form.

The graph is the contract between the workload zoo, the trainer's export and the simulator. It
wraps a `networkx.DiGraph` so users get the whole networkx toolbox, but keeps layer order stable
(insertion order breaks ties in the topological sort) so every sum over layers is bit-identical
from run to run (set order changes with PYTHONHASHSEED).
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import networkx as nx

from accelsim.atomic import atomic_write
from accelsim.errors import InputError
from accelsim.ir.checks import check_bits
from accelsim.ir.layer_registry import layer_from_dict
from accelsim.ir.layers import GemmView, Layer

#: Bumped when the JSON layout changes incompatibly; `load` rejects other versions.
SCHEMA_VERSION = 1

#: Precision of a layer that no policy touched: 16-bit fixed point, the paper's baseline.
DEFAULT_BITS = 16

#: The precision setting that runs a graph with its own per-layer bits (a trained network that
#: carries them, see `LayerGraph.carries_bits`) instead of re-quantizing it to a uniform policy.
AS_TRAINED = "as-trained"


@dataclass(frozen=True, slots=True)
class Precision:
    """Bits of a layer's weights and of the activations it reads (the MAC's two operands), and of
    the KV cache it stores (used by `KVCache` layers only: weight-only and KV quantization differ)."""

    w_bits: int = DEFAULT_BITS
    a_bits: int = DEFAULT_BITS
    kv_bits: int = DEFAULT_BITS

    def __post_init__(self) -> None:
        check_bits("w_bits", self.w_bits)
        check_bits("a_bits", self.a_bits)
        check_bits("kv_bits", self.kv_bits)


#: The precision of a layer no policy touched (one shared frozen instance: `precision` is called
#: for every layer many times per simulation, and building a checked Precision each time showed).
_UNSET_PRECISION = Precision()


@dataclass(frozen=True, slots=True, kw_only=True)
class PrecisionPolicy:
    """Weights at `bits` in every layer, activations at `a_bits` and the KV cache at `kv_bits`
    (both default to `bits`: a uniform network), with the first and last MAC layers at
    `first_last_bits` for weights and activations.

    PACT (section 6) keeps the first and last layers at 8 bits in its 4- and 2-bit networks;
    `first_last_bits=None` quantizes them like the rest. The first layer's input is the image,
    so its a_bits are the first-layer bits too. Weight-only quantization (LLM ``w4a16``) is
    ``bits=4, a_bits=16``.
    """

    bits: int
    first_last_bits: int | None = 8
    a_bits: int | None = None
    kv_bits: int | None = None

    def __post_init__(self) -> None:
        check_bits("bits", self.bits)
        for field in ("first_last_bits", "a_bits", "kv_bits"):
            if getattr(self, field) is not None:
                check_bits(field, getattr(self, field))

    def resolve(self, graph: LayerGraph) -> dict[str, Precision]:
        a = self.bits if self.a_bits is None else self.a_bits
        kv = a if self.kv_bits is None else self.kv_bits
        body, cache = Precision(self.bits, a), Precision(self.bits, a, kv)  # kv_bits: KV caches only
        out = {name: cache if _is_kv_cache(graph.layer(name)) else body for name in graph.names()}
        if self.first_last_bits is not None:
            # weight-only policies keep their wider activations on the edges too (w4a16 -> edges w8a16)
            edge_a = self.first_last_bits if self.a_bits is None else max(self.first_last_bits, a)
            edge = Precision(self.first_last_bits, edge_a)
            mac_layers = [layer.name for layer in graph.layers() if layer.has_weights]
            for name in mac_layers[:1] + mac_layers[-1:]:
                out[name] = edge
        return out


def _is_kv_cache(layer: Layer) -> bool:
    return getattr(layer, "op", None) == "kv_cache"


_T = TypeVar("_T")


class LayerGraph:
    """A network: layers as nodes (attribute ``layer``), tensors as edges producer -> consumer.

    A layer with no inputs reads the network input. Inputs are ordered (a MatMul's two operands,
    a Concat's parts), so each node also keeps the ordered list of its producers.
    """

    def __init__(self, name: str, *, metadata: dict[str, Any] | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise InputError("name", name, "must be a non-empty string")
        self.name = name
        import networkx  # imported on first graph, not at import: `accelsim --help` stays fast

        self.graph: nx.DiGraph = networkx.DiGraph()
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._order: dict[str, int] = {}
        self._layers: dict[str, Layer] = {}  # the node attributes again, as plain dicts: the model reads
        self._inputs: dict[str, tuple[str, ...]] = {}  # them thousands of times per design point
        self._consumers: dict[str, list[str]] = {}  # readers in insertion order, each once
        self._precision: dict[str, Precision] = {}
        self._names: list[str] | None = None  # the topological order, until the next add
        self._memo: dict[Hashable, Any] = {}  # values derived from the layers and precisions (`memo`)

    # --- building -----------------------------------------------------------------------------
    def add(self, layer: Layer, inputs: Sequence[str] = ()) -> str:
        """Add `layer` reading the outputs of `inputs` (in operand order); returns its name.

        Raises InputError when a producer is unknown or its output shape differs from the
        shape this layer expects in that position.
        """
        if not isinstance(layer, Layer):
            raise InputError("layer", layer, "must be an accelsim layer")
        name = layer.name
        if name in self._order:
            raise InputError(f"{name}.name", name, "is already a layer of this graph")
        inputs = list(inputs)
        expected = layer.input_shapes
        if inputs and len(inputs) != len(expected):
            raise InputError(f"{name}.inputs", inputs, f"{layer.kind} reads {len(expected)} tensors")
        if not inputs and len(expected) != 1:
            raise InputError(f"{name}.inputs", inputs, f"{layer.kind} needs {len(expected)} producers")
        for position, (src, shape) in enumerate(zip(inputs, expected, strict=False)):
            if src not in self._order:
                raise InputError(f"{name}.inputs[{position}]", src, "is not a layer of this graph")
            produced = self.layer(src).out_shape
            if produced != shape:
                raise InputError(
                    f"{name}.inputs[{position}]", src, f"produces shape {produced} but {name} expects {shape}"
                )
        if len(set(inputs)) != len(inputs) and layer.kind not in ("Add", "Concat", "MatMul", "Mul"):
            raise InputError(f"{name}.inputs", inputs, "names a producer twice")
        self._order[name] = len(self._order)
        self._layers[name], self._inputs[name] = layer, tuple(inputs)
        self._consumers[name] = []
        for src in inputs:
            readers = self._consumers[src]
            if not readers or readers[-1] != name:
                readers.append(name)
        self._names = None
        self._memo.clear()
        self.graph.add_node(name, layer=layer, inputs=tuple(inputs))
        for src in inputs:
            self.graph.add_edge(src, name)
        return name

    # --- reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._order

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers())

    def layer(self, name: str) -> Layer:
        try:
            return self._layers[name]
        except KeyError:
            raise InputError("layer", name, f"is not a layer of {self.name}") from None

    def gemm(self, name: str) -> GemmView | None:
        """`layer(name).gemm()`, computed once (the model reads it many times per design point)."""
        return self.memo(("gemm", name), lambda: self.layer(name).gemm())

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """The value `compute()` for `key`, computed once while this graph is unchanged.

        For pure functions of the layers, edges and precisions (the model's liveness, operand sizes):
        a design sweep plans one graph thousands of times. Adding a layer or setting a precision
        forgets every value; the metadata is not part of the key, so no memoised value may read it.
        """
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute()
            return value

    def inputs_of(self, name: str) -> tuple[str, ...]:
        """Producers of `name` in operand order (empty: reads the network input)."""
        self.layer(name)
        return self._inputs[name]

    def consumers_of(self, name: str) -> list[str]:
        """Readers of `name`'s output in insertion order (each reader added after its producers)."""
        self.layer(name)
        return list(self._consumers[name])

    def names(self) -> list[str]:
        """Layer names in a deterministic topological order (insertion order breaks ties)."""
        if self._names is None:
            import networkx as nx

            self._names = list(nx.lexicographical_topological_sort(self.graph, key=self._order.__getitem__))
        return list(self._names)

    def layers(self) -> list[Layer]:
        return [self.graph.nodes[n]["layer"] for n in self.names()]

    def input_layers(self) -> list[str]:
        return [n for n in self.names() if not self.graph.nodes[n]["inputs"]]

    def output_layers(self) -> list[str]:
        return [n for n in self.names() if self.graph.out_degree(n) == 0]

    # --- precision ----------------------------------------------------------------------------
    def precision(self, name: str) -> Precision:
        found = self._precision.get(name)
        if found is not None:
            return found
        self.layer(name)  # an unknown name fails here
        return _default_precision()

    def set_precision(self, name: str, precision: Precision) -> None:
        self.layer(name)
        if not isinstance(precision, Precision):
            raise InputError(f"{name}.precision", precision, "must be a Precision")
        self._precision[name] = precision
        self._memo.clear()  # memoised values read the precisions

    def _set_precisions(self, precisions: dict[str, Precision]) -> None:
        """Replace every precision (a copy's): memoised values (`memo`) read the precisions."""
        self._precision = precisions
        self._memo.clear()

    def with_policy(self, policy: PrecisionPolicy) -> LayerGraph:
        """A copy of this graph with every layer's precision set by `policy`."""
        out = self.copy()
        out._set_precisions(policy.resolve(self))
        return out

    def carries_bits(self) -> bool:
        """Whether some layer has its own precision (a trained or exported network), not the default."""
        return bool(self._precision)

    def capped(self, w_max: int, a_max: int) -> LayerGraph:
        """A copy with no layer wider than `w_max` x `a_max`: how a fixed-point accelerator built for
        those widths runs it (a float32 layer of a trained network runs at the base precision)."""
        out = self.copy()
        capped = {}
        for name in self.names():
            p = self.precision(name)
            capped[name] = Precision(min(p.w_bits, w_max), min(p.a_bits, a_max))
        out._set_precisions(capped)
        return out

    def body_bits(self) -> int:
        """The precision most of the work runs at: max(w_bits, a_bits) of the MAC layers, the one
        carrying the most MACs (ties: the narrower). A trained 4-bit network with 8-bit first and
        last layers has body bits 4; it names the iso-area design that runs it as trained."""
        macs: dict[int, int] = {}
        for layer in self.layers():
            if layer.has_weights:
                p = self.precision(layer.name)
                bits = max(p.w_bits, p.a_bits)
                macs[bits] = macs.get(bits, 0) + layer.macs
        if not macs:
            return DEFAULT_BITS
        return min(macs, key=lambda b: (-macs[b], b))

    def edge_bits(self) -> int:
        """The widest max(w_bits, a_bits) of the first and last MAC layers (PACT's first/last layers)."""
        mac = [layer.name for layer in self.layers() if layer.has_weights]
        if not mac:
            return DEFAULT_BITS
        return max(max(self.precision(n).w_bits, self.precision(n).a_bits) for n in {mac[0], mac[-1]})

    def copy(self) -> LayerGraph:
        out = LayerGraph(self.name, metadata=json.loads(json.dumps(self.metadata)))
        for name in self.names():
            out.add(self.layer(name), self.inputs_of(name))
        out._set_precisions(dict(self._precision))
        return out

    def output_bits(self, name: str) -> int:
        """Bits a layer's output is stored at: the widest a_bits among its readers.

        A graph output (no reader) keeps the layer's own activation bits; a KV cache is stored at
        its kv_bits.
        """
        return self.memo(("output_bits", name), lambda: self._output_bits(name))

    def _output_bits(self, name: str) -> int:
        if _is_kv_cache(self.layer(name)):  # the cache is stored at its own bits
            return self.precision(name).kv_bits
        readers = self._consumers[name]
        if not readers:
            return self.precision(name).a_bits
        return max(self.precision(r).a_bits for r in readers)

    # --- totals -------------------------------------------------------------------------------
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers())

    def total_weights(self) -> int:
        """Conv and dense weight elements only (no bias, no BatchNorm)."""
        return sum(layer.weight_elems for layer in self.layers())

    def total_params(self) -> int:
        """Trainable parameters: weights plus biases and BatchNorm gamma/beta."""
        return sum(layer.param_elems for layer in self.layers())

    def weight_bits(self) -> int:
        """Bits of all weights at each layer's w_bits (exact: 3-bit weights need not fill bytes)."""
        return sum(layer.weight_elems * self.precision(layer.name).w_bits for layer in self.layers())

    def weight_bytes(self) -> int:
        """Whole bytes that hold all weights packed at each layer's w_bits (`weight_bits` rounded up)."""
        return -(-self.weight_bits() // 8)

    def activation_bytes(self, name: str) -> float:
        """Bytes of one layer's output tensor at the bits its readers use."""
        return self.layer(name).out_elems * self.output_bits(name) / 8

    def input_bytes(self) -> float:
        """Bytes of the network input tensor(s), read at the first layers' a_bits."""
        return sum(math.prod(self.layer(n).input_shapes[0]) * self.precision(n).a_bits / 8 for n in self.input_layers())

    # --- validation and JSON ------------------------------------------------------------------
    def validate(self) -> None:
        """Check acyclicity and every edge's shape (graphs built with `add` are valid already)."""
        import networkx as nx

        if not nx.is_directed_acyclic_graph(self.graph):
            cycle = nx.find_cycle(self.graph)
            raise InputError("layers", [e[0] for e in cycle], "form a cycle")

    def to_dict(self) -> dict[str, Any]:
        layers = []
        for name in self.names():
            entry = self.layer(name).to_dict()
            entry["inputs"] = list(self.inputs_of(name))
            if name in self._precision:
                p = self._precision[name]
                entry["w_bits"], entry["a_bits"] = p.w_bits, p.a_bits
                if p.kv_bits != DEFAULT_BITS:
                    entry["kv_bits"] = p.kv_bits
            layers.append(entry)
        return {"schema_version": SCHEMA_VERSION, "name": self.name, "metadata": self.metadata, "layers": layers}

    @classmethod
    def from_dict(cls, data: Any) -> LayerGraph:
        """Rebuild a graph; any malformed field raises InputError naming it (``layers[3].kernel``)."""
        if not isinstance(data, dict):
            raise InputError("graph", type(data).__name__, "must be a JSON object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION or isinstance(version, bool):  # True == 1 in Python
            raise InputError("schema_version", version, f"must be {SCHEMA_VERSION}")
        metadata = data.get("metadata", {})
        if not isinstance(metadata, dict):
            raise InputError("metadata", metadata, "must be an object")
        graph = cls(data.get("name"), metadata=metadata)  # type: ignore[arg-type]  # __init__ refuses a non-string
        entries = data.get("layers")
        if not isinstance(entries, list) or not entries:
            raise InputError("layers", entries, "must be a non-empty list")
        for i, entry in enumerate(entries):
            where = f"layers[{i}]"
            if not isinstance(entry, dict):
                raise InputError(where, entry, "must be an object")
            entry = dict(entry)
            inputs = entry.pop("inputs", [])
            bits = {k: entry.pop(k) for k in ("w_bits", "a_bits", "kv_bits") if k in entry}
            if not isinstance(inputs, list) or not all(isinstance(s, str) for s in inputs):
                raise InputError(f"{where}.inputs", inputs, "must be a list of layer names")
            layer = layer_from_dict(entry, where)
            for src in inputs:
                if src not in graph:
                    raise InputError(
                        f"{where}.inputs", src, "is not an earlier layer (layers are listed producers first)"
                    )
            try:
                graph.add(layer, inputs)
            except InputError as exc:
                raise InputError(f"{where}.{exc.field}", exc.value, exc.rule) from None
            if bits:
                try:
                    graph.set_precision(
                        layer.name, Precision(**{"w_bits": DEFAULT_BITS, "a_bits": DEFAULT_BITS, **bits})
                    )
                except InputError as exc:
                    raise InputError(f"{where}.{exc.field}", exc.value, exc.rule) from None
        graph.validate()
        return graph

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write atomically (temp file + rename): a crash leaves the old file or the new one."""
        atomic_write(path, self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LayerGraph:
        from accelsim.inputfiles import load_json_file

        return cls.from_dict(load_json_file(path, "workload"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LayerGraph) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"LayerGraph({self.name!r}, {len(self)} layers, {self.total_macs():,} MACs)"


def uniform_policy(bits: int, first_last_bits: int | None = 8) -> PrecisionPolicy:
    """PACT's policy: every layer at `bits`, first and last layers at `first_last_bits`."""
    return PrecisionPolicy(bits=bits, first_last_bits=first_last_bits)


__all__ = [
    "AS_TRAINED",
    "DEFAULT_BITS",
    "LayerGraph",
    "Precision",
    "PrecisionPolicy",
    "SCHEMA_VERSION",
    "check_bits",
    "uniform_policy",
]


@functools.lru_cache(maxsize=1)
def _default_precision() -> Precision:
    """The precision of a layer no policy set (one shared frozen instance: building it validates)."""
    return Precision()
