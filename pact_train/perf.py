"""Process-level speed settings for training runs: BLAS threads and glibc's allocator.

Called by the ``pact-train`` command and the benchmark, never on import. A training step
allocates and frees dozens of 1-30 MB arrays; by default glibc serves big ones with fresh
``mmap`` pages (or trims the heap) and every step page-faults them in again, which costs as much
as the arithmetic in BatchNorm and PACT (measured 2x on this box). Raising the mmap and trim
thresholds keeps those pages in the process. Both settings are optional: without glibc or
threadpoolctl nothing changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import sys
from collections.abc import Iterator

# glibc mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3


def tune_allocator(mmap_threshold: int = 32 << 20, trim_threshold: int = 1 << 30, top_pad: int = 64 << 20) -> bool:
    """Keep big temporaries on the heap (glibc only); returns whether the settings took effect."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc: leave it alone
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = mallopt(_M_MMAP_THRESHOLD, mmap_threshold) == 1
    ok &= mallopt(_M_TRIM_THRESHOLD, trim_threshold) == 1
    ok &= mallopt(_M_TOP_PAD, top_pad) == 1
    return bool(ok)


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[bool]:
    """Cap BLAS threads at `n` inside the block (needs threadpoolctl, which scikit-learn brings).

    Yields whether the cap is in force; without threadpoolctl, OPENBLAS_NUM_THREADS set before
    NumPy loads is the way.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield False
        return
    with threadpool_limits(n):
        yield True


def machine_summary() -> str:
    """CPU model and count, NumPy version, and the BLAS library, version, kernel and threads in use.

    Same seed gives the same weights bit for bit only with the same BLAS kernel and thread count:
    tables of results name this line. The BLAS facts come from threadpoolctl when installed.
    """
    import os
    import platform

    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    parts = [f"{cpu}, {os.cpu_count()} CPUs", f"NumPy {np.__version__}"]
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "; ".join(parts + ["BLAS unknown (no threadpoolctl)"])
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            parts.append(
                f"{lib.get('internal_api')} {lib.get('version')} kernel {lib.get('architecture', '?')}, "
                f"{lib.get('num_threads')} threads"
            )
    return "; ".join(parts)


__all__ = ["blas_threads", "machine_summary", "tune_allocator"]
