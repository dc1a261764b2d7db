"""The training loop: config, seeded mini-batch SGD/Adam, evaluation, run directory, checkpoints.

A run directory holds ``config.json`` (the `TrainConfig`), ``log.csv`` (one row per epoch: lr,
train/test loss and accuracy, seconds, and every activation's clipping level alpha) and
``checkpoint.npz`` (parameters, BatchNorm/activation buffers, optimizer state, epoch; written
atomically after every epoch, loaded with ``allow_pickle=False``). Everything random comes from
``np.random.default_rng``: the weights from `seed`, epoch e's shuffle from ``(seed, e)``, so a run
resumed from a checkpoint continues bit-identically to an uninterrupted one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.atomic import atomic_write, atomic_write_with
from accelsim.errors import InputError
from pact_train import ops
from pact_train.data import Dataset, batches, load_dataset
from pact_train.models import MODELS, Net, QuantConfig, build_model
from pact_train.optim import OPTIMIZERS, Optimizer, step_lr

CHECKPOINT = "checkpoint.npz"
CONFIG = "config.json"
LOG = "log.csv"
CHECKPOINT_FORMAT = 1
LOG_FIELDS = ("epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")


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

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise InputError("model", self.model, f"must be one of {', '.join(MODELS)}")
        for name in ("epochs", "batch_size", "width", "eval_batch"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < (0 if name == "epochs" else 1):
                raise InputError(name, v, "must be a positive integer" if name != "epochs" else "must be an integer >= 0")
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
        "weight_decay": config.weight_decay, "lambda_alpha": config.lambda_alpha, "alpha_lr_mult": config.alpha_lr_mult,
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


# --- checkpoints ---------------------------------------------------------------------------------


def save_checkpoint(path: Path, model: Net, opt: Optimizer, epoch: int, config: TrainConfig,
                    test_acc: float = float("nan"), history: Sequence[dict[str, Any]] = ()) -> None:
    """Write parameters, buffers, optimizer state, the epoch count and the log rows to an .npz (no pickle).

    The log rows ride in the checkpoint so it is the single source of truth: a kill between this
    write and the log.csv rewrite loses no row (resume rewrites log.csv from the checkpoint).
    """
    arrays: dict[str, np.ndarray] = {
        "format": np.asarray(CHECKPOINT_FORMAT), "epoch": np.asarray(epoch, np.int64),
        "config": np.asarray(json.dumps(config.to_dict(), sort_keys=True)), "test_acc": np.asarray(test_acc),
        "log": np.asarray(json.dumps(list(history))),
    }
    arrays.update({f"param:{n}": p.data for n, p in model.named_params()})
    arrays.update({f"buffer:{n}": b for n, b in model.named_buffers()})
    arrays.update({f"optim:{k}": v for k, v in opt.state_arrays().items()})
    atomic_write_with(path, lambda f: np.savez(f, **arrays))


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an .npz; a truncated file, a bad CRC or a non-zip is one InputError."""
    from accelsim.inputfiles import check_regular_file

    check_regular_file(path, "checkpoint")
    try:
        with zipfile.ZipFile(path) as zf:  # np.load reads exact byte counts and never checks the CRCs
            bad = zf.testzip()
        if bad is not None:
            raise zipfile.BadZipFile(f"bad CRC-32 in {bad}")
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise InputError("checkpoint", str(path), f"cannot be read, damaged or truncated ({type(exc).__name__}: {exc})") from None


def _scalar(arrays: dict[str, np.ndarray], key: str, kind: str, path: Path) -> np.ndarray:
    value = arrays.get(key)
    if value is None or value.shape != () or value.dtype.kind not in kind:
        raise InputError("checkpoint", str(path), f"has no valid {key!r} entry")
    return value


def _matching(arrays: dict[str, np.ndarray], key: str, like: np.ndarray, what: str, path: Path) -> np.ndarray:
    """The checkpoint array `key`, which must have the model's shape and dtype."""
    value = arrays.get(key)
    if value is None or value.shape != like.shape or value.dtype != like.dtype:
        got = "missing" if value is None else f"{value.dtype}{list(value.shape)}"
        raise InputError("checkpoint", str(path), f"does not match the model ({what}: {got}, model has {like.dtype}{list(like.shape)})")
    return value


