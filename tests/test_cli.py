"""The `accelsim` CLI framework and the foundation commands, called in-process."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from _graphs import tiny_graph

from accelsim.cli.main import main


def _tiny_file(tmp_path):
    g = tiny_graph(hw=8, channels=4)
    path = tmp_path / "tiny.json"
    g.save(path)
    return path, g


def test_workloads_lists_the_zoo_as_json(capsys) -> None:
    assert main(["workloads", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_name = {r["workload"]: r for r in rows}
    assert {"resnet50", "resnet18", "alexnet", "resnet20", "svhn", "vgg16", "mobilenet_v2", "bert_base"} <= set(by_name)
    r50 = by_name["resnet50"]
    assert r50["gmacs"] == pytest.approx(4.089184256)
    # 25,502,912 conv+fc weights at 4 bits = 12.751456 MB
    assert r50["weights_mb_4b"] == pytest.approx(25_502_912 * 4 / 8 / 1e6)


def test_layers_of_a_file_as_csv(tmp_path, capsys) -> None:
    path, g = _tiny_file(tmp_path)
    assert main(["layers", str(path), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in rows] == g.names()
    assert int(rows[0]["macs"]) == 64 * 4 * 27
    assert (rows[0]["gemm_m"], rows[0]["gemm_n"], rows[0]["gemm_k"]) == ("64", "4", "27")


def test_layers_table_has_a_total_row(capsys) -> None:
    assert main(["layers", "resnet50"]) == 0
    out = capsys.readouterr().out
    total = out.splitlines()[-1].split()
    assert total[0] == "TOTAL" and "4,089" in total and "25,502,912" in total  # MMACs (header says so), weights
    assert "MMACs" in out.splitlines()[0] and max(len(line) for line in out.splitlines()) <= 100


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["layers", "resnet51"], "workload='resnet51'"),
        (["layers", "missing.json"], "workload='missing.json'"),
        (["workloads", "--batch", "0"], "batch=0"),
        (["workloads", "--format", "xml"], "invalid choice: 'xml'"),
        (["layers", "resnet50", "--batch", "two"], "invalid int value: 'two'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, needle, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_malformed_json_file_names_the_field(tmp_path, capsys) -> None:
    path, g = _tiny_file(tmp_path)
    data = json.loads(path.read_text())
    data["layers"][0]["kernel"] = [3, -1]
    path.write_text(json.dumps(data))
    assert main(["layers", str(path)]) == 2
    err = capsys.readouterr().err
    assert "layers[0].conv1.kernel=(3, -1)" in err
    assert len(err.strip().splitlines()) == 1


def test_console_script_runs_as_a_module() -> None:
    done = subprocess.run([sys.executable, "-m", "accelsim", "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert done.stdout.startswith("accelsim ")
