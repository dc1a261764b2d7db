"""Differentiable NumPy ops: each is a ``*_forward`` that returns ``(out, ctx)`` and a ``*_backward``.

The contract is tinygrad-2020's `Function.forward/backward` without the `Tensor` wrapper: the forward
saves what its backward needs in `ctx` (a plain dict), the backward maps the gradient of the output
to the gradients of the inputs, in the order the forward took them. Ops never mutate their inputs.

Layout is NHWC for activations and (kh, kw, C_in/groups, C_out) for conv weights; the convolution
itself lives in `pact_train.conv` and is re-exported here. All ops keep the dtype of their inputs:
float32 in training, float64 in the gradient checks. There are no Python loops over samples or
pixels; loops run only over the kh*kw kernel taps (pooling).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pact_train.conv import (
    Pair,
    _pad_hw,
    _pair,
    _windows,
    conv2d_backward,
    conv2d_forward,
    conv_out_hw,
    im2col,
)

Ctx = dict[str, Any]


# --- batch normalisation -------------------------------------------------------------------------


def _channel_sum(x2: np.ndarray) -> np.ndarray:
    """Per-channel sum of an (M, C) matrix as a GEMV with a ones vector (15x faster than .sum(0))."""
    return np.ones(x2.shape[0], dtype=x2.dtype) @ x2


def _wide(x: np.ndarray) -> tuple[np.ndarray, int, int]:
    """View an (..., W, C) tensor as (rows, W*C) so per-channel broadcasts run W*C-long inner loops.

    NumPy's per-element overhead dominates when the inner loop is only C (16) long; with the
    per-channel vectors tiled W times the same arithmetic is 3-5x faster. Returns (view, W, C).
    """
    c = x.shape[-1]
    w = x.shape[-2] if x.ndim >= 3 else 1
    return x.reshape(-1, w * c), w, c


def _per_channel_sum(xw: np.ndarray, w: int, c: int) -> np.ndarray:
    return _channel_sum(xw).reshape(w, c).sum(axis=0)


def batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, Ctx, np.ndarray, np.ndarray]:
    """Training-mode BatchNorm over every axis but the last (channels).

    Returns ``(y, ctx, mean, var)``; `var` is the biased batch variance used for normalising (the
    caller updates its running statistics from `mean` and `var`). The normalise-scale-shift is
    one affine map ``y = (x - mean) * (gamma / std) + beta`` (two passes over the data instead of
    four); the backward rebuilds xhat's terms from the centred input it keeps.
    """
    xw, w, c = _wide(x)
    m = x.size // c
    mean = _per_channel_sum(xw, w, c) / m
    xc = xw - np.tile(mean, w)
    sq = np.multiply(xc, xc)
    var = _per_channel_sum(sq, w, c) / m  # centred form: exact enough in float32 for any offset
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    y = np.multiply(xc, np.tile(gamma * inv_std, w), out=sq)
    y += np.tile(beta, w)
    return y.reshape(x.shape), {"xc": xc, "inv_std": inv_std, "gamma": gamma, "w": w}, mean, var


def batchnorm_backward(ctx: Ctx, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``(dx, dgamma, dbeta)`` of training-mode BatchNorm (batch statistics differentiated).

    ``dx = gamma/std * (dy - mean(dy) - xhat * mean(dy * xhat))``, with xhat = xc/std, evaluated
    as ``dy * A + xc * B + C`` with per-channel A, B, C.
    """
    xc: np.ndarray = ctx["xc"]
    inv_std: np.ndarray = ctx["inv_std"]
    w: int = ctx["w"]
    dyw = dy.reshape(xc.shape)
    c = dy.shape[-1]
    m = dy.size // c
    dbeta = _per_channel_sum(dyw, w, c)
    tmp = np.multiply(dyw, xc)
    dgamma = _per_channel_sum(tmp, w, c) * inv_std
    scale = ctx["gamma"] * inv_std
    np.multiply(xc, np.tile(-scale * inv_std * dgamma / m, w), out=tmp)
    dx = dyw * np.tile(scale, w)
    dx += tmp
    dx += np.tile(-scale * dbeta / m, w)
    return dx.reshape(dy.shape), dgamma, dbeta


def batchnorm_eval_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray, var: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, Ctx]:
    """Inference-mode BatchNorm with fixed statistics: a per-channel affine map."""
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    xhat = (x - mean) * inv_std
    return xhat * gamma + beta, {"scale": gamma * inv_std, "xhat": xhat}


