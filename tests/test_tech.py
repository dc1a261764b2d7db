"""Tests for the `tech` package: PACT/Bit Fusion anchors, data provenance, model sanity, errors."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from importlib.resources import files
from typing import Any

import pytest

import tech
from accelsim.errors import InputError
from tech._data import provenance_problems

NODE_FILES = [f"{name}.toml" for name in ("45nm", "28nm", "14nm", "7nm")]
DATA_FILES = [*NODE_FILES, "memories.toml"]
BASES = {"published", "derived", "estimate"}


def _raw(filename: str) -> dict[str, Any]:
    return tomllib.loads(files("tech").joinpath(filename).read_text(encoding="utf-8"))


# --- 14 nm anchors (tech-data.md section 1.5 / Appendix A) ------------------------------------------


@pytest.mark.parametrize(("bits", "area"), [(16, 303.0), (8, 101.2), (4, 41.3), (2, 21.6)])
def test_mac_area_14nm_anchors(bits: int, area: float) -> None:
    assert round(tech.mac_area(bits, bits), 1) == area
    assert tech.load().mac_area_um2(bits, bits) == tech.mac_area(bits, bits, node="14nm")


@pytest.mark.parametrize(("bw", "ba", "gain"), [(16, 16, 1.00), (8, 8, 3.00), (4, 4, 7.34), (2, 2, 14.00)])
def test_density_gain_14nm_matches_pact(bw: int, ba: int, gain: float) -> None:
    assert round(tech.density_gain(bw, ba), 2) == gain


def test_mixed_precision_density_14nm() -> None:
    # tech-data.md section 1.5 table, option A: 16x8 1.73, 4x8 4.71, 4x2 10.18, 8x2 6.59.
    assert round(tech.density_gain(16, 8), 2) == 1.73
    assert round(tech.density_gain(4, 8), 2) == 4.71
    assert round(tech.density_gain(4, 2), 2) == 10.18
    assert round(tech.density_gain(8, 2), 2) == 6.59
    assert tech.density_gain(4, 8) == tech.density_gain(8, 4)


def test_mac_energy_14nm_anchors() -> None:
    assert tech.mac_energy(16, 16) == pytest.approx(89.0, abs=0.5)
    assert tech.mac_energy(8, 8) == pytest.approx(31.0, abs=0.5)
    assert tech.mac_energy(4, 4) == pytest.approx(12.5, abs=0.1)
    assert tech.mac_energy(2, 2) == pytest.approx(6.2, abs=0.05)


def test_node_defaults() -> None:
    node = tech.load()
    assert tech.DEFAULT_NODE == "14nm"
    assert node.name == "14nm" and node.node_nm == 14
    assert node.clock_hz == 1.5e9
    assert tech.load("45nm").clock_hz == 5e8
    assert tech.load("28nm").clock_hz == 1e9
    assert tech.load("7nm").clock_hz == pytest.approx(1.5e9)


def test_sram_area() -> None:
    # 16 MiB at 8 Mbit/mm^2 = 16.8 mm^2 (tech-data.md section 6).
    assert tech.sram_area(16 * 2**20) == pytest.approx(16.78, abs=0.01)
    assert tech.sram_area(0) == 0.0
    assert tech.sram_area(1e6, node="7nm") < tech.sram_area(1e6) < tech.sram_area(1e6, node="45nm")


@pytest.mark.parametrize(
    ("bw", "ba", "k", "bits"),
    [
        (16, 16, 4608, 45),
        (8, 8, 4608, 29),
        (4, 8, 4608, 25),
        (2, 2, 4608, 17),
        (8, 8, 147, 24),
        (8, 8, 1, 16),
        (8, 8, 2, 17),
        (8, 8, 4096, 28),
        (8, 8, 4097, 29),
    ],
)
def test_accumulator_bits(bw: int, ba: int, k: int, bits: int) -> None:
    assert tech.accumulator_bits(bw, ba, k) == bits
    assert tech.accumulator_bits(bw, ba, k) == bw + ba + math.ceil(math.log2(k))


# --- data files: loading and provenance ---------------------------------------------------------------


def test_every_node_loads() -> None:
    assert tech.names() == ["45nm", "28nm", "14nm", "7nm"]
    for name in tech.names():
        node = tech.load(name)
        assert node.name == name
        assert isinstance(node, tech.TechNode)
        assert all(isinstance(x, float) for x in node.mac_area_coeffs_um2 + node.mac_energy_coeffs_fj)
        assert set(tech.sources(name)) >= {
            "node_nm",
            "clock_hz",
            "mac_area",
            "mac_energy",
            "sram_density",
            "sram_read_energy",
        }


def _walk_numbers(table: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any]]]:
    """Every (path of a number, the table that directly holds it) in a parsed TOML document."""
    found: list[tuple[str, dict[str, Any]]] = []
    for key, value in table.items():
        sub = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            found.extend(_walk_numbers(value, sub))
        elif isinstance(value, list):
            found.extend((f"{sub}[{i}]", table) for i, x in enumerate(value) if isinstance(x, int | float))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            found.append((sub, table))
    return found


@pytest.mark.parametrize("filename", DATA_FILES)
def test_every_number_has_a_source(filename: str) -> None:
    doc = _raw(filename)
    numbers = _walk_numbers(doc, "")
    assert len(numbers) >= 8, "the walk must actually see the file's numbers"
    for path, holder in numbers:
        assert holder is not doc, f"{filename}:{path} is a bare top-level number"
        assert isinstance(holder.get("source"), str) and len(holder["source"]) >= 20, f"{filename}:{path}"
        assert holder.get("basis") in BASES, f"{filename}:{path}"
        assert isinstance(holder.get("unit"), str) and holder["unit"], f"{filename}:{path}"
    assert provenance_problems(doc) == []


def test_provenance_check_catches_unsourced_numbers() -> None:
    good = {"clock_hz": {"value": 1e9, "unit": "Hz", "basis": "published", "source": "Some paper, Table 2, p. 3"}}
    assert provenance_problems(good) == []
    assert provenance_problems({"clock_hz": 1e9})  # bare number
    assert provenance_problems({"x": {"value": 1, "unit": "Hz", "basis": "guess", "source": "Some paper, Table 2"}})
    assert provenance_problems({"x": {"value": 1, "unit": "Hz", "basis": "estimate"}})
    assert provenance_problems({"x": {"range": [1, 2], "unit": "Hz", "basis": "estimate", "source": "ok"}})
    # sourcing is not inherited by sub-tables
    nested = {"m": {"unit": "x", "basis": "derived", "source": "A long enough source text", "e": {"value": 3}}}
    assert provenance_problems(nested)


def test_estimates_are_marked() -> None:
    assert _raw("7nm.toml")["clock_hz"]["basis"] == "estimate"
    assert _raw("memories.toml")["ddr4"]["energy"]["basis"] == "estimate"
    for filename in NODE_FILES:
        assert _raw(filename)["sram_read_energy"]["basis"] == "estimate"
    assert "interpolated" in _raw("28nm.toml")["scaling_from_45nm"]["source"]


@pytest.mark.parametrize("name", ["28nm", "14nm", "7nm"])
def test_scaled_nodes_follow_their_stated_derivation(name: str) -> None:
    base = tech.load("45nm")
    node = tech.load(name)
    factors = _raw(f"{name}.toml")["scaling_from_45nm"]
    a, b, c = node.mac_area_coeffs_um2
    assert a == pytest.approx(base.mac_area_coeffs_um2[0] * factors["area"], rel=1e-3)
    assert b == pytest.approx(base.mac_area_coeffs_um2[1] * factors["area"], rel=1e-3)
    assert c == pytest.approx((200 * a - 24 * b) / 13, rel=1e-3)  # A(16,16)/A(2,2) = 14 (PACT Fig. 6b)
    assert node.density_gain(2, 2) == pytest.approx(14.0, abs=0.01)
    for mine, ref in zip(node.mac_energy_coeffs_fj, base.mac_energy_coeffs_fj, strict=True):
        assert mine == pytest.approx(ref * factors["energy"], rel=1e-3)


def test_memories() -> None:
    assert tech.memory_names() == ["lpddr4", "ddr4", "gddr5", "hbm2", "ddr3"]
    expected = {"lpddr4": (68.0, 8.0), "ddr4": (25.6, 17.5), "gddr5": (32.0, 14.0), "hbm2": (256.0, 3.9)}
    for name, (bw, energy) in expected.items():
        mem = tech.memory(name)
        assert isinstance(mem, tech.ExternalMemory)
        assert mem.bw_gb_per_s == pytest.approx(bw, rel=0.01)
        assert mem.energy_pj_per_bit == pytest.approx(energy)
        assert len(mem.source) > 40
    assert tech.memory(" HBM2 ") is tech.memory("hbm2")


# --- model sanity ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["45nm", "28nm", "14nm", "7nm"])
def test_area_and_energy_decrease_with_bits(name: str) -> None:
    node = tech.load(name)
    for other in (1, 2, 4, 8, 16, 32):
        for bits in range(1, 32):
            assert node.mac_area_um2(bits, other) < node.mac_area_um2(bits + 1, other)
            assert node.mac_area_um2(other, bits) < node.mac_area_um2(other, bits + 1)
            assert node.mac_energy_fj(bits, other) < node.mac_energy_fj(bits + 1, other)
    gains = [node.density_gain(b, b) for b in (16, 8, 4, 2, 1)]
    assert gains == sorted(gains) and gains[0] == 1.0


def test_larger_nodes_have_larger_macs_and_less_dense_sram() -> None:
    nodes = [tech.load(name) for name in tech.names()]  # largest feature size first
    assert [n.node_nm for n in nodes] == sorted((n.node_nm for n in nodes), reverse=True)
    for bigger, smaller in zip(nodes, nodes[1:], strict=False):
        for bw, ba in [(16, 16), (8, 8), (4, 8), (4, 4), (2, 2), (1, 1)]:
            assert bigger.mac_area_um2(bw, ba) > smaller.mac_area_um2(bw, ba)
            assert bigger.mac_energy_fj(bw, ba) > smaller.mac_energy_fj(bw, ba)
        assert bigger.sram_density_mbit_per_mm2 < smaller.sram_density_mbit_per_mm2
        assert bigger.sram_read_energy_pj_per_bit > smaller.sram_read_energy_pj_per_bit


def test_nodes_are_cached_frozen_and_name_forgiving() -> None:
    node = tech.load("14nm")
    assert tech.load() is node and tech.load("14") is node and tech.load(" 14 NM ") is node
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.clock_hz = 1.0  # type: ignore[misc]
    assert hash(node) == hash(tech.load("14nm"))


# --- errors name the field and the value --------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field", "value"),
    [
        (lambda: tech.load("13nm"), "node", "13nm"),
        (lambda: tech.mac_area(8, 8, node="3nm"), "node", "3nm"),
        (lambda: tech.mac_area(0, 8), "bw", 0),
        (lambda: tech.mac_area(8, 33), "ba", 33),
        (lambda: tech.mac_energy(8.0, 8), "bw", 8.0),
        (lambda: tech.density_gain(True, 8), "bw", True),
        (lambda: tech.load().mac_area_um2(8, -4), "ba", -4),
        (lambda: tech.sram_area(-1), "n_bytes", -1),
        (lambda: tech.sram_area(float("nan")), "n_bytes", None),
        (lambda: tech.accumulator_bits(8, 8, 0), "k", 0),
        (lambda: tech.accumulator_bits(8, 8, 2.5), "k", 2.5),
        (lambda: tech.accumulator_bits(40, 8, 16), "bw", 40),
        (lambda: tech.memory("ddr9"), "memory", "ddr9"),
    ],
)
def test_bad_input_raises_input_error(call: Any, field: str, value: Any) -> None:
    with pytest.raises(InputError) as info:
        call()
    err = info.value
    assert err.field == field
    assert str(err).startswith(f"{field}=")
    if value is not None:
        assert err.value == value and str(err).startswith(f"{field}={value!r}: ")


def test_unknown_node_lists_known_nodes() -> None:
    with pytest.raises(InputError, match=r"node='13nm': unknown technology node; known: 45nm, 28nm, 14nm, 7nm"):
        tech.load("13nm")
    with pytest.raises(InputError, match="known: lpddr4, ddr4, gddr5, hbm2, ddr3"):
        tech.memory("ddr9")


def test_bad_node_data_is_rejected() -> None:
    with pytest.raises(InputError) as info:
        tech.TechNode(
            name="x",
            node_nm=14,
            clock_hz=0.0,
            mac_area_coeffs_um2=(1.0, 1.0, 1.0),
            mac_energy_coeffs_fj=(1.0, 1.0, 1.0),
            sram_density_mbit_per_mm2=8.0,
            sram_read_energy_pj_per_bit=0.1,
        )
    assert info.value.field == "clock_hz"
    with pytest.raises(InputError) as info:
        tech.ExternalMemory(name="m", bw_gb_per_s=-1.0, energy_pj_per_bit=1.0, source="s")
    assert info.value.field == "bw_gb_per_s"
