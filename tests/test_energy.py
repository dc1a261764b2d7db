"""The energy and area model (accelsim.model.energy): invariants, exact off-chip energy, hand-counted accesses.

No exact cycle counts are pinned here (the mapping's cycle formula is being aligned with
SCALE-Sim); energy does not depend on cycles, only on the work and the bytes moved.
"""

from __future__ import annotations

import math

import pytest

import tech
import workloads
from accelsim.errors import InputError
from accelsim.explore.sweep import sweep
from accelsim.hardware.design import Accelerator, iso_area
from accelsim.ir import Dense, LayerGraph
from accelsim.ir.layers import GemmView
from accelsim.model.energy import area, gemm_access_bits, offchip_energy_uj
from accelsim.model.fit import policy_for
from accelsim.model.sim import simulate

NODE = tech.load("14nm")


@pytest.fixture(scope="module")
def resnet20():
    return workloads.load("resnet20")


def _run(graph, bits, bw=64.0, **kw):
    return simulate(graph.with_policy(policy_for(bits, 8)), iso_area(Accelerator(bw_gb_per_s=bw), bits), **kw)


def test_breakdown_adds_up_and_is_reported(resnet20):
    r = _run(resnet20, 4)
    parts = (
        r.mac_energy_per_image_uj
        + r.sram_energy_per_image_uj
        + r.offchip_energy_per_image_uj
        + r.noc_energy_per_image_uj
    )
    assert r.energy_per_image_uj == parts
    assert (
        min(
            r.mac_energy_per_image_uj,
            r.sram_energy_per_image_uj,
            r.offchip_energy_per_image_uj,
            r.noc_energy_per_image_uj,
        )
        > 0
    )
    assert math.fsum(layer.mac_energy_uj for layer in r.layers) == pytest.approx(r.mac_energy_uj, rel=1e-12)
    assert math.fsum(layer.energy_uj for layer in r.layers) == pytest.approx(r.energy_per_image_uj, rel=1e-9)
    totals = r.totals()
    assert totals["energy_per_image_uj"] == r.energy_per_image_uj and totals["memory"] == "lpddr4"
    assert {"mac_energy_uj", "sram_energy_uj", "offchip_energy_uj", "noc_energy_uj", "sram_access_bits"} <= set(
        r.layers[0].as_dict()
    )
    # the network's energy is its bytes at the design's pJ/bit, exactly
    for layer in r.layers:
        assert layer.noc_energy_uj == layer.noc_bytes * 8 * r.accelerator.noc_pj_per_bit / 1e6


@pytest.mark.parametrize("memory", ["lpddr4", "hbm2", "ddr4"])
def test_offchip_energy_is_bytes_times_8_times_pj_per_bit_exactly(resnet20, memory):
    pj = tech.memory(memory).energy_pj_per_bit
    r = _run(resnet20, 16, memory=memory)  # 16-bit weights stream: real off-chip traffic
    assert r.offchip_bytes_per_image > 0
    assert r.offchip_energy_per_image_uj == r.offchip_bytes_per_image * 8 * pj / 1e6
    assert r.offchip_energy_uj == r.offchip_bytes * 8 * pj / 1e6
    for layer in r.layers:
        assert layer.offchip_energy_uj == (layer.read_bytes + layer.write_bytes) * 8 * pj / 1e6
    assert offchip_energy_uj(1e6, 8.0) == 64.0  # 1 MB at 8 pJ/bit = 64 µJ


def test_memory_preset_changes_only_offchip_energy(resnet20):
    lp, hbm = _run(resnet20, 8, memory="lpddr4"), _run(resnet20, 8, memory="HBM2")
    assert (lp.mac_energy_uj, lp.sram_energy_uj, lp.seconds_per_image) == (
        hbm.mac_energy_uj,
        hbm.sram_energy_uj,
        hbm.seconds_per_image,
    )
    assert hbm.offchip_energy_per_image_uj == pytest.approx(lp.offchip_energy_per_image_uj * 3.9 / 8.0, rel=1e-12)
    assert hbm.memory == "hbm2"
    with pytest.raises(InputError) as info:
        _run(resnet20, 8, memory="sdram")
    assert info.value.field == "memory"


