"""`accelsim sweep | run | fit`, called in-process through the main CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from _graphs import tiny_graph
from test_sweep import REQUIRED  # the result columns every sweep row carries

from accelsim.cli.main import main


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """`accelsim sweep` writes ./accelsim-sweep.db by default: keep it out of the checkout."""
    monkeypatch.chdir(tmp_path)


def _tiny(tmp_path):
    g = tiny_graph(hw=16, channels=8)
    path = tmp_path / "tiny.json"
    g.save(path)
    return path


def test_sweep_default_table(tmp_path, capsys):
    assert main(["sweep", "--bits", "16,8,4,2", "--bw", "32,64,inf"]) == 0  # default --jobs: a process pool
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("resnet50, batch 1")
    assert lines[1].startswith("base: 14nm")
    header, body = lines[3], lines[5:]
    assert len(body) == 12
    assert [line.split()[1] for line in body] == ["32", "64", "inf"] * 4
    assert header.split()[:6] == ["bits", "bw", "GB/s", "speedup", "peak", "x"] and "ms/img" in header
    assert "dyn uJ" in header and "area mm2" in header
    assert max(len(line) for line in lines) <= 100  # a 100-column terminal shows it unwrapped
    # the progress bar stays off when stderr is not a terminal; the store line says nothing was reused
    assert err == "accelsim: 12 design points: 0 from store accelsim-sweep.db, 12 simulated\n"
    assert (tmp_path / "accelsim-sweep.db").is_file()  # the default store, in the working directory
    assert main(["sweep", "--bits", "16,8,4,2", "--bw", "32,64,inf", "--jobs", "1"]) == 0  # all from the store
    out2, err2 = capsys.readouterr()
    assert out2 == out
    assert err2 == "accelsim: 12 design points: 12 from store accelsim-sweep.db, 0 simulated; --fresh recomputes them\n"
    assert main(["sweep", "--bits", "16,4", "--bw", "inf", "--jobs", "1", "--fresh"]) == 0
    assert capsys.readouterr().err == "accelsim: 2 design points: 0 from store accelsim-sweep.db, 2 simulated\n"
    assert main(["sweep", "--bits", "16,4", "--bw", "inf", "--jobs", "1", "--no-store"]) == 0
    assert capsys.readouterr().err == ""


def test_sweep_csv_and_json(capsys):
    assert (
        main(["sweep", "--workload", "resnet20", "--bits", "8,4", "--bw", "64,inf", "--format", "csv", "--jobs", "1"])
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["bits"], r["bw"]) for r in rows] == [("8", "64"), ("8", "inf"), ("4", "64"), ("4", "inf")]
    assert set(REQUIRED) <= set(rows[0])
    assert (
        main(["sweep", "--workload", "resnet20", "--bits", "16,4", "--bw", "inf", "--format", "json", "--jobs", "1"])
        == 0
    )
    text = capsys.readouterr().out
    assert "Infinity" not in text
    data = json.loads(text)
    assert data[0]["speedup"] == 1.0 and data[1]["bw"] == "inf" and data[1]["first_last_bits"] == 8


def test_sweep_first_last_none_and_a_graph_file(tmp_path, capsys):
    path = _tiny(tmp_path)
    assert (
        main(
            [
                "sweep",
                "--workload",
                str(path),
                "--bits",
                "4",
                "--bw",
                "inf",
                "--first-last-bits",
                "none",
                "--format",
                "json",
                "--jobs",
                "1",
            ]
        )
        == 0
    )
    row = json.loads(capsys.readouterr().out)[0]
    assert (row["workload"], row["first_last_bits"]) == ("tiny", 4)


def test_sweep_plot(tmp_path, capsys):
    target = tmp_path / "fig" / "speedup.svg"
    assert (
        main(
            [
                "sweep",
                "--workload",
                "resnet20",
                "--bits",
                "16,4",
                "--bw",
                "64,inf",
                "--plot",
                str(target),
                "-q",
                "--jobs",
                "1",
            ]
        )
        == 0
    )
    assert target.read_bytes().startswith(b"<?xml")
    capsys.readouterr()


def test_run_breakdown_and_totals(capsys):
    assert main(["run", "--bits", "4", "--bw", "64"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "resnet50, batch 1, 4-bit body"
    assert lines[1] == "14nm, 1.5 GHz, 16 cores x 16x32 4x4b configurable MACs (OS), 16 MB on chip, 64 GB/s"
    assert any(line.startswith("TOTAL") for line in lines) and "conv1" in out
    assert max(len(line) for line in lines) <= 100
    summary = {line.split()[0]: line for line in lines[-7:]}  # partial residency (issue 10): a weights line
    assert set(summary) == {"time", "bound", "weights", "on", "off-chip", "energy", "area"}
    assert "MB pinned (loaded once)" in summary["weights"] and "MB stream from off-chip" in summary["weights"]
    assert "on-chip network" in summary["on"] and "NoC" in summary["energy"]
    assert "ms/image steady state" in summary["time"] and "dynamic (no leakage term)" in summary["energy"]
    assert main(["run", "--bits", "4", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (
        data["accelerator"]["cores"] == 16 and data["totals"]["weights_fit"] is False
    )  # 16 x 1 MB per core: not every replicated slice fits (issue 10)
    assert len(data["layers"]) == 73
    assert main(["run", "--workload", "resnet20", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["name"] == "conv1" and {"cycles", "array_utilization", "bound", "read_bytes"} <= set(rows[0])


def test_run_with_a_config_file(tmp_path, capsys):
    cfg = tmp_path / "acc.toml"
    cfg.write_text('cores = 2\narray = "8x8"\nbw = "inf"\nsram = "4MB"\n')
    assert main(["run", "--workload", "resnet20", "--config", str(cfg), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (
        data["accelerator"]["cores"] == 2
        and data["accelerator"]["bw"] == "inf"
        and data["accelerator"]["sram"] == "4MB"
    )
    assert data["totals"]["stall_cycles"] == 0


def test_fit(capsys):
    """`accelsim fit` runs the per-core memory plan on each precision's iso-area design (issue 10):
    at 4 bits 16 cores x 1 MB hold most but not all of ResNet-50's replicated weight slices, so no
    precision fits entirely; the columns say how much is pinned and streamed."""
    assert main(["fit", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["bits"] for r in rows] == [16, 8, 4, 2]
    assert [r["first_fit"] for r in rows] == [False, False, False, False]
    assert rows[2]["weights_mb"] == pytest.approx(13.78, abs=0.005)
    assert rows[2]["capacity_per_core_mb"] == 1.0 and rows[0]["capacity_per_core_mb"] == 4.0
    for r in rows:
        assert r["pinned_mb"] + r["streamed_mb"] == pytest.approx(r["weights_mb"], rel=1e-12)
        assert 0 < r["pinned_per_core_mb"] <= r["capacity_per_core_mb"]
        assert r["peak_live_per_core_mb"] <= r["capacity_per_core_mb"] or r["spilled"]
    assert rows[2]["streamed_mb"] < rows[0]["streamed_mb"] / 10
    assert main(["fit"]) == 0
    out = capsys.readouterr().out
    assert "everything (all weights pinned, all activations on chip) fits in 16MB at none of these bit-widths" in out
    assert max(len(line) for line in out.splitlines()) <= 100
    fits = {line.split()[0]: line for line in out.splitlines() if line[:4].strip().isdigit()}
    at = next(line for line in out.splitlines() if line.startswith("bits")).index("fits")
    assert all(fits[b][at:].split()[0] == "no" for b in ("16", "8", "4", "2")) and "yes, first" not in out


def _bad_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"schema_version": 1, "layers": [')
    return str(path)


def _tiny_memory(tmp_path):
    path = tmp_path / "small.json"
    path.write_text(json.dumps({"sram": "4KB"}))  # 1000 bytes per core
    return str(path)


def _old_keys(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text("sram_bytes_per_core = 1000\n")
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
        (["sweep", "--config", "SMALL", "--bits", "16", "--bw", "inf"], "sram='4KB': gives 1000 bytes per core"),
        (["sweep", "--first-last-bits", "0"], "first_last_bits='0'"),
        (["sweep", "--plot", "out.jpg"], "out.jpg"),
        (["run", "--bits", "33"], "bits='33'"),
        (["run", "--bw", "-1"], "'-1'"),
        (["run", "--bw", "zero"], "'zero'"),
        (["run", "--config", "SMALL"], "sram='4KB': gives 1000 bytes per core"),
        (["run", "--config", "OLDKEYS"], 'sram_bytes_per_core=1000: is no longer a config key: write sram = "16MB"'),
        (["fit", "--bits", "0,4"], "bits='0'"),
        (["fit", "--workload", "BROKEN"], "broken.json"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, needle, tmp_path, capsys):
    subst = {"BROKEN": _bad_json, "SMALL": _tiny_memory, "BADCFG": _bad_config, "OLDKEYS": _old_keys}
    argv = [subst[a](tmp_path) if a in subst else a for a in argv]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert needle in err


# --- sweeps over any axes, the store, results and pareto --------------------------------------------
SMALL = ["--workload", "resnet20", "--jobs", "1", "-q"]


def _csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_sweep_over_every_axis_flag(tmp_path, capsys):
    graph = _tiny(tmp_path)
    argv = [
        "sweep",
        "--workload",
        f"resnet20,{graph}",
        "--bits",
        "8,4",
        "--bw",
        "inf",
        "--sram",
        "8MB,16MB",
        "--cores",
        "2,4",
        "--array",
        "16x32,32x32",
        "--mode",
        "configurable,dedicated",
        "--jobs",
        "1",
        "--format",
        "csv",
        "--no-store",
    ]
    assert main(argv) == 0
    rows = _csv(capsys.readouterr().out)
    assert len(rows) == 2 * 2 * 2 * 2 * 2 * 2
    assert [r["workload"] for r in rows[:: len(rows) // 2]] == ["resnet20", "tiny"]
    first = [(r["bits"], r["sram_bytes"], r["cores"], r["array"], r["mode"]) for r in rows[:4]]
    assert first == [
        ("8", "8000000", "2", "16x32", "configurable"),
        ("8", "8000000", "2", "16x32", "dedicated"),
        ("8", "8000000", "2", "32x32", "configurable"),
        ("8", "8000000", "2", "32x32", "dedicated"),
    ]
    assert {"energy_per_image_uj", "mac_energy_per_image_uj", "area_mm2", "key"} <= set(rows[0])
    assert not (tmp_path / "accelsim-sweep.db").exists()  # --no-store writes nothing


def test_sweep_table_shows_the_swept_axes(capsys):
    assert main(["sweep", *SMALL, "--bits", "4", "--bw", "inf", "--sram", "8MB,16MB", "--batch", "1,2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("resnet20, batch 1,2:") and lines[1].startswith("base: ")
    assert lines[3].split()[:4] == ["sram", "MB", "batch", "bits"]
    assert [line.split()[:2] for line in lines[5:]] == [["8.00", "1"], ["8.00", "2"], ["16.0", "1"], ["16.0", "2"]]


def test_sweep_spec_file_and_flags_override_it(tmp_path, capsys):
    spec = tmp_path / "grid.toml"
    spec.write_text('[axes]\ncores = [2, 4]\nbits = [16, 4]\nbw = ["inf"]\n')
    assert main(["sweep", *SMALL, "--spec", str(spec), "--format", "csv"]) == 0
    rows = _csv(capsys.readouterr().out)
    assert [(r["cores"], r["bits"]) for r in rows] == [("2", "16"), ("2", "4"), ("4", "16"), ("4", "4")]  # file order
    assert main(["sweep", *SMALL, "--spec", str(spec), "--bits", "8", "--format", "csv"]) == 0
    assert [(r["cores"], r["bits"]) for r in _csv(capsys.readouterr().out)] == [("2", "8"), ("4", "8")]


def test_rerun_reuses_the_store_and_results_reads_it_back(tmp_path, capsys):
    db = tmp_path / "s.db"
    argv = [
        "sweep",
        *SMALL,
        "--bits",
        "16,4",
        "--bw",
        "64,inf",
        "--sram",
        "4MB,16MB",
        "--store",
        str(db),
        "--format",
        "json",
    ]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    with_more = argv[:-2] + ["--format", "json", "--cores", "2,4"]
    assert main(with_more) == 0
    capsys.readouterr()
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert main(["results", str(db), "--format", "json"]) == 0
    stored = json.loads(capsys.readouterr().out)
    assert len(stored) == 8 + 8  # the second grid added the 2-core points
    mine = {r["key"]: r for r in stored}
    for row in first:
        back = mine[row["key"]]
        assert back["seconds_per_image"] == row["seconds_per_image"] and back["speedup"] == row["speedup"]
        assert back["energy_per_image_uj"] == row["energy_per_image_uj"] and back["status"] == "ok"
    assert main(["results", str(db), "--format", "csv"]) == 0
    assert len(_csv(capsys.readouterr().out)) == 16
    assert main(["results", str(db)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:6] == ["sram", "MB", "cores", "bits", "bw", "GB/s"] and len(table) == 2 + 16
    assert main(["results", str(db), "--cores", "2", "--sram", "4MB", "--format", "json"]) == 0  # axis filters
    assert {(r["cores"], r["sram_bytes"]) for r in json.loads(capsys.readouterr().out)} == {(2, 4_000_000)}


def test_results_hide_points_of_another_model_unless_asked(tmp_path, capsys):
    import sqlite3
    from contextlib import closing

    db = tmp_path / "s.db"
    assert main(["sweep", *SMALL, "--bits", "16,4", "--bw", "inf", "--store", str(db)]) == 0
    capsys.readouterr()
    with closing(sqlite3.connect(db)) as conn, conn:
        # as an older release left it: its own salt, so its own keys
        conn.execute("UPDATE sweeps SET salt = 'accelsim 0.0.1; model old; tech old'")
        conn.execute("UPDATE points SET key = 'old-' || hex(key)")
    assert main(["results", str(db), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == [] and "2 stored points" in err and "--stale" in err
    assert main(["results", str(db), "--stale", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in rows] == ["stale", "stale"] and rows[1]["speedup"] > 1
    assert main(["sweep", *SMALL, "--bits", "16,4", "--bw", "inf", "--store", str(db)]) == 0  # recomputed, not reused
    capsys.readouterr()
    assert main(["results", str(db), "--stale"]) == 0
    table = capsys.readouterr().out
    assert table.count("stale") == 2 and table.count("current") == 2


def test_pareto_front_and_plot(tmp_path, capsys):
    db = tmp_path / "s.db"
    assert (
        main(
            [
                "sweep",
                *SMALL,
                "--bits",
                "16,8,4",
                "--bw",
                "64",
                "--sram",
                "2MB,16MB",
                "--cores",
                "2,4",
                "--store",
                str(db),
            ]
        )
        == 0
    )
    capsys.readouterr()
    plot = tmp_path / "front.png"
    assert main(["pareto", str(db), "--plot", str(plot), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    front = json.loads(out)
    assert 1 <= len(front) < 12 and "Pareto-optimal" in err
    assert plot.read_bytes().startswith(b"\x89PNG")
    objectives = ("seconds_per_image", "area_mm2", "energy_per_image_uj")
    assert main(["results", str(db), "--format", "json"]) == 0
    every = json.loads(capsys.readouterr().out)
    for f in front:  # nothing in the store dominates a front point
        assert not any(all(o[k] <= f[k] for k in objectives) and any(o[k] < f[k] for k in objectives) for o in every)
    assert main(["pareto", str(db), "--objectives", "seconds_per_image,energy_per_image_uj"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["sram", "MB", "cores", "bits"]  # every varying axis is shown
    assert "ms/img" in lines[0] and "dyn uJ" in lines[0]


def test_pareto_keeps_one_front_per_workload(tmp_path, capsys):
    """A cheaper network must not hide the other's front (issue 14: six 'optimal' points, all resnet18)."""
    db = tmp_path / "s.db"
    argv = [
        "sweep",
        "--workload",
        "resnet20,resnet18",
        "--jobs",
        "1",
        "-q",
        "--bits",
        "16,4",
        "--bw",
        "64",
        "--store",
        str(db),
    ]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["pareto", str(db), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert {r["workload"] for r in json.loads(out)} == {"resnet20", "resnet18"}
    assert "resnet20:" in err and "resnet18:" in err
    assert main(["pareto", str(db), "--workload", "resnet18", "--format", "json"]) == 0
    assert {r["workload"] for r in json.loads(capsys.readouterr().out)} == {"resnet18"}
    assert main(["pareto", str(db), "--workload", "resnet50"]) == 2  # nothing matches: one line, exit 2
    assert "match the filters" in capsys.readouterr().err


def test_run_reports_energy_and_area(capsys):
    assert main(["run", "--workload", "resnet20", "--bits", "4", "--memory", "hbm2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    t = data["totals"]
    assert t["memory"] == "hbm2" and t["energy_per_image_uj"] > 0
    assert t["offchip_energy_per_image_uj"] == pytest.approx(
        t["offchip_mb_per_image"] * 8 * 3.9, rel=1e-12
    )  # MB x 8 x pJ/bit
    assert t["area_mm2"] == t["compute_area_mm2"] + t["sram_area_mm2"]
    assert {"mac_energy_uj", "sram_energy_uj", "offchip_energy_uj"} <= set(data["layers"][0])
    assert main(["run", "--workload", "resnet20", "--bits", "4"]) == 0
    out = capsys.readouterr().out
    assert "uJ/image dynamic (no leakage term)" in out and "(lpddr4)" in out
    assert main(["run", "--workload", "resnet20", "--bits", "4", "--columns", "name,mac_energy_uj"]) == 0
    assert capsys.readouterr().out.splitlines()[3].split() == ["layer", "MAC", "uJ"]


def test_dask_flag_uses_the_scheduler(capsys):
    distributed = pytest.importorskip("distributed")
    argv = ["sweep", "--workload", "resnet20", "--bits", "16,4", "--bw", "inf", "-q", "--no-store", "--format", "json"]
    assert main([*argv, "--jobs", "1"]) == 0
    local = capsys.readouterr().out
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        assert main([*argv, "--dask", cluster.scheduler_address]) == 0
        assert capsys.readouterr().out == local
        assert main([*argv, "--scheduler", cluster.scheduler_address]) == 0  # the same flag, its other name
    assert capsys.readouterr().out == local


def test_some_points_fail_others_print(capsys):
    argv = [
        "sweep",
        *SMALL,
        "--bits",
        "8,4",
        "--bw",
        "inf",
        "--sram",
        "20KB,16MB",
        "--mode",
        "dedicated",
        "--format",
        "csv",
        "--no-store",
    ]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    rows = _csv(out)
    assert [(r["bits"], r["sram_bytes"]) for r in rows] == [("8", "16000000"), ("4", "20000"), ("4", "16000000")]
    assert rows[1]["speedup"] == ""  # its 16-bit reference failed
    assert len(err.splitlines()) == 1 and err.startswith("accelsim: warning: 2 design points failed")
    assert "sram=20KB" in err and "sram='20KB': gives 5000 bytes per core" in err


def test_help_names_the_default_store(capsys):
    assert main(["sweep", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "./accelsim-sweep.db" in text and "--no-store" in text and "--jobs" in text and "core count" in text


def _not_a_store(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("not sqlite " * 100)
    return str(path)


def _spec_bad_axis(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[axes]\ncolour = ['red']\n")
    return str(path)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["sweep", "--sram", "8XB"], "sram='8XB'"),
        (["sweep", "--sram", "8MB,8MB"], "appears twice"),
        (["sweep", "--cores", "0"], "cores='0'"),
        (["sweep", "--array", "16by32"], "array='16by32'"),
        (["sweep", "--mode", "fast"], "mode='fast'"),
        (["sweep", "--batch", "0"], "batch='0'"),
        (["sweep", "--workload", "resnet20,resnet51"], "workload='resnet51'"),
        (["sweep", "--spec", "missing.toml"], "missing.toml"),
        (["sweep", "--spec", "BADSPEC"], "colour"),
        (["sweep", "--jobs", "0"], "jobs='0'"),
        (["sweep", "--jobs", "two"], "jobs='two'"),
        (["sweep", "--memory", "sdram"], "memory='sdram'"),
        (["sweep", "--store", "NOTASTORE", "--workload", "resnet20", "--bits", "4", "--bw", "inf"], "notes.db"),
        (["sweep", "--store", "no/such/dir/s.db", "--workload", "resnet20", "--bits", "4", "--bw", "inf"], "store="),
        (["sweep", "--sram", "8MB,16MB", "--plot", "x.png"], "plot='x.png'"),
        (
            ["sweep", "--workload", "resnet20", "--bits", "4", "--bw", "inf", "--sram", "1KB", "--jobs", "1"],
            "sram='1KB'",
        ),
        (["sweep", "--dask", "foo:bar", "--workload", "resnet20", "--bits", "4", "--bw", "inf"], "dask='foo:bar'"),
        (["run", "--memory", "sdram"], "memory='sdram'"),
        (["results", "missing.db"], "missing.db"),
        (["results", "NOTASTORE"], "notes.db"),
        (["results", "missing.db", "--format", "xml"], "xml"),
        (["pareto", "missing.db"], "missing.db"),
        (["pareto", "STORE", "--objectives", "seconds_per_image,colour"], "colour"),
        (["pareto", "STORE", "--objectives", ""], "objectives"),
        (["pareto", "STORE", "--plot", "front.jpg"], "front.jpg"),
        (["pareto", "STORE", "--objectives", "area_mm2", "--plot", "front.png"], "two objectives"),
    ],
)
def test_bad_sweep_store_and_pareto_input(argv, needle, tmp_path, capsys):
    def store(_tmp):
        db = tmp_path / "ok.db"
        if not db.exists():
            assert main(["sweep", *SMALL, "--bits", "16,4", "--bw", "inf", "--store", str(db)]) == 0
            capsys.readouterr()
        return str(db)

    subst = {"NOTASTORE": _not_a_store, "BADSPEC": _spec_bad_axis, "STORE": store}
    argv = [subst[a](tmp_path) if a in subst else a for a in argv]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert needle in err
    if argv[0] != "sweep" or "1KB" not in argv:  # nothing half-written (a failed grid stores its error rows)
        assert sorted(p.name for p in tmp_path.iterdir()) == before
