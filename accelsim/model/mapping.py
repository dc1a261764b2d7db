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

Off-chip traffic follows a two-level reuse model (docs/model.md, "Traffic"): a layer's operands
are read once when the stationary one fits in the per-core buffer next to a minimal tile of the
others; otherwise the streamed operand is re-read once per chunk of the stationary one, and the
cheaper of the two loop orders wins. All sizes are kept in bits (integers) so ratios are exact.

Example
-------
>>> view = ArrayView(rows=16, cols=32)
>>> systolic_cycles(64, 32, 100, view, "os")  # 4 row folds x 1 col fold x (16 + 32 + 100 - 2)
584
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from accelsim.errors import InputError
from accelsim.hardware.design import DATAFLOWS, Accelerator
from accelsim.ir.layers import GemmView

#: Fetch modes of an operand: already on chip (no DRAM read), fetched once into reserved space,
#: or streamed through the double buffers (and re-read when the reuse does not fit).
ON_CHIP, ONCE, STREAM = "on_chip", "once", "stream"


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
    """How many cores a GEMM is cut across along its groups, M (rows) and N (columns)."""

    groups: int = 1
    m: int = 1
    n: int = 1

    @property
    def cores_used(self) -> int:
        return self.groups * self.m * self.n

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

    Ties go to the split with the smallest `tie_key` (the memory plan passes replicated weight bits,
    then off-chip bits), then to more cores along M, then N, then groups — a fixed order, so the
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
        tied = [s for s, k in zip(tied, keys) if k == least]
    return min(tied, key=lambda s: (-s.m, -s.n, -s.groups))


# --- traffic -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Operand:
    """A tensor a layer reads: `elems` elements at `bits`, and how it reaches the array."""

    elems: int
    bits: int
    fetch: str = STREAM

    @property
    def total_bits(self) -> int:
        return self.elems * self.bits


@dataclass(frozen=True, slots=True)
class Traffic:
    """Off-chip traffic of one layer (bits) and the reuse that produced it.

    `refetch` is how many times the re-read operand was read (1: everything read once); `order`
    names the stationary operand of the chosen loop order ("b" = weights stay, inputs re-stream).
    """

    read_bits: int
    write_bits: int
    refetch: int = 1
    order: str = "b"

    @property
    def total_bits(self) -> int:
        return self.read_bits + self.write_bits


def tile_extents(accel: Accelerator) -> tuple[int, int]:
    """(M rows, N columns) of one fold's output block on the design-precision array."""
    if accel.dataflow == "is":  # M runs along the columns, N is streamed in time (take R at once)
        return accel.cols, accel.rows
    return accel.rows, accel.cols  # os: M on rows, N on cols; ws: N on cols, M streamed (R at once)


@dataclass(frozen=True, slots=True)
class TileFootprint:
    """Per-core slice sizes (elements) of a GEMM layer and its minimal tile (bits).

    The fields after `min_tile_bits` describe the per-core GEMM for the K-split schedule and the
    per-group reuse (0 = unknown: K-split disabled, one group), so a footprint built by hand for a
    test of the two-order reuse model keeps its meaning.
    """

    a_slice: int
    b_slice: int
    a_min: int
    b_min: int
    o_min: int
    min_tile_bits: int
    groups: int = 1  # groups per core: independent GEMMs, each reusing only its own operands
    m_core: int = 0  # GEMM rows per core (per group)
    n_core: int = 0  # GEMM columns per core (per group)
    m_tile: int = 0  # rows of one fold's output block
    n_tile: int = 0  # columns of one fold's output block
    k: int = 0  # reduction length
    k_min: int = 0  # smallest K chunk: the array's reduction depth per pass (rows x lanes)
    a_row_bits: tuple[int, int] = (0, 1)  # A bits per GEMM row over the full K, as a fraction
    b_col_bits: tuple[int, int] = (0, 1)  # B bits per GEMM column over the full K, as a fraction
    acc_bits: int = 0  # partial-sum width held on chip while K is split

    @property
    def k_split_min_bits(self) -> int:
        """Bits of the smallest K-split working set: one fold's partial sums plus two K-chunks."""
        return ksplit_tile_bits(self, self.m_tile, self.n_tile)


