"""Off-chip traffic of one GEMM layer on its split: tiles, reuse orders, per-group reuse, K-split.

Pure functions of sizes in bits (integers, so ratios are exact); `accelsim.model.memory` decides the
streaming room a core gives a layer, this module turns room into bits moved (docs/model.md,
section 7). Operands that are already on chip cost nothing; shared slices are multicast (one DRAM
read for every core that needs them).

Example
-------
>>> from accelsim.hardware.design import Accelerator
>>> from accelsim.ir.layers import GemmView
>>> from accelsim.model.mapping import Split
>>> a, b, out = Operand(64 * 100, 16), Operand(100 * 64, 16), Operand(64 * 64, 16)
>>> fp = footprint(GemmView(64, 64, 100), Split(), Accelerator(cores=1), a, b, 16)
>>> t = gemm_traffic(fp, a, b, out, 14_848 * 8)  # below two full-K tiles (21,248 B): K is split
>>> t.read_bits // 8, t.order  # B's 64 columns stay, A streams in K-chunks: each read once
(25600, 'k')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import tech
from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator
from accelsim.ir.layers import GemmView
from accelsim.ir.units import format_size
from accelsim.model.mapping import Split

#: Fetch modes of an operand: already on chip (no DRAM read), fetched once into reserved space,
#: or streamed through the double buffers (and re-read when the reuse does not fit).
ON_CHIP, ONCE, STREAM = "on_chip", "once", "stream"


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


def tile_extents(accel: Accelerator, dataflow: str | None = None) -> tuple[int, int]:
    """(M rows, N columns) of one fold's output block on the design-precision array (default: its dataflow)."""
    if (dataflow or accel.dataflow) == "is":  # M runs along the columns, N is streamed in time (take R at once)
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
    out_bits: int = 0  # output width (the fold's output block under OS)
    psum_in_array: bool = False  # OS: a fold's partial sums stay in the array for its whole K

    @property
    def k_split_min_bits(self) -> int:
        """Bits of the smallest K-split working set: one fold's sums (or outputs) plus two K-chunks."""
        return ksplit_tile_bits(self, self.m_tile, self.n_tile)


