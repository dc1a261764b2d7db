"""Start a quantized network from a trained float one: copy its weights, calibrate the clipping levels.

Two uses: ``pact-train train --init RUN_OR_NPZ`` fine-tunes a quantized network that starts from a
float checkpoint (the usual practice in Distiller, Brevitas and NVIDIA's toolkits, rather than
training the quantized network from scratch), and ``pact-train ptq`` measures that starting point
without any training: post-training quantization, the baseline row of every quantization table.

Clipping levels come from the float network's own activations on a fixed calibration set (the
first `CALIB_IMAGES` training images, inference mode): the input of every activation, after the
ReLU the float network applies there, reduced per layer (or per channel) to

* ``percentile``: its 99.99th percentile (default). NVIDIA's calibrators (pytorch-quantization /
  Model-Optimizer ``HistogramCalibrator.compute_amax("percentile", percentile=99.99)``) use this
  default; Intel Neural Compressor's ``PercentileCalibrator`` uses 99.999. For PACT this is the
  "alpha from activation statistics" initialisation (PaddleSlim PR #398 inits alpha from the
  activations' abs-max; the trainer notes found alpha = 10 barely moves in short runs).
* ``max``: the largest value seen (min/max calibration; the lower end is 0 after a ReLU).

PACT alphas are set to that level; ReLU-max activations get it as their running maximum;
DoReFa's clip stays at 1 (it is not a learned or calibrated level). Weights are copied as they
are: the weight quantizer of the new configuration (DoReFa, SAWB) quantizes them on the fly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from accelsim.errors import InputError
from pact_train import layers as L
from pact_train.data import Dataset
from pact_train.models import Net

CALIB_IMAGES = 1024
CALIB_METHODS = ("percentile", "max")
DEFAULT_PERCENTILE = 99.99


@contextmanager
def _recording(model: Net) -> Iterator[dict[str, list[np.ndarray]]]:
    """Record, per activation module (by name), the inputs it sees while the block runs."""
    seen: dict[str, list[np.ndarray]] = {}
    acts = model.activation_modules()
    originals = {name: act.forward for name, act in acts}

    def wrap(name: str, fwd: Any) -> Any:
        def forward(x: np.ndarray, train: bool = True) -> np.ndarray:
            seen.setdefault(name, []).append(np.maximum(x, 0))
            return fwd(x, train)

        return forward

    for name, act in acts:
        act.forward = wrap(name, originals[name])  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        for _, act in acts:
            del act.forward  # back to the class's method


def activation_levels(
    float_model: Net,
    images: np.ndarray,
    method: str = "percentile",
    percentile: float = DEFAULT_PERCENTILE,
    per_channel: bool = False,
    batch: int = 256,
) -> dict[str, np.ndarray]:
    """Per activation (module name): the calibrated clipping level of its (post-ReLU) input."""
    if method not in CALIB_METHODS:
        raise InputError("calib", method, f"must be one of {', '.join(CALIB_METHODS)}")
    if not 0 < percentile <= 100:
        raise InputError("percentile", percentile, "must be in (0, 100]")
    with _recording(float_model) as seen:
        for s in range(0, len(images), batch):
            float_model.forward(images[s : s + batch], train=False)
    levels = {}
    for name, chunks in seen.items():
        c = chunks[0].shape[-1]
        values = (
            np.concatenate([v.reshape(-1, c) for v in chunks])
            if per_channel
            else np.concatenate([v.ravel() for v in chunks])
        )
        axis = 0 if per_channel else None
        level = values.max(axis=axis) if method == "max" else np.percentile(values, percentile, axis=axis)
        levels[name] = np.maximum(np.asarray(level, np.float32), np.float32(1e-3))  # all-zero channel: keep alpha > 0
    return levels


def init_from_float(
    model: Net, float_model: Net, data: Dataset, method: str = "percentile", percentile: float = DEFAULT_PERCENTILE
) -> dict[str, Any]:
    """Copy a float network's weights and BN statistics into `model`, then calibrate its clipping levels.

    Returns a summary: the parameters the float network does not have (the alphas) and the level
    set per activation.
    """
    source = dict(float_model.named_params())
    missing = []
    for name, p in model.named_params():
        if name not in source:
            missing.append(name)
            continue
        if source[name].data.shape != p.data.shape:
            raise InputError(
                "init", name, f"has shape {source[name].data.shape} in the float network, {p.data.shape} here"
            )
        p.data[...] = source[name].data
    float_buffers = dict(float_model.named_buffers())
    for name, _ in list(model.named_buffers()):
        if name in float_buffers:
            model.set_buffer(name, float_buffers[name])
    acts = dict(model.activation_modules())
    per_channel = any(isinstance(a, L.PACT) and a.alpha.data.ndim == 1 for a in acts.values())
    levels = activation_levels(float_model, data.x_train[:CALIB_IMAGES], method, percentile, per_channel)
    for name, act in acts.items():
        level = levels.get(name)
        if level is None:
            continue
        if isinstance(act, L.PACT):
            act.alpha.data[...] = level if act.alpha.data.ndim else np.float32(np.max(level))
        elif isinstance(act, L.ReLUQuant):
            act.running_top = np.asarray(np.max(level), np.float32)
    return {"not_in_float_network": missing, "levels": {n: np.asarray(v).tolist() for n, v in levels.items()}}


__all__ = ["CALIB_IMAGES", "CALIB_METHODS", "DEFAULT_PERCENTILE", "activation_levels", "init_from_float"]
