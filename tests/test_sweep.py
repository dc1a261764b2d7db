"""Sweeps (accelsim.explore.sweep) and their plot (accelsim.report.plot)."""

from __future__ import annotations

import json
import math
import os

import pytest

import workloads
from accelsim.errors import InputError
from accelsim.explore.record import SweepRow
from accelsim.explore.sweep import first_last_ratio, sweep
from accelsim.hardware.bandwidth import bw_label
from accelsim.hardware.design import Accelerator, iso_area
from accelsim.model.fit import policy_for
from accelsim.model.sim import simulate
from accelsim.report.plot import plot_speedup, system_title
from accelsim.report.tables import render

REQUIRED = [
    "workload",
    "bits",
    "first_last_bits",
    "bw",
    "peak_tmacs",
    "seconds_per_image",
    "speedup",
    "peak_ratio",
    "efficiency",
    "bound",
    "offchip_mb",
    "weights_fit",
    "activations_fit",
]


@pytest.fixture(scope="module")
def rows() -> list[SweepRow]:
    return sweep("resnet18", bits=[16, 8, 4], bw=[32, "64", math.inf])


def test_rows_in_argument_order_with_labels_as_given(rows):
    assert [(r.bits, r.bw) for r in rows] == [(b, w) for b in (16, 8, 4) for w in ("32", "64", "inf")]
    assert [r.bw_gb_per_s for r in rows[:3]] == [32.0, 64.0, math.inf]
    for key in REQUIRED:
        assert key in rows[0].as_dict()


def test_speedups_are_relative_to_the_base_at_the_same_bandwidth(rows):
    by = {(r.bits, r.bw): r for r in rows}
    for r in rows:
        base = by[(16, r.bw)]
        assert r.speedup == pytest.approx(base.seconds_per_image / r.seconds_per_image)
        assert r.peak_ratio == pytest.approx(r.peak_tmacs / base.peak_tmacs)
        assert r.efficiency == pytest.approx(r.speedup / r.peak_ratio)
    assert {by[(16, w)].speedup for w in ("32", "64", "inf")} == {1.0}
    assert by[(4, "inf")].peak_ratio == 4


def test_rows_match_a_direct_simulation(rows):
    r = rows[-1]  # 4 bits, inf
    direct = simulate(
        workloads.load("resnet18").with_policy(policy_for(4, 8)), iso_area(Accelerator(bw_gb_per_s=math.inf), 4)
    )
    assert r.seconds_per_image == direct.seconds_per_image
    assert r.first_last_bits == 8 and r.offchip_mb == direct.offchip_bytes_per_image / 1e6


def test_sweep_is_deterministic_and_json_safe(rows):
    again = sweep("resnet18", bits=[16, 8, 4], bw=[32, "64", math.inf])
    assert again == rows
    text = render([r.as_dict() for r in rows], "json")
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text)[2]["bw"] == "inf"


def test_baseline_is_simulated_when_16_bits_is_not_swept():
    calls = []
    only4 = sweep("resnet20", bits=[4], bw=["inf"], progress=lambda done, total: calls.append((done, total)))
    full = {r.bits: r for r in sweep("resnet20", bits=[16, 4], bw=["inf"])}
    assert only4[0].speedup == full[4].speedup
    assert calls == [(1, 2), (2, 2)]


def test_progress_counts_every_point():
    calls = []
    sweep("resnet20", bits=[16, 8], bw=[64, "inf"], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_first_last_bits_none_quantizes_the_edges():
    rows = sweep("resnet20", bits=[4], bw=["inf"], first_last_bits=None)
    assert rows[0].first_last_bits == 4


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bits": [0]}, "bits"),
        ({"bits": [33]}, "bits"),
        ({"bits": [4, 4]}, "bits"),
        ({"bw": [-3]}, "bw"),
        ({"bw": ["fast"]}, "bw"),
        ({"bw": [64, 64.0]}, "bw"),
        ({"scale": "chips"}, "scale"),
        ({"first_last_bits": 0}, "first_last_bits"),
    ],
)
def test_bad_sweep_arguments(kwargs, field):
    with pytest.raises(InputError) as info:
        sweep("resnet20", **kwargs)
    assert info.value.field == field


def test_unknown_workload():
    with pytest.raises(InputError) as info:
        sweep("resnet51")
    assert info.value.field == "workload"


