"""The accelerator record and iso-area design points (accelsim.hardware.design)."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tech
from accelsim.errors import InputError
from accelsim.hardware.design import MB, Accelerator, grow_array, iso_area, load_accelerator, mac_multiplier


def test_default_system_is_the_documented_one():
    """docs/model.md section 2: 4 cores x 16x32 16-bit MACs at 1.5 GHz, 16 MB, 64 GB/s."""
    a = Accelerator()
    assert (a.tech_node, a.cores, a.rows, a.cols, a.lanes) == ("14nm", 4, 16, 32, 1)
    assert a.macs_per_cycle == 2048
    assert a.peak_tmacs == pytest.approx(3.072)
    assert a.sram_bytes_per_core == 4 * MB == 4_000_000
    assert a.sram_bytes == 16_000_000
    assert a.bw_gb_per_s == 64.0 and a.dataflow == "os"
    assert (a.mac_w_bits, a.mac_a_bits, a.mac_mode) == (16, 16, "configurable")
    assert a.bytes_per_cycle == pytest.approx(64e9 / 1.5e9)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cores", 0),
        ("cores", 2.0),
        ("rows", -1),
        ("cols", True),
        ("lanes", 0),
        ("sram_bytes", 0),
        ("sram_bytes", "4MB"),
        ("sram_bytes", 3),  # fewer bytes than the 4 cores
        ("clock_hz", 0),
        ("clock_hz", math.inf),
        ("bw_gb_per_s", -64),
        ("bw_gb_per_s", 0),
        ("bw_gb_per_s", math.nan),
        ("bw_gb_per_s", "64"),
        ("dataflow", "rs"),
        ("mac_w_bits", 0),
        ("mac_a_bits", 33),
        ("mac_mode", "fast"),
        ("tech_node", "3nm"),
        ("tech_node", ""),
    ],
)
def test_bad_fields_name_field_and_value(field, value):
    with pytest.raises(InputError) as info:
        Accelerator(**{field: value})
    assert info.value.field == field
    assert repr(value) in str(info.value) or str(value) in str(info.value)


def test_tech_node_is_canonicalised():
    assert Accelerator(tech_node="14 nm").tech_node == "14nm"


def test_dict_round_trip_and_inf_is_a_string():
    a = Accelerator(bw_gb_per_s=math.inf, dataflow="ws", lanes=2)
    d = a.to_dict()
    assert d["bw"] == "inf" and d["sram"] == "16MB" and d["array"] == "16x32" and d["clock"] == "1.5GHz"
    text = a.to_json()
    assert "Infinity" not in text
    assert Accelerator.from_dict(json.loads(text)) == a
    assert Accelerator.from_dict(Accelerator().to_dict()) == Accelerator()


def test_from_dict_rejects_unknown_keys_and_bad_bandwidth_strings():
    with pytest.raises(InputError, match="sram_mb"):
        Accelerator.from_dict({"sram_mb": 16})
    with pytest.raises(InputError, match="bw='fast'"):
        Accelerator.from_dict({"bw": "fast"})
    with pytest.raises(InputError, match="accelerator"):
        Accelerator.from_dict([1, 2])


def test_from_dict_fills_missing_fields_from_base():
    base = Accelerator(cores=8)
    assert Accelerator.from_dict({"array": "8x32"}, base=base) == replace(base, rows=8)


def test_load_json_and_toml(tmp_path):
    j = tmp_path / "a.json"
    j.write_text(json.dumps({"cores": 2, "bw": "inf"}))
    assert load_accelerator(j) == Accelerator(cores=2, bw_gb_per_s=math.inf)
    t = tmp_path / "a.toml"
    t.write_text('[accelerator]\ncores = 2\nbw = inf\nsram = "2MB"\n')
    assert load_accelerator(t) == Accelerator(cores=2, bw_gb_per_s=math.inf, sram_bytes=2_000_000)
    flat = tmp_path / "b.toml"
    flat.write_text('dataflow = "is"\n')
    assert load_accelerator(flat).dataflow == "is"


def test_load_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{cores: 2")
    with pytest.raises(InputError) as info:
        load_accelerator(bad)
    assert "bad.json" in str(info.value) and "line 1" in str(info.value)
    with pytest.raises(InputError, match="no such file"):
        load_accelerator(tmp_path / "missing.toml")
    toml = tmp_path / "bad.toml"
    toml.write_text("cores = = 2")
    with pytest.raises(InputError, match="not valid TOML"):
        load_accelerator(toml)


# --- iso-area -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bits", "shape", "ratio"), [(16, (16, 32), 1), (8, (32, 32), 2), (4, (32, 64), 4), (2, (64, 64), 8)]
)
def test_configurable_array_growth(bits, shape, ratio):
    """PACT's configurable MAC: peak ~ 16/b; the array grows 16x32 -> 32x32 -> 32x64 -> 64x64."""
    base = Accelerator()
    d = iso_area(base, bits, scale="array")
    assert (d.rows, d.cols) == shape
    assert d.macs_per_cycle == ratio * base.macs_per_cycle
    assert (d.mac_w_bits, d.mac_a_bits, d.mac_mode) == (bits, bits, "configurable")
    # same memory, bandwidth, clock, cores
    assert (d.sram_bytes, d.bw_gb_per_s, d.clock_hz, d.cores) == (16 * MB, 64.0, 1.5e9, 4)


