"""Quantizers: each a forward returning ``(q, ctx)`` and a straight-through backward.

Activations
    PACT (Choi et al. 2018, arXiv:1805.06085, eqs. 1-3), DoReFa's fixed clip at 1 (Zhou et al. 2016,
    arXiv:1606.06160), and plain ReLU quantized over its observed range (no clipping), the baseline
    of PACT section 3.
Weights
    DoReFa (tanh-normalised, gradient through tanh and the max) and SAWB (Choi et al. 2018b,
    "Bridging the accuracy gap for 2-bit QNN", arXiv:1807.06964): scale from the first two moments
    of the weights, then uniform symmetric levels.

`bits=None` everywhere means "not quantized" (the function keeps its clipping/normalisation only),
which is also what the finite-difference checks differentiate. Rounding is NumPy's
round-half-to-even; the straight-through estimator (STE, Bengio et al. 2013) treats
``d round(z)/dz = 1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from accelsim.errors import InputError
from accelsim.ir.checks import check_bits as ir_check_bits

Ctx = dict[str, Any]

#: SAWB coefficients (c1, c2): ``alpha_w = c1 * sqrt(E[w^2]) + c2 * E[|w|]`` for a grid of 2^k levels
#: without zero ({-a, -a/3, a/3, a} at 2 bits). Source: the SAWB authors' group's code, IBM
#: fms-model-optimizer, ``fms_mo/quant_refactor/sawb_utils.py::sawb_params`` (Apache-2.0), for
#: Choi et al. 2018b (arXiv:1807.06964), where they are fitted so alpha_w minimises the weight
#: quantization MSE over a family of bell-shaped distributions. Written with c2 < 0, so the
#: paper's "c1*sqrt(E[w^2]) - c2*E[|w|]" with c2 > 0 is the same formula. A commented alternative
#: for 2 bits there is (3.212, -2.178).
SAWB_COEFFS: dict[int, tuple[float, float]] = {
    2: (3.12, -2.064),
    3: (7.509, -6.892),
    4: (12.68, -12.80),
    5: (17.74, -18.64),
    8: (31.76, -35.04),
}


def check_bits(field: str, bits: Any, allow_none: bool = True) -> int | None:
    """Validate a bit width: `accelsim.ir.checks.check_bits` (the project's one rule), or None (full
    precision) when allowed."""
    if bits is None and allow_none:
        return None
    try:
        return ir_check_bits(field, bits)
    except InputError as exc:
        if not allow_none:
            raise
        raise InputError(field, bits, exc.rule + " or none") from None


def quantize_unit(u: np.ndarray, bits: int | None) -> np.ndarray:
    """DoReFa's ``quantize_k``: u in [0, 1] to the grid ``{0, 1/n, ..., 1}``, n = 2^k - 1 (STE: identity)."""
    if bits is None:
        return u
    n = (1 << bits) - 1
    return np.round(u * n) / n


# --- PACT ----------------------------------------------------------------------------------------


def pact_forward(x: np.ndarray, alpha: np.ndarray | float, bits: int | None) -> tuple[np.ndarray, Ctx]:
    """PACT: ``y = clip(x, 0, alpha)``, ``y_q = round(y * n / alpha) * alpha / n`` with n = 2^k - 1.

    `alpha` is a scalar (one per layer, the paper's choice) or a vector over the last (channel)
    axis of `x`. Returns ``(y_q, ctx)``.
    """
    a = np.asarray(alpha, dtype=x.dtype)
    # NumPy's fast paths: a Python float for a scalar alpha (a 0-d array is ~5x slower here)
    av: float | np.ndarray = float(a) if a.ndim == 0 else a
    y = np.clip(x, 0, av)
    if bits is not None:
        n = (1 << bits) - 1
        y *= n / av if a.ndim == 0 else (n / a).astype(x.dtype)
        np.rint(y, out=y)
        y *= av / n if a.ndim == 0 else (a / n).astype(x.dtype)
    # the masks are rebuilt from x in the backward: cheaper than keeping two boolean arrays
    return y, {"x": x, "alpha": av}