def test_bw_label():
    assert [bw_label(v) for v in (32, 64.0, math.inf, " inf ", 12.5)] == ["32", "64", "inf", "inf", "12.5"]


def test_first_last_ratio_is_a_time_ratio():
    g = workloads.load("resnet20")
    ratio = first_last_ratio(g, 2, "inf")
    kept = simulate(g.with_policy(policy_for(2, 8)), iso_area(Accelerator(bw_gb_per_s=math.inf), 2))
    quant = simulate(g.with_policy(policy_for(2, None)), iso_area(Accelerator(bw_gb_per_s=math.inf), 2))
    assert ratio == kept.seconds_per_image / quant.seconds_per_image
    assert ratio > 1


# --- plot ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_plot_is_written_atomically_and_byte_stable(rows, tmp_path, suffix):
    title = system_title(Accelerator(), "resnet18", "configurable", "array", 8)
    first = plot_speedup(rows, tmp_path / f"a.{suffix}", title=title).read_bytes()
    second = plot_speedup(rows, tmp_path / f"b.{suffix}", title=title).read_bytes()
    assert first == second and len(first) > 1000
    assert sorted(os.listdir(tmp_path)) == [f"a.{suffix}", f"b.{suffix}"]  # no temp files left
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[suffix]
    assert first.startswith(magic)


def test_plot_rejects_unknown_suffix_and_empty_rows(rows, tmp_path):
    with pytest.raises(InputError, match="png"):
        plot_speedup(rows, tmp_path / "x.jpg")
    with pytest.raises(InputError):
        plot_speedup([], tmp_path / "x.png")
    assert not (tmp_path / "x.jpg").exists()


def test_rows_carry_energy_area_and_their_store_key(rows):
    for r in rows:
        d = r.as_dict()
        assert d["energy_per_image_uj"] == pytest.approx(
            d["mac_energy_per_image_uj"]
            + d["sram_energy_per_image_uj"]
            + d["offchip_energy_per_image_uj"]
            + d["noc_energy_per_image_uj"]
        )
        assert d["area_mm2"] > d["sram_area_mm2"] > 0 and d["memory"] == "lpddr4"
        assert len(d["key"]) == 64
    assert len({r.key for r in rows}) == len(rows)
    by = {(r.bits, r.bw): r for r in rows}
    assert by[(4, "inf")].energy_per_image_uj == by[(4, "32")].energy_per_image_uj < by[(16, "32")].energy_per_image_uj


def test_memory_option_prices_offchip_bytes():
    lp, hbm = (sweep("resnet20", bits=[16], bw=["inf"], memory=m)[0] for m in ("lpddr4", "hbm2"))
    assert hbm.offchip_energy_per_image_uj == pytest.approx(lp.offchip_energy_per_image_uj * 3.9 / 8.0)
    assert hbm.mac_energy_per_image_uj == lp.mac_energy_per_image_uj and hbm.key != lp.key


def test_streamed_csv_and_json_are_the_bytes_of_render():
    """`render_stream` (a sweep's CSV and JSON, piece by piece) writes what `render` writes, for every
    kind of cell: ints, bools, strings, finite and non-finite floats (Python's and NumPy's), None,
    lists."""
    import numpy as np

    from accelsim.report.tables import render_stream

    cells = [0, 7, True, False, "a,b", 1.5, -0.0, math.inf, -math.inf, math.nan, np.float64(2.25), None, [16, 32]]
    cells += [np.float64("inf"), np.float64("nan")]
    rows = [{"x": v, "y": cells[(i + 3) % len(cells)]} for i, v in enumerate(cells)]
    assert "".join(render_stream(rows, "csv", ["x", "y"])) == render(rows, "csv")
    column = "".join(render_stream([{"x": v} for v in cells], "csv", ["x"])).split("\n")
    assert column[:13] == ["x", "0", "7", "True", "False", '"a,b"', "1.5", "-0.0", "inf", "-inf", "nan", "2.25", '""']
    assert column[13:] == ["16x32", "inf", "nan", ""]
    finite = [r for r in rows if all(not isinstance(v, float) or math.isfinite(v) for v in r.values())]
    assert "".join(render_stream(finite, "json", ["x", "y"])) == render(finite, "json")
