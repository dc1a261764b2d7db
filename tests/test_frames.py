"""rows_to_frame (pandas for notebooks) and the docs/examples scripts, executed as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _graphs import tiny_graph

from accelsim import Accelerator, fit_report, iso_area, simulate, sweep, uniform_policy
from accelsim.errors import InputError
from accelsim.report.frames import row_dicts, rows_to_frame

ROOT = Path(__file__).resolve().parents[1]
pd = pytest.importorskip("pandas")
#: What each example's docstring says it shows, checked in its output.
PROMISES = {"notebook_quickstart.py": ("6 design points", "slowest layers at 4 bits", "time share by bound: compute")}


def test_sweep_rows_become_one_row_each_with_every_field() -> None:
    rows = sweep(tiny_graph(), bits=[16, 4], bw=[32, "inf"])
    frame = rows_to_frame(rows)
    assert len(frame) == 4
    assert list(frame.columns) == list(rows[0].as_dict())  # every field, in declaration order
    assert frame["speedup"].tolist() == [r.speedup for r in rows]
    assert frame.loc[frame.bits == 16, "speedup"].tolist() == [1.0, 1.0]


def test_a_sim_result_gives_its_layers_and_tuples_become_lists() -> None:
    graph = tiny_graph().with_policy(uniform_policy(8))
    result = simulate(graph, iso_area(Accelerator(), 8))
    frame = rows_to_frame(result)
    assert frame["name"].tolist() == [layer.name for layer in result.layers]
    assert frame["cycles"].sum() == pytest.approx(sum(layer.cycles for layer in result.layers))
    assert all(isinstance(split, list) and len(split) == 3 for split in frame["split"])


def test_fit_rows_and_plain_dicts() -> None:
    rows, _ = fit_report(tiny_graph(), Accelerator(), bits=[16, 2])
    assert rows_to_frame(rows)["bits"].tolist() == [16, 2]
    mixed = rows_to_frame([{"a": 1}, {"a": 2, "b": 3}])  # columns are the union, first-seen order
    assert list(mixed.columns) == ["a", "b"] and pd.isna(mixed.loc[0, "b"])


def test_bad_rows_name_the_row() -> None:
    with pytest.raises(InputError, match=r"rows\[1\]=.*as_dict"):
        row_dicts([{"a": 1}, 3])
    with pytest.raises(InputError, match="rows="):
        rows_to_frame("resnet50")


def test_without_pandas_the_error_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` raise ImportError
    with pytest.raises(InputError, match=r"pandas=.*not installed.*pip install 'accelsim\[pandas\]'"):
        rows_to_frame([{"a": 1}])


@pytest.mark.parametrize("script", sorted((ROOT / "docs" / "examples").glob("*.py")), ids=lambda p: p.name)
def test_docs_examples_run_and_print_what_they_promise(script: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "an example should print what it shows"
    for promise in PROMISES.get(script.name, ()):
        assert promise in done.stdout, (promise, done.stdout)
    assert not list(tmp_path.iterdir()), "examples must not leave files in the working directory"
