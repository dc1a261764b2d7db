"""Finite-difference gradient checks (tinygrad's ``gradcheck.py`` idea), used by the tests.

Run them in float64: central differences with eps ~1e-6 then agree with an exact backward to
~1e-8 relative, while float32 cannot tell a wrong gradient from rounding noise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_grad(
    f: Callable[[], float], x: np.ndarray, eps: float = 1e-6, index: list[tuple[int, ...]] | None = None
) -> np.ndarray:
    """d f / d x by central differences, perturbing `x` in place (restored afterwards).

    With `index`, only those entries are computed (the rest stay 0): for checks on big tensors.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    entries = index if index is not None else list(np.ndindex(x.shape))
    for i in entries:
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """max|a - b| / (max|a| + max|b|): scale-free, 0 for identical arrays."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    denom = np.max(np.abs(a)) + np.max(np.abs(b))
    return float(np.max(np.abs(a - b)) / denom) if denom > 0 else 0.0


__all__ = ["numerical_grad", "rel_error"]
