"""Reused scratch arrays for the convolution kernels (one per tag, shape, dtype and layout key).

A training step would otherwise allocate and fault in the same multi-megabyte temporaries for
every block of every layer. Buffers are zero-filled when first made; callers that rely on zero
borders (padding) only ever write the interior, and put everything that fixes where that interior
lies into the key.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_workspace: dict[tuple[Any, ...], np.ndarray] = {}

#: more distinct buffers than this (eval batches, other models) and the cache starts afresh
MAX_BUFFERS = 256


def buffer(tag: str, shape: tuple[int, ...], dtype: Any, *key: Any) -> np.ndarray:
    """The scratch array for (tag, shape, dtype, *key), made zero-filled on first use."""
    full = (tag, shape, np.dtype(dtype).str, *key)
    buf = _workspace.get(full)
    if buf is None:
        if len(_workspace) > MAX_BUFFERS:
            _workspace.clear()
        buf = _workspace[full] = np.zeros(shape, dtype)
    return buf


__all__ = ["MAX_BUFFERS", "buffer"]
