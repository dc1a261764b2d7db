"""The training loop: config, seeded mini-batch SGD/Adam, evaluation, run directory, checkpoints.

A run directory holds ``config.json`` (the `TrainConfig`), ``log.csv`` (one row per epoch: lr,
train/test loss and accuracy, seconds, and every activation's clipping level alpha) and
``checkpoint.npz`` (`pact_train.checkpoint`: parameters, BatchNorm/activation buffers, optimizer
state, epoch, the log rows and, mid-epoch, the step reached and the epoch's running sums; written atomically after every
epoch and every `checkpoint_every` steps, loaded with ``allow_pickle=False``). Everything random
comes from ``np.random.default_rng``: the weights from `seed`, epoch e's shuffle from ``(seed, e)``,
so a run resumed from any checkpoint, mid-epoch included, continues bit-identically to an
uninterrupted one (every logged value but the wall-clock ``seconds``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.atomic import atomic_write
from accelsim.errors import InputError
from pact_train import ops
from pact_train.calibrate import CALIB_METHODS, DEFAULT_PERCENTILE, init_from_float
from pact_train.checkpoint import EpochProgress, load_checkpoint, read_npz, save_checkpoint, scalar
from pact_train.data import Dataset, batches, load_dataset
from pact_train.models import MODELS, Net, QuantConfig, build_model
from pact_train.optim import OPTIMIZERS, Optimizer, step_lr
from pact_train.policy import apply_layer_bits
from pact_train.run_log import read_log, write_log

CHECKPOINT = "checkpoint.npz"
CONFIG = "config.json"
LOG = "log.csv"
LOG_FIELDS = ("epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")

#: Steps between mid-epoch checkpoints unless the caller says otherwise (``--checkpoint-every``).
#: Sized so a kill loses at most ~2 minutes on this 2-core machine: the slowest example, resnet20 on
#: Fashion-MNIST at batch 128 with one BLAS thread, measured 0.63-0.68 s CPU per step and 1.2 s wall
#: at load 3.5, 2.2 s at load 6 (bench-style timing, 2026-12-01), so 50 steps lose ~30 s unloaded and
#: 60-110 s loaded; its checkpoint (2.3 MB) takes ~20 ms, 0.03 % of those 50 steps. The small CNN's
#: steps are ~15x shorter, so there 50 steps are seconds.
DEFAULT_CHECKPOINT_EVERY = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainConfig:
    """Everything that determines a training run (with the data, which is fixed per name)."""

    model: str = "small"
    dataset: str = "digits"
    data_dir: str | None = None
    train_limit: int | None = None
    test_limit: int | None = None
    width: int = 16
    quant: QuantConfig = field(default_factory=QuantConfig)
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 2e-4
    lambda_alpha: float | None = None
    alpha_lr_mult: float = 1.0
    lr_steps: tuple[int, ...] = ()
    lr_gamma: float = 0.1
    seed: int = 0
    eval_batch: int = 500
    init: str | None = None
    init_calib: str = "percentile"
    init_percentile: float = 99.99
    layer_bits: dict[str, list[int]] | None = None

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise InputError("model", self.model, f"must be one of {', '.join(MODELS)}")
        for name in ("epochs", "batch_size", "width", "eval_batch"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < (0 if name == "epochs" else 1):
                raise InputError(
                    name, v, "must be a positive integer" if name != "epochs" else "must be an integer >= 0"
                )
        for name in ("train_limit", "test_limit"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                raise InputError(name, v, "must be a positive integer")
        if self.optimizer not in OPTIMIZERS:
            raise InputError("optimizer", self.optimizer, f"must be one of {', '.join(OPTIMIZERS)}")
        for name in ("lr", "lr_gamma"):
            v = getattr(self, name)
            if not np.isfinite(v) or v <= 0:
                raise InputError(name, v, "must be a finite number > 0")
        for name in ("momentum", "weight_decay", "alpha_lr_mult"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise InputError(name, v, "must be a finite number >= 0")
        if self.lambda_alpha is not None and (not np.isfinite(self.lambda_alpha) or self.lambda_alpha < 0):
            raise InputError("lambda_alpha", self.lambda_alpha, "must be a finite number >= 0")
        if any(not isinstance(s, int) or s < 1 for s in self.lr_steps) or list(self.lr_steps) != sorted(self.lr_steps):
            raise InputError("lr_steps", list(self.lr_steps), "must be increasing positive epoch numbers")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise InputError("seed", self.seed, "must be an integer >= 0")
        if self.init_calib not in CALIB_METHODS:
            raise InputError("calib", self.init_calib, f"must be one of {', '.join(CALIB_METHODS)}")
        if not (isinstance(self.init_percentile, (int, float)) and 0 < self.init_percentile <= 100):
            raise InputError("percentile", self.init_percentile, "must be in (0, 100]")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["lr_steps"] = list(self.lr_steps)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        data = dict(data)
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"config.{unknown[0]}", data[unknown[0]], "is not a TrainConfig field")
        if isinstance(data.get("quant"), dict):
            data["quant"] = QuantConfig.from_dict(data["quant"])
        if "lr_steps" in data:
            data["lr_steps"] = tuple(data["lr_steps"])
        return cls(**data)


@dataclass(slots=True)
class RunResult:
    """What a finished `train` call returns."""

    model: Net
    history: list[dict[str, float]]
    run_dir: Path | None

    @property
    def test_acc(self) -> float:
        return self.history[-1]["test_acc"] if self.history else float("nan")


# --- building blocks -----------------------------------------------------------------------------


def make_optimizer(config: TrainConfig, model: Net) -> Optimizer:
    kw: dict[str, Any] = {
        "weight_decay": config.weight_decay,
        "lambda_alpha": config.lambda_alpha,
        "alpha_lr_mult": config.alpha_lr_mult,
    }
    if config.optimizer == "sgd":
        kw["momentum"] = config.momentum
    return OPTIMIZERS[config.optimizer](list(model.named_params()), **kw)


def train_step(model: Net, opt: Optimizer, x: np.ndarray, y: np.ndarray, lr: float) -> tuple[float, int]:
    """One SGD step on a mini-batch; returns (loss, number correct)."""
    logits = model.forward(x, train=True)
    loss, lctx = ops.softmax_cross_entropy_forward(logits, y)
    model.zero_grad()
    model.backward(ops.softmax_cross_entropy_backward(lctx))
    opt.step(lr)
    return loss, int((logits.argmax(axis=1) == y).sum())


def evaluate(model: Net, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> tuple[float, float]:
    """(mean loss, accuracy) in inference mode (BatchNorm running statistics)."""
    if len(y) == 0:
        return float("nan"), float("nan")
    total_loss, correct = 0.0, 0
    for idx in batches(len(y), batch_size, None):
        logits = model.forward(x[idx], train=False)
        loss, _ = ops.softmax_cross_entropy_forward(logits, y[idx])
        total_loss += loss * len(idx)
        correct += int((logits.argmax(axis=1) == y[idx]).sum())
    return total_loss / len(y), correct / len(y)


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The shuffling generator of one epoch: independent of how many epochs ran before (resume-safe)."""
    return np.random.default_rng([seed, epoch])


