"""CLI outputs and flags (issue 15, classes 2, 3, 9): output paths checked before a sweep runs,
unwritable or closed stdout, oversized grids and contradictory flags are each one line, exit 2."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from accelsim.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--workload", "resnet20", "--bits", "16,4", "--bw", "inf", "-q"]


def run_cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = main(list(argv))
    return code, err.getvalue()


def test_a_bad_plot_path_is_refused_before_the_sweep_runs(tmp_path, monkeypatch) -> None:
    (tmp_path / "file").write_text("keep")
    (tmp_path / "dir.png").mkdir()
    monkeypatch.setattr("accelsim.explore.pool.stream_grid", lambda *a, **k: pytest.fail("the sweep ran"))
    for plot, needle in ((tmp_path / "file" / "x.png", "not a directory"), (tmp_path / "dir.png", "is a directory")):
        code, err = run_cli("sweep", *SMALL, "--no-store", "--plot", str(plot))
        assert code == 2 and err.count("\n") == 1 and "plot=" in err and needle in err, err
    assert (tmp_path / "file").read_text() == "keep"


def test_store_and_no_store_together_are_refused(tmp_path) -> None:
    code, err = run_cli("sweep", *SMALL, "--no-store", "--store", str(tmp_path / "s.db"))
    assert code == 2 and "cannot be combined with --no-store" in err
    assert not (tmp_path / "s.db").exists()


def test_a_grid_over_the_maximum_is_refused_at_once_and_max_points_raises_it() -> None:
    cores = ",".join(str(c) for c in range(1, 2001))
    batch = ",".join(str(b) for b in range(1, 1251))
    start = time.monotonic()
    code, err = run_cli(
        "sweep", "--no-store", "-q", "--bits", ",".join(map(str, range(1, 33))), "--cores", cores, "--batch", batch
    )
    assert (
        time.monotonic() - start < 20
    )  # 240 million points (with the 3 default bandwidths): refused before any expansion
    assert code == 2 and "240,000,000 points" in err and "--max-points" in err, err
    code, err = run_cli("sweep", *SMALL, "--no-store", "--max-points", "1")
    assert code == 2 and "2 points" in err
    code, err = run_cli("sweep", *SMALL, "--no-store", "--max-points", "0")
    assert code == 2 and "max_points='0'" in err


def _accelsim(*args: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "accelsim", *args], env=env, capture_output=False, timeout=120, check=False, **kw
    )


def test_stdout_on_dev_full_or_closed_is_one_line_exit_2(tmp_path) -> None:
    err = tmp_path / "err"
    with open("/dev/full", "w") as full, err.open("w") as e:
        code = _accelsim("workloads", stdout=full, stderr=e).returncode
    assert code == 2 and err.read_text() == "accelsim: error: cannot write standard output (No space left on device)\n"
    with err.open("w") as e:
        code = _accelsim("workloads", stdout=subprocess.DEVNULL, stderr=e).returncode
    assert code == 0
    code = subprocess.run(
        f"{sys.executable} -m accelsim workloads >&- 2>{err}",
        shell=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).returncode
    assert code == 2 and err.read_text() == "accelsim: error: standard output is closed\n"


def test_import_and_export_topology_check_the_output_before_work(tmp_path, monkeypatch, capsys) -> None:
    """A directory as -o / OUT is refused before the model is read (issue 15: validate outputs first)."""
    from accelsim.cli.main import main

    monkeypatch.setattr("accelsim.io.inputs.load_workload", lambda *a, **k: pytest.fail("the workload was read"))
    assert main(["export-topology", "resnet20", str(tmp_path)]) == 2
    assert "out=" in capsys.readouterr().err
    model = tmp_path / "t.csv"
    model.write_text("Layer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides,\n")
    monkeypatch.setattr("accelsim.io.scalesim.read_topology", lambda *a, **k: pytest.fail("the model was read"))
    assert main(["import", str(model), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "output=" in err and err.count("\n") == 1