def pact_backward(ctx: Ctx, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PACT eq. 3 with the STE: ``dy_q/dx = 1[0 <= x < alpha]``, ``dy_q/dalpha = 1[x >= alpha]``.

    Returns ``(dx, dalpha)``; `dalpha` has alpha's shape (summed over everything but channels for
    a per-channel alpha). The L2 term on alpha is the optimizer's job (like weight decay).
    """
    x: np.ndarray = ctx["x"]
    a = ctx["alpha"]
    inside = x >= 0
    inside &= x < a
    dx = dy * inside
    clipped = x >= a
    if np.ndim(a) == 0:
        dalpha = np.asarray(np.dot(dy.ravel(), clipped.ravel().astype(dy.dtype)), dtype=dy.dtype)
    else:
        c = dy.shape[-1]
        g = (dy * clipped).reshape(-1, c)
        dalpha = np.ones(g.shape[0], dtype=dy.dtype) @ g
    return dx, dalpha


def clip_quant_forward(x: np.ndarray, bits: int | None, clip: float = 1.0) -> tuple[np.ndarray, Ctx]:
    """DoReFa activations: PACT with a fixed clipping level (1 by default) that is not learned."""
    return pact_forward(x, clip, bits)


def clip_quant_backward(ctx: Ctx, dy: np.ndarray) -> np.ndarray:
    return pact_backward(ctx, dy)[0]


def relu_quant_forward(x: np.ndarray, bits: int | None, top: float | None = None) -> tuple[np.ndarray, Ctx]:
    """ReLU quantized over ``[0, top]`` with no learned clip: PACT section 3's "ReLU + quantize" baseline.

    `top=None` (training) uses the batch maximum, so nothing is clipped; at inference the caller
    passes its running maximum and values above it saturate. Returns ``(y_q, ctx)``; ``ctx["top"]``
    is the range used.
    """
    y = np.maximum(x, 0)
    t = float(y.max()) if top is None else float(top)
    if bits is not None and t > 0:
        n = (1 << bits) - 1
        np.minimum(y, t, out=y)
        y *= n / t
        np.rint(y, out=y)
        y *= t / n
    passed = x > 0
    passed &= x <= t
    return y, {"pass": passed, "top": t}


def relu_quant_backward(ctx: Ctx, dy: np.ndarray) -> np.ndarray:
    return dy * ctx["pass"]


def quantize_input(x: np.ndarray, bits: int | None) -> np.ndarray:
    """The image as the first layer reads it: [0, 1] on a 2^k - 1 step grid (8 bits: exact for uint8)."""
    if bits is None:
        return x
    return quantize_unit(np.clip(x, 0, 1), bits).astype(x.dtype, copy=False)


# --- weights: DoReFa -----------------------------------------------------------------------------


def dorefa_weight_forward(w: np.ndarray, bits: int | None) -> tuple[np.ndarray, Ctx]:
    """DoReFa weights: ``w_q = 2 * quantize_k(tanh(w) / (2 max|tanh(w)|) + 1/2) - 1``, in [-1, 1].

    1 bit is DoReFa's binary case ``sign(w) * E[|w|]``. `bits=None` keeps the normalisation only
    (``tanh(w) / max|tanh(w)|``), which is what the gradient check differentiates.
    """
    if bits == 1:
        e = np.abs(w).mean(dtype=np.float64)
        return np.where(w >= 0, e, -e).astype(w.dtype), {"binary": True}
    t = np.tanh(w)
    j = int(np.argmax(np.abs(t)))
    m = float(abs(t.flat[j]))
    if m == 0.0:  # all-zero weights: nothing to normalise
        return np.zeros_like(w), {"binary": False, "t": t, "m": 1.0, "j": j, "zero": True}
    u = t / (2 * m) + 0.5
    wq = 2 * quantize_unit(u, bits) - 1
    return wq.astype(w.dtype, copy=False), {"binary": False, "t": t, "m": m, "j": j, "zero": False}


def dorefa_weight_backward(ctx: Ctx, g: np.ndarray) -> np.ndarray:
    """Gradient through the STE round, the max normalisation and tanh (tensorpack/Distiller behaviour)."""
    if ctx["binary"]:
        return g
    if ctx["zero"]:
        return np.zeros_like(g)
    t: np.ndarray = ctx["t"]
    m: float = ctx["m"]
    gt = g / m  # d w_q / d t = 2 * 1/(2m) through the direct path
    gm = -float(np.vdot(g, t)) / (m * m)  # through m = max|t|
    gt = gt.copy()
    gt.flat[ctx["j"]] += gm * np.sign(t.flat[ctx["j"]])
    return (gt * (1 - t * t)).astype(g.dtype, copy=False)


# --- weights: SAWB -------------------------------------------------------------------------------


def sawb_scale(w: np.ndarray, bits: int, coeffs: tuple[float, float] | None = None) -> float:
    """SAWB's clipping scale ``alpha_w = c1 * sqrt(E[w^2]) + c2 * E[|w|]`` (falls back to max|w| if <= 0)."""
    if coeffs is None:
        if bits not in SAWB_COEFFS:
            raise InputError("w_bits", bits, f"SAWB has published coefficients for {sorted(SAWB_COEFFS)} bits only")
        coeffs = SAWB_COEFFS[bits]
    c1, c2 = coeffs
    w64 = w.astype(np.float64, copy=False)
    alpha = c1 * float(np.sqrt(np.mean(w64 * w64))) + c2 * float(np.mean(np.abs(w64)))
    if alpha <= 0:  # can happen for very peaked weights; IBM's code falls back the same way
        alpha = float(np.max(np.abs(w64)))
    return alpha


