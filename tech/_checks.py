"""Input validation shared by the tech models.

Why a module of its own: every public entry point checks bit widths, byte counts and reduction
lengths the same way, and raises `InputError` naming the field, so the CLI can report exactly
which user value was wrong instead of failing deep inside a formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral, Real

from accelsim.errors import InputError
from accelsim.ir.checks import check_bits  # the one bit-width rule, re-exported for tech's modules


def _finite_real(field: str, value: object, rule: str, accept: Callable[[float], bool]) -> float:
    """`value` as a float when it is a real number, finite and accepted; InputError(rule) otherwise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(field, value, rule)
    as_float = float(value)
    if not math.isfinite(as_float) or not accept(as_float):
        raise InputError(field, value, rule)
    return as_float


def check_bytes(field: str, value: object) -> float:
    """Return a byte count as a float, or raise if it is negative, NaN, infinite or not a number.

    Fractional bytes are allowed because callers compute sizes as elements x bits / 8.
    """
    return check_non_negative(field, value)


def check_count(field: str, value: object) -> int:
    """Return a count (e.g. the dot-product length K) as an int, or raise if it is not an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < 1:
        raise InputError(field, value, "must be an integer >= 1")
    return int(value)


def check_positive(field: str, value: object) -> float:
    """Return a physical quantity that must be > 0 (clock, density, bandwidth) as a float."""
    return _finite_real(field, value, "must be a finite number > 0", lambda v: v > 0)


def check_non_negative(field: str, value: object) -> float:
    """Return a coefficient that may be zero but not negative (e.g. a MAC model term) as a float."""
    return _finite_real(field, value, "must be a finite number >= 0", lambda v: v >= 0)


__all__ = [
    "check_bits",
    "check_bytes",
    "check_count",
    "check_non_negative",
    "check_positive",
]
