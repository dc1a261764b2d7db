"""Convolution without im2col ("flat shift"), for thin layers where the column copy costs more than the GEMM.

Flatten a block of zero-padded NHWC images to rows (n, h, w) of width Hp*Wp. For stride 1, tap
(i, j) of the output at row p reads input row p + i*Wp + j, so each tap is one BLAS GEMM on a
contiguous (M, C) slice, and the output is the sum of kh*kw such products, computed on the whole
padded grid (the border rows are dropped). A stride-s layer first splits the padded block into
its s^2 phases (space-to-depth, one copy of the input); tap (i, j) then reads phase
(i mod s, j mod s) at the shift (i div s, j div s), and the same holds.

The same idea runs the backward: dW accumulates, per tap, shifted input rows (transposed) times
dY laid on the same grid (zeros outside the output); dX of a stride-1 layer is the flat conv of
dY with the flipped kernel, and of a strided layer one flat conv per input phase (polyphase: the
taps that reach that phase, no zeros inserted, nothing scattered).

With 16 channels this is 1.3-1.5x faster per layer than im2col + one GEMM; at 32-64 channels the
im2col GEMM's 288-576-long inner dimension is the better shape (`FLAT_MAX_CHANNELS`).
"""

from __future__ import annotations

import numpy as np

from pact_train.scratch import buffer

Pair = tuple[int, int]
Taps = list[tuple[int, int, np.ndarray]]  # (phase, row offset, weight matrix)

#: Bytes of padded input per block: input, output and one tap's product all stay in L2.
FLAT_BLOCK_BYTES = 256 << 10
#: Channel counts (in and out) up to which the flat convolution is used (bench/train_speed.py on
#: ResNet20: 1.3x faster at 16 channels, 0.6-0.75x at 32 and 64).
FLAT_MAX_CHANNELS = 16


def use_flat(c: int, k: int, groups: int) -> bool:
    return groups == 1 and max(c, k) <= FLAT_MAX_CHANNELS


