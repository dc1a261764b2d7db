"""The pact-train command, in process: train/resume/export/compare, and one-line errors with exit 2."""

from __future__ import annotations

import json

import pytest

from accelsim.ir import LayerGraph
from pact_train.cli import main

TINY = ["--train-limit", "128", "--test-limit", "64", "--width", "4", "--batch-size", "32"]


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["train", "--bits", "7x", "--out", "r"], "bits='7x'"),
        (["train", "--bits", "33", "--out", "r"], "bits='33'"),
        (["train", "--lr", "-1", "--out", "r"], "lr=-1.0"),
        (["train", "--epochs", "-2", "--out", "r"], "epochs=-2"),
        (["train", "--alpha-init", "0", "--out", "r"], "alpha_init=0.0"),
        (["train", "--act-quant", "tanh", "--out", "r"], "--act-quant"),
        (["train", "--lr-steps", "5,x", "--out", "r"], "lr_steps='5,x'"),
        (["train", "--lr-steps", "5,2", "--out", "r"], "lr_steps=[5, 2]"),
        (["train"], "--out"),
        (["compare", "--bits", "2,none"], "bits='none'"),
        (["export", "no-such-run", "-o", "m.json"], "run_dir="),
        (["frobnicate"], "frobnicate"),
        (["train", "--init", "no-such-run", "--out", "r"], "init='no-such-run'"),
        (["train", "--calib", "mean", "--out", "r"], "--calib"),
        (["ptq", "no-such-run", "--bits", "2"], "init='no-such-run'"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, monkeypatch, capsys, argv, needle):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pact-train: error: ") and needle in lines[0]
    assert "Traceback" not in captured.err
    assert not (tmp_path / "r").exists()  # nothing written on bad input


def test_train_resume_export(tmp_path, capsys):
    pytest.importorskip("sklearn")
    run = tmp_path / "run"
    assert main(["-q", "train", *TINY, "--epochs", "1", "--bits", "3", "--alpha-init", "4", "--out", str(run)]) == 0
    assert main(["-q", "train", "--resume", str(run), "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "2 epochs" in out
    config = json.loads((run / "config.json").read_text())
    assert config["quant"]["bits"] == 3 and config["epochs"] == 2
    assert len((run / "log.csv").read_text().splitlines()) == 3
    assert main(["-q", "export", str(run), "-o", str(tmp_path / "model.json")]) == 0
    g = LayerGraph.load(tmp_path / "model.json")
    assert g.metadata["dataset"]["name"] == "digits" and g.metadata["epochs_trained"] == 2
    assert 0 <= g.metadata["test_accuracy"] <= 1
    assert g.metadata["alphas"].keys() == {"conv0", "conv1", "conv2"}
    assert g.precision("conv1").w_bits == 3 and g.precision("conv0").a_bits == 8
    assert g.layer("conv0").in_shape == (1, 1, 8, 8)
    # a second train into the same folder is refused
    assert main(["-q", "train", *TINY, "--epochs", "1", "--out", str(run)]) == 2
    assert "already holds a run" in capsys.readouterr().err


def test_compare_prints_a_table_one_row_per_network(tmp_path, capsys):
    pytest.importorskip("sklearn")
    code = main(
        ["-q", "compare", *TINY, "--epochs", "1", "--bits", "2,4", "--alpha-init", "3", "--out", str(tmp_path / "cmp")]
    )
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "| Network | FullPrec | DoReFa 2b | DoReFa 4b | PACT 2b | PACT 4b |"
    assert out[2].startswith("| small/digits | 0.")
    assert out[3].startswith("| iso-area speedup, 64 GB/s | 1.00x |")
    csv_path = tmp_path / "cmp" / "compare.csv"
    rows = csv_path.read_text().splitlines()
    assert rows[0] == "scheme,bits,test_acc,train_acc,seconds,sim_speedup" and len(rows) == 6
    speedups = {tuple(r.split(",")[:2]): float(r.split(",")[5]) for r in rows[1:]}
    assert speedups[("fp", "")] == 1.0
    # same network and bits -> same simulated speedup, whatever the activation scheme
    assert speedups[("dorefa", "2")] == speedups[("pact", "2")] > 1.0
    ckpt = tmp_path / "cmp" / "pact4" / "checkpoint.npz"
    assert ckpt.is_file()

    # a rerun reuses the finished runs: nothing retrained, the same table
    before = ckpt.stat().st_mtime_ns
    assert (
        main(
            [
                "-q",
                "compare",
                *TINY,
                "--epochs",
                "1",
                "--bits",
                "2,4",
                "--alpha-init",
                "3",
                "--out",
                str(tmp_path / "cmp"),
            ]
        )
        == 0
    )
    assert ckpt.stat().st_mtime_ns == before
    assert capsys.readouterr().out.splitlines()[:4] == out[:4]
    # ... but a different configuration in the same folder is refused, naming the run folder
    assert main(["-q", "compare", *TINY, "--epochs", "1", "--bits", "2,4", "--out", str(tmp_path / "cmp")]) == 2
    assert "holds a run of another configuration" in capsys.readouterr().err


def test_exported_model_runs_in_accelsim_sweep(tmp_path, capsys):
    pytest.importorskip("sklearn")
    from accelsim.cli.main import main as accelsim_main

    run = tmp_path / "run"
    assert main(["-q", "train", *TINY, "--epochs", "1", "--bits", "4", "--out", str(run)]) == 0
    assert main(["-q", "export", str(run), "-o", str(tmp_path / "model.json")]) == 0
    capsys.readouterr()
    code = accelsim_main(
        [
            "sweep",
            "--workload",
            str(tmp_path / "model.json"),
            "--bits",
            "16,4",
            "--bw",
            "64",
            "--no-store",
            "--jobs",
            "1",
            "--format",
            "json",
        ]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["bits"] for r in rows] == [16, 4]
    assert rows[0]["speedup"] == 1.0 and rows[1]["speedup"] > 1.0
