"""The mapping space of one GEMM layer: dataflow, split across cores (incl. K), packing, tiling.

A `LayerMapping` is everything the mapper decides for a layer that the memory plan and the event
model then consume (`accelsim.model.memory`, `accelsim.model.layer_plan`):

* **dataflow** — OS, WS or IS, among the design's `Accelerator.allowed_dataflows`;
* **split** — cores along groups, M, N and K (`mapping.Split`). A K split gives each core a slice
  of the reduction; the partial sums of every output are reduced across the ``k`` cores over the
  on-chip network (reduce-scatter: each output's ``k - 1`` partial sums cross the network once at
  accumulator width, `reduction_bits`), and each core adds the ``1/k`` share it owns on its output
  stage, one element per column and lane per cycle (`reduction_cycles`);
* **pack** — for grouped GEMMs (depthwise convolutions, attention heads), how many groups sit on
  the array at once, block-diagonally: ``pack`` groups of ``M x K @ K x N`` become one
  ``M x (K pack) @ (K pack) x (N pack)`` GEMM whose off-diagonal weights are zeros the array
  generates, not data (the usual depthwise mapping on a systolic array, e.g. Gemmini's and
  ZigZag's grouped-conv spatial unrolling). Packing trades more fill and drain per fold for far
  fewer folds when N = 1.

* **tiling** — the loop order (which operand, or which block of partial sums, stays in SRAM) and
  the SRAM tile along M, N and K (`accelsim.model.tiling.Tiling`). The mapper enumerates the
  tilings that fit the layer's room for each of the choices above (`tiling.tilings`); the memory
  plan then reserves exactly the chosen tile's SRAM and the layer moves the bits that tile moves.
  ``None`` (the fixed mapper) leaves the order and chunk to `accelsim.model.traffic`'s closed form
  at whatever room the memory plan gives.

Example
-------
>>> from accelsim.ir.layers import GemmView
>>> from accelsim.model.mapping import ArrayView
>>> dw = GemmView(m=12544, n=1, k=9, groups=32)  # MobileNetV2's first depthwise layer
>>> view = ArrayView(16, 32)
>>> one = LayerMapping("os", Split())
>>> packed = LayerMapping("os", Split(), pack=32)
>>> max(core_cycles(dw, one, view)), max(core_cycles(dw, packed, view))  # 32 x 784 x 55 vs 784 x 334
(1379840, 261856)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from accelsim.hardware.design import Accelerator
from accelsim.ir.layers import GemmView
from accelsim.model.mapping import ArrayView, Split, _factor_choices, balanced_parts, systolic_cycles
from accelsim.model.tiling import Tiling


@dataclass(frozen=True, slots=True)
class LayerMapping:
    """One GEMM layer's mapping: dataflow, split across cores, groups packed on the array, tiling."""

    dataflow: str
    split: Split
    pack: int = 1
    tiling: Tiling | None = None

    @property
    def label(self) -> str:
        """Compact text for tables: ``os g1m4n1k1``, ``+p32`` when groups are packed, then the tiling
        (``os g1m4n1k1 b:16x64x576``) when the mapper chose one."""
        s = self.split
        text = f"{self.dataflow} g{s.groups}m{s.m}n{s.n}k{s.k}" + (f"+p{self.pack}" if self.pack > 1 else "")
        return text + (f" {self.tiling.label}" if self.tiling is not None else "")


def packed_gemm(gemm: GemmView, pack: int) -> GemmView:
    """The GEMM the array runs when `pack` groups (a divisor of the group count) sit block-diagonally."""
    if pack == 1:
        return gemm
    return GemmView(gemm.m, gemm.n * pack, gemm.k * pack, gemm.groups // pack)


def reduction_cycles(m: int, n: int, ks: int, view: ArrayView) -> int:
    """Output-stage cycles for a core to add the ``ks - 1`` partial sums of its ``1/ks`` share of M x N."""
    if ks <= 1:
        return 0
    share = -(-m * n // ks)
    return -(-share * (ks - 1) // (view.cols * view.lanes))


def reduction_bits(gemm: GemmView, lm: LayerMapping, acc_bits: int) -> int:
    """On-chip-network bits of a K split's reduce-scatter: ``(k - 1)`` partial sums per output."""
    if lm.split.k <= 1:
        return 0
    return gemm.groups * gemm.m * gemm.n * (lm.split.k - 1) * acc_bits


@lru_cache(maxsize=65536)
def core_cycles(gemm: GemmView, lm: LayerMapping, view: ArrayView) -> tuple[int, ...]:
    """Compute cycles of every used core (groups, then M, N, K slices), reduction included."""
    pg = packed_gemm(gemm, lm.pack)
    s = lm.split
    out = []
    for g in balanced_parts(pg.groups, s.groups):
        for m in balanced_parts(pg.m, s.m):
            for n in balanced_parts(pg.n, s.n):
                for k in balanced_parts(pg.k, s.k):
                    out.append(g * (systolic_cycles(m, n, k, view, lm.dataflow) + reduction_cycles(m, n, s.k, view)))
    return tuple(out)


def slowest_cycles(gemm: GemmView, lm: LayerMapping, view: ArrayView) -> int:
    """The critical core's cycles: the largest slice along every axis."""
    pg = packed_gemm(gemm, lm.pack)
    s = lm.split
    g, m, n, k = (-(-pg.groups // s.groups), -(-pg.m // s.m), -(-pg.n // s.n), -(-pg.k // s.k))
    return g * (systolic_cycles(m, n, k, view, lm.dataflow) + reduction_cycles(m, n, s.k, view))


def pack_choices(gemm: GemmView, accel: Accelerator) -> tuple[int, ...]:
    """Group packings worth trying: divisors of the group count up to the array's longer side.

    More groups than the array's longer side can never all hold a PE row or column at once, so
    larger packs only add zeros to every fold.
    """
    if gemm.groups <= 1:
        return (1,)
    limit = max(accel.rows, accel.cols) * accel.lanes
    return tuple(p for p in range(1, min(gemm.groups, limit) + 1) if gemm.groups % p == 0)


def split_candidates(gemm: GemmView, cores: int, pack: int) -> tuple[Split, ...]:
    """Splits along groups, M, N and K whose per-axis core counts divide the core count (or equal a
    smaller axis). A packed GEMM is split along groups and M only (its N and K belong to the packed
    block)."""
    pg = packed_gemm(gemm, pack)
    out = []
    for g in _factor_choices(pg.groups, cores):
        for m in _factor_choices(pg.m, cores // g):
            if pack > 1:
                out.append(Split(g, m, 1, 1))
                continue
            for n in _factor_choices(pg.n, cores // (g * m)):
                for k in _factor_choices(pg.k, cores // (g * m * n)):
                    out.append(Split(g, m, n, k))
    return tuple(out)


def candidates(gemm: GemmView, accel: Accelerator) -> tuple[LayerMapping, ...]:
    """Every mapping of `gemm` on `accel`, in a fixed order (dataflow, pack, split)."""
    out = []
    for flow in accel.allowed_dataflows:
        for pack in pack_choices(gemm, accel):
            for split in split_candidates(gemm, accel.cores, pack):
                out.append(LayerMapping(flow, split, pack))
    return tuple(out)


__all__ = [
    "LayerMapping",
    "candidates",
    "core_cycles",
    "pack_choices",
    "packed_gemm",
    "reduction_bits",
    "reduction_cycles",
    "slowest_cycles",
    "split_candidates",
]