class _Grid:
    """Geometry of the padded, phase-split input of one layer: phase grid Hq x Wq, tail rows."""

    def __init__(self, h: int, w: int, kernel: Pair, stride: Pair, padding: Pair) -> None:
        self.h, self.w, self.kernel, self.stride, self.padding = h, w, kernel, stride, padding
        sh, sw = stride
        self.hq, self.wq = -(-(h + 2 * padding[0]) // sh), -(-(w + 2 * padding[1]) // sw)
        self.tail = ((kernel[0] - 1) // sh + 1) * self.wq + (kernel[1] - 1) // sw + 1

    def taps(self, w: np.ndarray) -> Taps:
        sh, sw = self.stride
        return [
            ((i % sh) * sw + j % sw, (i // sh) * self.wq + j // sw, w[i, j])
            for i in range(self.kernel[0])
            for j in range(self.kernel[1])
        ]

    def block(self, n: int, c: int, itemsize: int) -> int:
        return max(
            1, min(n, FLAT_BLOCK_BYTES // max(self.hq * self.wq * self.stride[0] * self.stride[1] * c * itemsize, 1))
        )

    def phases(self, x: np.ndarray, s: int, b: int, nb: int) -> list[np.ndarray]:
        """Images s..s+b of `x`, padded and phase-split, each phase as (nb*Hq*Wq + tail, C) rows."""
        c = x.shape[-1]
        sh, sw = self.stride
        (ph, pw), hq, wq = self.padding, self.hq, self.wq
        key = (nb, hq, wq, self.stride, self.padding, self.h, self.w)
        rows = nb * hq * wq
        if (sh, sw) == (1, 1):
            flat = buffer("flat", (rows + self.tail, c), x.dtype, *key)
            flat[:rows].reshape(nb, hq, wq, c)[:b, ph : ph + self.h, pw : pw + self.w] = x[s : s + b]
            return [flat]
        padded = buffer("flat_pad", (nb, hq * sh, wq * sw, c), x.dtype, *key)
        padded[:b, ph : ph + self.h, pw : pw + self.w] = x[s : s + b]
        out = []
        for a in range(sh):
            for e in range(sw):
                flat = buffer("flat_phase", (rows + self.tail, c), x.dtype, a, e, *key)
                flat[: b * hq * wq].reshape(b, hq, wq, c)[...] = padded[:b, a::sh, e::sw]
                out.append(flat)
        return out


def _tap_sum(phases: list[np.ndarray], m: int, taps: Taps, acc: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """acc[:m] = sum over taps of phase[offset : offset + m] @ W: one BLAS GEMM per tap."""
    out = acc[:m]
    for t, (phase, off, wt) in enumerate(taps):
        src = phases[phase][off : off + m]
        if t == 0:
            np.matmul(src, wt, out=out)
        else:
            np.matmul(src, wt, out=tmp[:m])
            np.add(out, tmp[:m], out=out)
    return out


def flat_conv(x: np.ndarray, w: np.ndarray, stride: Pair, padding: Pair) -> np.ndarray:
    """Cross-correlation (N, H, W, C) x (kh, kw, C, K) -> (N, Ho, Wo, K), one GEMM per tap."""
    n, h, wd, c = x.shape
    kh, kw, _, k = w.shape
    g = _Grid(h, wd, (kh, kw), stride, padding)
    ho, wo = (h + 2 * padding[0] - kh) // stride[0] + 1, (wd + 2 * padding[1] - kw) // stride[1] + 1
    nb = g.block(n, c, x.itemsize)
    taps = g.taps(w)
    acc = buffer("flat_acc", (nb * g.hq * g.wq, k), x.dtype)
    tmp = buffer("flat_tmp", (nb * g.hq * g.wq, k), x.dtype)
    y = np.empty((n, ho, wo, k), x.dtype)
    for s in range(0, n, nb):
        b = min(nb, n - s)
        out = _tap_sum(g.phases(x, s, b, nb), b * g.hq * g.wq, taps, acc, tmp)
        y[s : s + b] = out.reshape(b, g.hq, g.wq, k)[:, :ho, :wo]
    return y


def flat_weight_grad(x: np.ndarray, dy: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """dW (kh, kw, C, K): per tap, the shifted input rows (transposed) @ dY laid on the phase grid."""
    n, h, wd, c = x.shape
    _, ho, wo, k = dy.shape
    g = _Grid(h, wd, kernel, stride, padding)
    nb = g.block(n, max(c, k), x.itemsize)
    taps = g.taps(np.zeros((*kernel, 1, 1)))
    dw = np.zeros((len(taps), c, k), dy.dtype)
    grid = buffer("flat_dy", (nb, g.hq, g.wq, k), dy.dtype, ho, wo)  # pixels outside the output stay zero
    for s in range(0, n, nb):
        b = min(nb, n - s)
        m = b * g.hq * g.wq
        phases = g.phases(x, s, b, nb)
        grid[:b, :ho, :wo] = dy[s : s + b]
        g2 = grid.reshape(nb * g.hq * g.wq, k)[:m]
        for t, (phase, off, _) in enumerate(taps):
            dw[t] += phases[phase][off : off + m].T @ g2
    return dw.reshape(*kernel, c, k)


def flipped(w: np.ndarray) -> np.ndarray:
    """rot180(W) with input and output channels swapped: the kernel of dX = conv(dY), stride 1."""
    return np.ascontiguousarray(w[::-1, ::-1].transpose(0, 1, 3, 2))


def _phase_taps(phase: int, pad: int, stride: int, kernel: int) -> list[tuple[int, int]]:
    """(tap, dY offset) pairs reaching input rows ``stride*a + phase``, ordered by offset.

    Output row o reads input row stride*o + i - pad through tap i; for input row stride*a + phase
    that is o = a + (phase + pad - i) / stride, for the taps where the division is exact (their
    offsets are consecutive integers, so each phase is a dense stride-1 correlation of dY).
    """
    taps = [(i, (phase + pad - i) // stride) for i in range(kernel) if (phase + pad - i) % stride == 0]
    return sorted(taps, key=lambda t: t[1])


def _phase_pad(phases: list[tuple[int, list[tuple[int, int]], int]], out_len: int) -> int:
    """Zero padding of dY (each side) that keeps every phase's shifted reads inside the flat rows."""
    need = [0]
    for _, taps, count in phases:
        for _, d in taps:
            need += [-d, count - 1 + d - (out_len - 1)]
    return max(need)


def polyphase_input_grad(
    x_shape: tuple[int, ...], w: np.ndarray, stride: Pair, padding: Pair, dy: np.ndarray
) -> np.ndarray:
    """dX of a conv (any stride and padding, one group): per input phase, the flat conv of dY with its taps."""
    n, h, wd, c = x_shape
    kh, kw, _, k = w.shape
    ho, wo = dy.shape[1:3]
    rows = [
        (p, _phase_taps(p, padding[0], stride[0], kh), len(range(p, h, stride[0]))) for p in range(min(stride[0], h))
    ]
    cols = [
        (p, _phase_taps(p, padding[1], stride[1], kw), len(range(p, wd, stride[1]))) for p in range(min(stride[1], wd))
    ]
    pad = (_phase_pad(rows, ho), _phase_pad(cols, wo))
    reach = (
        max([d for _, t, _ in rows for _, d in t], default=0) + pad[0] + 1,
        max([d for _, t, _ in cols for _, d in t], default=0) + pad[1] + 1,
    )
    g = _Grid(ho, wo, reach, (1, 1), pad)  # `reach` only sizes the zero tail after the last row
    nb = g.block(n, max(c, k), dy.itemsize)
    acc = buffer("phase_acc", (nb * g.hq * g.wq, c), dy.dtype)
    tmp = buffer("phase_tmp", (nb * g.hq * g.wq, c), dy.dtype)
    dx = np.zeros(x_shape, dy.dtype)  # phases no tap reaches stay zero
    for s in range(0, n, nb):
        b = min(nb, n - s)
        flat = g.phases(dy, s, b, nb)
        for pr, row_taps, nr in rows:
            for pc, col_taps, nc in cols:
                if not row_taps or not col_taps:
                    continue
                taps = [(0, (dr + pad[0]) * g.wq + dc + pad[1], w[i, j].T) for i, dr in row_taps for j, dc in col_taps]
                out = _tap_sum(flat, b * g.hq * g.wq, taps, acc, tmp)
                dx[s : s + b, pr :: stride[0], pc :: stride[1]] = out.reshape(b, g.hq, g.wq, c)[:, :nr, :nc]
    return dx


__all__ = [
    "FLAT_BLOCK_BYTES",
    "FLAT_MAX_CHANNELS",
    "flat_conv",
    "flat_weight_grad",
    "flipped",
    "polyphase_input_grad",
    "use_flat",
]