def test_configurable_mixed_uses_the_wider_operand():
    base = Accelerator()
    assert iso_area(base, 4, a_bits=8).macs_per_cycle == 2 * base.macs_per_cycle
    assert iso_area(base, 8, a_bits=4).macs_per_cycle == 2 * base.macs_per_cycle
    assert iso_area(base, 3).macs_per_cycle == 5 * base.macs_per_cycle  # floor(16 / 3) sub-words


def test_wider_than_base_shrinks():
    base = Accelerator()
    assert iso_area(base, 32).macs_per_cycle == base.macs_per_cycle // 2


@pytest.mark.parametrize(("bits", "gain"), [(8, 3.0), (4, 7.34), (2, 14.0)])
def test_dedicated_counts_follow_the_area_model_and_never_exceed_the_area(bits, gain):
    """tech.density_gain at 14 nm: 3.0x (8x8), 7.34x (4x4), 14x (2x2); counts are floored."""
    base = Accelerator()
    node = tech.load("14nm")
    assert node.density_gain(bits, bits) == pytest.approx(gain, abs=0.01)
    d = iso_area(base, bits, "dedicated")
    area = d.macs_per_cycle * node.mac_area_um2(bits, bits)
    base_area = base.macs_per_cycle * node.mac_area_um2(16, 16)
    assert area <= base_area
    # within one row or column of the ideal count (the near-square shape floors a little)
    assert d.macs_per_cycle >= base.macs_per_cycle * gain * 0.95


@pytest.mark.parametrize("mode", ["configurable", "dedicated"])
def test_scale_cores_and_lanes_keep_total_memory(mode):
    base = Accelerator()
    m = mac_multiplier(base, 4, 4, mode)
    cores = iso_area(base, 4, mode, "cores")
    assert cores.cores == math.floor(base.cores * m + 1e-9)
    assert (cores.rows, cores.cols, cores.lanes) == (16, 32, 1)
    assert cores.sram_bytes == base.sram_bytes  # the same total, re-divided
    assert base.sram_bytes - cores.cores < cores.sram_bytes_per_core * cores.cores <= base.sram_bytes
    lanes = iso_area(base, 4, mode, "lanes")
    assert lanes.lanes == math.floor(m + 1e-9) and lanes.cores == 4
    assert lanes.sram_bytes == base.sram_bytes


def test_iso_area_rejects_bad_arguments():
    base = Accelerator()
    for kwargs, field in [
        ({"bits": 0}, "bits"),
        ({"bits": 33}, "bits"),
        ({"bits": 4, "scale": "chips"}, "scale"),
        ({"bits": 4, "mode": "magic"}, "mode"),
        ({"bits": 4, "a_bits": 40}, "a_bits"),
    ]:
        with pytest.raises(InputError) as info:
            iso_area(base, **kwargs)
        assert info.value.field == field


def test_scales_that_cannot_shrink_refuse_to_exceed_the_area():
    """One lane per PE at 32 bits would need half a MAC: an error, not a silently bigger design."""
    with pytest.raises(InputError) as info:
        iso_area(Accelerator(), 32, scale="lanes")
    assert (info.value.field, info.value.value) == ("scale", "lanes")
    assert iso_area(Accelerator(), 32, scale="cores").cores == 2


def test_grow_array_non_power_multipliers():
    assert grow_array(16, 32, 3 * 512) == (32, 48)
    assert grow_array(16, 32, 512) == (16, 32)
    r, c = grow_array(16, 32, int(512 * 7.34))
    assert r * c <= int(512 * 7.34) and max(r, c) <= 2 * min(r, c)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 64), st.integers(1, 64), st.integers(1, 20000))
def test_grow_array_never_exceeds_target_and_stays_near_square(rows, cols, target):
    r, c = grow_array(rows, cols, target)
    assert r * c <= max(target, 1) or (r, c) == (rows, cols)
    if (r, c) != (rows, cols):
        aspect = max(2.0, max(rows, cols) / min(rows, cols))
        assert max(r, c) <= aspect * min(r, c)