def ksplit_tile_bits(fp: TileFootprint, m_o: int, n_o: int) -> int:
    """On-chip bits of the K-split schedule with an `m_o x n_o` partial-sum block.

    The block's partial sums stay (single buffer, accumulator width) while K streams through in
    chunks of `k_min`: A[m_o, k_min] and B[k_min, n_o], double-buffered.
    """
    if fp.k <= 0:
        return 0
    kc = min(fp.k, fp.k_min)
    a_chunk = -(-fp.a_row_bits[0] * m_o * kc // (fp.a_row_bits[1] * fp.k))
    b_chunk = -(-fp.b_col_bits[0] * n_o * kc // (fp.b_col_bits[1] * fp.k))
    return m_o * n_o * fp.acc_bits + 2 * (a_chunk + b_chunk)


def footprint(gemm: GemmView, split: Split, accel: Accelerator, a: Operand, b: Operand, out_bits: int) -> TileFootprint:
    """Largest per-core slices and the minimal tile: one full-K panel of each operand for one fold.

    Input slices are proportional to the GEMM rows they feed (a conv's halo rows are ignored).
    Also the per-core GEMM the K-split schedule needs (`ksplit_tile_bits`).
    """
    import tech

    g_c = -(-gemm.groups // split.groups)
    m_c = -(-gemm.m // split.m)
    n_c = -(-gemm.n // split.n)
    m_t, n_t = tile_extents(accel)
    rows, cols = min(m_c, m_t), min(n_c, n_t)
    rows_all, cols_all = gemm.groups * gemm.m, gemm.groups * gemm.n  # GEMM rows / columns over all groups
    a_slice = -(-a.elems * g_c * m_c // rows_all)
    b_slice = -(-b.elems * g_c * n_c // cols_all)
    a_min = -(-a.elems * rows // rows_all)  # one group's panel of `rows` GEMM rows
    b_min = -(-b.elems * cols // cols_all)
    o_min = rows * cols
    acc = tech.accumulator_bits(min(a.bits, 32), min(b.bits, 32), max(1, gemm.k))
    return TileFootprint(
        a_slice, b_slice, a_min, b_min, o_min, a_min * a.bits + b_min * b.bits + o_min * out_bits,
        groups=g_c, m_core=m_c, n_core=n_c, m_tile=rows, n_tile=cols, k=gemm.k,
        k_min=accel.rows * accel.lanes, a_row_bits=(a.elems * a.bits, rows_all),
        b_col_bits=(b.elems * b.bits, cols_all), acc_bits=acc,
    )


def tile_need_bits(fp: TileFootprint) -> int:
    """Streaming bits a core needs at the least: two full-K minimal tiles, or the K-split minimum."""
    full = 2 * fp.min_tile_bits
    return min(full, fp.k_split_min_bits) if fp.k > 0 else full


def check_tile_fits(accel: Accelerator, layer: str, fp: TileFootprint) -> None:
    """InputError when a core's memory holds neither two full-K minimal tiles nor the K-split minimum."""
    need_bytes = math.ceil(tile_need_bits(fp) / 8)
    if need_bytes > accel.sram_bytes_per_core:
        raise InputError(
            "sram_bytes_per_core",
            accel.sram_bytes_per_core,
            f"too small for one double-buffered tile of layer {layer} (needs {need_bytes} bytes)",
        )


def gemm_traffic(fp: TileFootprint, a: Operand, b: Operand, out: Operand, budget_bits: int) -> Traffic:
    """Off-chip bits of one GEMM layer given each core's streaming budget (bits, both buffers).

    Two schedules; the cheaper feasible one wins (ties: the full-K orders, then "b"):

    * full-K panels (needs two minimal tiles). Half the budget is one buffer (double buffering).
      Order "b": keep a chunk of B (weights) in the buffer next to a minimal A panel and output
      block, stream A past it -> A is re-read once per B chunk. Order "a": the mirror image. A
      grouped GEMM (depthwise conv, attention heads) is `groups` independent GEMMs: a group's A is
      re-read once per chunk of *that group's* B, so chunks are counted per group.
    * K-split (order "k", `ksplit_traffic`): partial sums of an output block stay on chip while K
      streams through in chunks; A is re-read once per block column, B once per block row.

    Operands already on chip cost nothing; an operand fetched ``once`` (a pinned weight's first
    image) is read once whatever the order. Shared slices are multicast to the cores that need
    them (one DRAM read). Monotone: more budget or fewer bits never means more traffic.
    """
    a_read = a.total_bits if a.fetch != ON_CHIP else 0
    b_read = b.total_bits if b.fetch != ON_CHIP else 0
    write = out.total_bits if out.fetch != ON_CHIP else 0
    best: Traffic | None = None
    if 2 * fp.min_tile_bits <= budget_bits or fp.k <= 0:
        best = _full_k_traffic(fp, a, b, out, budget_bits, a_read, b_read, write)
    if fp.k > 0 and fp.k_split_min_bits <= budget_bits:
        k_split = _ksplit_cached(fp, a.fetch, b.fetch, budget_bits, a_read, b_read, write)
        if best is None or k_split.total_bits < best.total_bits:
            best = k_split
    if best is None:  # below every schedule's minimum: the caller checks that a tile fits
        raise InputError("sram_bytes_per_core", budget_bits // 8, "leaves no room for one tile")
    return best


def _full_k_traffic(
    fp: TileFootprint, a: Operand, b: Operand, out: Operand, budget_bits: int, a_read: int, b_read: int, write: int
) -> Traffic:
    half = budget_bits // 2
    groups = max(1, fp.groups)
    # order "b": B stationary in chunks (per group), A re-streamed per chunk
    n_b = 1
    if b.fetch == STREAM and a.fetch != ON_CHIP:
        cap = half - fp.a_min * a.bits - fp.o_min * out.bits
        n_b = max(1, -(-(-(-fp.b_slice // groups) * b.bits) // max(cap, 1)))
    # order "a": A stationary in chunks (per group), B re-streamed per chunk
    n_a = 1
    if a.fetch == STREAM and b.fetch == STREAM:
        cap = half - fp.b_min * b.bits - fp.o_min * out.bits
        n_a = max(1, -(-(-(-fp.a_slice // groups) * a.bits) // max(cap, 1)))
    by_b = a_read * n_b + b_read
    by_a = a_read + b_read * n_a
    if by_a < by_b:
        return Traffic(by_a, write, n_a, "a")
    return Traffic(by_b, write, n_b, "b")


def ksplit_traffic(fp: TileFootprint, a: Operand, b: Operand, out: Operand, budget_bits: int) -> Traffic:
    """Off-chip bits of the K-split schedule alone at `budget_bits` per core (order "k").

    Per core and group, an ``m_o x n_o`` block of partial sums (accumulator width) stays on chip
    while K streams in chunks of the array's reduction depth: A[m_o, kc] and B[kc, n_o],
    double-buffered (`ksplit_tile_bits`). A is then read once per block column
    (``ceil(n_core / n_o)``), B once per block row (``ceil(m_core / m_o)``); no partial sum leaves
    the chip. For each block width (multiples of the fold's columns) the tallest block that fits is
    taken, and the cheapest block wins. Works for every dataflow: under OS the array's own
    accumulators hold one fold's sums and the rest wait in SRAM; under WS/IS the sums pass through
    SRAM anyway (counted in the energy model) and here stay there between K chunks.
    """
    a_read = a.total_bits if a.fetch != ON_CHIP else 0
    b_read = b.total_bits if b.fetch != ON_CHIP else 0
    write = out.total_bits if out.fetch != ON_CHIP else 0
    return _ksplit_cached(fp, a.fetch, b.fetch, budget_bits, a_read, b_read, write)


@lru_cache(maxsize=65536)
def _ksplit_cached(fp: TileFootprint, a_fetch: str, b_fetch: str, budget: int, a_read: int, b_read: int, write: int) -> Traffic:
    best: Traffic | None = None
    for j in range(1, -(-fp.n_core // fp.n_tile) + 1):
        n_o = min(fp.n_core, j * fp.n_tile)
        if ksplit_tile_bits(fp, fp.m_tile, n_o) > budget:
            break  # wider blocks need even more room
        lo, hi = 1, -(-fp.m_core // fp.m_tile)  # rows in fold multiples: the tallest block that fits
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if ksplit_tile_bits(fp, min(fp.m_core, mid * fp.m_tile), n_o) <= budget:
                lo = mid
            else:
                hi = mid - 1
        m_o = min(fp.m_core, lo * fp.m_tile)
        ra = -(-fp.n_core // n_o) if a_fetch == STREAM else 1
        rb = -(-fp.m_core // m_o) if b_fetch == STREAM else 1
        t = Traffic(a_read * ra + b_read * rb, write, max(ra, rb), "k")
        if best is None or t.total_bits < best.total_bits:
            best = t
    if best is None:
        raise InputError("sram_bytes_per_core", budget // 8, "leaves no room for the K-split tile")
    return best


def refetch_free_bits(fp: TileFootprint, a: Operand, b: Operand, out: Operand) -> int:
    """Streaming bits per core from which more room no longer lowers the layer's traffic.

    Depends on which operands stream (`Operand.fetch`): with both streaming, the least of order
    "b" with a whole group's B slice in one buffer, order "a" with a whole A slice, and the K-split
    schedule with the whole per-core output block on chip; with an operand already on chip its
    re-reads are free, so two minimal tiles (or a K-split block only as tall / wide as the streamed
    operand needs) suffice.
    """
    groups = max(1, fp.groups)
    if a.fetch == STREAM and b.fetch == STREAM:
        by_b = 2 * (-(-fp.b_slice // groups) * b.bits + fp.a_min * a.bits + fp.o_min * out.bits)
        by_a = 2 * (-(-fp.a_slice // groups) * a.bits + fp.b_min * b.bits + fp.o_min * out.bits)
        need = min(by_b, by_a)
    else:
        need = 2 * fp.min_tile_bits
    if fp.k > 0:
        rows = fp.m_core if b.fetch == STREAM else fp.m_tile
        cols = fp.n_core if a.fetch == STREAM else fp.n_tile
        need = min(need, ksplit_tile_bits(fp, rows, cols))
    return need


# --- element-wise layers -----------------------------------------------------------------------
def vector_cycles(elems: int, accel: Accelerator, cores_used: int) -> int:
    """Cycles of a standalone element-wise pass (pooling) over `elems` inputs.

    Each core's output stage handles one element per column and lane per cycle (the post-processing
    unit at the array edge, as in TPU/NVDLA); the work is split evenly over `cores_used` cores.
    """
    per_core = -(-elems // cores_used)
    return -(-per_core // (accel.cols * accel.lanes))


def total_read_bits(operands: Iterable[Operand]) -> int:
    """Bits read once from DRAM for every operand not already on chip."""
    return sum(op.total_bits for op in operands if op.fetch != ON_CHIP)


__all__ = [
    "ONCE",
    "ON_CHIP",
    "STREAM",
    "ArrayView",
    "Operand",
    "Split",
    "TileFootprint",
    "Traffic",
    "array_view",
    "balanced_parts",
    "check_tile_fits",
    "choose_split",
    "core_cycles",
    "folds",
    "footprint",
    "gang_factor",
    "gemm_cycles",
    "gemm_traffic",
    "ksplit_tile_bits",
    "ksplit_traffic",
    "mapping_dims",
    "refetch_free_bits",
    "slowest_core_cycles",
    "split_candidates",
    "systolic_cycles",
    "tile_extents",
    "tile_need_bits",
    "total_read_bits",
    "utilization",
    "vector_cycles",
]
