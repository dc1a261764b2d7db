"""Deployable export: a trained network as integers in one .npz (no pickle), for integer-only inference.

What the file holds (keys; every array plain NumPy, the program a JSON string):

``program``       JSON: format, the units in order (conv / block / head) with their geometry, the
                  input bits, the fixed-point shift of every requantization, and provenance
                  (data set, test images, the fake-quantized accuracy it was exported with).
``NAME.w``        integer weights of layer NAME (int8/int16/int32, layout kh, kw, C_in, C_out or
                  in, out): ``w_float = w * NAME.w_scale``. DoReFa's levels (2q - n)/n become the
                  odd integers 2q - n with scale 1/n; SAWB's alpha*(2q/n - 1) the same integers with
                  scale alpha/n; binary weights +-1 with scale E|w|.
``NAME.bn_scale`` / ``NAME.bn_shift``  BatchNorm (and conv bias) folded to a per-channel affine map
                  of the float conv output: ``y = conv * bn_scale + bn_shift``.
``ACT.alpha``     the clipping level of every activation (PACT alpha, DoReFa's 1, ReLU-max's range);
                  its output is the integer ``a = clip(round(y * n / alpha), 0, n)``, n = 2^bits - 1.
``NAME.m0`` / ``NAME.b0``  the requantization in fixed point (Jacob et al. 2018, integer-only
                  inference): ``t = acc * m0 + b0`` in int64 with `shift` fraction bits, where acc is
                  the integer accumulator of integer activations times integer weights; then
                  ``a = clip((t + 2^(shift-1)) >> shift, 0, n)``. m0 folds the input scale, the
                  weight scale, BatchNorm and the next activation's n/alpha; residual branches are
                  summed as t values with one shift per block (``BLOCK.identity_m0`` for identity
                  shortcuts). The head's t are the logits in fixed point (argmax only).

Every layer must be quantized (first/last bits included): a float layer has no integer form.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from accelsim.atomic import atomic_write_with
from accelsim.errors import InputError
from pact_train import layers as L
from pact_train.models import BasicBlock, ConvUnit, Head, Net

FORMAT = "pact_train-int-1"
#: bits of the fixed-point requantization multipliers (gemmlowp's int32 multiplier: 31 + sign)
MULTIPLIER_BITS = 31


def act_scale(act: L.Activation, where: str) -> tuple[np.ndarray, int]:
    """(alpha as a float64 scalar array, n = 2^bits - 1) of a quantizing activation."""
    if act.bits is None:
        raise InputError("deploy", where, "has a float activation; integer export needs every layer quantized")
    alpha = np.asarray(act.alpha_value(), np.float64)
    if alpha.ndim:
        # the next layer sums over input channels: a per-channel step cannot leave the integer GEMM
        raise InputError(
            "deploy",
            where,
            "has per-channel alphas; integer export needs one alpha per layer (the PACT paper's choice)",
        )
    if np.any(alpha <= 0):
        raise InputError("deploy", where, "has no clipping level yet (ReLU-max before any training step)")
    return alpha, (1 << act.bits) - 1


def integer_weights(layer: Any, where: str) -> tuple[np.ndarray, float]:
    """(integer weights, scale) with ``w_q = w_int * scale`` exactly as the trainer's quantizer gives w_q."""
    wq = layer.wq
    if not wq.active:
        raise InputError("deploy", where, "has float weights; integer export needs every layer quantized")
    w_q, ctx = wq.forward(layer.weight.data)
    w_q = w_q.astype(np.float64)
    n = (1 << wq.bits) - 1
    if wq.bits == 1 and wq.scheme == "dorefa":
        scale = float(np.max(np.abs(w_q)))
    elif wq.scheme == "dorefa":
        scale = 1.0 / n
    else:  # sawb
        scale = float(ctx["alpha"]) / n
    w_int = np.rint(w_q / scale)
    if np.max(np.abs(w_q - w_int * scale)) > 1e-5 * max(float(np.max(np.abs(w_q))), 1e-30):
        raise InputError("deploy", where, "weights are not on an integer grid (unexpected quantizer output)")
    top = int(np.max(np.abs(w_int)))
    dtype = np.int8 if top < 2**7 else np.int16 if top < 2**15 else np.int32
    return w_int.astype(dtype), scale


