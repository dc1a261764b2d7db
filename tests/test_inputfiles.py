"""Hostile input files: every reader refuses with one line naming the file, never hangs or traces back.

Covers issue 15 classes 2, 3 and 9 for files: FIFOs and directories (refused as what they are, not
"no such file", and without blocking), non-UTF-8 text, 200,000-deep JSON, >4,300-digit integers,
``schema_version: true`` and the SCALE-Sim reader's repeated names (linear, not quadratic).
"""

from __future__ import annotations

import io
import json
import os
import time
from contextlib import redirect_stderr, redirect_stdout

import pytest
from _graphs import tiny_graph

from accelsim.cli.main import main
from accelsim.errors import InputError
from accelsim.inputfiles import MAX_NESTING, parse_json, read_text
from accelsim.io.scalesim import read_topology

HEADER = "Layer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides,"


def run_cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = main(list(argv))
    return code, err.getvalue()


def assert_one_line(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)


# every way a file can be named on the command line, with the flag's field name
def _commands(path: str) -> list[tuple[list[str], str]]:
    return [
        (["layers", path], "workload"),
        (["run", "--workload", path], "workload"),
        (["run", "--config", path], "config"),
        (["sweep", "--no-store", "-q", "--spec", path], "spec"),
    ]


@pytest.mark.parametrize("suffix", [".json", ".toml", ".csv", ".onnx"])
def test_a_fifo_is_refused_as_a_fifo_without_blocking(tmp_path, suffix) -> None:
    fifo = tmp_path / f"in{suffix}"
    os.mkfifo(fifo)
    for argv, field in _commands(str(fifo)):
        start = time.monotonic()
        code, err = run_cli(*argv)
        assert time.monotonic() - start < 30
        assert_one_line(code, err, f"{field}=", "is a FIFO, not a regular file")


def test_a_directory_is_named_as_a_directory_not_a_missing_file(tmp_path) -> None:
    for name in ("d.json", "d.toml", "d.csv", "d.onnx"):
        (tmp_path / name).mkdir()
    for argv, field in _commands(str(tmp_path / "d.json")) + [
        (["run", "--workload", str(tmp_path / "d.csv")], "workload"),
        (["run", "--config", str(tmp_path / "d.toml")], "config"),
        (["sweep", "--no-store", "--spec", str(tmp_path / "d.toml")], "spec"),
    ]:
        code, err = run_cli(*argv)
        assert_one_line(code, err, field, "is a directory")


def test_non_utf8_files_name_the_offending_byte(tmp_path) -> None:
    for name, flag in (
        ("w.json", "--workload"),
        ("c.json", "--config"),
        ("c.toml", "--config"),
        ("t.csv", "--workload"),
    ):
        path = tmp_path / name
        path.write_bytes(b'{"a": "\xff\xfe"}')
        code, err = run_cli("run", flag, str(path))
        assert_one_line(code, err, "is not UTF-8 text (byte 0xff")
    path = tmp_path / "s.toml"
    path.write_bytes(b"[axes]\nbits = '\xff'\n")
    assert_one_line(*run_cli("sweep", "--no-store", "--spec", str(path)), "spec=", "not UTF-8")


def test_deep_json_is_refused_before_the_parser_recurses(tmp_path) -> None:
    for flag, name in (("--workload", "w.json"), ("--config", "c.json")):
        path = tmp_path / name
        path.write_text("[" * 200_000 + "]" * 200_000)
        assert_one_line(*run_cli("run", flag, str(path)), f"nests deeper than {MAX_NESTING} levels")
    ok = "[" * MAX_NESTING + "]" * MAX_NESTING
    assert parse_json(ok, "f", "w") is not None
    # brackets inside strings are not nesting
    assert parse_json(json.dumps({"name": "[" * 1000}), "f", "w") == {"name": "[" * 1000}


def test_deep_toml_is_refused(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert_one_line(*run_cli("run", "--config", str(path)), "config=", "not usable TOML")
    path.write_text("[axes]\nbits = " + "[" * 5000 + "]" * 5000 + "\n")
    assert_one_line(*run_cli("sweep", "--no-store", "--spec", str(path)), "spec=", "not usable TOML")


def test_integer_literals_over_4300_digits_are_refused(tmp_path) -> None:
    huge = "9" * 5000
    cases = [
        (
            "w.json",
            "--workload",
            json.dumps(tiny_graph().to_dict()).replace('"schema_version": 1', f'"schema_version": {huge}'),
        ),
        ("c.json", "--config", '{"cores": ' + huge + "}"),
        ("c.toml", "--config", f"cores = {huge}\n"),
        ("t.csv", "--workload", f"{HEADER}\nconv,{huge},8,3,3,4,4,1,\n"),
    ]
    for name, flag, text in cases:
        path = tmp_path / name
        path.write_text(text)
        code, err = run_cli("run", flag, str(path))
        assert_one_line(code, err)
        assert len(err) < 400, err  # the 5000 digits are not echoed back


def test_schema_version_true_is_not_taken_for_1(tmp_path) -> None:
    data = tiny_graph().to_dict()
    data["schema_version"] = True
    path = tmp_path / "g.json"
    path.write_text(json.dumps(data))
    assert_one_line(*run_cli("layers", str(path)), "schema_version=True")


def test_a_config_that_is_not_an_object_is_named(tmp_path) -> None:
    path = tmp_path / "c.json"
    path.write_text("[1, 2]")
    assert_one_line(*run_cli("run", "--config", str(path)), "config=", "must hold a JSON object")


def test_input_size_limit_is_enforced_and_raisable(tmp_path, monkeypatch) -> None:
    path = tmp_path / "g.json"
    path.write_text(json.dumps(tiny_graph().to_dict()))
    monkeypatch.setenv("ACCELSIM_MAX_INPUT_BYTES", "100")
    with pytest.raises(InputError, match="larger than 100 bytes"):
        read_text(path, "workload")
    monkeypatch.setenv("ACCELSIM_MAX_INPUT_BYTES", str(10**9))
    assert read_text(path, "workload").startswith("{")
    monkeypatch.setenv("ACCELSIM_MAX_INPUT_BYTES", "lots")
    with pytest.raises(InputError, match="ACCELSIM_MAX_INPUT_BYTES='lots'"):
        read_text(path, "workload")


def test_repeated_scalesim_names_read_in_linear_time(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER] + ["conv,8,8,3,3,4,4,1,"] * 16_000) + "\n")
    start = time.perf_counter()
    graph = read_topology(path)
    elapsed = time.perf_counter() - start
    assert len(graph) == 16_000 and "conv~16000" in graph
    assert elapsed < 15, f"{elapsed:.1f} s (the quadratic renaming took 56 s)"
    # renaming stays what it was: the first free ~k, including names that already look renamed
    path.write_text(f"{HEADER}\nconv,8,8,3,3,4,4,1,\nconv~2,8,8,3,3,4,4,1,\nconv,8,8,3,3,4,4,1,\nconv,8,8,3,3,4,4,1,\n")
    assert [layer.name for layer in read_topology(path)] == ["conv", "conv~2", "conv~3", "conv~4"]