def read_config(run_dir: Path, field: str = "run_dir") -> TrainConfig:
    """A run folder's config.json as a TrainConfig; any problem is one InputError naming the file."""
    from accelsim.inputfiles import load_json_file

    path = Path(run_dir) / CONFIG
    if not Path(run_dir).is_dir():
        raise InputError(field, str(run_dir), "is not a run folder")
    data = load_json_file(path, field)
    try:
        return TrainConfig.from_dict(data)
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(field, str(path), f"is not a valid pact_train config ({type(exc).__name__}: {exc})") from None


def completed_epochs(run_dir: Path) -> int:
    """Epochs the run's checkpoint holds (0 without one): what a resume continues from."""
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        return 0
    return int(scalar(read_npz(path), "epoch", "iu", path))


def resumed_images(run_dir: Path, config: TrainConfig, n_train: int) -> int:
    """Training images a resume of `run_dir` skips: whole epochs plus the steps of a mid-epoch checkpoint."""
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        return 0
    arrays = read_npz(path)
    step = int(scalar(arrays, "step", "iu", path)) if "step" in arrays else 0
    return int(scalar(arrays, "epoch", "iu", path)) * n_train + min(step * config.batch_size, n_train)


# --- log ----------------------------------------------------------------------------------------


def _alpha_columns(model: Net) -> dict[str, float]:
    return {f"alpha:{n}": float(np.mean(v)) for n, v in model.alphas().items()}


# --- the loop ------------------------------------------------------------------------------------