def _bn_affine(unit: ConvUnit, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (scale, shift) of BatchNorm in inference mode plus the conv bias."""
    scale, shift = np.ones(k), np.zeros(k)
    if hasattr(unit.conv, "bias"):
        shift = shift + unit.conv.bias.data.astype(np.float64)
    if hasattr(unit, "bn"):
        bn: L.BatchNorm = unit.bn
        g = bn.gamma.data.astype(np.float64) / np.sqrt(bn.running_var.astype(np.float64) + bn.eps)
        shift = (shift - bn.running_mean.astype(np.float64)) * g + bn.beta.data.astype(np.float64)
        scale = g
    return scale, shift


def _shift_for(multipliers: list[np.ndarray]) -> int:
    """Fraction bits so the largest multiplier uses MULTIPLIER_BITS bits."""
    top = max(float(np.max(np.abs(m))) for m in multipliers)
    if top == 0:
        return MULTIPLIER_BITS
    return max(0, min(62 - MULTIPLIER_BITS, MULTIPLIER_BITS - math.ceil(math.log2(top))))


class _Writer:
    """Collects arrays and program entries while walking the network."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def conv(
        self,
        name: str,
        unit: ConvUnit,
        in_scale: np.ndarray,
        out: tuple[np.ndarray, int] | None,
    ) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
        """Weights, folded BN; returns (program entry, real multiplier, real offset) toward `out`'s grid."""
        conv: L.Conv2d = unit.conv
        w_int, w_scale = integer_weights(conv, name)
        bn_scale, bn_shift = _bn_affine(unit, conv.out_channels)
        self.arrays.update(
            {
                f"{name}.w": w_int,
                f"{name}.w_scale": np.asarray(w_scale, np.float64),
                f"{name}.bn_scale": bn_scale,
                f"{name}.bn_shift": bn_shift,
            }
        )
        to_grid = 1.0 if out is None else out[1] / out[0]
        mult = np.asarray(in_scale, np.float64) * w_scale * bn_scale * to_grid
        entry: dict[str, Any] = {
            "name": name,
            "stride": conv.stride,
            "padding": conv.padding,
            "groups": conv.groups,
            "kernel": list(conv.kernel),
        }
        if hasattr(unit, "pool"):
            p: L.MaxPool = unit.pool
            if isinstance(p, L.AvgPool):
                raise InputError("deploy", name, "average pooling inside a conv unit has no integer form here")
            entry["pool"] = {"kernel": p.kernel, "stride": p.stride, "padding": p.padding}
        return entry, mult * np.ones(conv.out_channels), bn_shift * to_grid

    def requant(self, name: str, mult: np.ndarray, offset: np.ndarray, shift: int) -> None:
        self.arrays[f"{name}.m0"] = np.rint(mult * 2.0**shift).astype(np.int64)
        self.arrays[f"{name}.b0"] = np.rint(offset * 2.0**shift).astype(np.int64)

    def act(self, name: str, act: L.Activation) -> tuple[dict[str, Any], tuple[np.ndarray, int]]:
        alpha, n = act_scale(act, name)
        self.arrays[f"{name}.alpha"] = alpha
        return {"bits": act.bits, "alpha": f"{name}.alpha"}, (alpha, n)


