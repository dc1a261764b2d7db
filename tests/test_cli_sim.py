"""`accelsim sweep | run | fit`, called in-process through the main CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest

from accelsim.cli import main
from accelsim.ir import Conv2d, Dense, Flatten, LayerGraph, Pool

REQUIRED = [
    "workload", "bits", "first_last_bits", "bw", "peak_tmacs", "seconds_per_image", "speedup", "peak_ratio",
    "efficiency", "bound", "offchip_mb", "weights_fit", "activations_fit",
]


def _tiny(tmp_path):
    g = LayerGraph("tiny")
    g.add(Conv2d(name="conv1", in_shape=(1, 3, 16, 16), out_channels=8, kernel=(3, 3), padding=(1, 1)))
    g.add(Pool(name="gap", in_shape=(1, 8, 16, 16), mode="avg", kernel=(16, 16), stride=(1, 1)), ["conv1"])
    g.add(Flatten(name="flat", in_shape=(1, 8, 1, 1)), ["gap"])
    g.add(Dense(name="fc", in_shape=(1, 8), out_features=10), ["flat"])
    path = tmp_path / "tiny.json"
    g.save(path)
    return path


def test_sweep_default_table(capsys):
    assert main(["sweep", "--bits", "16,8,4,2", "--bw", "32,64,inf"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("resnet50, batch 1")
    body = lines[4:]
    assert len(body) == 12
    assert [line.split()[2] for line in body] == ["32", "64", "inf"] * 4
    assert err == ""  # the progress bar stays off when stderr is not a terminal


def test_sweep_csv_and_json(capsys):
    assert main(["sweep", "--workload", "resnet20", "--bits", "8,4", "--bw", "64,inf", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["bits"], r["bw"]) for r in rows] == [("8", "64"), ("8", "inf"), ("4", "64"), ("4", "inf")]
    assert set(REQUIRED) <= set(rows[0])
    assert main(["sweep", "--workload", "resnet20", "--bits", "16,4", "--bw", "inf", "--format", "json"]) == 0
    text = capsys.readouterr().out
    assert "Infinity" not in text
    data = json.loads(text)
    assert data[0]["speedup"] == 1.0 and data[1]["bw"] == "inf" and data[1]["first_last_bits"] == 8


def test_sweep_first_last_none_and_a_graph_file(tmp_path, capsys):
    path = _tiny(tmp_path)
    assert main(["sweep", "--workload", str(path), "--bits", "4", "--bw", "inf", "--first-last-bits", "none", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert (row["workload"], row["first_last_bits"]) == ("tiny", 4)


def test_sweep_plot(tmp_path, capsys):
    target = tmp_path / "fig" / "speedup.svg"
    assert main(["sweep", "--workload", "resnet20", "--bits", "16,4", "--bw", "64,inf", "--plot", str(target), "-q"]) == 0
    assert target.read_bytes().startswith(b"<?xml")
    capsys.readouterr()


def test_run_breakdown_and_totals(capsys):
    assert main(["run", "--bits", "4", "--bw", "64"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("14nm, 1.5 GHz, 16 cores x 16x32 4x4b configurable MACs (OS), 16 MB on chip, 64 GB/s")
    assert any(line.startswith("TOTAL") for line in out.splitlines())
    assert "conv1" in out and "seconds_per_image" in out
    assert main(["run", "--bits", "4", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["accelerator"]["cores"] == 16 and data["totals"]["weights_fit"] is True
    assert len(data["layers"]) == 73
    assert main(["run", "--workload", "resnet20", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["name"] == "conv1" and {"cycles", "array_utilization", "bound", "read_bytes"} <= set(rows[0])


def test_run_with_a_config_file(tmp_path, capsys):
    cfg = tmp_path / "acc.toml"
    cfg.write_text('cores = 2\nrows = 8\ncols = 8\nbw_gb_per_s = "inf"\nsram_bytes_per_core = 2_000_000\n')
    assert main(["run", "--workload", "resnet20", "--config", str(cfg), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["accelerator"]["cores"] == 2 and data["accelerator"]["bw_gb_per_s"] == "inf"
    assert data["totals"]["stall_cycles"] == 0


def test_fit(capsys):
    assert main(["fit", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["bits"] for r in rows] == [16, 8, 4, 2]
    assert [r["first_fit"] for r in rows] == [False, False, True, False]
    assert rows[2]["weights_mb"] == pytest.approx(13.78, abs=0.005)
    assert main(["fit"]) == 0
    assert "first fits in 16 MB at 4 bits" in capsys.readouterr().out


def _bad_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"schema_version": 1, "layers": [')
    return str(path)


def _tiny_memory(tmp_path):
    path = tmp_path / "small.json"
    path.write_text(json.dumps({"sram_bytes_per_core": 1000}))
    return str(path)


def _bad_config(tmp_path):
    path = tmp_path / "cfg.json"
    path.write_text("{cores: 4}")
    return str(path)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["sweep", "--bits", "0"], "bits='0'"),
        (["sweep", "--bits", "16,33"], "bits='33'"),
        (["sweep", "--bw", "-5"], "'-5'"),
        (["sweep", "--bw", "32,fast"], "'fast'"),
        (["sweep", "--workload", "resnet51"], "workload='resnet51'"),
        (["sweep", "--workload", "BROKEN"], "broken.json"),
        (["sweep", "--config", "BADCFG"], "cfg.json"),
        (["sweep", "--config", "SMALL", "--bits", "16", "--bw", "inf"], "sram_bytes_per_core=1000"),
        (["sweep", "--first-last-bits", "0"], "first_last_bits='0'"),
        (["sweep", "--plot", "out.jpg"], "out.jpg"),
        (["run", "--bits", "33"], "bits='33'"),
        (["run", "--bw", "-1"], "'-1'"),
        (["run", "--bw", "zero"], "'zero'"),
        (["run", "--config", "SMALL"], "sram_bytes_per_core=1000"),
        (["fit", "--bits", "0,4"], "bits='0'"),
        (["fit", "--workload", "BROKEN"], "broken.json"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, needle, tmp_path, capsys):
    subst = {"BROKEN": _bad_json, "SMALL": _tiny_memory, "BADCFG": _bad_config}
    argv = [subst[a](tmp_path) if a in subst else a for a in argv]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert needle in err
