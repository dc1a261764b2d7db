"""On-chip fit: which tensors stay on chip, whether the whole model fits, and where it spills.

The simulator and `accelsim fit` share these rules, so the fit columns of a sweep explain its
times. Execution order is `graph.names()` (deterministic topological order); step ``i`` is the
``i``-th layer. All sizes are kept in bits (integers); reports convert to decimal bytes.

Rules (docs/model.md, "Residency"):

* A layer's output tensor is *live* from its producer's step to its last consumer's step. The
  network input is live at the steps of the layers that read it; graph outputs at their own step.
* The whole model *fits* when all weights plus the peak live activations fit in the total
  on-chip memory: then weights are loaded once and stay (not re-read per image), and every
  activation stays on chip.
* Otherwise weights stream, and an activation stays on chip when, at every step of its life, the
  live activations plus the streaming buffers of that step's layer fit. The rule is a threshold
  per tensor, so more memory or fewer bits never evicts anything.
* Graph outputs are always written off chip; the network input is always read from off chip.

Example
-------
>>> import workloads
>>> from accelsim.hardware.design import Accelerator
>>> g = workloads.load("resnet50").with_policy(uniform_policy(4, 8))
>>> r = residency(g, Accelerator())
>>> r.weights_resident, round(r.weight_bits / 8e6, 2)
(True, 13.78)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from accelsim.hardware.design import MB, Accelerator
from accelsim.ir.graph import LayerGraph, PrecisionPolicy, uniform_policy
from accelsim.ir.layers import Layer
from accelsim.model import mapping


@dataclass(frozen=True, slots=True)
class Tensor:
    """One activation tensor: who produced it (or ``<input>`` readers), its size and live range."""

    name: str
    bits: int
    start: int
    end: int
    graph_output: bool = False
    network_input: bool = False


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
        tensors.append(Tensor(name, bits, i, end, graph_output=not readers))
    delta = [0] * (len(order) + 1)
    for t in tensors:
        delta[t.start] += t.bits
        delta[t.end + 1] -= t.bits
    live, running = [], 0
    for i in range(len(order)):
        running += delta[i]
        live.append(running)
    return Liveness(order, tuple(tensors), tuple(live))


def weight_bits(graph: LayerGraph) -> int:
    """Bits of all conv/dense weights at each layer's w_bits."""
    return sum(graph.layer(n).weight_elems * graph.precision(n).w_bits for n in graph.names())


def layer_reserve_bits(graph: LayerGraph, name: str, accel: Accelerator) -> int:
    """Streaming-buffer bits layer `name` needs on all cores while weights stream (0 without GEMM)."""
    layer = graph.layer(name)
    gemm = layer.gemm()
    if gemm is None:
        return 0
    a_elems, b_elems, b_bits = gemm_operand_elems(graph, name)
    a_bits = graph.precision(name).a_bits
    return mapping.reserve_bits(gemm, accel, a_bits, b_bits, graph.output_bits(name), a_elems, b_elems)


def gemm_operand_elems(graph: LayerGraph, name: str) -> tuple[int, int, int]:
    """(A elements, B elements, B bits) of a GEMM layer: B is the weights, or a MatMul's 2nd input."""
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


@dataclass(frozen=True, slots=True)
class Residency:
    """Which tensors stay on chip for one graph on one accelerator."""

    capacity_bits: int
    weight_bits: int
    weights_resident: bool
    liveness: Liveness
    resident: dict[str, bool] = field(repr=False)
    reserve_bits: tuple[int, ...] = field(repr=False)

    @property
    def activations_resident(self) -> bool:
        """Every intermediate tensor (not a graph output) stays on chip."""
        return all(self.resident[t.name] for t in self.liveness.tensors if not (t.graph_output or t.network_input))

    @property
    def spilled(self) -> tuple[str, ...]:
        """Layers whose output goes off chip although another layer reads it, in execution order."""
        return tuple(
            t.name for t in self.liveness.tensors if not (t.graph_output or t.network_input) and not self.resident[t.name]
        )

    @property
    def peak_onchip_bits(self) -> int:
        """Resident weights plus the peak of the resident activations."""
        tensors = [t for t in self.liveness.tensors if self.resident.get(t.name, False)]
        delta = [0] * (len(self.liveness.order) + 1)
        for t in tensors:
            delta[t.start] += t.bits
            delta[t.end + 1] -= t.bits
        peak = running = 0
        for d in delta:
            running += d
            peak = max(peak, running)
        return (self.weight_bits if self.weights_resident else 0) + peak