def sawb_weight_forward(
    w: np.ndarray, bits: int | None, coeffs: tuple[float, float] | None = None
) -> tuple[np.ndarray, Ctx]:
    """SAWB weights: ``w_q = alpha_w * (2 * quantize_k((clip(w / alpha_w, -1, 1) + 1) / 2) - 1)``.

    2^k symmetric levels without zero (±alpha/3, ±alpha at 2 bits). `bits=None`: unchanged weights.
    """
    if bits is None:
        return w, {"mask": None}
    alpha = sawb_scale(w, bits, coeffs)
    u = np.clip(w / alpha, -1, 1) * 0.5 + 0.5
    wq = alpha * (2 * quantize_unit(u, bits) - 1)
    return wq.astype(w.dtype, copy=False), {"mask": np.abs(w) <= alpha, "alpha": alpha}


def sawb_weight_backward(ctx: Ctx, g: np.ndarray) -> np.ndarray:
    """STE inside the clipping range, zero outside (alpha_w treated as a constant, as SAWBSTE does)."""
    if ctx["mask"] is None:
        return g
    return np.where(ctx["mask"], g, 0).astype(g.dtype, copy=False)


# --- a weight quantizer as one object ------------------------------------------------------------

WEIGHT_SCHEMES = ("none", "dorefa", "sawb")


class WeightQuantizer:
    """A weight quantizer bound to a scheme and a bit width: ``wq, ctx = q.forward(w)``; ``q.backward(ctx, g)``."""

    __slots__ = ("scheme", "bits")

    def __init__(self, scheme: str, bits: int | None) -> None:
        if scheme not in WEIGHT_SCHEMES:
            raise InputError("weight_quant", scheme, f"must be one of {', '.join(WEIGHT_SCHEMES)}")
        self.scheme = scheme
        self.bits = check_bits("w_bits", bits)
        if scheme == "sawb" and self.bits is not None and self.bits not in SAWB_COEFFS:
            raise InputError(
                "w_bits", self.bits, f"SAWB has published coefficients for {sorted(SAWB_COEFFS)} bits only"
            )

    @property
    def active(self) -> bool:
        return self.scheme != "none" and self.bits is not None

    def forward(self, w: np.ndarray) -> tuple[np.ndarray, Ctx]:
        if not self.active:
            return w, {}
        if self.scheme == "dorefa":
            return dorefa_weight_forward(w, self.bits)
        return sawb_weight_forward(w, self.bits)

    def backward(self, ctx: Ctx, g: np.ndarray) -> np.ndarray:
        if not self.active:
            return g
        if self.scheme == "dorefa":
            return dorefa_weight_backward(ctx, g)
        return sawb_weight_backward(ctx, g)

    def __repr__(self) -> str:
        return f"WeightQuantizer({self.scheme!r}, bits={self.bits})"


__all__ = [
    "SAWB_COEFFS",
    "WEIGHT_SCHEMES",
    "WeightQuantizer",
    "check_bits",
    "clip_quant_backward",
    "clip_quant_forward",
    "dorefa_weight_backward",
    "dorefa_weight_forward",
    "pact_backward",
    "pact_forward",
    "quantize_input",
    "quantize_unit",
    "relu_quant_backward",
    "relu_quant_forward",
    "sawb_scale",
    "sawb_weight_backward",
    "sawb_weight_forward",
]
