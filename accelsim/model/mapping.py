"""Pure cost functions: one layer on one core's systolic array, its split across cores, its traffic.

Nothing here simulates; every function is a closed form of its arguments (and cached where sweeps
call it with the same shapes), so users can import them to reason about a single layer.

Compute cycles follow SCALE-Sim's analytical model (Samajdar et al., "A systematic methodology for
characterizing scalability of DNN accelerators using SCALE-Sim", ISPASS 2020): an R x C array runs a
GEMM in ``ceil(Sr'/R) * ceil(Sc'/C)`` folds. Per fold, as the scale-sim-v2 code users run counts
it (docs/scalesim-accounting.md): output stationary ``R + C + T - 2`` (T + C - 1 rows skewed over
R), weight and input stationary ``2R + C + T - 2`` (R more cycles to load the stationary operand),
where

=========  =========  =========  =======
dataflow   Sr'        Sc'        T
=========  =========  =========  =======
os         M          N          K
ws         K          N          M
is         K          M          N
=========  =========  =========  =======

with M = output rows (pixels x batch), N = output columns (filters), K = reduction length.

Off-chip traffic of a layer on its split is `accelsim.model.traffic`.

Example
-------
>>> view = ArrayView(rows=16, cols=32)
>>> systolic_cycles(64, 32, 100, view, "os")  # 4 row folds x 1 col fold x (16 + 32 + 100 - 2)
584
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from accelsim.errors import InputError
from accelsim.hardware.design import DATAFLOWS, Accelerator
from accelsim.ir.layers import GemmView


# --- how a layer sees the array -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ArrayView:
    """One core's array as a layer of a given precision sees it.

    `passes` multiplies the temporal operand T: bit-serial passes of a dedicated MAC, or the part
    of a configurable gang that could not be absorbed spatially. `gang` is the slowdown factor
    applied (PEs per MAC for configurable, passes for dedicated; 1 when the layer fits the MACs).
    """

    rows: int
    cols: int
    lanes: int = 1
    passes: int = 1
    gang: int = 1

    @property
    def macs_per_cycle(self) -> int:
        """Layer-precision MACs per cycle of this core at full utilisation."""
        return self.rows * self.cols * self.lanes // self.passes


def _prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def gang_factor(accel: Accelerator, w_bits: int, a_bits: int) -> int:
    """Slowdown of a `w_bits x a_bits` layer on `accel`'s MACs (1 = full speed).

    configurable: ``ceil(max(w, a) / max(mac_w, mac_a))`` sub-word MACs combine into one.
    dedicated: bit-serial decomposition, ``ceil(w / mac_w) * ceil(a / mac_a)`` passes.
    Narrower layers than the MACs run at full speed and never faster.
    """
    if accel.mac_mode == "configurable":
        return max(1, -(-max(w_bits, a_bits) // accel.mac_bits))
    return -(-w_bits // accel.mac_w_bits) * -(-a_bits // accel.mac_a_bits)


@lru_cache(maxsize=4096)
def _view(rows: int, cols: int, lanes: int, gang: int, configurable: bool) -> ArrayView:
    if gang == 1:
        return ArrayView(rows, cols, lanes)
    if not configurable:
        return ArrayView(rows, cols, lanes, passes=gang, gang=gang)
    # Configurable MACs gang up spatially: first the lanes of a PE, then neighbouring PEs (halving
    # the longer side, ties -> rows, the inverse of the iso-area growth 16x32 -> 32x32 -> 32x64), so
    # a 4-bit 32x64 design running 16-bit layers behaves exactly like the 16-bit 16x32 base. A prime
    # factor no side can absorb becomes a temporal pass.
    r, c, lanes_left, passes = rows, cols, lanes, 1
    for p in _prime_factors(gang):
        if lanes_left % p == 0:
            lanes_left //= p
        elif r >= c and r % p == 0:
            r //= p
        elif c % p == 0:
            c //= p
        elif r % p == 0:
            r //= p
        else:
            passes *= p
    return ArrayView(r, c, lanes_left, passes=passes, gang=gang)


def array_view(accel: Accelerator, w_bits: int | None = None, a_bits: int | None = None) -> ArrayView:
    """The array a layer of `w_bits x a_bits` sees on one core (default: the design precision)."""
    w = accel.mac_w_bits if w_bits is None else w_bits
    a = accel.mac_a_bits if a_bits is None else a_bits
    gang = gang_factor(accel, w, a)
    return _view(accel.rows, accel.cols, accel.lanes, gang, accel.mac_mode == "configurable")


# --- SCALE-Sim compute cycles -------------------------------------------------------------------
def mapping_dims(m: int, n: int, k: int, dataflow: str) -> tuple[int, int, int]:
    """(Sr', Sc', T): what a dataflow maps to array rows, array columns and time."""
    if dataflow == "os":
        return m, n, k
    if dataflow == "ws":
        return k, n, m
    if dataflow == "is":
        return k, m, n
    raise InputError("dataflow", dataflow, f"must be one of {', '.join(DATAFLOWS)}")


def folds(m: int, n: int, k: int, view: ArrayView, dataflow: str) -> tuple[int, int]:
    """(row folds, column folds) of one M x N x K GEMM; lanes shorten the reduction axis K."""
    sr, sc, _ = mapping_dims(m, n, -(-k // view.lanes), dataflow)
    return -(-sr // view.rows), -(-sc // view.cols)


@lru_cache(maxsize=65536)
def systolic_cycles(m: int, n: int, k: int, view: ArrayView, dataflow: str) -> int:
    """Cycles of one M x N x K GEMM on one array, fill and drain included, as SCALE-Sim v2 counts them.

    ``(R + C + T * passes - 2) * ceil(Sr'/R) * ceil(Sc'/C)`` for ``os`` and
    ``(2R + C + T * passes - 2) * ceil(Sr'/R) * ceil(Sc'/C)`` for ``ws`` and ``is``: per fold,
    SCALE-Sim v2 emits one demand row per cycle (docs/scalesim-accounting.md), and

    * os (scalesim/compute/systolic_compute_os.py): T input rows + C - 1 drain rows, skewed over
      the R array rows (+ R - 1) = R + C + T - 2; the outputs leave through the C - 1 / R - 1
      tails, so there is no separate R-cycle drain;
    * ws / is (systolic_compute_ws.py / systolic_compute_is.py): R cycles to load the stationary
      operand, then T + C - 1 rows skewed over R (+ R - 1) = 2R + C + T - 2.

    Read in scalesim-project/scale-sim-v2 at commits aabd619e8b13 and 0b80b27944c8 (os),
    a47e96e60c97 (ws) and 903a1411b884 (is). (The ISPASS 2020 paper's analytical formula charges
    2R + C + T - 2 to every dataflow; the code users run does not for os.) A PE with L lanes
    consumes L elements of K per cycle, so K becomes ``ceil(K / L)``; dedicated/configurable
    temporal passes multiply T. Zero-sized GEMMs take 0 cycles.
    """
    if m <= 0 or n <= 0 or k <= 0:
        return 0
    sr, sc, t = mapping_dims(m, n, -(-k // view.lanes), dataflow)
    row_folds, col_folds = -(-sr // view.rows), -(-sc // view.cols)
    load = 0 if dataflow == "os" else view.rows  # ws/is: R cycles to load the stationary operand
    return (load + view.rows + view.cols + t * view.passes - 2) * row_folds * col_folds


def gemm_cycles(gemm: GemmView, view: ArrayView, dataflow: str) -> int:
    """Cycles of a (grouped) GEMM on one array: its groups run one after another."""
    return gemm.groups * systolic_cycles(gemm.m, gemm.n, gemm.k, view, dataflow)


def utilization(macs: int, macs_per_cycle: int, cycles: float) -> float:
    """Fraction of the array's MAC slots doing useful work: macs / (macs_per_cycle * cycles)."""
    return macs / (macs_per_cycle * cycles) if cycles > 0 else 0.0


