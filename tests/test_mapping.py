"""Pure cost functions (accelsim.model.mapping): SCALE-Sim cycles, ganging, splits, traffic."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator, iso_area
from accelsim.ir.layers import GemmView
from accelsim.model import mapping, traffic
from accelsim.model.mapping import ArrayView, Split
from accelsim.model.traffic import ON_CHIP, ONCE, STREAM, Operand, TileFootprint

ARRAY = ArrayView(rows=16, cols=32)


@pytest.mark.parametrize(
    ("dataflow", "expected"),
    [
        # os: Sr'=M=64, Sc'=N=32, T=K=100 -> ceil(64/16)*ceil(32/32) = 4 folds of 16+32+100-2 = 146
        ("os", 4 * 146),
        # ws: Sr'=K=100, Sc'=N=32, T=M=64 -> ceil(100/16)*1 = 7 folds of 2*16+32+64-2 = 126
        ("ws", 7 * 126),
        # is: Sr'=K=100, Sc'=M=64, T=N=32 -> 7*ceil(64/32) = 14 folds of 2*16+32+32-2 = 94
        ("is", 14 * 94),
    ],
)
def test_scalesim_cycles_by_hand(dataflow, expected):
    """SCALE-Sim v2's demand rows per fold times ceil(Sr'/R) * ceil(Sc'/C): R + C + T - 2 for os (T
    input rows + C - 1 drain rows, skewed over R), 2R + C + T - 2 for ws/is (R more to load the
    stationary operand). docs/scalesim-accounting.md derives both from the SCALE-Sim source."""
    assert mapping.systolic_cycles(64, 32, 100, ARRAY, dataflow) == expected


def test_folds_and_lanes():
    assert mapping.folds(64, 32, 100, ARRAY, "os") == (4, 1)
    # 4 lanes per PE consume 4 elements of K per cycle: T = ceil(100/4) = 25, os folds of R + C + T - 2
    four = ArrayView(16, 32, lanes=4)
    assert mapping.systolic_cycles(64, 32, 100, four, "os") == 4 * (16 + 32 + 25 - 2)
    assert mapping.folds(64, 32, 100, four, "ws") == (2, 1)  # ceil(25/16)


def test_grouped_gemm_is_groups_times_one_group_and_depthwise_is_poor():
    dw = GemmView(m=3136, n=1, k=9, groups=64)
    one = mapping.systolic_cycles(3136, 1, 9, ARRAY, "os")
    assert mapping.gemm_cycles(dw, ARRAY, "os") == 64 * one
    util = mapping.utilization(dw.macs, 16 * 32, mapping.gemm_cycles(dw, ARRAY, "os"))
    assert util <= 1 / 32  # one of 32 columns holds a filter


def test_configurable_ganging_recovers_the_base_array():
    """A 4-bit 32x64 configurable design runs 16-bit layers on 2x2 ganged PEs: exactly the base."""
    d4 = iso_area(Accelerator(), 4, scale="array")
    v16 = mapping.array_view(d4, 16, 16)
    assert (v16.rows, v16.cols, v16.passes, v16.gang) == (16, 32, 1, 4)
    gemm = GemmView(m=784, n=128, k=1152)
    assert mapping.gemm_cycles(gemm, v16, "os") == mapping.gemm_cycles(gemm, mapping.array_view(Accelerator()), "os")
    v8 = mapping.array_view(d4, 8, 8)
    assert (v8.rows, v8.cols, v8.gang) == (32, 32, 2)
    # narrower layers than the MACs gain nothing
    assert mapping.array_view(d4, 2, 2) == mapping.array_view(d4, 4, 4) == ArrayView(32, 64)
    # mixed: the wider operand decides
    assert mapping.array_view(d4, 4, 8).gang == 2


def test_configurable_gang_without_a_spatial_factor_becomes_temporal():
    d3 = iso_area(Accelerator(), 3, scale="array")  # 40 x 64
    view = mapping.array_view(d3, 8, 8)  # ceil(8/3) = 3: neither 40 nor 64 divides by 3
    assert (view.rows, view.cols, view.passes, view.gang) == (40, 64, 3, 3)


def test_lanes_absorb_the_gang_first():
    d = iso_area(Accelerator(), 4, scale="lanes")
    view = mapping.array_view(d, 8, 8)
    assert (view.rows, view.cols, view.lanes, view.passes) == (16, 32, 2, 1)


def test_dedicated_bit_serial_passes():
    d4 = iso_area(Accelerator(), 4, "dedicated")
    view = mapping.array_view(d4, 8, 8)  # ceil(8/4) * ceil(8/4) = 4 passes
    assert (view.rows, view.cols, view.passes) == (d4.rows, d4.cols, 4)
    assert mapping.array_view(d4, 8, 4).passes == 2
    r, c = d4.rows, d4.cols
    # passes stretch the temporal operand: one os fold (M = N = 10 fit) of R + C + 4T - 2
    assert mapping.systolic_cycles(10, 10, 50, view, "os") == r + c + 4 * 50 - 2
    # ws/is also load the stationary operand first: 2R + C + 4T - 2 (ws: Sr' = K = 10, T = M = 10)
    assert mapping.systolic_cycles(10, 10, 10, view, "ws") == 2 * r + c + 4 * 10 - 2


def test_balanced_parts():
    assert mapping.balanced_parts(10, 4) == [3, 3, 2, 2]
    assert sum(mapping.balanced_parts(12545, 4)) == 12545


@pytest.mark.parametrize(
    "gemm",
    [
        GemmView(1, 1000, 2048),
        GemmView(12544, 64, 147),
        GemmView(49, 512, 4608),
        GemmView(3136, 1, 9, groups=32),
        GemmView(3, 5, 7),
        GemmView(128, 128, 64, groups=12),
    ],
)
@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_choose_split_minimises_the_slowest_core(gemm, dataflow):
    accel = Accelerator(dataflow=dataflow)
    view = mapping.array_view(accel)
    best = min(mapping.slowest_core_cycles(gemm, s, view, dataflow) for s in mapping.split_candidates(gemm, 4))
    chosen = mapping.choose_split(gemm, accel)
    assert mapping.slowest_core_cycles(gemm, chosen, view, dataflow) == best
    assert max(mapping.core_cycles(gemm, chosen, view, dataflow)) == best
    assert chosen.cores_used <= 4
    assert mapping.choose_split(gemm, accel) == chosen  # deterministic


def test_batch1_classifier_splits_its_filters():
    """fc at batch 1 has one output row: only N can be split."""
    assert mapping.choose_split(GemmView(1, 1000, 2048), Accelerator()) == Split(1, 1, 4)


def test_split_ties_go_to_less_traffic_then_m():
    gemm = GemmView(49, 512, 4608)  # M-split and N-split tie on compute (16 folds each)
    accel = Accelerator()
    view = mapping.array_view(accel)
    assert mapping.slowest_core_cycles(gemm, Split(1, 4, 1), view, "os") == mapping.slowest_core_cycles(
        gemm, Split(1, 1, 4), view, "os"
    )
    assert mapping.choose_split(gemm, accel) == Split(1, 4, 1)
    assert mapping.choose_split(gemm, accel, lambda s: 0 if s == Split(1, 1, 4) else 1) == Split(1, 1, 4)


# --- traffic ---------------------------------------------------------------------------------------
FP = TileFootprint(a_slice=1000, b_slice=3000, a_min=100, b_min=300, o_min=10, min_tile_bits=0)


def test_gemm_traffic_by_hand():
    """8-bit operands, one buffer = 10,000 bits (budget 20,000 for two buffers).

    Order "b" (weights stay): room for B = 10000 - 100*8 - 10*8 = 9120 bits, B slice = 24,000 bits
    -> 3 chunks, A (8,000 bits) read 3 times: 24,000 + 24,000 = 48,000 bits.
    Order "a": room for A = 10000 - 300*8 - 80 = 7520 -> 2 chunks, B read twice: 8,000 + 48,000 = 56,000.
    The cheaper order "b" wins; the output (500 x 8 bits) is written once.
    """
    a, b, out = Operand(1000, 8), Operand(3000, 8), Operand(500, 8)
    t = traffic.gemm_traffic(FP, a, b, out, 20_000)
    assert (t.read_bits, t.write_bits, t.refetch, t.order) == (48_000, 4_000, 3, "b")


def test_gemm_traffic_picks_the_cheaper_order():
    """Mirror image: a large A and a small B -> keep A, re-stream B."""
    fp = TileFootprint(a_slice=3000, b_slice=1000, a_min=300, b_min=100, o_min=10, min_tile_bits=0)
    t = traffic.gemm_traffic(fp, Operand(3000, 8), Operand(1000, 8), Operand(500, 8, ON_CHIP), 20_000)
    assert (t.read_bits, t.write_bits, t.refetch, t.order) == (48_000, 0, 3, "a")


def test_gemm_traffic_resident_and_once():
    a, out = Operand(1000, 8), Operand(500, 8, ON_CHIP)
    assert traffic.gemm_traffic(FP, a, Operand(3000, 8, ON_CHIP), out, 20_000).read_bits == 8_000
    assert traffic.gemm_traffic(FP, a, Operand(3000, 8, ONCE), out, 20_000).read_bits == 32_000
    both = traffic.gemm_traffic(FP, Operand(1000, 8, ON_CHIP), Operand(3000, 8, STREAM), out, 20_000)
    assert (both.read_bits, both.refetch) == (24_000, 1)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 400),
    st.integers(1, 300),
    st.integers(1, 600),
    st.integers(1, 4),
    st.sampled_from([2, 4, 8, 16]),
    st.integers(1, 8),
    st.integers(0, 5),
)
def test_traffic_never_grows_with_more_budget(m, n, k, groups, bits, extra_halves, split_m):
    """Monotone reuse model: more buffer never means more off-chip bits."""
    gemm = GemmView(m, n, k, groups)
    split = Split(1, min(m, 1 + split_m % 4), 1)
    accel = Accelerator()
    a, b, out = Operand(groups * m * k, bits), Operand(groups * k * n, bits), Operand(groups * m * n, bits)
    fp = traffic.footprint(gemm, split, accel, a, b, bits)
    low = 2 * fp.min_tile_bits
    high = low + extra_halves * fp.min_tile_bits
    assert traffic.gemm_traffic(fp, a, b, out, high).total_bits <= traffic.gemm_traffic(fp, a, b, out, low).total_bits


def test_minimal_tile_that_does_not_fit_is_an_input_error():
    """The refusal threshold is the K-split minimum (issue 10: a full-K panel pair is no longer
    required). Conv GEMM 3136 x 64 x 576 at 16 bits, split 4 along M, 16x32 OS array, whose fold
    keeps its partial sums in the array: one fold's output block 16 x 32 x 16 = 8,192 bits;
    A chunk: 16 rows x 64 elements per row x 16/576 of K x 16 bits = 455.1 -> 456 bits;
    B chunk: 32 columns x 576 x 16/576 x 16 bits = 8,192 bits;
    8,192 + 2 x (456 + 8,192) = 25,488 bits = 3,186 bytes."""
    gemm = GemmView(3136, 64, 576)

    def fp_for(sram_per_core: int) -> tuple[Accelerator, traffic.TileFootprint]:
        accel = Accelerator(sram_bytes=4 * sram_per_core)  # 4 cores
        return accel, traffic.footprint(gemm, Split(1, 4, 1), accel, Operand(3136 * 64, 16), Operand(576 * 64, 16), 16)

    accel, fp = fp_for(3_186)
    assert fp.k_split_min_bits == 25_488
    traffic.check_tile_fits(accel, "conv", fp)
    accel, fp = fp_for(3_185)
    with pytest.raises(InputError) as info:
        traffic.check_tile_fits(accel, "conv", fp)
    assert info.value.field == "sram" and "3185 bytes per core" in str(info.value) and "conv" in str(info.value)


def test_vector_cycles():
    """maxpool over 64x112x112 on 4 cores with 32 output columns each: 802816/4/32 cycles."""
    assert mapping.vector_cycles(802_816, Accelerator(), 4) == 6272
