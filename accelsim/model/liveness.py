"""Live ranges of activation tensors, and the operand sizes the memory plan and the fit report share.

Execution order is `graph.names()` (deterministic topological order); step ``i`` is the ``i``-th
layer. A layer's output tensor is *live* from its producer's step to its last consumer's step; the
network input at the steps of the layers that read it; graph outputs at their own step. All sizes
are integer bits.

Example
-------
>>> import workloads
>>> from accelsim.ir.graph import uniform_policy
>>> g = workloads.load("resnet50").with_policy(uniform_policy(4, 8))
>>> round(weight_bits(g) / 8e6, 2)
13.78
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.ir.graph import LayerGraph
from accelsim.ir.layers import Layer


@dataclass(frozen=True, slots=True)
class Tensor:
    """One activation tensor: who produced it (or ``<input>`` readers), its size and live range."""

    name: str
    bits: int
    start: int
    end: int
    graph_output: bool = False
    network_input: bool = False
    kv_cache: bool = False  # a KV cache: state placed by the memory plan, not a transient activation


@dataclass(frozen=True, slots=True)
class Liveness:
    """Live activation bits at every step of the execution order."""

    order: tuple[str, ...]
    tensors: tuple[Tensor, ...]
    live_bits: tuple[int, ...]

    @property
    def peak_bits(self) -> int:
        return max(self.live_bits, default=0)

    @property
    def peak_step(self) -> str:
        """The first step where the live set peaks (ties: earliest layer)."""
        if not self.order:
            return ""
        return self.order[self.live_bits.index(self.peak_bits)]


def _input_elems(layer: Layer) -> int:
    shape = layer.input_shapes[0]
    out = 1
    for d in shape:
        out *= d
    return out


def liveness(graph: LayerGraph) -> Liveness:
    """Live ranges of all activation tensors (layer outputs and network inputs) in execution order."""
    return graph.memo("liveness", lambda: _liveness(graph))


def _liveness(graph: LayerGraph) -> Liveness:
    order = tuple(graph.names())
    index = {name: i for i, name in enumerate(order)}
    tensors: list[Tensor] = []
    for i, name in enumerate(order):
        layer = graph.layer(name)
        if not graph.inputs_of(name):
            bits = _input_elems(layer) * graph.precision(name).a_bits
            tensors.append(Tensor(f"<input>:{name}", bits, i, i, network_input=True))
        readers = graph.consumers_of(name)
        end = max((index[r] for r in readers), default=i)
        bits = layer.out_elems * graph.output_bits(name)
        kv = getattr(layer, "op", None) == "kv_cache"
        tensors.append(Tensor(name, bits, i, end, graph_output=not readers, kv_cache=kv))
    delta = [0] * (len(order) + 1)
    for t in tensors:
        if t.kv_cache:  # counted whole by the memory plan when it stays on chip, not step by step
            continue
        delta[t.start] += t.bits
        delta[t.end + 1] -= t.bits
    live, running = [], 0
    for i in range(len(order)):
        running += delta[i]
        live.append(running)
    return Liveness(order, tuple(tensors), tuple(live))


def weight_bits(graph: LayerGraph) -> int:
    """Bits of all conv/dense weights at each layer's w_bits."""
    return graph.memo("weight_bits", lambda: _weight_bits(graph))


def _weight_bits(graph: LayerGraph) -> int:
    return sum(graph.layer(n).weight_elems * graph.precision(n).w_bits for n in graph.names())


def gemm_operand_elems(graph: LayerGraph, name: str) -> tuple[int, int, int]:
    """(A elements, B elements, B bits) of a GEMM layer: B is the weights, or a MatMul's 2nd input."""
    return graph.memo(("gemm_operand_elems", name), lambda: _gemm_operand_elems(graph, name))


def _gemm_operand_elems(graph: LayerGraph, name: str) -> tuple[int, int, int]:
    layer = graph.layer(name)
    p = graph.precision(name)
    shapes = layer.input_shapes
    if layer.weight_elems:
        return layer.in_elems, layer.weight_elems, p.w_bits
    a = 1
    for d in shapes[0]:
        a *= d
    b = 1
    for d in shapes[1] if len(shapes) > 1 else ():
        b *= d
    return a, b, p.a_bits


__all__ = ["Liveness", "Tensor", "gemm_operand_elems", "liveness", "weight_bits"]
