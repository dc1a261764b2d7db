"""Validators for the IR's two integer quantities, shared by every package (graph, tech, pact_train).

One `check_bits` and one range for the whole project: 1..32. Why 32: the MAC area/energy model is
fitted on 2..16 b and fixed-point MACs beyond 32 b are not a design point of this study; accepting
up to 32 still lets a 24- or 32-bit baseline be written, while 33 is almost surely a unit mix-up
(bits vs bytes) and is refused rather than silently extrapolated.

>>> check_bits("bits", 4)
4
>>> check_bits("bits", 33)
Traceback (most recent call last):
...
accelsim.errors.InputError: bits=33: must be an integer in 1..32
"""

from __future__ import annotations

from numbers import Integral

from accelsim.errors import InputError

MIN_BITS = 1
MAX_BITS = 32


def check_bits(field: str, value: object) -> int:
    """`value` as an int bit width in MIN_BITS..MAX_BITS; InputError naming `field` otherwise.

    Any integral type passes (NumPy integers included, as the trainer uses them); bool does not.
    """
    if type(value) is int and MIN_BITS <= value <= MAX_BITS:  # the common case, without the ABC check
        return value
    if isinstance(value, bool) or not isinstance(value, Integral) or not MIN_BITS <= int(value) <= MAX_BITS:
        raise InputError(field, value, f"must be an integer in {MIN_BITS}..{MAX_BITS}")
    return int(value)


def check_batch(batch: object) -> int:
    """A batch size: a positive int (the graph's shapes carry it)."""
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise InputError("batch", batch, "must be a positive integer")
    return batch


__all__ = ["MAX_BITS", "MIN_BITS", "check_batch", "check_bits"]
