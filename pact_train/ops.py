"""Differentiable NumPy ops: each is a ``*_forward`` that returns ``(out, ctx)`` and a ``*_backward``.

The contract is tinygrad-2020's `Function.forward/backward` without the `Tensor` wrapper: the forward
saves what its backward needs in `ctx` (a plain dict), the backward maps the gradient of the output
to the gradients of the inputs, in the order the forward took them. Ops never mutate their inputs.

Layout is NHWC for activations and (kh, kw, C_in/groups, C_out) for conv weights, so im2col is one
`sliding_window_view` plus one copy and the convolution is one BLAS matmul (batched over groups).
The conv runs that pair over cache-sized blocks of whole images (`BLOCK_BYTES`, a handful of blocks
per layer) so the columns never leave the cache; it is twice as fast as one batch-wide im2col. All
ops keep the dtype of their inputs: float32 in training, float64 in the gradient checks. There are
no Python loops over samples or pixels; besides the cache blocks, loops run only over the kh*kw
kernel taps (pooling, strided conv backward).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Ctx = dict[str, Any]
Pair = tuple[int, int]


def _pair(v: int | Pair) -> Pair:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv_out_hw(h: int, w: int, kernel: Pair, stride: Pair, padding: Pair) -> Pair:
    """Output height and width of a convolution or pooling window (no dilation)."""
    return (h + 2 * padding[0] - kernel[0]) // stride[0] + 1, (w + 2 * padding[1] - kernel[1]) // stride[1] + 1


def _pad_hw(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=value)


def _windows(xp: np.ndarray, kernel: Pair, stride: Pair, out_hw: Pair) -> np.ndarray:
    """Strided view (N, Ho, Wo, C, kh, kw) of the kernel windows of a padded NHWC tensor."""
    win = sliding_window_view(xp, kernel, axis=(1, 2))
    return win[:, : (out_hw[0] - 1) * stride[0] + 1 : stride[0], : (out_hw[1] - 1) * stride[1] + 1 : stride[1]]


#: Bytes of im2col columns processed per block. Convolutions run over the batch in blocks of
#: whole images whose columns fit in the L2/L3 cache, so the im2col copy is consumed by the GEMM
#: straight from cache: about 2x faster than materialising all columns (whose fresh pages alone cost
#: as much as the copy). This is cache blocking of the GEMM's rows, a handful of iterations per
#: layer; all work inside a block is vectorised.
BLOCK_BYTES = 3 << 20

_workspace: dict[tuple[Any, ...], np.ndarray] = {}


def _buffer(tag: str, shape: tuple[int, ...], dtype: np.dtype, *extra: Any) -> np.ndarray:
    """A scratch array reused across calls (zero-filled when first made; callers keep borders zero)."""
    key = (tag, shape, np.dtype(dtype).str, *extra)
    buf = _workspace.get(key)
    if buf is None:
        if len(_workspace) > 256:  # shapes change (eval batches, other models): start afresh
            _workspace.clear()
        buf = _workspace[key] = np.zeros(shape, dtype)
    return buf


def _block_images(per_image_bytes: int, n: int) -> int:
    return max(1, min(n, BLOCK_BYTES // max(per_image_bytes, 1)))


def _im2col_block(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, groups: int, nb: int,
                  out_hw: Pair) -> np.ndarray:
    """Columns of a block of images, written into a reused buffer sized for `nb` images.

    Returns (b*Ho*Wo, kh*kw*C) for one group, else (groups, b*Ho*Wo, kh*kw*C/groups).
    """
    b, h, w, c = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    if ph or pw:
        xp = _buffer("pad", (nb, h + 2 * ph, w + 2 * pw, c), x.dtype, padding)[:b]
        xp[:, ph : ph + h, pw : pw + w] = x
    else:
        xp = x
    win = _windows(xp, kernel, stride, out_hw)  # (b, Ho, Wo, C, kh, kw) view
    ho, wo = out_hw
    m = b * ho * wo
    if groups == 1:
        cols = _buffer("cols", (nb, ho, wo, kh, kw, c), x.dtype)[:b]
        np.copyto(cols, win.transpose(0, 1, 2, 4, 5, 3))
        return cols.reshape(m, kh * kw * c)
    cg = c // groups
    cols = _buffer("gcols", (groups, nb, ho, wo, kh, kw, cg), x.dtype)[:, :b]
    np.copyto(cols, win.reshape(b, ho, wo, groups, cg, kh, kw).transpose(3, 0, 1, 2, 5, 6, 4))
    return cols.reshape(groups, m, kh * kw * cg)


def im2col(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, groups: int = 1) -> tuple[np.ndarray, Pair]:
    """Patches of an NHWC tensor as a matrix, one row per output pixel (a fresh array).

    Returns ``(cols, (Ho, Wo))`` with `cols` of shape (N*Ho*Wo, kh*kw*C) for one group, or
    (groups, N*Ho*Wo, kh*kw*C/groups) otherwise; the column order (kh, kw, c) matches a weight
    tensor stored as (kh, kw, C/groups, C_out).
    """
    n, h, w, c = x.shape
    out_hw = conv_out_hw(h, w, kernel, stride, padding)
    return _im2col_block(x, kernel, stride, padding, groups, n, out_hw).copy(), out_hw


# --- convolution ---------------------------------------------------------------------------------


def _gemm_block(cols: np.ndarray, wmat: np.ndarray, out: np.ndarray) -> None:
    """out = cols @ wmat for one group; grouped: (g, m, KK) @ (g, KK, kg) laid out as (m, g*kg)."""
    if cols.ndim == 2:
        np.matmul(cols, wmat, out=out)
    else:
        g, m, _ = cols.shape
        out.reshape(m, g, -1)[...] = np.matmul(cols, wmat).transpose(1, 0, 2)


def _conv_blocks(x: np.ndarray, wmat: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, groups: int,
                 k: int, out: np.ndarray | None = None) -> np.ndarray:
    """Blocked im2col + GEMM over the batch: (N, H, W, C) -> (N, Ho, Wo, k)."""
    n, h, w, c = x.shape
    ho, wo = conv_out_hw(h, w, kernel, stride, padding)
    y = np.empty((n, ho, wo, k), x.dtype) if out is None else out
    y2 = y.reshape(n * ho * wo, k)
    nb = _block_images(ho * wo * kernel[0] * kernel[1] * c * x.itemsize, n)
    for s in range(0, n, nb):
        cols = _im2col_block(x[s : s + nb], kernel, stride, padding, groups, nb, (ho, wo))
        _gemm_block(cols, wmat, y2[s * ho * wo : min(s + nb, n) * ho * wo])
    return y


def _wmat(w: np.ndarray, groups: int) -> np.ndarray:
    kh, kw, cg, k = w.shape
    if groups == 1:
        return w.reshape(kh * kw * cg, k)
    return np.ascontiguousarray(w.reshape(kh * kw * cg, groups, k // groups).transpose(1, 0, 2))


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    groups: int = 1,
    need_dx: bool = True,
) -> tuple[np.ndarray, Ctx]:
    """Cross-correlation of `x` (N, H, W, C) with `w` (kh, kw, C/groups, K) -> (N, Ho, Wo, K).

    `need_dx=False` (the first layer, whose input is the image) lets the backward skip the input
    gradient, about half of that layer's backward cost.
    """
    stride, padding = _pair(stride), _pair(padding)
    kh, kw, cg, k = w.shape
    c = x.shape[-1]
    if c != cg * groups or k % groups:
        raise ValueError(f"conv2d: input has {c} channels, weight expects {cg}x{groups} groups -> {k}")
    y = _conv_blocks(x, _wmat(w, groups), (kh, kw), stride, padding, groups, k)
    ctx = {"x": x, "w": w, "stride": stride, "padding": padding, "groups": groups, "need_dx": need_dx}
    return y, ctx


def conv2d_backward(ctx: Ctx, dy: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Gradients ``(dx, dw)`` of `conv2d_forward`; `dx` is None when the forward had need_dx=False.

    Per block of images: the columns are rebuilt (cheaper than keeping them: they stay in cache),
    dW accumulates ``cols.T @ dY``. For stride 1, dX is the forward convolution of dY (padded by
    k-1-p) with the flipped, in/out-swapped kernel: no col2im scatter. Strided layers scatter the
    column gradients back with one strided add per kernel tap.
    """
    x: np.ndarray = ctx["x"]
    w: np.ndarray = ctx["w"]
    groups: int = ctx["groups"]
    stride: Pair = ctx["stride"]
    padding: Pair = ctx["padding"]
    need_dx: bool = ctx["need_dx"]
    kh, kw, cg, k = w.shape
    kg = k // groups
    n, h, wd, c = x.shape
    _, ho, wo, _ = dy.shape
    dy2 = dy.reshape(-1, k)
    wmat = _wmat(w, groups)
    dw = np.zeros(wmat.shape, dy.dtype)
    flip = need_dx and stride == (1, 1) and padding[0] <= kh - 1 and padding[1] <= kw - 1
    dx = np.empty(x.shape, dy.dtype) if need_dx else None
    if flip:
        # dX = conv(pad(dY, k-1-p), rot180(W) with in/out channels swapped per group)
        wr = w[::-1, ::-1].reshape(kh, kw, cg, groups, kg).transpose(0, 1, 4, 3, 2).reshape(kh, kw, kg, groups * cg)
        wr_mat, pad_r = _wmat(wr, groups), (kh - 1 - padding[0], kw - 1 - padding[1])
    per_image = ho * wo * kh * kw * max(c, k) * x.itemsize
    nb = _block_images(per_image, n)
    for s in range(0, n, nb):
        e = min(s + nb, n)
        rows = slice(s * ho * wo, e * ho * wo)
        cols = _im2col_block(x[s:e], (kh, kw), stride, padding, groups, nb, (ho, wo))
        dyb = dy2[rows]
        if groups == 1:
            dw += cols.T @ dyb
        else:
            dw += np.matmul(cols.transpose(0, 2, 1), dyb.reshape(-1, groups, kg).transpose(1, 0, 2))
        if not need_dx:
            continue
        if flip:
            _conv_blocks(dy[s:e], wr_mat, (kh, kw), (1, 1), pad_r, groups, groups * cg, out=dx[s:e])  # type: ignore[index]
            continue
        # col2im for strided layers: column gradients, then one strided add per kernel tap
        b = e - s
        if groups == 1:
            dcols = (dyb @ wmat.T).reshape(b, ho, wo, kh, kw, c)
        else:
            dcols = np.matmul(dyb.reshape(-1, groups, kg).transpose(1, 0, 2), wmat.transpose(0, 2, 1))
            dcols = dcols.reshape(groups, b, ho, wo, kh, kw, cg).transpose(1, 2, 3, 4, 5, 0, 6).reshape(b, ho, wo, kh, kw, c)
        sh, sw = stride
        dxp = np.zeros((b, h + 2 * padding[0], wd + 2 * padding[1], c), dy.dtype)
        for i in range(kh):
            for j in range(kw):
                dxp[:, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw] += dcols[:, :, :, i, j]
        dx[s:e] = dxp[:, padding[0] : padding[0] + h, padding[1] : padding[1] + wd]  # type: ignore[index]
    if groups == 1:
        dw = dw.reshape(w.shape)
    else:
        dw = dw.transpose(1, 0, 2).reshape(kh, kw, cg, k)
    return dx, dw


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
    caller updates its running statistics from `mean` and `var`).
    """
    xw, w, c = _wide(x)
    m = x.size // c
    mean = _per_channel_sum(xw, w, c) / m
    xhat = xw - np.tile(mean, w)
    var = _per_channel_sum(xhat * xhat, w, c) / m  # centred form: exact enough in float32 for any offset
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    xhat *= np.tile(inv_std, w)
    y = xhat * np.tile(gamma, w)
    y += np.tile(beta, w)
    return y.reshape(x.shape), {"xhat": xhat, "inv_std": inv_std, "gamma": gamma, "w": w}, mean, var


def batchnorm_backward(ctx: Ctx, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``(dx, dgamma, dbeta)`` of training-mode BatchNorm (batch statistics differentiated)."""
    xhat: np.ndarray = ctx["xhat"]
    w: int = ctx["w"]
    dyw = dy.reshape(xhat.shape)
    c = dy.shape[-1]
    m = dy.size // c
    dbeta = _per_channel_sum(dyw, w, c)
    dgamma = _per_channel_sum(dyw * xhat, w, c)
    # dx = gamma/std * (dy - mean(dy) - xhat * mean(dy * xhat))
    scale = ctx["gamma"] * ctx["inv_std"]
    dx = xhat * np.tile(-scale * dgamma / m, w)
    dx += dyw * np.tile(scale, w)
    dx -= np.tile(scale * dbeta / m, w)
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
