"""Mid-epoch checkpoints (``--checkpoint-every N`` steps): a run stopped or killed after one and
resumed ends with the same weights, buffers, optimizer state and log as an uninterrupted run, bit
for bit (every log value but the wall-clock ``seconds``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_pact_train import synthetic

from pact_train.cli import main
from pact_train.models import QuantConfig, build_model
from pact_train.train import CHECKPOINT, LOG, TrainConfig, load_checkpoint, make_optimizer, read_log, train

ROOT = Path(__file__).resolve().parents[1]
# 96 images in batches of 8: 12 steps an epoch, 36 in three epochs
CONFIG = TrainConfig(model="small", width=4, epochs=3, batch_size=8, lr=0.05, quant=QuantConfig(bits=2, alpha_init=2.0))


class Stop(Exception):
    """Raised from the progress callback: the run stops between two steps, as a kill would."""


def state_of(run: Path, config: TrainConfig, classes: int = 2) -> tuple[dict[str, np.ndarray], dict, list]:
    """Every array the run's checkpoint holds for the model and optimizer (8x8 grey images), its
    info, and its log rows."""
    model = build_model(config.model, (8, 8, 1), classes, config.quant, config.seed, width=config.width)
    opt = make_optimizer(config, model)
    info = load_checkpoint(run / CHECKPOINT, model, opt)
    arrays = {f"param:{n}": p.data for n, p in model.named_params()}
    arrays |= {f"buffer:{n}": b for n, b in model.named_buffers()}
    arrays |= {f"optim:{k}": v for k, v in opt.state_arrays().items()}
    return arrays, info, info["log"]


def assert_same_run(a: Path, b: Path, config: TrainConfig, classes: int = 2) -> None:
    arrays_a, info_a, log_a = state_of(a, config, classes)
    arrays_b, info_b, log_b = state_of(b, config, classes)
    assert arrays_a.keys() == arrays_b.keys()
    for key in arrays_a:
        np.testing.assert_array_equal(arrays_a[key], arrays_b[key], err_msg=key)
    assert info_a["epoch"] == info_b["epoch"] == config.epochs and info_a["test_acc"] == info_b["test_acc"]

    def timeless(rows: list) -> list:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]

    assert timeless(log_a) == timeless(log_b) and len(log_a) == config.epochs  # exact floats (JSON repr)
    assert timeless(read_log(a / LOG)) == timeless(read_log(b / LOG))  # and log.csv says the same


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_resume_from_a_mid_epoch_checkpoint_is_bit_identical(tmp_path, optimizer):
    data = synthetic()
    config = replace(CONFIG, optimizer=optimizer, lr=0.05 if optimizer == "sgd" else 0.01)
    train(config, tmp_path / "full", data=data, checkpoint_every=5)
    steps = 0

    def stop_at_17(images: int, loss: float) -> None:
        nonlocal steps
        steps += 1
        if steps == 17:  # epoch 2, step 5 of 12: the last checkpoint is global step 15 (epoch 2, step 3)
            raise Stop

    with pytest.raises(Stop):
        train(config, tmp_path / "split", data=data, checkpoint_every=5, on_batch=stop_at_17)
    _, info, log = state_of(tmp_path / "split", config)
    assert info["epoch"] == 1 and info["progress"].step == 3 and len(log) == 1  # mid-epoch, one row logged
    assert info["progress"].correct > 0 and info["progress"].loss_sum > 0
    # resume with another checkpoint spacing: where checkpoints fall does not change the result
    train(config, tmp_path / "split", resume=True, data=data, checkpoint_every=7)
    assert_same_run(tmp_path / "full", tmp_path / "split", config)


def test_checkpoint_every_zero_checkpoints_at_epoch_ends_only(tmp_path):
    seen = []

    def stop_at_17(images: int, loss: float) -> None:
        seen.append(images)
        if len(seen) == 17:
            raise Stop

    with pytest.raises(Stop):
        train(CONFIG, tmp_path / "run", data=synthetic(), checkpoint_every=0, on_batch=stop_at_17)
    _, info, _ = state_of(tmp_path / "run", CONFIG)
    assert info["epoch"] == 1 and info["progress"].step == 0
    with pytest.raises(Exception, match="checkpoint_every"):
        train(CONFIG, data=synthetic(), checkpoint_every=-1)


def test_cli_flag_is_checked_and_allowed_on_resume(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse: one line, exit 2
        main(["train", "--dataset", "digits", "--checkpoint-every", "-3", "--out", str(tmp_path / "r")])
    assert exc.value.code == 2 and "--checkpoint-every: '-3'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    args = [
        "-q",
        "train",
        "--dataset",
        "digits",
        "--train-limit",
        "64",
        "--test-limit",
        "32",
        "--width",
        "4",
        "--batch-size",
        "16",
        "--epochs",
        "1",
        "--checkpoint-every",
        "3",
        "--out",
        str(tmp_path / "r"),
    ]
    assert main(args) == 0
    assert main(["-q", "train", "--resume", str(tmp_path / "r"), "--epochs", "2", "--checkpoint-every", "2"]) == 0
    assert len(read_log(tmp_path / "r" / LOG)) == 2


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(tmp_path):
    """A real kill: the run is SIGKILLed once a mid-epoch checkpoint of its second epoch is on disk."""
    common = [
        "--dataset",
        "digits",
        "--train-limit",
        "480",
        "--test-limit",
        "64",
        "--width",
        "8",
        "--batch-size",
        "16",
        "--seed",
        "3",
    ]  # 30 steps an epoch
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "pact_train.cli", "-q", "--threads", "1"]
    full = subprocess.run(
        [*cmd, "train", *common, "--epochs", "3", "--checkpoint-every", "0", "--out", str(tmp_path / "full")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert full.returncode == 0, full.stderr
    # the killed run would train 100 epochs: it cannot finish before it is killed
    proc = subprocess.Popen(
        [*cmd, "train", *common, "--epochs", "100", "--checkpoint-every", "4", "--out", str(tmp_path / "killed")],
        env=env,
    )
    ckpt, deadline = tmp_path / "killed" / CHECKPOINT, time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            if ckpt.is_file():
                with np.load(ckpt, allow_pickle=False) as z:
                    epoch, step = int(z["epoch"]), int(z["step"])
                if epoch >= 1 and step > 0:
                    break
            time.sleep(0.01)
        else:
            pytest.fail("no mid-epoch checkpoint in the second epoch within 300 s")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    resumed = subprocess.run(
        [*cmd, "train", "--resume", str(tmp_path / "killed"), "--epochs", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr
    config = TrainConfig.from_dict(json.loads((tmp_path / "full" / "config.json").read_text()))
    assert_same_run(tmp_path / "full", tmp_path / "killed", replace(config, epochs=3), classes=10)
