"""Output files: regular files replaced atomically, special files written through, never replaced.

A regular file is written to a temp file beside it, fsynced, then moved into place with `os.replace`:
a reader (or a crash) sees the old file or the new one, never half of one (the brief's "nothing
half-written"). But `os.replace` onto a device node or a FIFO would swap the special file for a
regular one (run as root, ``-o /dev/full`` replaced the system's /dev/full), so what a path names
decides how it is written:

- ``-``: standard output.
- a symlink: followed; its target is written by these same rules and the link is kept.
- a path under /dev or /proc (``/dev/stdout``, ``/dev/fd/3``), a character device or a FIFO:
  written through, opened without ``O_CREAT`` (a FIFO with no reader is refused, not waited on).
- a directory, block device or socket: refused (`InputError`, exit 2).

Every failure to write (a missing or non-directory parent, a full disk, a read-only file system)
is an `InputError` naming the path and the reason, so the CLI prints one line and exits 2. A temp
file a killed writer left behind (``.NAME.PID.XXXX.tmp``) is removed by the next write to NAME once
its process is gone.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from accelsim.errors import InputError


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once at import: os.umask can only be read by setting it, which would race with files other
#: threads (a Dask worker's, say) create meanwhile.
_UMASK = _read_umask()

#: Path prefixes whose files are never replaced, whatever they resolve to (/dev/stdout -> pipe:[...]).
_WRITE_THROUGH_PREFIXES = ("/dev/", "/proc/")


def atomic_write_with(
    path: str | os.PathLike[str], write: Callable[[BinaryIO], object], *, field: str = "output"
) -> None:
    """Call `write(handle)` on the output `path` names (see the module docstring for which kind).

    A new or replaced regular file gets the usual permissions (0666 less the umask), not
    mkstemp's private 0600. Errors are `InputError(field, path, reason)`.
    """
    if os.fspath(path) == "-":
        _write_stream(sys.stdout.buffer, write, field, "-")
        return
    target = _resolve(Path(path), field)
    kind = _kind(target)
    if kind == "regular":
        _replace_regular(target, write, field, os.fspath(path))
    elif kind == "through":
        _write_through(target, write, field, os.fspath(path))
    else:
        raise InputError(field, os.fspath(path), f"is {kind}; give a regular file path")


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, field: str = "output") -> None:
    """Write `data` (text as UTF-8, or bytes) to `path` (atomically when it is a regular file)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    atomic_write_with(path, lambda handle: handle.write(payload), field=field)


def check_output_path(path: str | os.PathLike[str], *, field: str = "output") -> None:
    """Refuse, before any work, an output path that `atomic_write` could not write.

    Checks what can be known without writing: the kind of file, and that the nearest existing
    parent is a directory. Nothing is created.
    """
    if os.fspath(path) == "-":
        return
    target = _resolve(Path(path), field)
    kind = _kind(target)
    if kind not in ("regular", "through"):
        raise InputError(field, os.fspath(path), f"is {kind}; give a regular file path")
    if kind == "regular":
        parent = target.parent
        while not parent.exists() and parent != parent.parent:
            if parent.is_symlink():
                break
            parent = parent.parent
        if parent.exists() and not parent.is_dir():
            raise InputError(field, os.fspath(path), f"cannot be written: {parent} is not a directory")


def _resolve(path: Path, field: str) -> Path:
    """Follow symlinks (the link is kept, its target written); /dev and /proc paths stay as given."""
    if str(path).startswith(_WRITE_THROUGH_PREFIXES):
        return path
    try:
        return Path(os.path.realpath(path, strict=False))
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise InputError(field, str(path), f"cannot be resolved ({exc})") from None


def _kind(target: Path) -> str:
    """ "regular" (or absent), "through" (write into it), or a description of what is refused."""
    if str(target).startswith(_WRITE_THROUGH_PREFIXES):
        return "through"
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return "regular"
    except NotADirectoryError:
        return "regular"  # a parent is a file: the write reports it
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if stat.S_ISREG(mode):
        return "regular"
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "through"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISBLK(mode):
        return "a block device (accelsim does not overwrite disks)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _why(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot be written: the disk is full ({exc.strerror})"
    if exc.errno == errno.ENOTDIR or isinstance(exc, FileExistsError):
        return f"cannot be written: a parent is not a directory ({exc.strerror})"
    return f"cannot be written ({exc.strerror or exc})"


def _replace_regular(target: Path, write: Callable[[BinaryIO], object], field: str, shown: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise InputError(field, shown, _why(exc)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise InputError(field, shown, _why(exc)) from None
        raise


def _write_through(target: Path, write: Callable[[BinaryIO], object], field: str, shown: str) -> None:
    """Open an existing special file for writing (no create, no replace) and write into it."""
    # O_NONBLOCK: a FIFO without a reader fails at once instead of hanging; O_APPEND: /dev/stdout
    # redirected to a file (`>>` or `>`) is continued, not overwritten from offset 0.
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise InputError(field, shown, "is a FIFO with no reader") from None
        raise InputError(field, shown, _why(exc)) from None
    try:
        os.set_blocking(fd, True)
    except OSError:
        pass  # a device without blocking modes: write anyway
    try:
        with os.fdopen(fd, "wb", closefd=True) as handle:
            _write_stream(handle, write, field, shown)
    except OSError as exc:  # the final flush on close (/dev/full)
        raise InputError(field, shown, _why(exc)) from None


def _write_stream(handle: BinaryIO, write: Callable[[BinaryIO], object], field: str, shown: str) -> None:
    try:
        write(handle)
        handle.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise InputError(field, shown, _why(exc)) from None


def _remove_stale_temps(target: Path) -> None:
    """Delete ``.NAME.PID.*.tmp`` beside `target` whose writer process no longer exists."""
    prefix = f".{target.name}."
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid_text = name[len(prefix) :].split(".", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        try:
            os.unlink(target.parent / name)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


__all__ = ["atomic_write", "atomic_write_with", "check_output_path"]