def deploy_arrays(net: Net) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The integer program and arrays of a trained network (see the module docstring)."""
    if net.input.bits is None:
        raise InputError("deploy", "input", "the image is not quantized (first_bits none); integer export needs it")
    wr = _Writer()
    units: list[dict[str, Any]] = []
    scale = np.asarray(1.0 / ((1 << net.input.bits) - 1))  # real value of one step of the current activations
    for name, unit in net.units():
        if isinstance(unit, ConvUnit):
            act_entry, out = wr.act(f"{name}.act", unit.act) if hasattr(unit, "act") else (None, None)
            if out is None:
                raise InputError("deploy", name, "a conv unit without an activation has no integer output grid")
            entry, mult, off = wr.conv(name, unit, scale, out)
            entry["shift"] = _shift_for([mult])
            wr.requant(name, mult, off, entry["shift"])
            units.append({"unit": "conv", **entry, "act": act_entry})
            scale = out[0] / out[1]
        elif isinstance(unit, BasicBlock):
            units.append(_block(wr, name, unit, scale))
            alpha, n = act_scale(unit.act, f"{name}.act")
            scale = alpha / n
        elif isinstance(unit, Head):
            units.append(_head(wr, name, unit, scale))
        else:
            raise InputError("deploy", name, f"unit type {type(unit).__name__} has no integer form")
    return {"units": units, "input_bits": net.input.bits}, wr.arrays


def _block(wr: _Writer, name: str, block: BasicBlock, in_scale: np.ndarray) -> dict[str, Any]:
    a1, out1 = wr.act(f"{name}.conv1.act", block.conv1.act)
    e1, m1, o1 = wr.conv(f"{name}.conv1", block.conv1, in_scale, out1)
    e1["shift"] = _shift_for([m1])
    wr.requant(e1["name"], m1, o1, e1["shift"])
    act_entry, out = wr.act(f"{name}.act", block.act)
    e2, m2, o2 = wr.conv(f"{name}.conv2", block.conv2, out1[0] / out1[1], out)
    branches = [m2]
    entry: dict[str, Any] = {"unit": "block", "name": name, "conv1": {**e1, "act": a1}, "conv2": e2, "act": act_entry}
    if hasattr(block, "shortcut"):
        es, ms, os_ = wr.conv(f"{name}.shortcut", block.shortcut, in_scale, out)
        branches.append(ms)
        entry["shortcut"] = es
    else:
        identity = np.asarray(in_scale, np.float64) * out[1] / out[0] * np.ones(block.conv2.conv.out_channels)
        branches.append(identity)
    shift = _shift_for(branches)
    entry["shift"] = shift
    wr.requant(f"{name}.conv2", m2, o2, shift)
    if hasattr(block, "shortcut"):
        wr.requant(f"{name}.shortcut", ms, os_, shift)
    else:
        wr.arrays[f"{name}.identity_m0"] = np.rint(identity * 2.0**shift).astype(np.int64)
    return entry


def _head(wr: _Writer, name: str, head: Head, in_scale: np.ndarray) -> dict[str, Any]:
    fc: L.Dense = head.fc
    w_int, w_scale = integer_weights(fc, f"{name}.fc")
    bias = fc.bias.data.astype(np.float64) if hasattr(fc, "bias") else np.zeros(fc.out_features)
    wr.arrays.update(
        {f"{name}.fc.w": w_int, f"{name}.fc.w_scale": np.asarray(w_scale, np.float64), f"{name}.fc.bias": bias}
    )
    gap = isinstance(head.pool, L.GlobalAvgPool)
    # GAP sums the integers; its 1/(H*W) is folded in at inference, where H*W is known
    mult = np.asarray(in_scale, np.float64) * w_scale * np.ones(fc.out_features)
    shift = _shift_for([mult])
    wr.requant(f"{name}.fc", mult, bias, shift)
    return {"unit": "head", "name": name, "pool": "gap" if gap else "flatten", "shift": shift}


def export_deployable(run_dir: str | os.PathLike[str], out: str | os.PathLike[str], data: Any = None) -> dict[str, Any]:
    """Write the integer .npz of `run_dir` (atomically); returns its program (with provenance).

    `data` overrides the run's data set (tests); the fake-quantized predictions stored in the file
    are on its test images, which verify-int reuses.
    """
    from pact_train.train import evaluate, load_run

    config, model, info, data = load_run(run_dir, data)
    program, arrays = deploy_arrays(model)
    logits_acc = evaluate(model, data.x_test, data.y_test)
    predictions = (
        np.concatenate(
            [model.forward(data.x_test[s : s + 500], train=False).argmax(1) for s in range(0, len(data.y_test), 500)]
        )
        if len(data.y_test)
        else np.zeros(0)
    )
    program.update(
        {
            "format": FORMAT,
            "model": model.arch,
            "input_shape_nhwc": list(model.in_shape),
            "dataset": {
                "name": config.dataset,
                "data_dir": config.data_dir,
                "train_limit": config.train_limit,
                "test_limit": config.test_limit,
            },
            "fake_quant_test_acc": logits_acc[1],
            "epochs_trained": info["epoch"],
            "quant": config.quant.to_dict(),
        }
    )
    arrays["program"] = np.asarray(json.dumps(program, sort_keys=True))
    arrays["fake_quant_predictions"] = predictions.astype(np.int16)
    atomic_write_with(Path(out), lambda f: np.savez(f, **arrays))
    return program


__all__ = ["FORMAT", "MULTIPLIER_BITS", "deploy_arrays", "export_deployable", "integer_weights"]