def residency(graph: LayerGraph, accel: Accelerator) -> Residency:
    """Apply the residency rules (module docstring) to `graph` on `accel`'s total on-chip memory."""
    live = liveness(graph)
    capacity = accel.sram_bytes * 8
    w_bits = weight_bits(graph)
    weights_resident = w_bits + live.peak_bits <= capacity
    reserve = tuple(layer_reserve_bits(graph, name, accel) for name in live.order)
    need = [b + r for b, r in zip(live.live_bits, reserve)]
    resident: dict[str, bool] = {}
    for t in live.tensors:
        if t.graph_output or t.network_input:
            resident[t.name] = False
        elif weights_resident:
            resident[t.name] = True
        else:
            resident[t.name] = max(need[t.start : t.end + 1]) <= capacity
    return Residency(capacity, w_bits, weights_resident, live, resident, reserve)


# --- the fit report ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class FitRow:
    """On-chip fit of one precision: sizes in decimal bytes (MB = 1e6 B)."""

    workload: str
    bits: int
    first_last_bits: int
    capacity_bytes: int
    weight_bytes: float
    largest_layer: str
    largest_working_set_bytes: float
    peak_live_bytes: float
    peak_live_layer: str
    model_fits: bool
    activations_fit: bool
    spilled: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "bits": self.bits,
            "first_last_bits": self.first_last_bits,
            "capacity_mb": self.capacity_bytes / MB,
            "weights_mb": self.weight_bytes / MB,
            "largest_layer": self.largest_layer,
            "largest_working_set_mb": self.largest_working_set_bytes / MB,
            "peak_live_mb": self.peak_live_bytes / MB,
            "peak_live_at": self.peak_live_layer,
            "model_fits": self.model_fits,
            "activations_fit": self.activations_fit,
            "spilled": list(self.spilled),
        }


def policy_for(bits: int, first_last_bits: int | None) -> PrecisionPolicy:
    """PACT's policy: first and last layers at `first_last_bits` when the body is narrower.

    They are never forced *below* the body (a 16-bit network keeps 16-bit first/last layers).
    """
    edge = None if first_last_bits is None or first_last_bits <= bits else first_last_bits
    return uniform_policy(bits, edge)


def working_set_bits(graph: LayerGraph, name: str) -> int:
    """Bits one layer touches: its inputs, its weights and its output."""
    layer = graph.layer(name)
    p = graph.precision(name)
    return layer.in_elems * p.a_bits + layer.weight_elems * p.w_bits + layer.out_elems * graph.output_bits(name)


def fit_row(graph: LayerGraph, accel: Accelerator, bits: int, first_last_bits: int | None) -> FitRow:
    """The fit of `graph` with PACT's policy at `bits` on `accel`'s total memory."""
    g = graph.with_policy(policy_for(bits, first_last_bits))
    res = residency(g, accel)
    names = res.liveness.order
    sets = [working_set_bits(g, n) for n in names]
    big = max(range(len(names)), key=lambda i: (sets[i], -i)) if names else 0
    edge = bits if first_last_bits is None else max(bits, first_last_bits)
    return FitRow(
        workload=graph.name,
        bits=bits,
        first_last_bits=edge,
        capacity_bytes=accel.sram_bytes,
        weight_bytes=res.weight_bits / 8,
        largest_layer=names[big] if names else "",
        largest_working_set_bytes=(sets[big] if names else 0) / 8,
        peak_live_bytes=res.liveness.peak_bits / 8,
        peak_live_layer=res.liveness.peak_step,
        model_fits=res.weights_resident,
        activations_fit=res.activations_resident,
        spilled=res.spilled,
    )


def fit_report(
    graph: LayerGraph,
    accel: Accelerator,
    bits: Sequence[int] = (16, 8, 4, 2),
    first_last_bits: int | None = 8,
) -> tuple[list[FitRow], int | None]:
    """Fit rows for each precision and the widest precision at which the whole model fits.

    The second value scans `bits` from widest to narrowest and returns the first that fits
    (None when none does) — "the bit-width at which the whole model first fits".
    """
    rows = [fit_row(graph, accel, b, first_last_bits) for b in bits]
    first = next((r.bits for r in sorted(rows, key=lambda r: -r.bits) if r.model_fits), None)
    return rows, first


__all__ = [
    "FitRow",
    "Liveness",
    "Residency",
    "Tensor",
    "fit_report",
    "fit_row",
    "gemm_operand_elems",
    "layer_reserve_bits",
    "liveness",
    "policy_for",
    "residency",
    "weight_bits",
    "working_set_bits",
]