@pytest.mark.parametrize("bits", [16, 4])
def test_unconstrained_bandwidth_does_not_change_energy(resnet20, bits):
    runs = [_run(resnet20, bits, bw) for bw in (16.0, 64.0, math.inf)]
    assert len({r.energy_breakdown()["energy_per_image_uj"] for r in runs}) == 1
    assert len({tuple(r.energy_breakdown().values()) for r in runs}) == 1
    assert runs[2].seconds_per_image <= runs[0].seconds_per_image  # time may change, energy may not


@pytest.mark.parametrize(("workload", "first_last"), [("resnet20", 8), ("resnet20", None), ("resnet18", 8)])
def test_energy_falls_when_bits_fall_at_fixed_bandwidth(workload, first_last):
    rows = sweep(workload, bits=[16, 8, 4, 2], bw=[32, 64], first_last_bits=first_last)
    for bw in ("32", "64"):
        energy = [r.energy_per_image_uj for r in rows if r.bw == bw]
        assert energy == sorted(energy, reverse=True) and len(set(energy)) == 4, energy
        mac = [r.mac_energy_per_image_uj for r in rows if r.bw == bw]
        assert mac == sorted(mac, reverse=True)


def _dense_graph(m=4, k=64, n=48, bits=16):
    g = LayerGraph("dense")
    g.add(Dense(name="fc", in_shape=(m, k), out_features=n))
    return g.with_policy(policy_for(bits, None))


def test_mac_energy_is_gang_times_the_design_mac_energy():
    one_core = Accelerator(cores=1, bw_gb_per_s=math.inf)
    r = simulate(_dense_graph(), one_core)
    macs = 4 * 64 * 48
    assert r.layers[0].macs == macs
    assert r.mac_energy_uj == pytest.approx(macs * NODE.mac_energy_fj(16, 16) / 1e9, rel=1e-12)
    # an 8-bit layer on a 4-bit configurable design gangs two sub-word MACs per MAC
    d4 = iso_area(one_core, 4)
    r8 = simulate(_dense_graph(bits=8), d4)
    assert r8.layers[0].gang == 2
    assert r8.mac_energy_uj == pytest.approx(2 * macs * NODE.mac_energy_fj(4, 4) / 1e9, rel=1e-12)
    # a narrower layer gains nothing: 2-bit layers on 4-bit MACs cost the 4-bit MAC
    r2 = simulate(_dense_graph(bits=2), d4)
    assert r2.mac_energy_uj == pytest.approx(macs * NODE.mac_energy_fj(4, 4) / 1e9, rel=1e-12)


def test_sram_accesses_counted_per_fold_by_hand():
    """OS on one 16x32 core: M=4, K=64, N=48 -> 1 row fold, 2 column folds."""
    one_core = Accelerator(cores=1, bw_gb_per_s=math.inf)
    a_reads, b_reads, writes = 4 * 64 * 2, 64 * 48 * 1, 4 * 48
    expected = (a_reads + b_reads + writes) * 16
    assert gemm_access_bits(GemmView(m=4, n=48, k=64), (1, 1, 1), one_core, 16, 16, 16, 16) == expected
    r = simulate(_dense_graph(), one_core)
    fills = round(8 * (r.layers[0].read_bytes + r.layers[0].write_bytes))
    assert r.layers[0].sram_access_bits == expected + fills
    assert r.sram_energy_uj == pytest.approx((expected + fills) * NODE.sram_read_energy_pj_per_bit / 1e6, rel=1e-12)


def test_weight_stationary_counts_partial_sums():
    """WS: K on the rows -> 4 row folds over K=64 on 16 rows; partial sums move at accumulator width."""
    ws = Accelerator(cores=1, dataflow="ws", bw_gb_per_s=math.inf)
    psum = tech.accumulator_bits(16, 16, 64)
    a_reads, b_reads = 4 * 64 * 2, 64 * 48
    out = 4 * 48 * 16 + (2 * 4 - 2) * 4 * 48 * psum
    assert gemm_access_bits(GemmView(m=4, n=48, k=64), (1, 1, 1), ws, 16, 16, 16, 16) == (a_reads + b_reads) * 16 + out