def load_checkpoint(path: Path, model: Net, opt: Optimizer | None = None) -> dict[str, Any]:
    """Load a checkpoint into `model` (and `opt`); returns ``{"epoch", "config", "test_acc", "log"}``.

    ``log`` is the list of log rows saved with it (None for checkpoints written before it was kept).
    Nothing is loaded into the model until every array has been checked.
    """
    arrays = _read_npz(path)
    if "format" not in arrays or arrays["format"].shape != () or int(arrays["format"]) != CHECKPOINT_FORMAT:
        raise InputError("checkpoint", str(path), f"is not a format-{CHECKPOINT_FORMAT} pact_train checkpoint")
    epoch = int(_scalar(arrays, "epoch", "iu", path))
    try:
        config = json.loads(str(_scalar(arrays, "config", "U", path)))
        log = json.loads(str(arrays["log"])) if "log" in arrays else None
    except (json.JSONDecodeError, RecursionError, ValueError):
        raise InputError("checkpoint", str(path), "holds an unreadable config or log entry") from None
    if epoch < 0 or (log is not None and (not isinstance(log, list) or len(log) != epoch)):
        raise InputError("checkpoint", str(path), f"is inconsistent (epoch {epoch}, {len(log or [])} log rows)")
    params = {name: _matching(arrays, f"param:{name}", p.data, f"parameter {name}", path) for name, p in model.named_params()}
    buffers = {name: _matching(arrays, f"buffer:{name}", b, f"buffer {name}", path) for name, b in model.named_buffers()}
    for name, p in model.named_params():
        p.data[...] = params[name]
    for name, value in buffers.items():
        model.set_buffer(name, value)
    if opt is not None:
        try:
            opt.load_state_arrays({k[len("optim:"):]: v for k, v in arrays.items() if k.startswith("optim:")})
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError("checkpoint", str(path), f"has optimizer state that does not match ({exc})") from None
    test_acc = float(_scalar(arrays, "test_acc", "f", path))
    return {"epoch": epoch, "config": config, "test_acc": test_acc, "log": log}


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
    return int(_scalar(_read_npz(path), "epoch", "iu", path))


# --- log ----------------------------------------------------------------------------------------


def _alpha_columns(model: Net) -> dict[str, float]:
    return {f"alpha:{n}": float(np.mean(v)) for n, v in model.alphas().items()}


