"""Atomic file writes: a temp file beside the target, fsync, then `os.replace`.

A reader (or a crash) sees the old file or the new one, never half of one — the brief's "nothing
half-written". Every writer in the project goes through `atomic_write`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once at import: os.umask can only be read by setting it, which would race with files other
#: threads (a Dask worker's, say) create meanwhile.
_UMASK = _read_umask()


def atomic_write_with(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Call `write(handle)` on a temp file beside `path`, then move it into place.

    The file gets the usual permissions (0666 less the umask), not mkstemp's private 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write `data` (text as UTF-8, or bytes) to `path` atomically."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    atomic_write_with(path, lambda handle: handle.write(payload))


__all__ = ["atomic_write", "atomic_write_with"]
