"""Convolution for the trainer: NHWC activations, (kh, kw, C_in/groups, C_out) weights, im2col + GEMM.

Forward: the input's kernel windows (one `sliding_window_view`) are copied into columns and
multiplied by the weight matrix in one BLAS call, over cache-sized blocks of whole images
(`BLOCK_BYTES`, a handful per layer) so the columns never leave the cache: twice as fast as one
batch-wide im2col. The backward avoids every copy it can, because at 16-32 channels the copies,
not the GEMMs, decide the speed:

* 1x1 convolutions need no columns at all: the input *is* the column matrix (a strided 1x1 conv
  reads a strided view of it; its input gradient lands on that view).
* stride 1: dX is the forward convolution of dY (padded by k-1-p) with the flipped kernel, and dW
  comes from the *same* columns of dY (``dW = X^T @ cols(dY)``, flipped back), so the backward
  builds one set of columns, not two.
* strided layers: dX splits into stride^2 phases (polyphase), each a stride-1 convolution of dY
  with the taps that reach it: no col2im scatter, no FLOP spent on zeros.

There are no Python loops over samples or pixels; loops run over cache blocks and stride phases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pact_train.conv_flat import (
    flat_conv,
    flat_weight_grad,
    flipped,
    polyphase_input_grad,
    use_flat,
)
from pact_train.scratch import buffer

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


def _block_images(per_image_bytes: int, n: int) -> int:
    return max(1, min(n, BLOCK_BYTES // max(per_image_bytes, 1)))


def _im2col_block(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, groups: int, nb: int, out_hw: Pair
) -> np.ndarray:
    """Columns of a block of images, written into a reused buffer sized for `nb` images.

    Returns (b*Ho*Wo, kh*kw*C) for one group, else (groups, b*Ho*Wo, kh*kw*C/groups).
    """
    b, h, w, c = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    if ph or pw:
        xp = buffer("pad", (nb, h + 2 * ph, w + 2 * pw, c), x.dtype, padding)[:b]
        xp[:, ph : ph + h, pw : pw + w] = x
    else:
        xp = x
    win = _windows(xp, kernel, stride, out_hw)  # (b, Ho, Wo, C, kh, kw) view
    ho, wo = out_hw
    m = b * ho * wo
    if groups == 1:
        cols = buffer("cols", (nb, ho, wo, kh, kw, c), x.dtype)[:b]
        np.copyto(cols, win.transpose(0, 1, 2, 4, 5, 3))
        return cols.reshape(m, kh * kw * c)
    cg = c // groups
    cols = buffer("gcols", (groups, nb, ho, wo, kh, kw, cg), x.dtype)[:, :b]
    np.copyto(cols, win.reshape(b, ho, wo, groups, cg, kh, kw).transpose(3, 0, 1, 2, 5, 6, 4))
    return cols.reshape(groups, m, kh * kw * cg)


def im2col(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, groups: int = 1) -> tuple[np.ndarray, Pair]:
    """Patches of an NHWC tensor as a matrix, one row per output pixel (a fresh array).

    Returns ``(cols, (Ho, Wo))`` with `cols` of shape (N*Ho*Wo, kh*kw*C) for one group, or
    (groups, N*Ho*Wo, kh*kw*C/groups) otherwise; the column order (kh, kw, c) matches a weight
    tensor stored as (kh, kw, C/groups, C_out).
    """
    n, h, w, _ = x.shape
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


def _conv_blocks(
    x: np.ndarray,
    wmat: np.ndarray,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    groups: int,
    k: int,
    out: np.ndarray | None = None,
) -> np.ndarray:
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


def _is_pointwise(w: np.ndarray, padding: Pair, groups: int) -> bool:
    return w.shape[0] == w.shape[1] == 1 and padding == (0, 0) and groups == 1


def _pointwise_input(x: np.ndarray, stride: Pair) -> np.ndarray:
    """The (N*Ho*Wo, C) column matrix of a 1x1 conv: the input itself, or its strided view copied once."""
    xs = x[:, :: stride[0], :: stride[1]] if stride != (1, 1) else x
    return np.ascontiguousarray(xs).reshape(-1, x.shape[-1])


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
    n, h, wd, c = x.shape
    if c != cg * groups or k % groups:
        raise ValueError(f"conv2d: input has {c} channels, weight expects {cg}x{groups} groups -> {k}")
    ctx = {"x": x, "w": w, "stride": stride, "padding": padding, "groups": groups, "need_dx": need_dx}
    if _is_pointwise(w, padding, groups):
        cols = _pointwise_input(x, stride)
        ho, wo = conv_out_hw(h, wd, (1, 1), stride, padding)
        ctx["cols"] = cols  # no copy was made for stride 1; for a strided 1x1 it is 1/stride^2 of x
        return (cols @ w.reshape(c, k)).reshape(n, ho, wo, k), ctx
    if use_flat(c, k, groups):
        return flat_conv(x, w, stride, padding), ctx
    return _conv_blocks(x, _wmat(w, groups), (kh, kw), stride, padding, groups, k), ctx


def conv2d_backward(ctx: Ctx, dy: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Gradients ``(dx, dw)`` of `conv2d_forward`; `dx` is None when the forward had need_dx=False."""
    x: np.ndarray = ctx["x"]
    w: np.ndarray = ctx["w"]
    groups: int = ctx["groups"]
    stride: Pair = ctx["stride"]
    padding: Pair = ctx["padding"]
    need_dx: bool = ctx["need_dx"]
    kh, kw, _, _ = w.shape
    if "cols" in ctx:
        return _pointwise_backward(ctx["cols"], x, w, stride, dy, need_dx)
    if use_flat(x.shape[-1], w.shape[-1], groups):
        dw = flat_weight_grad(x, dy, (kh, kw), stride, padding)
        if not need_dx:
            return None, dw
        if stride == (1, 1) and padding[0] <= kh - 1 and padding[1] <= kw - 1:
            return flat_conv(dy, flipped(w), (1, 1), (kh - 1 - padding[0], kw - 1 - padding[1])), dw
        return polyphase_input_grad(x.shape, w, stride, padding, dy), dw
    if need_dx and groups == 1 and stride == (1, 1) and padding[0] <= kh - 1 and padding[1] <= kw - 1:
        return _stride1_backward(x, w, padding, dy)
    dw = _weight_grad(x, w, stride, padding, groups, dy)
    if not need_dx:
        return None, dw
    if groups == 1:
        return polyphase_input_grad(x.shape, w, stride, padding, dy), dw
    return _col2im_input_grad(x.shape, w, stride, padding, groups, dy), dw


