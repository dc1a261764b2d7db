"""Pareto fronts on hand-made rows, a property test of dominance, and byte-stable plots."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.errors import InputError
from accelsim.explore.pareto import axis_label, dominates, pareto, pareto_front, plot_front

# name: (latency_s, area_mm2)
ROWS: list[dict[str, Any]] = [
    {"name": "a", "latency_s": 1.0, "area_mm2": 9.0},  # best latency: front
    {"name": "b", "latency_s": 2.0, "area_mm2": 4.0},  # front
    {"name": "c", "latency_s": 3.0, "area_mm2": 4.0},  # dominated by b (same area, slower)
    {"name": "d", "latency_s": 4.0, "area_mm2": 1.0},  # smallest area: front
    {"name": "e", "latency_s": 5.0, "area_mm2": 5.0},  # dominated by b and d
    {"name": "b2", "latency_s": 2.0, "area_mm2": 4.0},  # tie with b: kept once, as b
    {"name": "f", "latency_s": None, "area_mm2": 0.5},  # failed point: excluded
    {"name": "g", "latency_s": math.nan, "area_mm2": 0.1},  # excluded
    {"name": "h", "area_mm2": 0.1},  # missing objective: excluded
]


def test_hand_worked_front() -> None:
    front = pareto(ROWS, ["latency_s", "area_mm2"])
    assert [r["name"] for r in front.rows] == ["a", "b", "d"]
    assert front.excluded == 3
    assert pareto_front(ROWS, ["latency_s", "area_mm2"]) == list(front.rows)
    # input order does not matter (the tie keeps whichever of b/b2 comes first)
    assert [r["name"] for r in pareto_front(ROWS[::-1], ["latency_s", "area_mm2"])] == ["a", "b2", "d"]


def test_single_objective_and_maximize() -> None:
    rows = ROWS[:5]
    assert [r["name"] for r in pareto_front(rows, ["area_mm2"])] == ["d"]
    assert [r["name"] for r in pareto_front(ROWS, ["area_mm2"])] == ["g"]  # g, h tie at 0.1: first kept
    # maximise latency (silly, but checks the sign): e is slowest; d, smaller and slower than a-c, beats them
    front = pareto_front(rows, ["latency_s", "area_mm2"], maximize=["latency_s"])
    assert [r["name"] for r in front] == ["e", "d"]
    assert dominates(ROWS[1], ROWS[2], ["latency_s", "area_mm2"])
    assert not dominates(ROWS[1], ROWS[5], ["latency_s", "area_mm2"])


def test_infinite_values_compare() -> None:
    rows = [{"t": math.inf, "a": 0.0}, {"t": 1.0, "a": 1.0}, {"t": math.inf, "a": 2.0}]
    assert pareto_front(rows, ["t", "a"]) == rows[1::-1]


def test_bad_objectives() -> None:
    with pytest.raises(InputError, match="objectives"):
        pareto(ROWS, [])
    with pytest.raises(InputError, match="objective='latency'"):
        pareto(ROWS, ["latency"])
    with pytest.raises(InputError, match="non-numeric"):
        pareto([{"t": "fast"}], ["t"])
    with pytest.raises(InputError, match="maximize"):
        pareto(ROWS, ["latency_s"], maximize=["area_mm2"])


_value = st.one_of(st.integers(0, 4).map(float), st.none(), st.just(math.nan))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_value, _value, st.integers(0, 4)), max_size=30))
def test_front_property(triples) -> None:
    rows = [{"i": i, "x": x, "y": y, "z": z} for i, (x, y, z) in enumerate(triples)]
    objs = ["x", "y", "z"]
    valid = [r for r in rows if all(r[o] is not None and not math.isnan(r[o]) for o in objs)]
    result = pareto(rows, objs)
    front = list(result.rows)
    assert result.excluded == len(rows) - len(valid)
    vec = lambda r: tuple(r[o] for o in objs)  # noqa: E731
    # no front row is dominated by any row
    assert not any(dominates(v, f, objs) for f in front for v in valid)
    # every other row is dominated by (or ties with) some front row
    front_ids = {r["i"] for r in front}
    for r in valid:
        if r["i"] not in front_ids:
            assert any(dominates(f, r, objs) or vec(f) == vec(r) for f in front)
    # ties kept once, order by objective vector
    assert len({vec(f) for f in front}) == len(front)
    assert [vec(f) for f in front] == sorted(vec(f) for f in front)


def test_axis_labels_carry_units() -> None:
    assert axis_label("latency_s") == "latency (s)"
    assert axis_label("bw_gb_per_s") == "bw (GB/s)"
    assert axis_label("sram_bytes") == "sram (bytes)"
    assert axis_label("energy_pj") == "energy (pJ)"
    assert axis_label("speedup") == "speedup"


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_plot_is_written_atomically_and_byte_stable(tmp_path, suffix) -> None:
    front = pareto_front(ROWS, ["latency_s", "area_mm2"])
    rows = ROWS + [{"name": "inf", "latency_s": math.inf, "area_mm2": 1.0}]  # not drawable: skipped
    a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    plot_front(rows, front, "latency_s", "area_mm2", a, title="toy")
    plot_front(rows, front, "latency_s", "area_mm2", b, title="toy")
    data = a.read_bytes()
    assert data == b.read_bytes()
    assert data[:8] == {".png": b"\x89PNG\r\n\x1a\n", ".svg": b"<?xml ve", ".pdf": b"%PDF-1.4"}[suffix]
    if suffix == ".svg":
        assert b"Date" not in data
    assert sorted(p.name for p in tmp_path.iterdir()) == [a.name, b.name]


def test_plot_refuses_unknown_extension(tmp_path) -> None:
    with pytest.raises(InputError, match="must end in .png, .svg, .pdf"):
        plot_front(ROWS, [], "latency_s", "area_mm2", tmp_path / "plot.jpg")