def test_splitting_across_cores_keeps_the_counts_positive_and_bounded():
    d = Accelerator(cores=4)
    g = GemmView(m=100, n=70, k=30, groups=3)
    for split in [(1, 4, 1), (1, 2, 2), (3, 1, 1), (1, 1, 4)]:
        bits = gemm_access_bits(g, split, d, 8, 8, 8, 8)
        # every element is read at least once; splitting can only add partial folds
        assert (100 * 30 + 30 * 70) * 3 * 8 <= bits


def test_iso_area_designs_keep_the_compute_area():
    base = Accelerator()
    built = (base.mac_w_bits, base.mac_a_bits)
    ref = area(base, built_bits=built)
    assert ref.compute_mm2 == pytest.approx(2048 * NODE.mac_area_um2(16, 16) / 1e6)
    assert ref.sram_mm2 == NODE.sram_area_mm2(16_000_000) and ref.total_mm2 == ref.compute_mm2 + ref.sram_mm2
    for bits in (8, 4, 2):
        assert area(iso_area(base, bits), built_bits=built).compute_mm2 == pytest.approx(ref.compute_mm2, rel=1e-12)
        dedicated = area(iso_area(base, bits, "dedicated"), built_bits=built).compute_mm2
        assert 0.97 * ref.compute_mm2 <= dedicated <= ref.compute_mm2 * (1 + 1e-12)  # floored counts
    bigger = area(Accelerator(cores=8, sram_bytes=32_000_000), built_bits=built)
    assert bigger.compute_mm2 == pytest.approx(2 * ref.compute_mm2) and bigger.sram_mm2 == pytest.approx(
        2 * ref.sram_mm2
    )


def test_sweep_rows_carry_the_simulated_energy_and_area(resnet20):
    row = sweep(resnet20, bits=[4], bw=["64"])[0]
    direct = _run(resnet20, 4)
    assert row.energy_per_image_uj == direct.energy_per_image_uj
    assert row.offchip_energy_per_image_uj == direct.offchip_energy_per_image_uj
    assert row.area_mm2 == area(iso_area(Accelerator(), 4), built_bits=(16, 16)).total_mm2
    assert row.memory == "lpddr4"


def test_simulate_builds_the_record_with_its_energy_and_area_inside(resnet20):
    """One record, built once: the chip area and the energy totals come with the simulated result
    (the sweep, the store and `accelsim run` read them from it instead of recomputing)."""
    design = iso_area(Accelerator(), 4)
    built = _run(resnet20, 4, built_bits=(16, 16))
    cost = area(design, built_bits=(16, 16))
    assert (built.compute_area_mm2, built.sram_area_mm2, built.area_mm2) == (
        cost.compute_mm2,
        cost.sram_mm2,
        cost.total_mm2,
    )
    assert {k: built.totals()[k] for k in ("area_mm2", "compute_area_mm2", "sram_area_mm2")} == {
        "area_mm2": cost.total_mm2,
        "compute_area_mm2": cost.compute_mm2,
        "sram_area_mm2": cost.sram_mm2,
    }
    for part in ("mac", "sram", "noc"):
        per_layer = math.fsum(getattr(layer, f"{part}_energy_uj") for layer in built.layers)
        assert getattr(built, f"{part}_energy_uj") == per_layer
    # Only the area depends on what the MACs are built for: without built_bits the 4-bit design is
    # priced as dedicated 4-bit MACs, a smaller compute area, and nothing else moves.
    own = _run(resnet20, 4)
    assert own.compute_area_mm2 == area(design).compute_mm2 < built.compute_area_mm2
    assert own.sram_area_mm2 == built.sram_area_mm2
    assert {**own.totals(), **built.area_breakdown()} == built.totals()
    assert own.layers == built.layers


def test_energy_and_area_fields_have_no_silent_defaults(resnet20):
    """A record cannot be built without its energy and area (no zeros standing in for them)."""
    from accelsim.model.results import LayerResult, SimResult

    r = _run(resnet20, 4)
    layer_fields = {k: v for k, v in r.layers[0].as_dict().items() if k != "mac_energy_uj"}
    layer_fields["split"] = tuple(layer_fields["split"])
    with pytest.raises(TypeError, match="mac_energy_uj"):
        LayerResult(**layer_fields)
    with pytest.raises(TypeError, match="compute_area_mm2"):
        SimResult(**{f: getattr(r, f) for f in SimResult.__dataclass_fields__ if f != "compute_area_mm2"})