def _pointwise_backward(
    cols: np.ndarray, x: np.ndarray, w: np.ndarray, stride: Pair, dy: np.ndarray, need_dx: bool
) -> tuple[np.ndarray | None, np.ndarray]:
    c, k = w.shape[2], w.shape[3]
    dy2 = dy.reshape(-1, k)
    dw = (cols.T @ dy2).reshape(w.shape)
    if not need_dx:
        return None, dw
    dxs = (dy2 @ w.reshape(c, k).T).reshape(*dy.shape[:3], c)
    if stride == (1, 1):
        return dxs, dw
    dx = np.zeros(x.shape, dy.dtype)
    dx[:, :: stride[0], :: stride[1]] = dxs
    return dx, dw


def _stride1_backward(x: np.ndarray, w: np.ndarray, padding: Pair, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stride 1, one group: per block, the columns of padded dY give dX (@ flipped W) and dW (X^T @)."""
    kh, kw, c, k = w.shape
    n, h, wd, _ = x.shape
    pad_r = (kh - 1 - padding[0], kw - 1 - padding[1])
    wr_mat = flipped(w).reshape(kh * kw * k, c)
    x2 = np.ascontiguousarray(x).reshape(n * h * wd, c)
    dx = np.empty(x.shape, dy.dtype)
    dx2 = dx.reshape(n * h * wd, c)
    r = np.zeros((c, kh * kw * k), dy.dtype)  # dW in the flipped column order (kh', kw', K)
    nb = _block_images(h * wd * kh * kw * max(c, k) * x.itemsize, n)
    for s in range(0, n, nb):
        e = min(s + nb, n)
        rows = slice(s * h * wd, e * h * wd)
        dcols = _im2col_block(dy[s:e], (kh, kw), (1, 1), pad_r, 1, nb, (h, wd))
        np.matmul(dcols, wr_mat, out=dx2[rows])
        r += x2[rows].T @ dcols
    # dW[i, j, c, k] = R[c, (kh-1-i, kw-1-j, k)]
    dw = np.ascontiguousarray(r.reshape(c, kh, kw, k)[:, ::-1, ::-1].transpose(1, 2, 0, 3))
    return dx, dw


def _weight_grad(x: np.ndarray, w: np.ndarray, stride: Pair, padding: Pair, groups: int, dy: np.ndarray) -> np.ndarray:
    """dW = cols(X)^T @ dY, the columns rebuilt per cache block (cheaper than keeping them)."""
    kh, kw, cg, k = w.shape
    kg = k // groups
    n, _, _, c = x.shape
    _, ho, wo, _ = dy.shape
    dy2 = dy.reshape(-1, k)
    dw = np.zeros(_wmat(w, groups).shape, dy.dtype)
    nb = _block_images(ho * wo * kh * kw * c * x.itemsize, n)
    for s in range(0, n, nb):
        e = min(s + nb, n)
        cols = _im2col_block(x[s:e], (kh, kw), stride, padding, groups, nb, (ho, wo))
        dyb = dy2[s * ho * wo : e * ho * wo]
        if groups == 1:
            dw += cols.T @ dyb
        else:
            dw += np.matmul(cols.transpose(0, 2, 1), dyb.reshape(-1, groups, kg).transpose(1, 0, 2))
    if groups == 1:
        return dw.reshape(w.shape)
    return dw.transpose(1, 0, 2).reshape(kh, kw, cg, k)


def _col2im_input_grad(
    x_shape: tuple[int, ...], w: np.ndarray, stride: Pair, padding: Pair, groups: int, dy: np.ndarray
) -> np.ndarray:
    """dX of a strided conv: column gradients dY @ W^T scattered back with one strided add per tap.

    Runs over cache-sized blocks of images, like the forward, so the columns and the padded
    block of dX never leave the cache.
    """
    n, h, wd, c = x_shape
    kh, kw, cg, k = w.shape
    kg = k // groups
    _, ho, wo, _ = dy.shape
    sh, sw = stride
    ph, pw = padding
    wmat_t = np.ascontiguousarray(_wmat(w, groups).swapaxes(-1, -2))
    dy2 = dy.reshape(-1, k)
    dx = np.empty(x_shape, dy.dtype)
    nb = _block_images(ho * wo * kh * kw * c * dy.itemsize, n)
    for s in range(0, n, nb):
        b = min(nb, n - s)
        dyb = dy2[s * ho * wo : (s + b) * ho * wo]
        if groups == 1:
            dcols = (dyb @ wmat_t).reshape(b, ho, wo, kh, kw, c)
        else:
            dcols = np.matmul(dyb.reshape(-1, groups, kg).transpose(1, 0, 2), wmat_t)
            dcols = (
                dcols.reshape(groups, b, ho, wo, kh, kw, cg)
                .transpose(1, 2, 3, 4, 5, 0, 6)
                .reshape(b, ho, wo, kh, kw, c)
            )
        dxp = buffer("col2im", (nb, h + 2 * ph, wd + 2 * pw, c), dy.dtype)[:b]
        dxp.fill(0)
        for i in range(kh):
            for j in range(kw):
                dxp[:, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw] += dcols[:, :, :, i, j]
        dx[s : s + b] = dxp[:, ph : ph + h, pw : pw + wd]
    return dx


__all__ = ["BLOCK_BYTES", "Pair", "conv2d_backward", "conv2d_forward", "conv_out_hw", "im2col"]
