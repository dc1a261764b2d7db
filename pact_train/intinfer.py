"""Integer-only inference from a deployable export, and its check against the fake-quantized network.

Everything between the image and the logits is integer: activations are integers in [0, 2^b - 1],
weights integers, accumulators and requantization int64 (``t = acc * m0 + b0``, a rounding right
shift, a clip; see `pact_train.deploy`). The convolution and dense GEMMs are evaluated with
float64 BLAS on integer-valued arrays: every product and partial sum is an integer below 2^53,
so float64 represents each one exactly and the accumulator is the exact integer sum (checked
per layer against the bound K * max|a| * max|w|); it is the integer GEMM, run on the fast unit.

`verify_int` runs the exported network on the test set it was exported with and compares with
the fake-quantized (float32) network's predictions stored in the file. They differ only where
float32 rounding in the fake-quantized forward puts a value on the other side of a rounding or
clipping boundary than exact arithmetic does (and in the fixed-point multipliers' last bits), so
agreement is expected on nearly every image: `DEFAULT_TOLERANCE` is the accepted accuracy gap.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from accelsim.errors import InputError
from pact_train import ops
from pact_train.deploy import FORMAT

#: |integer accuracy - fake-quantized accuracy| accepted by verify-int, in accuracy points (percent)
DEFAULT_TOLERANCE = 0.5
EXACT = 2**53


def load_export(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise InputError("export", str(path), f"cannot be read ({exc})") from None
    try:
        program = json.loads(str(arrays.pop("program")))
    except (KeyError, ValueError):
        raise InputError("export", str(path), "has no program (not a pact-train deployable export)") from None
    if program.get("format") != FORMAT:
        raise InputError("export", str(path), f"format is {program.get('format')!r}, expected {FORMAT!r}")
    return program, arrays


def _int_gemm_conv(a: np.ndarray, w: np.ndarray, entry: dict[str, Any]) -> np.ndarray:
    k = int(np.prod(w.shape[:-1]))
    bound = k * int(np.max(np.abs(a), initial=0)) * int(np.max(np.abs(w), initial=0))
    if bound >= EXACT:
        raise InputError("export", entry["name"], f"accumulator bound {bound} exceeds 2^53 (exact float64 GEMM)")
    y, _ = ops.conv2d_forward(
        a.astype(np.float64), w.astype(np.float64), entry["stride"], entry["padding"], entry["groups"]
    )
    return np.rint(y).astype(np.int64)


def _requant(t: np.ndarray, shift: int, bits: int) -> np.ndarray:
    if shift > 0:
        t = (t + (1 << (shift - 1))) >> shift
    return np.clip(t, 0, (1 << bits) - 1)


def _fixed(acc: np.ndarray, arrays: dict[str, np.ndarray], name: str) -> np.ndarray:
    m0, b0 = arrays[f"{name}.m0"], arrays[f"{name}.b0"]
    if int(np.max(np.abs(acc), initial=0)) * int(np.max(np.abs(m0))) + int(np.max(np.abs(b0))) >= 2**62:
        raise InputError("export", name, "fixed-point requantization would overflow int64")
    return acc * m0 + b0


def _conv_t(a: np.ndarray, arrays: dict[str, np.ndarray], entry: dict[str, Any]) -> np.ndarray:
    name = entry["name"]
    t = _fixed(_int_gemm_conv(a, arrays[f"{name}.w"], entry), arrays, name)
    if "pool" in entry:  # the trainer pools the BN output before the activation: pool t, same order
        p = entry["pool"]
        t, _ = ops.maxpool_forward(t, p["kernel"], p["stride"], p["padding"])
    return t


def integer_logits(program: dict[str, Any], arrays: dict[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """Fixed-point logits (int64, scaled by a positive constant per network) of images in [0, 1]."""
    n0 = (1 << program["input_bits"]) - 1
    a = np.rint(np.clip(images.astype(np.float64), 0, 1) * n0).astype(np.int64)
    for entry in program["units"]:
        kind, name = entry["unit"], entry["name"]
        if kind == "conv":
            a = _requant(_conv_t(a, arrays, entry), entry["shift"], entry["act"]["bits"])
        elif kind == "block":
            c1 = entry["conv1"]
            a1 = _requant(_conv_t(a, arrays, c1), c1["shift"], c1["act"]["bits"])
            t = _conv_t(a1, arrays, entry["conv2"])
            if "shortcut" in entry:
                t = t + _conv_t(a, arrays, entry["shortcut"])
            else:
                t = t + a * arrays[f"{name}.identity_m0"]
            a = _requant(t, entry["shift"], entry["act"]["bits"])
        else:  # head
            pooled = a.sum(axis=(1, 2)) if entry["pool"] == "gap" else a.reshape(len(a), -1)
            count = a.shape[1] * a.shape[2] if entry["pool"] == "gap" else 1
            w = arrays[f"{name}.fc.w"]
            bound = w.shape[0] * int(np.max(np.abs(pooled), initial=0)) * int(np.max(np.abs(w)))
            if bound >= EXACT:
                raise InputError("export", name, f"accumulator bound {bound} exceeds 2^53")
            acc = np.rint(pooled.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)
            # logits * count = acc * m0 + b0 * count (the GAP's 1/count folded into a positive factor)
            return acc * arrays[f"{name}.fc.m0"] + arrays[f"{name}.fc.b0"] * count
    raise InputError("export", "program", "has no head unit")


@dataclass(frozen=True, slots=True)
class IntCheck:
    """verify-int's result on one test set."""

    images: int
    int_acc: float
    fake_quant_acc: float
    agreement: float
    tolerance: float

    @property
    def gap_points(self) -> float:
        return 100 * (self.int_acc - self.fake_quant_acc)

    @property
    def ok(self) -> bool:
        return abs(self.gap_points) <= self.tolerance


def verify_int(
    path: str | os.PathLike[str],
    tolerance: float = DEFAULT_TOLERANCE,
    batch: int = 500,
    data: Any = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> IntCheck:
    """Integer inference on the export's test set vs the fake-quantized predictions stored with it.

    `on_batch(done, total)` reports progress in images.
    """
    from pact_train.data import load_dataset

    program, arrays = load_export(path)
    ds = program["dataset"]
    if data is None:
        data = load_dataset(ds["name"], ds["data_dir"])
    data = data.subset(ds["train_limit"], ds["test_limit"])
    fq = arrays["fake_quant_predictions"]
    if len(fq) != len(data.y_test):
        raise InputError(
            "export", str(path), f"was exported with {len(fq)} test images, the data set has {len(data.y_test)}"
        )
    chunks = []
    for s in range(0, len(data.y_test), batch):
        chunks.append(integer_logits(program, arrays, data.x_test[s : s + batch]).argmax(1))
        if on_batch is not None:
            on_batch(min(s + batch, len(data.y_test)), len(data.y_test))
    preds = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
    y = data.y_test
    return IntCheck(len(y), float(np.mean(preds == y)), float(np.mean(fq == y)), float(np.mean(preds == fq)), tolerance)


__all__ = ["DEFAULT_TOLERANCE", "IntCheck", "integer_logits", "load_export", "verify_int"]
