"""Reading user files safely: regular files only, bounded size, UTF-8, JSON/TOML with bounded nesting.

Every reader of a user-named file (workload JSON, SCALE-Sim CSV, accelerator config, sweep spec,
trainer config) goes through these, so each hostile input fails the same way: one `InputError`
naming the field and the file, never a traceback and never a hang. A FIFO or a device given as an
input would block or never end, so only regular files are read (a directory or FIFO is named as
such, not as "no such file"). Limits are in docs/limits.md.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from itertools import accumulate
from pathlib import Path
from typing import Any

from accelsim.errors import InputError

#: Largest text input read (JSON/CSV/TOML), in bytes: 64 MiB is ~100x the largest layer graph in the
#: zoo; a bigger file is almost surely not a workload. Raise with ACCELSIM_MAX_INPUT_BYTES.
MAX_TEXT_BYTES = 64 * 2**20

#: Deepest JSON/TOML nesting accepted: a layer graph needs 4 levels, a config 2. Parsers recurse per
#: level, so an unbounded depth is a stack overflow (RecursionError) on a small file.
MAX_NESTING = 64


def max_text_bytes() -> int:
    raw = os.environ.get("ACCELSIM_MAX_INPUT_BYTES")
    if raw is None:
        return MAX_TEXT_BYTES
    if not raw.isdigit() or int(raw) < 1:
        raise InputError("ACCELSIM_MAX_INPUT_BYTES", raw, "must be a positive whole number of bytes")
    return int(raw)


def check_regular_file(path: str | os.PathLike[str], field: str) -> Path:
    """`path` if it names an existing regular file (symlinks followed); else say what it is."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(field, str(path), "no such file") from None
    except NotADirectoryError:
        raise InputError(field, str(path), "no such file (a parent is not a directory)") from None
    except OSError as exc:
        raise InputError(field, str(path), f"cannot be read ({exc.strerror})") from None
    except ValueError as exc:  # an embedded NUL byte
        raise InputError(field, str(path), f"is not a valid path ({exc})") from None
    if not stat.S_ISREG(mode):
        raise InputError(field, str(path), f"is {_kind(mode)}, not a regular file")
    return path


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def read_bytes(path: str | os.PathLike[str], field: str, *, limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (default `max_text_bytes()`)."""
    path = check_regular_file(path, field)
    limit = max_text_bytes() if limit is None else limit
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the check, the open does not hang
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InputError(field, str(path), "is not a regular file")
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(field, str(path), f"cannot be read ({exc.strerror})") from None
    if len(data) > limit:
        raise InputError(
            field, str(path), f"is larger than {limit} bytes (see docs/limits.md; ACCELSIM_MAX_INPUT_BYTES raises it)"
        )
    return data


def read_text(path: str | os.PathLike[str], field: str, *, encoding: str = "utf-8") -> str:
    """A regular file's text; a non-UTF-8 file is named with the offset of its first bad byte."""
    raw = read_bytes(path, field)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            field, str(path), f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None


def parse_json(text: str, field: str, where: str) -> Any:
    """`json.loads` with every failure an InputError: syntax, nesting depth, huge integer literals."""
    _check_nesting(text, field, where)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(field, where, f"is not valid JSON (line {exc.lineno} col {exc.colno}: {exc.msg})") from None
    except (ValueError, RecursionError) as exc:  # an integer over sys.get_int_max_str_digits() digits
        raise InputError(field, where, f"is not usable JSON ({_short(exc)})") from None


def parse_toml(text: str, field: str, where: str) -> dict[str, Any]:
    """`tomllib.loads` with every failure an InputError (tomllib recurses per nesting level)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(field, where, f"is not valid TOML ({exc})") from None
    except (ValueError, RecursionError) as exc:  # deep nesting, or a huge integer literal
        raise InputError(field, where, f"is not usable TOML ({_short(exc)})") from None


def load_json_file(path: str | os.PathLike[str], field: str) -> Any:
    return parse_json(read_text(path, field), field, str(path))


def _check_nesting(text: str, field: str, where: str) -> None:
    """Refuse JSON nested deeper than MAX_NESTING (brackets inside strings skipped), in one linear pass.

    The C parser itself would raise RecursionError near 1000 levels, but code that walks the parsed
    data recursively (copies, encoders) could still overflow below that; 64 leaves room for both.
    """
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return  # cannot be deeper than the number of openers
    brackets = _BRACKETS.findall(_STRINGS.sub("", text))
    if brackets and max(accumulate(map(_DEPTH_STEP.__getitem__, brackets))) > MAX_NESTING:
        raise InputError(field, where, f"nests deeper than {MAX_NESTING} levels (see docs/limits.md)")


_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def _short(exc: BaseException) -> str:
    text = str(exc).split("; use sys.set_int_max_str_digits", 1)[0]
    return text if len(text) <= 160 else text[:157] + "..."


__all__ = [
    "MAX_NESTING",
    "MAX_TEXT_BYTES",
    "check_regular_file",
    "load_json_file",
    "parse_json",
    "parse_toml",
    "read_bytes",
    "read_text",
]