def train(
    config: TrainConfig,
    run_dir: str | os.PathLike[str] | None = None,
    *,
    resume: bool = False,
    data: Dataset | None = None,
    on_batch: Callable[[int, float], None] | None = None,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
    checkpoint_every: int | None = DEFAULT_CHECKPOINT_EVERY,
) -> RunResult:
    """Train `config.model` on `config.dataset`; returns the model and the per-epoch history.

    With `run_dir`, writes config.json, log.csv and checkpoint.npz there (after every epoch and
    every `checkpoint_every` steps; None or 0: epoch ends only); `resume=True` continues from its
    checkpoint, mid-epoch included, up to ``config.epochs`` (pass the run's stored config, as the CLI
    does; only `epochs` may differ). `data` overrides the data set named in the config (tests,
    sweeps). `on_batch(images, loss)` and `on_epoch(row)` report progress; the library prints nothing.
    """
    if checkpoint_every is not None and (not isinstance(checkpoint_every, int) or checkpoint_every < 0):
        raise InputError("checkpoint_every", checkpoint_every, "must be an integer >= 0 (0: at epoch ends only)")
    run_path = Path(run_dir) if run_dir is not None else None
    if data is None:
        data = load_dataset(config.dataset, config.data_dir)
    data = data.subset(config.train_limit, config.test_limit)
    model = _build(config, data.in_shape, data.classes)
    opt = make_optimizer(config, model)
    history: list[dict[str, float]] = []
    start, progress = 0, EpochProgress()
    if run_path is not None and resume:
        start, progress, history = _resume(run_path, model, opt)
    elif run_path is not None:
        _check_new_run(run_path)
    if config.init is not None and not resume:  # before the folder is made: a bad --init writes nothing
        init_from_checkpoint(model, config.init, data, config.init_calib, config.init_percentile)
    if run_path is not None:
        if not resume:
            try:
                run_path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError("out", str(run_path), f"cannot be created ({exc.strerror})") from None
        atomic_write(run_path / CONFIG, json.dumps(config.to_dict(), indent=1, sort_keys=True) + "\n")
    loop = _Loop(config, model, opt, data, run_path, history, checkpoint_every or 0, on_batch)
    for epoch in range(start, config.epochs):
        row = loop.epoch(epoch, progress if epoch == start else EpochProgress())
        if on_epoch is not None:
            on_epoch(row)
    return RunResult(model, history, run_path)


def _resume(run_path: Path, model: Net, opt: Optimizer) -> tuple[int, EpochProgress, list[dict[str, float]]]:
    """Load the run's checkpoint into `model` and `opt`: (epochs done, progress in the next, history)."""
    ckpt = run_path / CHECKPOINT
    if not ckpt.is_file():
        raise InputError("resume", str(run_path), f"has no {CHECKPOINT}")
    info = load_checkpoint(ckpt, model, opt)
    start = info["epoch"]
    # the checkpoint's own rows (older checkpoints: the log file's), rewritten to log.csv so a
    # kill between the last checkpoint and its log write loses no row
    history = info["log"] if info["log"] is not None else [r for r in read_log(run_path / LOG) if r["epoch"] <= start]
    write_log(run_path / LOG, history)
    return start, info["progress"], history


def _check_new_run(run_path: Path) -> None:
    """A new run needs a folder that holds no run and is not a file."""
    if (run_path / CHECKPOINT).exists():
        raise InputError("out", str(run_path), f"already holds a run ({CHECKPOINT}); use --resume or a new folder")
    if run_path.exists() and not run_path.is_dir():
        raise InputError("out", str(run_path), "is an existing file; give a new folder")


@dataclass(slots=True)
class _Loop:
    """One run's epochs: the steps, the mid-epoch checkpoints, evaluation and the epoch-end checkpoint."""

    config: TrainConfig
    model: Net
    opt: Optimizer
    data: Dataset
    run_path: Path | None
    history: list[dict[str, float]]
    checkpoint_every: int
    on_batch: Callable[[int, float], None] | None

    def epoch(self, epoch: int, resumed: EpochProgress) -> dict[str, float]:
        """Train epoch `epoch` (0-based) from `resumed` (its first `resumed.step` steps already done)."""
        config, n = self.config, len(self.data.y_train)
        lr = step_lr(config.lr, epoch, config.lr_steps, config.lr_gamma)
        order = batches(n, config.batch_size, epoch_rng(config.seed, epoch))
        if resumed.step >= len(order):
            raise InputError(
                "checkpoint", str(self.run_path), f"is at step {resumed.step} of an epoch of {len(order)} steps"
            )
        loss_sum, correct, t0 = resumed.loss_sum, resumed.correct, time.perf_counter() - resumed.seconds
        for step in range(resumed.step, len(order)):
            idx = order[step]
            loss, right = train_step(self.model, self.opt, self.data.x_train[idx], self.data.y_train[idx], lr)
            if not np.isfinite(loss):
                raise FloatingPointError(f"loss became {loss} in epoch {epoch + 1}; lower the learning rate")
            loss_sum += loss * len(idx)
            correct += right
            if self.on_batch is not None:
                self.on_batch(len(idx), loss)
            global_step = epoch * len(order) + step + 1
            if self.checkpoint_every and global_step % self.checkpoint_every == 0 and step + 1 < len(order):
                self._save(epoch, EpochProgress(step + 1, loss_sum, correct, time.perf_counter() - t0))
        test_loss, test_acc = evaluate(self.model, self.data.x_test, self.data.y_test, config.eval_batch)
        row = {
            "epoch": epoch + 1,
            "lr": lr,
            "train_loss": loss_sum / n,
            "train_acc": correct / n,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "seconds": time.perf_counter() - t0,
        }
        row.update(_alpha_columns(self.model))
        self.history.append(row)
        self._save(epoch + 1, EpochProgress())
        return row

    def _save(self, epochs_done: int, progress: EpochProgress) -> None:
        """Checkpoint (then log.csv, whose rows the checkpoint also holds); nothing without a run folder."""
        if self.run_path is None:
            return
        test_acc = self.history[-1]["test_acc"] if self.history else float("nan")
        save_checkpoint(
            self.run_path / CHECKPOINT, self.model, self.opt, epochs_done, self.config, test_acc, self.history, progress
        )
        if progress.step == 0:
            write_log(self.run_path / LOG, self.history)