def batchnorm_eval_backward(ctx: Ctx, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = dy.shape[-1]
    dy2 = dy.reshape(-1, c)
    return dy * ctx["scale"], _channel_sum(dy2 * ctx["xhat"].reshape(-1, c)), _channel_sum(dy2)


# --- dense ---------------------------------------------------------------------------------------


def dense_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> tuple[np.ndarray, Ctx]:
    """``y = x @ w + b`` with `x` (N, K), `w` (K, F)."""
    y = x @ w
    if b is not None:
        y = y + b
    return y, {"x": x, "w": w, "has_b": b is not None}


def dense_backward(ctx: Ctx, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients ``(dx, dw, db)``; `db` is None when the forward had no bias."""
    db = _channel_sum(dy) if ctx["has_b"] else None
    return dy @ ctx["w"].T, ctx["x"].T @ dy, db


# --- pooling -------------------------------------------------------------------------------------


def _pool_geometry(
    x: np.ndarray, kernel: int | Pair, stride: int | Pair | None, padding: int | Pair
) -> tuple[Pair, Pair, Pair, Pair]:
    """(kernel, stride, padding, output h/w) of a pooling window over NHWC `x`; stride defaults to the kernel."""
    kernel = _pair(kernel)
    stride = kernel if stride is None else _pair(stride)
    padding = _pair(padding)
    return kernel, stride, padding, conv_out_hw(x.shape[1], x.shape[2], kernel, stride, padding)


def maxpool_forward(
    x: np.ndarray, kernel: int | Pair = 2, stride: int | Pair | None = None, padding: int | Pair = 0
) -> tuple[np.ndarray, Ctx]:
    """Max over each window (padding counts as -inf); ties send the gradient to the first maximum."""
    kernel, stride, padding, out_hw = _pool_geometry(x, kernel, stride, padding)
    n, _, _, c = x.shape
    xp = _pad_hw(x, padding, -np.inf)
    win = _windows(xp, kernel, stride, out_hw).reshape(n, out_hw[0], out_hw[1], c, kernel[0] * kernel[1])
    arg = win.argmax(axis=-1)
    y = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    return y, {"arg": arg, "x_shape": x.shape, "kernel": kernel, "stride": stride, "padding": padding}


def maxpool_backward(ctx: Ctx, dy: np.ndarray) -> np.ndarray:
    arg: np.ndarray = ctx["arg"]
    (kh, kw), (sh, sw), (ph, pw) = ctx["kernel"], ctx["stride"], ctx["padding"]
    n, h, w, c = ctx["x_shape"]
    _, ho, wo, _ = dy.shape
    dxp = np.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=dy.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw] += dy * (arg == i * kw + j)
    return dxp[:, ph : ph + h, pw : pw + w]


def avgpool_forward(
    x: np.ndarray, kernel: int | Pair = 2, stride: int | Pair | None = None, padding: int | Pair = 0
) -> tuple[np.ndarray, Ctx]:
    """Mean over each window; zero padding is counted in the divisor (count_include_pad)."""
    kernel, stride, padding, out_hw = _pool_geometry(x, kernel, stride, padding)
    y = _windows(_pad_hw(x, padding), kernel, stride, out_hw).mean(axis=(-2, -1), dtype=x.dtype)
    return y, {"x_shape": x.shape, "kernel": kernel, "stride": stride, "padding": padding}


def avgpool_backward(ctx: Ctx, dy: np.ndarray) -> np.ndarray:
    (kh, kw), (sh, sw), (ph, pw) = ctx["kernel"], ctx["stride"], ctx["padding"]
    n, h, w, c = ctx["x_shape"]
    _, ho, wo, _ = dy.shape
    dxp = np.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=dy.dtype)
    share = dy / (kh * kw)
    for i in range(kh):
        for j in range(kw):
            dxp[:, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw] += share
    return dxp[:, ph : ph + h, pw : pw + w]


def global_avgpool_forward(x: np.ndarray) -> tuple[np.ndarray, Ctx]:
    """(N, H, W, C) -> (N, C): the mean over all pixels."""
    return x.mean(axis=(1, 2), dtype=x.dtype), {"x_shape": x.shape}


def global_avgpool_backward(ctx: Ctx, dy: np.ndarray) -> np.ndarray:
    n, h, w, c = ctx["x_shape"]
    return np.broadcast_to((dy / (h * w))[:, None, None, :], (n, h, w, c)).copy()


# --- element-wise --------------------------------------------------------------------------------


def add_forward(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Ctx]:
    """Residual sum; both inputs receive the output gradient unchanged."""
    return a + b, {}


def add_backward(ctx: Ctx, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return dy, dy


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, Ctx]:
    return np.maximum(x, 0), {"mask": x > 0}


def relu_backward(ctx: Ctx, dy: np.ndarray) -> np.ndarray:
    return dy * ctx["mask"]


# --- loss ----------------------------------------------------------------------------------------


def softmax_cross_entropy_forward(logits: np.ndarray, labels: np.ndarray) -> tuple[float, Ctx]:
    """Mean over the batch of ``-log softmax(logits)[label]`` (max-shifted for stability)."""
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    loss = -float(log_p[np.arange(n), labels].mean())
    return loss, {"log_p": log_p, "labels": labels}


def softmax_cross_entropy_backward(ctx: Ctx, dloss: float = 1.0) -> np.ndarray:
    log_p: np.ndarray = ctx["log_p"]
    n = log_p.shape[0]
    grad = np.exp(log_p)
    grad[np.arange(n), ctx["labels"]] -= 1.0
    return grad * (dloss / n)


__all__ = [
    "add_backward",
    "add_forward",
    "avgpool_backward",
    "avgpool_forward",
    "batchnorm_backward",
    "batchnorm_eval_backward",
    "batchnorm_eval_forward",
    "batchnorm_forward",
    "conv2d_backward",
    "conv2d_forward",
    "conv_out_hw",
    "dense_backward",
    "dense_forward",
    "global_avgpool_backward",
    "global_avgpool_forward",
    "im2col",
    "maxpool_backward",
    "maxpool_forward",
    "relu_backward",
    "relu_forward",
    "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward",
]
