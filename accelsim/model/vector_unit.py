"""The per-core vector unit: cycles of the layers without MACs (softmax, norms, activations, ...).

Each core has `lanes` SIMD lanes next to its systolic array (TPU v1's activation pipeline, NVDLA's
SDP); a lane retires `ops_per_cycle` elementary operations per cycle, per operation kind when a
design says so. A layer's operations (`accelsim.ir.vector_layers`: elements x operations per element)
are split evenly over the cores. Defaults and their sources: ``tech/vector.toml``.

Overlap with the array: a pointwise operation (activation, element-wise product, rotary embedding)
whose producer is a GEMM runs in that GEMM's output stage as the results drain, so only the cycles
it needs beyond the GEMM's are exposed. Row reductions (softmax, LayerNorm, RMSNorm) need whole
rows first and run after their producer; overlap with the next layer's array work is not modelled,
which makes their cost an upper bound (the exposed cycles are at most the standalone ones).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from accelsim.errors import InputError

#: Operations that work element by element and so can run in a GEMM's output stage.
POINTWISE = frozenset({"gelu", "silu", "relu", "mul", "rope"})


@dataclass(frozen=True, slots=True)
class VectorUnit:
    """One core's vector unit: `lanes` lanes of `ops_per_cycle` operations (per kind in `per_op`)."""

    lanes: int
    ops_per_cycle: float = 1.0
    per_op: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.lanes, int) or isinstance(self.lanes, bool) or self.lanes < 1:
            raise InputError("vector_lanes", self.lanes, "must be a positive integer")
        for name, rate in [("vector_ops_per_cycle", self.ops_per_cycle), *self.per_op.items()]:
            if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 < rate < math.inf:
                raise InputError(name, rate, "must be a number > 0 (operations per lane per cycle)")

    def rate(self, op: str) -> float:
        """Operations per lane per cycle for operation kind `op`."""
        return self.per_op.get(op, self.ops_per_cycle)

    def cycles(self, ops: int, op: str, cores: int) -> int:
        """Cycles one core spends on its share of `ops` operations of kind `op` spread over `cores`."""
        if ops <= 0:
            return 0
        per_core = -(-ops // cores)
        return math.ceil(per_core / (self.lanes * self.rate(op)))


@cache
def _defaults() -> tuple[int, float]:
    import tech

    raw = tech.read_raw("vector.toml")
    return int(raw["lanes_per_column"]["value"]), float(raw["ops_per_lane_cycle"]["value"])


def default_vector_unit(cols: int, mac_lanes: int = 1) -> VectorUnit:
    """The sourced default for an array with `cols` output columns of `mac_lanes` MAC lanes."""
    per_column, rate = _defaults()
    return VectorUnit(lanes=per_column * cols * mac_lanes, ops_per_cycle=rate)


def design_vector_unit(accel: Any) -> VectorUnit:
    """The vector unit of design `accel`: its `vector_lanes` (0: the sourced default) and rate."""
    default = default_vector_unit(accel.cols, accel.lanes)
    lanes = accel.vector_lanes or default.lanes
    return VectorUnit(lanes=lanes, ops_per_cycle=accel.vector_ops_per_cycle)


def overlap_with_producers(graph: Any, plans: list[Any]) -> list[Any]:
    """Layer plans with each pointwise vector layer's cycles reduced by its GEMM producer's.

    `plans` are the simulator's layer plans (fields `name`, `core_cycles`, `compute_cycles`).
    """
    from dataclasses import replace

    by_name = {lp.name: lp for lp in plans}
    out = []
    for lp in plans:
        layer = graph.layer(lp.name)
        gemms = [by_name[p].compute_cycles for p in graph.inputs_of(lp.name) if graph.gemm(p) is not None]
        if gemms and getattr(layer, "op", None) in POINTWISE:
            hidden = max(gemms)
            lp = replace(lp, core_cycles=tuple(exposed_cycles(layer, c, hidden) for c in lp.core_cycles))
        out.append(lp)
    return out


def layer_cycles(layer: Any, unit: VectorUnit, cores: int) -> int:
    """Standalone cycles per core of a vector layer (0 for layers with no vector operations)."""
    op = getattr(layer, "op", None)
    ops = getattr(layer, "ops", 0)
    if op is None or not ops:
        return 0
    return unit.cycles(ops, op, cores)


def exposed_cycles(layer: Any, standalone: int, producer_gemm_cycles: int | None) -> int:
    """Cycles the layer adds: pointwise work behind a GEMM hides under that GEMM's cycles."""
    if producer_gemm_cycles is not None and getattr(layer, "op", None) in POINTWISE:
        return max(0, standalone - producer_gemm_cycles)
    return standalone


__all__ = [
    "POINTWISE",
    "VectorUnit",
    "default_vector_unit",
    "design_vector_unit",
    "exposed_cycles",
    "layer_cycles",
    "overlap_with_producers",
]
