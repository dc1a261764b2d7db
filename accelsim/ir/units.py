"""One vocabulary: the name, unit and parser of every hardware quantity a user writes.

A config file key is the command-line flag of the same name (``sram = "16MB"`` is ``--sram 16MB``)
and the sweep axis of the same name, and the tables print it under that name with its unit in the
header. Why one module: the same quantity used to have four names (``sram_bytes_per_core`` in
files, ``sram_bytes`` on axes, ``--sram`` on one command, ``sram_mb`` in tables) and four copies
of the alias map; a value written one way must mean the same everywhere.

Units: sizes are bytes with SI (``MB`` = 10^6) or IEC (``MiB`` = 2^20) prefixes; bandwidth is GB/s
(10^9 bytes/s) or ``inf``; clocks take ``GHz``/``MHz``/``kHz``/``Hz`` (a bare number is GHz).
Parsing is exact (``"0.7GHz"`` and ``"700MHz"`` are the same float) because design points are
keyed by their canonical JSON.

>>> parse_size("sram", "16MB"), parse_size("sram", "28MiB"), format_size(29_360_128)
(16000000, 29360128, '28MiB')
>>> parse_clock("700MHz") == parse_clock("0.7GHz") == 7e8, format_clock(1.5e9)
(True, '1.5GHz')
>>> parse_array("16x32"), parse_mac_bits("8x16"), format_mac_bits(8, 8)
((16, 32), (8, 16), 8)
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from accelsim.errors import InputError
from accelsim.ir.checks import check_bits

#: Byte multipliers; decimal prefixes are SI (MB = 1e6), binary ones IEC (MiB = 2**20).
SIZE_UNITS: dict[str, int] = {
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
    "TiB": 2**40,
}
_SIZE_UPPER = {k.upper(): v for k, v in SIZE_UNITS.items()}
#: Clock multipliers (Hz).
CLOCK_UNITS: dict[str, int] = {"HZ": 1, "KHZ": 10**3, "MHZ": 10**6, "GHZ": 10**9}

#: Every "MB" in accelsim's output is 10^6 bytes (SRAM vendors and PACT's "16 MB" alike).
MB = 10**6

_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)\s*([A-Za-z]*)\s*$")
_PAIR = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")
_INT = re.compile(r"^\s*[+]?\d+\s*$")

#: The largest sensible bare-number clock in GHz; above it the user meant Hz or MHz.
_MAX_BARE_GHZ = 100


def parse_int(field: str, raw: Any, lo: int = 1, hi: int | None = None) -> int:
    """An integer in lo..hi from an int or a digit string (never a bool or a float)."""
    rule = f"must be an integer >= {lo}" if hi is None else f"must be an integer in {lo}..{hi}"
    if isinstance(raw, bool):
        raise InputError(field, raw, rule)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _INT.match(raw):
        value = int(raw)
    else:
        raise InputError(field, raw, rule)
    if value < lo or (hi is not None and value > hi):
        raise InputError(field, raw, rule)
    return value


def parse_size(field: str, raw: Any) -> int:
    """Integer bytes: ``8MB`` = 8e6, ``512KiB`` = 524288; a bare integer is bytes."""
    rule = f"must be a positive size such as 16MB or 512KiB (units: {', '.join(SIZE_UNITS)})"
    if isinstance(raw, bool):
        raise InputError(field, raw, rule)
    if isinstance(raw, int):
        if raw < 1:
            raise InputError(field, raw, rule)
        return raw
    if not isinstance(raw, str):
        raise InputError(field, raw, rule)
    m = _NUMBER_UNIT.match(raw)
    unit = (m.group(2) or "B").upper() if m else ""
    if not m or unit not in _SIZE_UPPER:
        raise InputError(field, raw, rule)
    value = Fraction(m.group(1)) * _SIZE_UPPER[unit]
    if value.denominator != 1 or value < 1:
        raise InputError(field, raw, "must be a whole, positive number of bytes")
    return int(value)


def format_size(n_bytes: int) -> str:
    """The shortest exact spelling: 16000000 -> '16MB', 29360128 -> '28MiB', 5333333 -> '5333333B'."""
    spellings = []
    for unit, scale in SIZE_UNITS.items():  # SI before IEC: ties go to MB
        text = f"{n_bytes / scale:g}"
        if n_bytes >= scale and "e" not in text and Fraction(text) * scale == n_bytes:
            spellings.append(f"{text}{unit}")
    return min(spellings, key=len, default=f"{n_bytes}B")


def parse_bw(raw: Any, field: str = "bw") -> float:
    """External bandwidth in GB/s: a positive number, or ``inf`` for the compute-only bound."""
    rule = "must be a number > 0 (GB/s) or inf"
    if isinstance(raw, bool):
        raise InputError(field, raw, rule)
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise InputError(field, raw, rule) from None
    else:
        raise InputError(field, raw, rule)
    if math.isnan(value) or value <= 0:
        raise InputError(field, raw, rule)
    return value


def format_bw(gb_per_s: float) -> float | str:
    """JSON/TOML-safe bandwidth: the number, or the string ``"inf"``."""
    return "inf" if math.isinf(gb_per_s) else gb_per_s


def parse_clock(raw: Any, field: str = "clock") -> float:
    """A clock in Hz from ``"1.5GHz"``, ``"700MHz"`` or a bare number of GHz."""
    rule = "must be a positive frequency such as 1.5GHz or 700MHz (a bare number is GHz)"
    if isinstance(raw, bool):
        raise InputError(field, raw, rule)
    if isinstance(raw, (int, float)):
        text, unit = repr(float(raw)), "GHZ"
    elif isinstance(raw, str) and (m := _NUMBER_UNIT.match(raw)):
        text, unit = m.group(1), (m.group(2) or "GHz").upper()
    else:
        raise InputError(field, raw, rule)
    if unit not in CLOCK_UNITS:
        raise InputError(field, raw, rule)
    try:
        number = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise InputError(field, raw, rule) from None
    if number <= 0 or math.isinf(float(number)):
        raise InputError(field, raw, rule)
    if unit == "GHZ" and number > _MAX_BARE_GHZ:
        raise InputError(field, raw, f"is over {_MAX_BARE_GHZ} GHz; write the unit, e.g. 700MHz")
    return float(number * CLOCK_UNITS[unit])


def format_clock(hz: float) -> str:
    """'1.5GHz', '700MHz': the largest unit whose decimal spelling parses back to exactly `hz`."""
    for unit, scale in (("GHz", 10**9), ("MHz", 10**6), ("kHz", 10**3)):
        text = f"{hz / scale:.12g}"
        if hz >= scale and parse_clock(f"{text}{unit}") == hz:
            return f"{text}{unit}"
    return f"{hz!r}Hz"


def parse_array(raw: Any, field: str = "array") -> tuple[int, int]:
    """Systolic array shape ``ROWSxCOLS`` (``16x32`` -> (16, 32)); a TOML pair ``[16, 32]`` also works."""
    rule = "must be ROWSxCOLS with positive integers, e.g. 16x32"
    if isinstance(raw, str):
        m = _PAIR.match(raw)
        if not m:
            raise InputError(field, raw, rule)
        rows, cols = int(m.group(1)), int(m.group(2))
    elif (
        isinstance(raw, (list, tuple))
        and len(raw) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
    ):
        rows, cols = raw
    else:
        raise InputError(field, raw, rule)
    if rows < 1 or cols < 1:
        raise InputError(field, raw, rule)
    return (rows, cols)


def format_array(rows: int, cols: int) -> str:
    return f"{rows}x{cols}"


def parse_mac_bits(raw: Any, field: str = "mac_bits") -> tuple[int, int]:
    """MAC operand widths (weights, activations): ``16`` -> (16, 16), ``"8x16"`` -> (8, 16)."""
    pair = _PAIR.match(raw) if isinstance(raw, str) else None
    if pair is not None:
        w, a = (int(v) for v in pair.groups())
    else:
        w = a = parse_int(field, raw, 1)
    try:
        return check_bits(field, w), check_bits(field, a)
    except InputError as exc:
        raise InputError(field, raw, exc.rule) from None


def format_mac_bits(w_bits: int, a_bits: int) -> int | str:
    return w_bits if w_bits == a_bits else f"{w_bits}x{a_bits}"


__all__ = [
    "CLOCK_UNITS",
    "MB",
    "SIZE_UNITS",
    "format_array",
    "format_bw",
    "format_clock",
    "format_mac_bits",
    "format_size",
    "parse_array",
    "parse_bw",
    "parse_clock",
    "parse_int",
    "parse_mac_bits",
    "parse_size",
]