def ksplit_tile_bits(fp: TileFootprint, m_o: int, n_o: int) -> int:
    """On-chip bits of the K-split schedule with an `m_o x n_o` block.

    K streams through in chunks of `k_min`: A[m_o, k_min] and B[k_min, n_o], double-buffered. Under
    WS/IS the block's partial sums wait in SRAM at accumulator width (single buffer); under OS the
    block is one fold, whose sums stay in the array, and only its output block is buffered.
    """
    if fp.k <= 0:
        return 0
    kc = min(fp.k, fp.k_min)
    a_chunk = -(-fp.a_row_bits[0] * m_o * kc // (fp.a_row_bits[1] * fp.k))
    b_chunk = -(-fp.b_col_bits[0] * n_o * kc // (fp.b_col_bits[1] * fp.k))
    sums = m_o * n_o * (fp.out_bits if fp.psum_in_array else fp.acc_bits)
    return sums + 2 * (a_chunk + b_chunk)


def footprint(
    gemm: GemmView, split: Split, accel: Accelerator, a: Operand, b: Operand, out_bits: int, dataflow: str | None = None
) -> TileFootprint:
    """Largest per-core slices and the minimal tile: one full-K panel of each operand for one fold.

    Input slices are proportional to the GEMM rows they feed (a conv's halo rows are ignored).
    Also the per-core GEMM the K-split schedule needs (`ksplit_tile_bits`). A split along K
    (`split.k`) gives each core 1/k of every panel: its K slice (`dataflow` default: the design's).
    """
    g_c = -(-gemm.groups // split.groups)
    m_c = -(-gemm.m // split.m)
    n_c = -(-gemm.n // split.n)
    ks = split.k
    m_t, n_t = tile_extents(accel, dataflow)
    rows, cols = min(m_c, m_t), min(n_c, n_t)
    rows_all, cols_all = gemm.groups * gemm.m, gemm.groups * gemm.n  # GEMM rows / columns over all groups
    a_slice = -(-a.elems * g_c * m_c // (rows_all * ks))
    b_slice = -(-b.elems * g_c * n_c // (cols_all * ks))
    a_min = -(-a.elems * rows // (rows_all * ks))  # one group's panel of `rows` GEMM rows
    b_min = -(-b.elems * cols // (cols_all * ks))
    o_min = rows * cols
    acc = tech.accumulator_bits(min(a.bits, 32), min(b.bits, 32), max(1, gemm.k))
    return TileFootprint(
        a_slice,
        b_slice,
        a_min,
        b_min,
        o_min,
        a_min * a.bits + b_min * b.bits + o_min * out_bits,
        groups=g_c,
        m_core=m_c,
        n_core=n_c,
        m_tile=rows,
        n_tile=cols,
        k=-(-gemm.k // ks),
        k_min=accel.rows * accel.lanes,
        a_row_bits=(a.elems * a.bits, rows_all * ks),
        b_col_bits=(b.elems * b.bits, cols_all * ks),
        acc_bits=acc,
        out_bits=out_bits,
        psum_in_array=(dataflow or accel.dataflow) == "os",
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
            "sram",
            format_size(accel.sram_bytes),
            f"gives {accel.sram_bytes_per_core} bytes per core, too small for one double-buffered tile "
            f"of layer {layer} (needs {need_bytes} bytes per core)",
        )


def gemm_traffic(fp: TileFootprint, a: Operand, b: Operand, out: Operand, budget_bits: int) -> Traffic:
    """Off-chip bits of one GEMM layer given each core's streaming budget (bits, both buffers).

    Two schedules; the cheaper feasible one wins (ties: the full-K orders, then "b"):

    * full-K panels (needs two minimal tiles). Half the budget is one buffer (double buffering).
      Order "b": keep a chunk of B (weights) in the buffer next to a minimal A panel and output
      block, stream A past it -> A is re-read once per B chunk. Order "a": the mirror image. A
      grouped GEMM (depthwise conv, attention heads) is `groups` independent GEMMs: a group's A is
      re-read once per chunk of *that group's* B, so chunks are counted per group.
    * K-split (order "k", `ksplit_traffic`): K streams through in chunks while the partial sums
      stay on chip — in the array for one fold under OS, in SRAM for a larger block under WS/IS;
      A is re-read once per block column, B once per block row.

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
        raise InputError("sram", f"{budget_bits // 8} bytes per core", "leaves no room for one tile")
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

    K streams through in chunks of the array's reduction depth, A[m_o, kc] and B[kc, n_o]
    double-buffered (`ksplit_tile_bits`), and no partial sum leaves the chip. A is read once per
    block column (``ceil(n_core / n_o)``), B once per block row (``ceil(m_core / m_o)``).

    * OS (`_ksplit_os`): a fold's partial sums stay in the array while its whole K streams through
      — exactly SCALE-Sim's OS fold, so the compute cycles do not change (a block of several folds
      would have to swap partial sums in and out of the array, which SCALE-Sim's OS does not do).
      Reuse across folds comes from keeping one operand's full-K panel (`os_panel_bits`).
    * WS/IS: a fold already covers one K-chunk (the array's rows), and SCALE-Sim accumulates the
      partial sums through SRAM (counted in the energy model); here an ``m_o x n_o`` block of them
      waits in SRAM at accumulator width between chunks. For each block width (multiples of the
      fold's columns) the tallest block that fits is taken, and the cheapest block wins.
    """
    a_read = a.total_bits if a.fetch != ON_CHIP else 0
    b_read = b.total_bits if b.fetch != ON_CHIP else 0
    write = out.total_bits if out.fetch != ON_CHIP else 0
    return _ksplit_cached(fp, a.fetch, b.fetch, budget_bits, a_read, b_read, write)


@lru_cache(maxsize=65536)
def _ksplit_cached(
    fp: TileFootprint, a_fetch: str, b_fetch: str, budget: int, a_read: int, b_read: int, write: int
) -> Traffic:
    if fp.psum_in_array:
        return _ksplit_os(fp, a_fetch, b_fetch, budget, a_read, b_read, write)
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
        raise InputError("sram", f"{budget // 8} bytes per core", "leaves no room for the K-split tile")
    return best


def os_panel_bits(fp: TileFootprint, keep: str, extent: int) -> int:
    """On-chip bits of an OS K-split that keeps one operand's full-K panel.

    ``keep="b"``: B[:, extent] (extent columns, a multiple of the fold's) stays in one buffer and
    feeds every row fold, while A streams in K-chunks of the fold's rows (double-buffered);
    ``keep="a"``: A[extent, :] stays and B streams. One fold's output block waits at output width.
    """
    kc = min(fp.k, fp.k_min)
    out = fp.m_tile * fp.n_tile * fp.out_bits
    if keep == "b":
        panel = -(-fp.b_col_bits[0] * extent // fp.b_col_bits[1])
        chunk = -(-fp.a_row_bits[0] * fp.m_tile * kc // (fp.a_row_bits[1] * fp.k))
    else:
        panel = -(-fp.a_row_bits[0] * extent // fp.a_row_bits[1])
        chunk = -(-fp.b_col_bits[0] * fp.n_tile * kc // (fp.b_col_bits[1] * fp.k))
    return panel + 2 * chunk + out


def largest_fitting(step: int, limit: int, fits: Callable[[int], bool]) -> int:
    """The largest multiple of `step` (capped at `limit`) for which `fits` holds, or 0 (bisection)."""
    lo, hi = 0, -(-limit // step)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(min(limit, mid * step)):
            lo = mid
        else:
            hi = mid - 1
    return min(limit, lo * step)


def _ksplit_os(
    fp: TileFootprint, a_fetch: str, b_fetch: str, budget: int, a_read: int, b_read: int, write: int
) -> Traffic:
    """OS K-split: each fold's partial sums stay in the array for its whole K (SCALE-Sim's OS fold).

    Three schedules, the cheapest feasible wins: both operands stream in K-chunks per fold (A read
    once per column fold, B once per row fold); B's full-K panel for `n_o` columns stays and A
    streams (A read once per `n_o` columns, B once); or A's panel for `m_o` rows stays (the mirror).
    """
    if ksplit_tile_bits(fp, fp.m_tile, fp.n_tile) > budget:
        raise InputError("sram", f"{budget // 8} bytes per core", "leaves no room for the K-split tile")
    col_folds, row_folds = -(-fp.n_core // fp.n_tile), -(-fp.m_core // fp.m_tile)
    ra = col_folds if a_fetch == STREAM else 1
    rb = row_folds if b_fetch == STREAM else 1
    best = Traffic(a_read * ra + b_read * rb, write, max(ra, rb), "k")
    n_o = largest_fitting(fp.n_tile, fp.n_core, lambda n: os_panel_bits(fp, "b", n) <= budget)
    if n_o:
        ra_b = -(-fp.n_core // n_o) if a_fetch == STREAM else 1
        t = Traffic(a_read * ra_b + b_read, write, ra_b, "k")
        best = t if t.total_bits < best.total_bits else best
    m_o = largest_fitting(fp.m_tile, fp.m_core, lambda m: os_panel_bits(fp, "a", m) <= budget)
    if m_o:
        rb_a = -(-fp.m_core // m_o) if b_fetch == STREAM else 1
        t = Traffic(a_read + b_read * rb_a, write, rb_a, "k")
        best = t if t.total_bits < best.total_bits else best
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
        if not fp.psum_in_array:
            need = min(need, ksplit_tile_bits(fp, rows, cols))
        else:  # OS: keep one operand's panel (all of the other's reuse), stream the other once
            need = min(need, os_panel_bits(fp, "b", cols), os_panel_bits(fp, "a", rows))
    return need


def total_read_bits(operands: Iterable[Operand]) -> int:
    """Bits read once from DRAM for every operand not already on chip."""
    return sum(op.total_bits for op in operands if op.fetch != ON_CHIP)


__all__ = [
    "ONCE",
    "ON_CHIP",
    "STREAM",
    "Operand",
    "TileFootprint",
    "Traffic",
    "check_tile_fits",
    "footprint",
    "gemm_traffic",
    "ksplit_tile_bits",
    "largest_fitting",
    "ksplit_traffic",
    "os_panel_bits",
    "refetch_free_bits",
    "tile_extents",
    "tile_need_bits",
    "total_read_bits",
]