# --- work split across cores --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Split:
    """How many cores a GEMM is cut across along its groups, M (rows), N (columns) and K (reduction).

    A K split (`k` > 1, only the mapper's search proposes one) leaves each core a partial sum of
    every output of its slice; the partial sums are reduced over the on-chip network
    (`accelsim.model.mapspace`).
    """

    groups: int = 1
    m: int = 1
    n: int = 1
    k: int = 1

    @property
    def cores_used(self) -> int:
        return self.groups * self.m * self.n * self.k

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.groups, self.m, self.n)


def balanced_parts(total: int, parts: int) -> list[int]:
    """`total` cut into `parts` sizes differing by at most one, larger first."""
    q, r = divmod(total, parts)
    return [q + 1] * r + [q] * (parts - r)


def _factor_choices(dim: int, cores: int) -> list[int]:
    """Core counts along one axis: divisors of `cores` that fit in `dim`, plus `dim` if smaller."""
    out = [d for d in range(1, cores + 1) if cores % d == 0 and d <= dim]
    if dim < cores and dim not in out:
        out.append(dim)
    return sorted(out)


@lru_cache(maxsize=4096)
def split_candidates(gemm: GemmView, cores: int) -> tuple[Split, ...]:
    """Every split whose per-axis core counts divide the core count (or equal a smaller axis)."""
    out = []
    for g in _factor_choices(gemm.groups, cores):
        for m in _factor_choices(gemm.m, cores // g):
            for n in _factor_choices(gemm.n, cores // (g * m)):
                out.append(Split(g, m, n))
    return tuple(out)


@lru_cache(maxsize=65536)
def core_cycles(gemm: GemmView, split: Split, view: ArrayView, dataflow: str) -> tuple[int, ...]:
    """Compute cycles of every used core, in core order (groups, then M, then N slices)."""
    out = []
    for g in balanced_parts(gemm.groups, split.groups):
        for m in balanced_parts(gemm.m, split.m):
            for n in balanced_parts(gemm.n, split.n):
                out.append(g * systolic_cycles(m, n, gemm.k, view, dataflow))
    return tuple(out)


def slowest_core_cycles(gemm: GemmView, split: Split, view: ArrayView, dataflow: str) -> int:
    """The critical core: the one with the largest slice along every axis."""
    g, m, n = -(-gemm.groups // split.groups), -(-gemm.m // split.m), -(-gemm.n // split.n)
    return g * systolic_cycles(m, n, gemm.k, view, dataflow)


def choose_split(
    gemm: GemmView,
    accel: Accelerator,
    tie_key: Callable[[Split], Any] | None = None,
) -> Split:
    """The split that minimises the slowest core's compute cycles on the design-precision array.

    Ties go to the split with the smallest `tie_key` (the memory plan passes off-chip bits, then
    replicated weight bits), then to more cores along M, then N, then groups — a fixed order, so the
    choice never depends on dict or set order. The array is taken at the design precision (no
    ganging) so the split, and with it the traffic, does not change with a layer's bits.
    """
    view = array_view(accel)
    scored = [(slowest_core_cycles(gemm, s, view, accel.dataflow), s) for s in split_candidates(gemm, accel.cores)]
    best_cycles = min(c for c, _ in scored)
    tied = [s for c, s in scored if c == best_cycles]
    if tie_key is not None and len(tied) > 1:
        keys = [tie_key(s) for s in tied]
        least = min(keys)
        tied = [s for s, k in zip(tied, keys, strict=True) if k == least]
    return min(tied, key=lambda s: (-s.m, -s.n, -s.groups))


# --- element-wise layers -----------------------------------------------------------------------
def vector_cycles(elems: int, accel: Accelerator, cores_used: int) -> int:
    """Cycles of a standalone element-wise pass (pooling) over `elems` inputs.

    Each core's output stage handles one element per column and lane per cycle (the post-processing
    unit at the array edge, as in TPU/NVDLA); the work is split evenly over `cores_used` cores.
    """
    per_core = -(-elems // cores_used)
    return -(-per_core // (accel.cols * accel.lanes))


__all__ = [
    "ArrayView",
    "Split",
    "array_view",
    "balanced_parts",
    "choose_split",
    "core_cycles",
    "folds",
    "gang_factor",
    "gemm_cycles",
    "mapping_dims",
    "slowest_core_cycles",
    "split_candidates",
    "systolic_cycles",
    "utilization",
    "vector_cycles",
]
