"""Explicit loop orders and SRAM tiles (issue 12): the pruned enumeration the mapper searches reaches
the same least traffic as the exhaustive one and as the closed form the fixed mapper keeps."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator
from accelsim.ir.layers import GemmView
from accelsim.model.mapping import Split
from accelsim.model.tiling import Tiling, all_tilings, best_tiling, need_bits, tiled_traffic, tilings
from accelsim.model.traffic import ON_CHIP, ONCE, STREAM, Operand, footprint, gemm_traffic, tile_need_bits

FETCH = st.sampled_from([STREAM, STREAM, ON_CHIP, ONCE])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    m=st.integers(1, 300),
    n=st.integers(1, 200),
    k=st.integers(1, 300),
    groups=st.sampled_from([1, 1, 2, 8]),
    split=st.sampled_from([Split(), Split(1, 2, 1), Split(1, 1, 2), Split(1, 1, 1, 2), Split(2, 1, 1)]),
    rows=st.sampled_from([4, 8, 16]),
    cols=st.sampled_from([4, 8, 32]),
    flow=st.sampled_from(["os", "ws", "is"]),
    bits=st.sampled_from([(16, 16, 16), (8, 4, 8), (4, 4, 16)]),
    fetch=st.tuples(FETCH, FETCH, st.sampled_from([STREAM, ON_CHIP])),
    slack=st.floats(0.0, 3.0),
)
def test_pruned_and_exhaustive_tilings_reach_the_closed_forms_least_traffic(
    m, n, k, groups, split, rows, cols, flow, bits, fetch, slack
):
    gemm = GemmView(m, n, k, groups)
    accel = Accelerator(cores=2, rows=rows, cols=cols, dataflow=flow)
    a = Operand(groups * m * k, bits[1], fetch[0])
    b = Operand(groups * k * n, bits[0], fetch[1])
    out = Operand(groups * m * n, bits[2], fetch[2])
    fp = footprint(gemm, split, accel, a, b, out.bits, flow)
    least = tile_need_bits(fp)
    budget = int(least * (1 + slack))
    closed = gemm_traffic(fp, a, b, out, budget)
    pruned = best_tiling(fp, a, b, out, budget)
    assert pruned is not None and need_bits(fp, a, b, out, pruned[0]) == pruned[2] <= budget
    assert pruned[1] == tiled_traffic(fp, a, b, out, pruned[0])
    assert pruned[1].total_bits == closed.total_bits  # the same model as the fixed mapper's closed form
    every = all_tilings(fp, a, b, out, budget)
    assert set(t for t in tilings(fp, a, b, out, budget) if need_bits(fp, a, b, out, t) <= budget) <= set(every)
    assert min(tiled_traffic(fp, a, b, out, t).total_bits for t in every) == pruned[1].total_bits
    # ties: fewest bits were on-chip weights (B) streamed, then the most SRAM within the room — the pruned search
    # finds the exhaustive optimum of that whole key
    streamed = [a, Operand(b.elems, b.bits, STREAM if b.fetch == ON_CHIP else b.fetch), out]

    def key(t):  # noqa: ANN001, ANN202
        return (
            tiled_traffic(fp, a, b, out, t).total_bits,
            tiled_traffic(fp, *streamed, t).total_bits,
            -need_bits(fp, a, b, out, t),
        )

    assert min(key(t) for t in every) == key(pruned[0])


def test_more_trips_move_more_bits_and_need_less_sram():
    gemm = GemmView(3136, 64, 576)
    accel = Accelerator(cores=1)
    a, b, out = Operand(3136 * 576, 16), Operand(576 * 64, 16), Operand(3136 * 64, 16)
    fp = footprint(gemm, Split(), accel, a, b, 16)
    one, four = Tiling("a", 3136, 32, 576, 1), Tiling("a", 784, 32, 576, 4)
    assert tiled_traffic(fp, a, b, out, four).read_bits == a.total_bits + 4 * b.total_bits
    assert tiled_traffic(fp, a, b, out, one).read_bits == a.total_bits + b.total_bits
    assert need_bits(fp, a, b, out, four) < need_bits(fp, a, b, out, one)


def test_no_tiling_below_the_minimal_tile():
    gemm = GemmView(64, 64, 100)
    a, b, out = Operand(6400, 16), Operand(6400, 16), Operand(4096, 16)
    fp = footprint(gemm, Split(), Accelerator(cores=1), a, b, 16)
    assert best_tiling(fp, a, b, out, tile_need_bits(fp) - 1) is None
    assert best_tiling(fp, a, b, out, tile_need_bits(fp)) is not None
    try:
        gemm_traffic(fp, a, b, out, tile_need_bits(fp) - 1)
    except InputError:
        pass
    else:
        raise AssertionError("the closed form accepted a room below the minimal tile")