def write_log(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Rewrite the whole CSV atomically (a few hundred rows at most)."""
    if not rows:
        return
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(path, buf.getvalue())


def read_log(path: Path) -> list[dict[str, float]]:
    """The rows of a log.csv ([] without one); a damaged file is one InputError naming the row."""
    if not path.is_file():
        return []
    from accelsim.inputfiles import read_text

    rows: list[dict[str, float]] = []
    for n, row in enumerate(csv.DictReader(io.StringIO(read_text(path, "log"), newline="")), start=2):
        try:
            parsed = {str(k): float(v) for k, v in row.items()}
            parsed["epoch"] = int(parsed["epoch"])
        except (TypeError, ValueError, KeyError, OverflowError):
            raise InputError("log", str(path), f"row {n} is not a log row of numbers with an epoch") from None
        rows.append(parsed)
    return rows


# --- the loop ------------------------------------------------------------------------------------


def train(
    config: TrainConfig,
    run_dir: str | os.PathLike[str] | None = None,
    *,
    resume: bool = False,
    data: Dataset | None = None,
    on_batch: Callable[[int, float], None] | None = None,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> RunResult:
    """Train `config.model` on `config.dataset`; returns the model and the per-epoch history.

    With `run_dir`, writes config.json, log.csv and checkpoint.npz there; `resume=True` continues
    from its checkpoint up to ``config.epochs`` (pass the run's stored config, as the CLI does; only
    `epochs` may differ). `data` overrides the data set named in the config (tests, sweeps).
    `on_batch(images, loss)` and `on_epoch(row)` report progress; the library itself prints nothing.
    """
    run_path = Path(run_dir) if run_dir is not None else None
    if data is None:
        data = load_dataset(config.dataset, config.data_dir)
    data = data.subset(config.train_limit, config.test_limit)
    model = _build(config, data.in_shape, data.classes)
    opt = make_optimizer(config, model)
    history: list[dict[str, float]] = []
    start = 0
    if run_path is not None:
        ckpt = run_path / CHECKPOINT
        if resume:
            if not ckpt.is_file():
                raise InputError("resume", str(run_path), f"has no {CHECKPOINT}")
            info = load_checkpoint(ckpt, model, opt)
            start = info["epoch"]
            # the checkpoint's own rows (older checkpoints: the log file's), rewritten to log.csv so a
            # kill between the last checkpoint and its log write loses no row
            history = info["log"] if info["log"] is not None else [r for r in read_log(run_path / LOG) if r["epoch"] <= start]
            write_log(run_path / LOG, history)
        else:
            if ckpt.exists():
                raise InputError("out", str(run_path), f"already holds a run ({CHECKPOINT}); use --resume or a new folder")
            if run_path.exists() and not run_path.is_dir():
                raise InputError("out", str(run_path), "is an existing file; give a new folder")
            try:
                run_path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError("out", str(run_path), f"cannot be created ({exc.strerror})") from None
        atomic_write(run_path / CONFIG, json.dumps(config.to_dict(), indent=1, sort_keys=True) + "\n")

    n = len(data.y_train)
    for epoch in range(start, config.epochs):
        t0 = time.perf_counter()
        lr = step_lr(config.lr, epoch, config.lr_steps, config.lr_gamma)
        loss_sum, correct = 0.0, 0
        for idx in batches(n, config.batch_size, epoch_rng(config.seed, epoch)):
            loss, right = train_step(model, opt, data.x_train[idx], data.y_train[idx], lr)
            if not np.isfinite(loss):
                raise FloatingPointError(f"loss became {loss} in epoch {epoch + 1}; lower the learning rate")
            loss_sum += loss * len(idx)
            correct += right
            if on_batch is not None:
                on_batch(len(idx), loss)
        test_loss, test_acc = evaluate(model, data.x_test, data.y_test, config.eval_batch)
        row = {"epoch": epoch + 1, "lr": lr, "train_loss": loss_sum / n, "train_acc": correct / n,
               "test_loss": test_loss, "test_acc": test_acc, "seconds": time.perf_counter() - t0}
        row.update(_alpha_columns(model))
        history.append(row)
        if run_path is not None:
            save_checkpoint(run_path / CHECKPOINT, model, opt, epoch + 1, config, test_acc, history)
            write_log(run_path / LOG, history)
        if on_epoch is not None:
            on_epoch(row)
    return RunResult(model, history, run_path)


def load_run(run_dir: str | os.PathLike[str]) -> tuple[TrainConfig, Net, dict[str, Any], Dataset]:
    """Rebuild a trained model from a run directory: (config, model with weights, checkpoint info, data)."""
    run_path = Path(run_dir)
    config = read_config(run_path)
    data = load_dataset(config.dataset, config.data_dir)
    model = _build(config, data.in_shape, data.classes)
    info = load_checkpoint(run_path / CHECKPOINT, model)
    return config, model, info, data.subset(config.train_limit, config.test_limit)


def _build(config: TrainConfig, in_shape: tuple[int, int, int], classes: int) -> Net:
    width = {"width": config.width} if config.model in ("small", "resnet20") else {}
    return build_model(config.model, in_shape, classes, config.quant, config.seed, **width)


__all__ = [
    "CHECKPOINT", "CONFIG", "LOG", "RunResult", "TrainConfig", "completed_epochs", "evaluate", "load_checkpoint",
    "load_run", "make_optimizer", "read_config", "read_log", "save_checkpoint", "train", "train_step",
]
