"""Sweep specs: token parsing, errors that name the axis and the token, TOML specs, grid order."""

from __future__ import annotations

import argparse
import math

import pytest

from accelsim.errors import InputError
from accelsim.explore.grid import (
    Axis,
    SweepSpec,
    cli_type,
    expand,
    load_spec,
    parse_array,
    parse_bits,
    parse_bw,
    parse_cores,
    parse_mode,
    parse_sram,
)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("8MB", 8_000_000),
        ("512KB", 512_000),
        ("1GiB", 2**30),
        ("512KiB", 512 * 1024),
        ("2MiB", 2 * 2**20),
        ("1.5MB", 1_500_000),
        ("4096", 4096),
        (" 16 mb ", 16_000_000),
        (32_000_000, 32_000_000),
    ],
)
def test_sram_sizes_in_bytes(token, expected) -> None:
    assert parse_sram(token) == expected


@pytest.mark.parametrize(
    ("parse", "token", "field"),
    [
        (parse_bits, "0", "bits"),
        (parse_bits, "33", "bits"),
        (parse_bits, "8.5", "bits"),
        (parse_bits, True, "bits"),
        (parse_bw, "-3", "bw"),
        (parse_bw, "0", "bw"),
        (parse_bw, "fast", "bw"),
        (parse_bw, "nan", "bw"),
        (parse_sram, "12XB", "sram"),
        (parse_sram, "0MB", "sram"),
        (parse_sram, "1.5B", "sram"),
        (parse_sram, "MB", "sram"),
        (parse_array, "16y32", "array"),
        (parse_array, "0x32", "array"),
        (parse_array, "16x", "array"),
        (parse_cores, "-1", "cores"),
        (parse_mode, "hybrid", "mode"),
    ],
)
def test_bad_tokens_name_axis_and_token(parse, token, field) -> None:
    with pytest.raises(InputError) as info:
        parse(token)
    assert info.value.field == field
    assert info.value.value == token
    assert str(info.value).startswith(f"{field}={token!r}: ")


def test_good_tokens() -> None:
    assert parse_bits("16") == 16
    assert parse_bw("inf") == math.inf and parse_bw("Inf") == math.inf
    assert parse_bw("32") == 32.0 and isinstance(parse_bw(32), float)
    assert parse_array("16x32") == (16, 32) and parse_array([8, 8]) == (8, 8)
    assert parse_mode("Dedicated") == "dedicated"


def test_comma_list_keeps_labels_and_order() -> None:
    axis = Axis.parse("bw", "32,64,inf")
    assert axis.name == "bw_gb_per_s"
    assert axis.values == (32.0, 64.0, math.inf)
    assert axis.labels == ("32", "64", "inf")
    assert axis.label(math.inf) == "inf"


def test_error_inside_a_list_names_the_bad_token() -> None:
    with pytest.raises(InputError, match=r"^sram='12XB'"):
        Axis.parse("sram", "8MB,12XB,32MB")


def test_duplicates_unknown_axes_and_empty_lists_are_refused() -> None:
    with pytest.raises(InputError, match="appears twice"):
        Axis.parse("bw", "32,32.0")
    with pytest.raises(InputError, match="not a sweep axis"):
        Axis.parse("voltage", "1")
    with pytest.raises(InputError, match="at least one value"):
        Axis.parse("bits", " , ")
    with pytest.raises(InputError, match="given twice"):
        SweepSpec.from_mapping({"bw": "32", "bw_gb_per_s": "64"})


def test_expand_is_the_product_in_declared_order() -> None:
    spec = SweepSpec.from_mapping({"bits": "8,4", "sram": "8MB,16MB,32MB", "cores": None, "mode": "dedicated"})
    points = expand(spec)
    assert spec.size == len(points) == 6
    assert [(p["bits"], p["sram_bytes"]) for p in points] == [
        (8, 8_000_000),
        (8, 16_000_000),
        (8, 32_000_000),
        (4, 8_000_000),
        (4, 16_000_000),
        (4, 32_000_000),
    ]
    assert list(points[0]) == ["bits", "sram_bytes", "mode"]
    assert spec.labels(points[1]) == {"bits": "8", "sram_bytes": "16MB", "mode": "dedicated"}


def test_to_dict_round_trips() -> None:
    spec = SweepSpec.from_mapping({"workload": ["resnet50", "model.json"], "bw": "32,inf", "array": "16x32,8x8"})
    assert SweepSpec.from_mapping(spec.to_dict()) == spec
    assert spec.to_dict() == {
        "workload": ["resnet50", "model.json"],
        "bw_gb_per_s": ["32", "inf"],
        "array": ["16x32", "8x8"],
    }


def test_load_spec_from_toml(tmp_path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_text(
        "[axes]\n"
        'workload = ["resnet50"]\n'
        "bits = [16, 8, 4, 2]\n"
        "bw = [32, 64.5, inf]\n"  # TOML's own inf; the string "inf" works too
        'sram = "8MB,16MB"\n'
        'array = ["16x32", [8, 8]]\n'
        'mode = ["configurable", "dedicated"]\n'
    )
    spec = load_spec(path)
    assert spec.names == ("workload", "bits", "bw_gb_per_s", "sram_bytes", "array", "mode")
    assert spec.axis("bw").values == (32.0, 64.5, math.inf)
    assert spec.axis("bw").labels == ("32", "64.5", "inf")
    assert spec.axis("array").values == ((16, 32), (8, 8))
    assert spec.size == 1 * 4 * 3 * 2 * 2 * 2
    assert expand(spec)[0] == {
        "workload": "resnet50",
        "bits": 16,
        "bw_gb_per_s": 32.0,
        "sram_bytes": 8_000_000,
        "array": (16, 32),
        "mode": "configurable",
    }


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[axes]\nbits = [0]\n", "bits=0"),
        ("[axes]\nvolts = [1]\n", "volts"),
        ("bits = [8]\n", "unknown top-level keys"),
        ("[axes\n", "not valid TOML"),
        ("[axes]\nbits = 8\n", "must be a list"),
    ],
)
def test_bad_spec_files(tmp_path, text, needle) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=needle):
        load_spec(path)


def test_missing_spec_file(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_spec(tmp_path / "nope.toml")


def test_cli_type_keeps_the_message_for_argparse() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"bits='33': must be an integer in 1\.\.32"):
        cli_type("bits")("8,33")
    assert cli_type("sram")("512KB,1GiB").values == (512_000, 2**30)