def load_run(
    run_dir: str | os.PathLike[str], data: Dataset | None = None
) -> tuple[TrainConfig, Net, dict[str, Any], Dataset]:
    """Rebuild a trained model from a run directory: (config, model with weights, checkpoint info, data).

    `data` overrides the data set named in the config (tests).
    """
    run_path = Path(run_dir)
    config = read_config(run_path)
    if data is None:
        data = load_dataset(config.dataset, config.data_dir)
    model = _build(config, data.in_shape, data.classes)
    info = load_checkpoint(run_path / CHECKPOINT, model)
    return config, model, info, data.subset(config.train_limit, config.test_limit)


# --- starting from a float network -----------------------------------------------------------


def checkpoint_path(run_or_npz: str | os.PathLike[str]) -> Path:
    """The checkpoint file of a run folder, or the .npz itself."""
    p = Path(run_or_npz)
    ckpt = p / CHECKPOINT if p.is_dir() else p
    if not ckpt.is_file():
        raise InputError("init", str(run_or_npz), "is neither a run folder with a checkpoint nor a checkpoint .npz")
    return ckpt


def float_config(run_or_npz: str | os.PathLike[str]) -> TrainConfig:
    """The `TrainConfig` of a float checkpoint (it travels inside the .npz); refuses a quantized one."""
    ckpt = checkpoint_path(run_or_npz)
    try:
        with np.load(ckpt, allow_pickle=False) as z:
            stored = TrainConfig.from_dict(json.loads(str(z["config"])))
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise InputError("init", str(ckpt), f"is not a pact_train checkpoint ({exc})") from None
    if stored.quant.quantized:
        raise InputError(
            "init",
            str(ckpt),
            "holds a quantized network; start from a float run (--act-quant none --weight-quant none)",
        )
    return stored


def load_float_model(run_or_npz: str | os.PathLike[str], in_shape: tuple[int, int, int], classes: int) -> Net:
    """The float network stored in a checkpoint, with its weights."""
    ckpt = checkpoint_path(run_or_npz)
    model = _build(float_config(ckpt), in_shape, classes)
    load_checkpoint(ckpt, model)
    return model


def init_from_checkpoint(
    model: Net,
    run_or_npz: str | os.PathLike[str],
    data: Dataset,
    method: str = "percentile",
    percentile: float = DEFAULT_PERCENTILE,
) -> dict[str, Any]:
    """`calibrate.init_from_float` from a float run folder or checkpoint (``--init``)."""
    return init_from_float(model, load_float_model(run_or_npz, data.in_shape, data.classes), data, method, percentile)


def post_training_quantize(
    run_or_npz: str | os.PathLike[str],
    quant: QuantConfig,
    data: Dataset,
    method: str = "percentile",
    percentile: float = DEFAULT_PERCENTILE,
) -> tuple[Net, float]:
    """The float network of `run_or_npz` quantized by `quant` with no training: (model, test accuracy)."""
    stored = float_config(run_or_npz)
    model = _build(replace(stored, quant=quant), data.in_shape, data.classes)
    init_from_checkpoint(model, run_or_npz, data, method, percentile)
    return model, evaluate(model, data.x_test, data.y_test, stored.eval_batch)[1]


def _build(config: TrainConfig, in_shape: tuple[int, int, int], classes: int) -> Net:
    width = {"width": config.width} if config.model in ("small", "resnet20") else {}
    model = build_model(config.model, in_shape, classes, config.quant, config.seed, **width)
    if config.layer_bits is not None:
        apply_layer_bits(model, config.layer_bits)
    return model


__all__ = [
    "CHECKPOINT",
    "CONFIG",
    "DEFAULT_CHECKPOINT_EVERY",
    "LOG",
    "EpochProgress",
    "RunResult",
    "TrainConfig",
    "checkpoint_path",
    "completed_epochs",
    "evaluate",
    "float_config",
    "init_from_checkpoint",
    "load_checkpoint",
    "load_float_model",
    "load_run",
    "make_optimizer",
    "post_training_quantize",
    "read_config",
    "read_log",
    "resumed_images",
    "save_checkpoint",
    "train",
    "train_step",
]
