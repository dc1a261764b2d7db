"""Checkpoints: a run's whole state in one ``.npz`` (no pickle), the single source of truth.

Parameters, BatchNorm/activation buffers, optimizer state, finished epochs, the config, the log
rows and, mid-epoch, how far into the next epoch the run is (`EpochProgress`): enough to continue
bit-identically from any checkpoint. Reading checks every entry before anything is loaded; a
damaged file is one InputError naming it.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.atomic import atomic_write_with
from accelsim.errors import InputError
from pact_train.models import Net
from pact_train.optim import Optimizer

CHECKPOINT_FORMAT = 1


@dataclass(frozen=True, slots=True)
class EpochProgress:
    """How far into an epoch a mid-epoch checkpoint is: the steps done and the epoch's running sums
    (exact float64/int values, so a resumed epoch logs the same numbers as an uninterrupted one)."""

    step: int = 0
    loss_sum: float = 0.0
    correct: int = 0
    seconds: float = 0.0


def save_checkpoint(
    path: Path,
    model: Net,
    opt: Optimizer,
    epoch: int,
    config: Any,
    test_acc: float = float("nan"),
    history: Sequence[dict[str, Any]] = (),
    progress: EpochProgress = EpochProgress(),
) -> None:
    """Write parameters, buffers, optimizer state, the epoch count and the log rows to an .npz (no pickle).

    The log rows ride in the checkpoint so it is the single source of truth: a kill between this
    write and the log.csv rewrite loses no row (resume rewrites log.csv from the checkpoint).
    `epoch` counts finished epochs; `progress` is how far into the next one the run is (step 0 at
    an epoch's end).
    """
    arrays: dict[str, np.ndarray] = {
        "format": np.asarray(CHECKPOINT_FORMAT),
        "epoch": np.asarray(epoch, np.int64),
        "config": np.asarray(json.dumps(config.to_dict(), sort_keys=True)),
        "test_acc": np.asarray(test_acc),
        "log": np.asarray(json.dumps(list(history))),
        "step": np.asarray(progress.step, np.int64),
        "epoch_loss_sum": np.asarray(progress.loss_sum, np.float64),
        "epoch_correct": np.asarray(progress.correct, np.int64),
        "epoch_seconds": np.asarray(progress.seconds, np.float64),
    }
    arrays.update({f"param:{n}": p.data for n, p in model.named_params()})
    arrays.update({f"buffer:{n}": b for n, b in model.named_buffers()})
    arrays.update({f"optim:{k}": v for k, v in opt.state_arrays().items()})
    atomic_write_with(path, lambda f: np.savez(f, **arrays))


def read_npz(path: Path) -> dict[str, np.ndarray]:
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
        raise InputError(
            "checkpoint", str(path), f"cannot be read, damaged or truncated ({type(exc).__name__}: {exc})"
        ) from None


def scalar(arrays: dict[str, np.ndarray], key: str, kind: str, path: Path) -> np.ndarray:
    value = arrays.get(key)
    if value is None or value.shape != () or value.dtype.kind not in kind:
        raise InputError("checkpoint", str(path), f"has no valid {key!r} entry")
    return value


def _matching(arrays: dict[str, np.ndarray], key: str, like: np.ndarray, what: str, path: Path) -> np.ndarray:
    """The checkpoint array `key`, which must have the model's shape and dtype."""
    value = arrays.get(key)
    if value is None or value.shape != like.shape or value.dtype != like.dtype:
        got = "missing" if value is None else f"{value.dtype}{list(value.shape)}"
        raise InputError(
            "checkpoint",
            str(path),
            f"does not match the model ({what}: {got}, model has {like.dtype}{list(like.shape)})",
        )
    return value


def load_checkpoint(path: Path, model: Net, opt: Optimizer | None = None) -> dict[str, Any]:
    """Load a checkpoint into `model` (and `opt`); returns ``{"epoch", "config", "test_acc", "log",
    "progress"}``.

    ``log`` is the list of log rows saved with it (None for checkpoints written before it was kept);
    ``progress`` the `EpochProgress` into the next epoch (step 0 for an epoch-end checkpoint and for
    checkpoints written before mid-epoch ones existed).
    Nothing is loaded into the model until every array has been checked.
    """
    arrays = read_npz(path)
    if "format" not in arrays or arrays["format"].shape != () or int(arrays["format"]) != CHECKPOINT_FORMAT:
        raise InputError("checkpoint", str(path), f"is not a format-{CHECKPOINT_FORMAT} pact_train checkpoint")
    epoch = int(scalar(arrays, "epoch", "iu", path))
    try:
        config = json.loads(str(scalar(arrays, "config", "U", path)))
        log = json.loads(str(arrays["log"])) if "log" in arrays else None
    except (json.JSONDecodeError, RecursionError, ValueError):
        raise InputError("checkpoint", str(path), "holds an unreadable config or log entry") from None
    if epoch < 0 or (log is not None and (not isinstance(log, list) or len(log) != epoch)):
        raise InputError("checkpoint", str(path), f"is inconsistent (epoch {epoch}, {len(log or [])} log rows)")
    params = {
        name: _matching(arrays, f"param:{name}", p.data, f"parameter {name}", path) for name, p in model.named_params()
    }
    buffers = {
        name: _matching(arrays, f"buffer:{name}", b, f"buffer {name}", path) for name, b in model.named_buffers()
    }
    for name, p in model.named_params():
        p.data[...] = params[name]
    for name, value in buffers.items():
        model.set_buffer(name, value)
    if opt is not None:
        try:
            opt.load_state_arrays({k[len("optim:") :]: v for k, v in arrays.items() if k.startswith("optim:")})
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError("checkpoint", str(path), f"has optimizer state that does not match ({exc})") from None
    test_acc = float(scalar(arrays, "test_acc", "f", path))
    return {"epoch": epoch, "config": config, "test_acc": test_acc, "log": log, "progress": _progress(arrays, path)}


def _progress(arrays: dict[str, np.ndarray], path: Path) -> EpochProgress:
    """The mid-epoch position of a checkpoint (all four entries, or none: an older checkpoint)."""
    keys = ("step", "epoch_loss_sum", "epoch_correct", "epoch_seconds")
    if not any(k in arrays for k in keys):
        return EpochProgress()
    step, correct = (int(scalar(arrays, k, "iu", path)) for k in ("step", "epoch_correct"))
    loss_sum, seconds = (float(scalar(arrays, k, "f", path)) for k in ("epoch_loss_sum", "epoch_seconds"))
    if step < 0 or correct < 0 or not np.isfinite(loss_sum) or not np.isfinite(seconds):
        raise InputError("checkpoint", str(path), f"has an invalid mid-epoch position (step {step})")
    return EpochProgress(step, loss_sum, correct, seconds)


__all__ = ["CHECKPOINT_FORMAT", "EpochProgress", "load_checkpoint", "read_npz", "save_checkpoint", "scalar"]
