"""The per-precision fit report of `accelsim fit`: what the per-core memory plan keeps on chip.

The simulator and `accelsim fit` share the memory plan (`accelsim.model.memory`), so the fit
columns of a sweep explain its times. Live ranges are `accelsim.model.liveness`. Reports convert
integer bits to decimal bytes.

Example
-------
>>> import workloads
>>> from accelsim.hardware.design import Accelerator
>>> row = fit_row(workloads.load("resnet50"), Accelerator(), 4, 8)
>>> round(row.weight_bytes / 1e6, 2), row.model_fits
(13.78, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from accelsim.hardware.design import MB, Accelerator
from accelsim.ir.graph import LayerGraph, PrecisionPolicy, uniform_policy
from accelsim.model.liveness import Liveness, Tensor, gemm_operand_elems, liveness, weight_bits
from accelsim.model.memory import plan_memory


@dataclass(frozen=True, slots=True, kw_only=True)
class FitRow:
    """On-chip fit of one precision: sizes in decimal bytes (MB = 1e6 B).

    `model_fits` means everything fits: every weight pinned and every intermediate activation on
    chip. The per-core columns say what the memory plan did when it does not: weights pinned
    (counted once) and streamed, the most pinned weight bytes any core holds (replicas included),
    and the most live activation bytes any core holds at any step.
    """

    workload: str
    bits: int
    first_last_bits: int
    capacity_bytes: int
    capacity_per_core_bytes: int
    weight_bytes: float
    pinned_weight_bytes: float
    streamed_weight_bytes: float
    pinned_per_core_bytes: float
    largest_layer: str
    largest_working_set_bytes: float
    peak_live_bytes: float
    peak_live_per_core_bytes: float
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
            "capacity_per_core_mb": self.capacity_per_core_bytes / MB,
            "weights_mb": self.weight_bytes / MB,
            "pinned_mb": self.pinned_weight_bytes / MB,
            "streamed_mb": self.streamed_weight_bytes / MB,
            "pinned_per_core_mb": self.pinned_per_core_bytes / MB,
            "largest_layer": self.largest_layer,
            "largest_working_set_mb": self.largest_working_set_bytes / MB,
            "peak_live_mb": self.peak_live_bytes / MB,
            "peak_live_per_core_mb": self.peak_live_per_core_bytes / MB,
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
    """The fit of `graph` with PACT's policy at `bits` on `accel`'s per-core memories."""
    g = graph.with_policy(policy_for(bits, first_last_bits))
    res = plan_memory(g, accel)
    names = res.liveness.order
    sets = [working_set_bits(g, n) for n in names]
    big = max(range(len(names)), key=lambda i: (sets[i], -i)) if names else 0
    edge = bits if first_last_bits is None else max(bits, first_last_bits)
    return FitRow(
        workload=graph.name,
        bits=bits,
        first_last_bits=edge,
        capacity_bytes=accel.sram_bytes,
        capacity_per_core_bytes=accel.sram_bytes_per_core,
        weight_bytes=res.weight_bits / 8,
        pinned_weight_bytes=res.pinned_weight_bits / 8,
        streamed_weight_bytes=res.streamed_weight_bits / 8,
        pinned_per_core_bytes=max(res.pinned_per_core, default=0) / 8,
        largest_layer=names[big] if names else "",
        largest_working_set_bytes=(sets[big] if names else 0) / 8,
        peak_live_bytes=res.liveness.peak_bits / 8,
        peak_live_per_core_bytes=res.peak_live_per_core_bits / 8,
        peak_live_layer=res.liveness.peak_step,
        model_fits=res.fits,
        activations_fit=res.activations_resident,
        spilled=res.spilled,
    )


def fit_report(
    graph: LayerGraph,
    accel: Accelerator,
    bits: Sequence[int] = (16, 8, 4, 2),
    first_last_bits: int | None = 8,
    *,
    design_for: Callable[[int], Accelerator] | None = None,
) -> tuple[list[FitRow], int | None]:
    """Fit rows for each precision and the widest precision at which the whole model fits.

    `design_for(bits)` gives the design of each precision (`accelsim fit` passes the iso-area
    design, whose cores and per-core memory change with the bits); default `accel` for all.
    The second value scans `bits` from widest to narrowest and returns the first that fits
    (None when none does) — "the bit-width at which the whole model first fits".
    """
    rows = [fit_row(graph, design_for(b) if design_for else accel, b, first_last_bits) for b in bits]
    first = next((r.bits for r in sorted(rows, key=lambda r: -r.bits) if r.model_fits), None)
    return rows, first


__all__ = [
    "FitRow",
    "Liveness",
    "Tensor",
    "fit_report",
    "fit_row",
    "gemm_operand_elems",
    "liveness",
    "policy_for",
    "weight_bits",
    "working_set_bits",
]
