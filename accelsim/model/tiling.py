"""Loop order and SRAM tile of one GEMM layer on its cores: the mapper's explicit tiling dimensions.

`accelsim.model.traffic.gemm_traffic` (the fixed mapper's) takes, at a given streaming room, the
cheapest loop order and the largest chunk that fits, in closed form. Here the same schedules are
named as explicit `Tiling` values the mapper enumerates, each with the SRAM it needs
(`need_bits`) and the off-chip bits it moves (`tiled_traffic`), from the same building blocks
(`traffic.footprint`, `traffic.ksplit_tile_bits`, `traffic.os_panel_bits`):

=======  =====================================================  =================================
order    what stays in a core's SRAM while the rest streams     re-reads
=======  =====================================================  =================================
``b``    a chunk of B (weights), full K, next to a minimal A     A once per B chunk (`trips`)
         panel and output block, all double-buffered
``a``    the mirror: a chunk of A, full K                        B once per A chunk
``bk``   OS only: B's full-K panel of `n` columns (single        A once per panel
         buffer) while A streams in K-chunks past it
``ak``   OS only: the mirror, A's panel of `m` rows               B once per panel
``k``    an ``m x n`` block of partial sums (in the array for    A once per block column, B once
         one fold under OS, in SRAM under WS/IS) while K          per block row
         streams in chunks of the array's depth
=======  =====================================================  =================================

Tile sizes are per core and per group: `m` GEMM rows, `n` GEMM columns, `k` the K chunk (the full
K, or the array's reduction depth rows x lanes). A ``b``/``a`` chunk is ``ceil(slice / trips)``
bits (imperfect factorisation, the closed form's granularity: a chunk may end mid-column).

**Pruning** (`tilings`). Off-chip bits never rise as a tile grows (fewer trips, taller or wider
blocks), and a candidate's latency, energy and EDP never fall as off-chip bits rise, the rest of
the mapping fixed. So per order, and per block width `n` for ``k``, only the largest tile that fits
the room can be optimal (it also wins `best_tiling`'s tie-breaks). `all_tilings` enumerates every
trip count and block instead; the tests check on random layers and rooms that both reach the same
optimum, and that its traffic equals `traffic.gemm_traffic` (the closed form the fixed mapper
keeps).

Example
-------
>>> from accelsim.hardware.design import Accelerator
>>> from accelsim.ir.layers import GemmView
>>> from accelsim.model.mapping import Split
>>> from accelsim.model.traffic import Operand, footprint, gemm_traffic
>>> a, b, out = Operand(64 * 100, 16), Operand(100 * 64, 16), Operand(64 * 64, 16)
>>> fp = footprint(GemmView(64, 64, 100), Split(), Accelerator(cores=1), a, b, 16)
>>> best = best_tiling(fp, a, b, out, 14_848 * 8)
>>> best[0].label, best[1].read_bits // 8, need_bits(fp, a, b, out, best[0]) // 8
('bk:16x64x16', 25600, 14848)
>>> gemm_traffic(fp, a, b, out, 14_848 * 8).read_bits // 8  # the closed form agrees
25600
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from accelsim.model.traffic import (
    ON_CHIP,
    STREAM,
    Operand,
    TileFootprint,
    Traffic,
    ksplit_tile_bits,
    largest_fitting,
    os_panel_bits,
)

ORDERS = ("b", "a", "bk", "ak", "k")


@dataclass(frozen=True, slots=True)
class Tiling:
    """A loop order and the SRAM tile it keeps (per core and group: `m` rows, `n` columns, `k` chunk).

    `trips` is the number of chunks of the stationary operand (``b``/``a``; the re-read count of
    the streamed one); for the other orders it follows from the extents.
    """

    order: str
    m: int
    n: int
    k: int
    trips: int = 1

    @property
    def label(self) -> str:
        """``order:MxNxK`` as the mapping column shows it, e.g. ``b:16x96x576``."""
        return f"{self.order}:{self.m}x{self.n}x{self.k}"


def _group_bits(slice_elems: int, groups: int, bits: int) -> int:
    return -(-slice_elems // max(1, groups)) * bits


def _k_chunk(fp: TileFootprint) -> int:
    return min(fp.k, fp.k_min)


def need_bits(fp: TileFootprint, a: Operand, b: Operand, out: Operand, t: Tiling) -> int:
    """SRAM bits per core (both buffers) that tiling `t` keeps, whatever the operands' fetch modes."""
    if t.order == "b":
        rest = fp.a_min * a.bits + fp.o_min * out.bits
        return 2 * max(fp.min_tile_bits, rest + -(-_group_bits(fp.b_slice, fp.groups, b.bits) // t.trips))
    if t.order == "a":
        rest = fp.b_min * b.bits + fp.o_min * out.bits
        return 2 * max(fp.min_tile_bits, rest + -(-_group_bits(fp.a_slice, fp.groups, a.bits) // t.trips))
    fold = ksplit_tile_bits(fp, fp.m_tile, fp.n_tile)
    if t.order == "bk":
        return max(fold, os_panel_bits(fp, "b", t.n))
    if t.order == "ak":
        return max(fold, os_panel_bits(fp, "a", t.m))
    return ksplit_tile_bits(fp, t.m, t.n)


def tiled_traffic(fp: TileFootprint, a: Operand, b: Operand, out: Operand, t: Tiling) -> Traffic:
    """Off-chip bits of one GEMM layer run with tiling `t` (on-chip operands cost nothing)."""
    a_read = a.total_bits if a.fetch != ON_CHIP else 0
    b_read = b.total_bits if b.fetch != ON_CHIP else 0
    write = out.total_bits if out.fetch != ON_CHIP else 0
    if t.order == "b":
        ra = t.trips if b.fetch == STREAM and a.fetch != ON_CHIP else 1
        return Traffic(a_read * ra + b_read, write, ra, "b")
    if t.order == "a":
        rb = t.trips if a.fetch == STREAM and b.fetch == STREAM else 1
        return Traffic(a_read + b_read * rb, write, rb, "a")
    ra = -(-fp.n_core // t.n) if a.fetch == STREAM and t.order != "ak" else 1
    rb = -(-fp.m_core // t.m) if b.fetch == STREAM and t.order != "bk" else 1
    return Traffic(a_read * ra + b_read * rb, write, max(ra, rb), t.order)


def _least_trips(stay_bits: int, rest: int, budget: int) -> int:
    """Fewest chunks of a `stay_bits` operand that fit next to `rest` bits in half of `budget`."""
    return max(1, -(-stay_bits // max(budget // 2 - rest, 1)))


def _full_k(fp: TileFootprint, a: Operand, b: Operand, out: Operand, budget: int, every: bool) -> Iterator[Tiling]:
    """Orders "b" and "a": the fewest chunks that fit (`every`: every chunk count down to one minimal panel each)."""
    if 2 * fp.min_tile_bits > budget and fp.k > 0:
        return
    for order, stay, rest, stay_min in (
        ("b", _group_bits(fp.b_slice, fp.groups, b.bits), fp.a_min * a.bits + fp.o_min * out.bits, fp.b_min * b.bits),
        ("a", _group_bits(fp.a_slice, fp.groups, a.bits), fp.b_min * b.bits + fp.o_min * out.bits, fp.a_min * a.bits),
    ):
        least = _least_trips(stay, rest, budget)
        most = max(least, -(-stay // max(1, stay_min)))  # chunks of one minimal panel each: the least room
        for n_t in range(least, most + 1) if every else (least,):
            if order == "b":
                yield Tiling("b", fp.m_tile, -(-fp.n_core // n_t), fp.k, n_t)
            else:
                yield Tiling("a", -(-fp.m_core // n_t), fp.n_tile, fp.k, n_t)


def _k_orders(fp: TileFootprint, budget: int, every: bool) -> Iterator[Tiling]:
    """Orders "k", "bk", "ak": the largest block or panel that fits (per block width for "k"; `every`: all)."""
    if fp.k <= 0 or fp.k_split_min_bits > budget:
        return
    kc = _k_chunk(fp)
    if fp.psum_in_array:  # OS: one fold's sums in the array; optionally one operand's full-K panel stays
        yield Tiling("k", fp.m_tile, fp.n_tile, kc, -(-fp.m_core // fp.m_tile) * -(-fp.n_core // fp.n_tile))
        for order, step, total in (("bk", fp.n_tile, fp.n_core), ("ak", fp.m_tile, fp.m_core)):
            fits = lambda e, keep=order[0]: os_panel_bits(fp, keep, e) <= budget  # noqa: E731
            top = largest_fitting(step, total, fits)
            extents = [min(e, total) for e in range(step, total + step, step)] if every else [top] if top else []
            for e in (e for e in extents if fits(e)):
                if order == "bk":
                    yield Tiling("bk", fp.m_tile, e, kc, -(-fp.n_core // e))
                else:
                    yield Tiling("ak", e, fp.n_tile, kc, -(-fp.m_core // e))
        return
    for j in range(1, -(-fp.n_core // fp.n_tile) + 1):
        n_o = min(fp.n_core, j * fp.n_tile)
        if ksplit_tile_bits(fp, fp.m_tile, n_o) > budget:
            break  # wider blocks need even more room
        fits = lambda m, n_o=n_o: ksplit_tile_bits(fp, m, n_o) <= budget  # noqa: E731
        rows = (
            range(fp.m_tile, fp.m_core + fp.m_tile, fp.m_tile)
            if every
            else (largest_fitting(fp.m_tile, fp.m_core, fits),)
        )
        for m_o in (min(m, fp.m_core) for m in rows):
            if not fits(m_o):
                break
            yield Tiling("k", m_o, n_o, kc, -(-fp.m_core // m_o) * -(-fp.n_core // n_o))


def tilings(fp: TileFootprint, a: Operand, b: Operand, out: Operand, budget_bits: int) -> tuple[Tiling, ...]:
    """The tilings worth costing at `budget_bits` per core (pruned, module docstring), in `ORDERS` order."""
    return tuple(_full_k(fp, a, b, out, budget_bits, False)) + tuple(_k_orders(fp, budget_bits, False))


def all_tilings(fp: TileFootprint, a: Operand, b: Operand, out: Operand, budget_bits: int) -> tuple[Tiling, ...]:
    """Every tiling that fits `budget_bits` (every trip count and block): what `tilings` prunes."""
    found = tuple(_full_k(fp, a, b, out, budget_bits, True)) + tuple(_k_orders(fp, budget_bits, True))
    return tuple(t for t in found if need_bits(fp, a, b, out, t) <= budget_bits)


def streamed(op: Operand) -> Operand:
    """`op` fetched from DRAM: an on-chip operand streams instead (a streamed or once-read one is kept)."""
    return Operand(op.elems, op.bits, STREAM) if op.fetch == ON_CHIP else op


@lru_cache(maxsize=65536)
def best_tiling(
    fp: TileFootprint, a: Operand, b: Operand, out: Operand, budget_bits: int
) -> tuple[Tiling, Traffic, int] | None:
    """(tiling, its traffic, its SRAM bits) of least off-chip bits at `budget_bits`; None if none fits.

    Ties (an operand on chip makes its re-reads free, so many tiles move the same bits) go to the
    tile that would move the fewest bits were B streamed — pinned weights are the operand the
    memory plan rebuilt from the mapper's choices most often stops keeping, when other layers'
    tiles take their room — then to the most SRAM within the room (the largest chunk that fits, as
    the closed form takes: the least SRAM would let other layers pin more weights but leave less
    room to prefetch the streamed ones, 1.8 % slower on BERT-base at 4 bits), then to the
    enumeration order. The B-streamed tilings (`tilings`) hold that optimum: traffic with or
    without operands on chip never rises as a tile grows (module docstring).
    """
    best: tuple[tuple[int, int, int, int], Tiling, Traffic, int] | None = None
    sb = streamed(b)
    for i, t in enumerate(tilings(fp, a, sb, out, budget_bits)):
        need = need_bits(fp, a, b, out, t)
        if need > budget_bits:
            continue
        moved = tiled_traffic(fp, a, b, out, t)
        key = (moved.total_bits, tiled_traffic(fp, a, sb, out, t).total_bits, -need, i)
        if best is None or key < best[0]:
            best = (key, t, moved, need)
    return None if best is None else (best[1], best[2], best[3])


__all__ = ["ORDERS", "Tiling", "all_tilings", "best_tiling", "need_bits", "streamed", "tiled_traffic", "tilings"]
