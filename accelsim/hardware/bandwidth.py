"""External bandwidth as users write it (``64``, ``12.5``, ``inf``) and as reports label it.

Bandwidth is a property of the accelerator's system (`Accelerator.bw_gb_per_s`), so its parsing
and labels live with the hardware; the sweep grid, the reports and the trainer's comparison share them.

>>> parse_bw("64"), bw_label(64.0), describe_bw(bw_label("inf"))
(64.0, '64', 'unconstrained')
"""

from __future__ import annotations

import math
from typing import Any

from accelsim.errors import InputError


def parse_bw(raw: Any) -> float:
    """External bandwidth in GB/s: a positive number, or ``inf`` for the compute-only bound."""
    rule = "must be a number > 0 (GB/s) or inf"
    if isinstance(raw, bool):
        raise InputError("bw_gb_per_s", raw, rule)
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise InputError("bw_gb_per_s", raw, rule) from None
    else:
        raise InputError("bw_gb_per_s", raw, rule)
    if math.isnan(value) or value <= 0:
        raise InputError("bw_gb_per_s", raw, rule)
    return value




def bw_label(value: float | int | str) -> str:
    """The label a bandwidth is shown with: the user's string, or the number without ``.0``."""
    if isinstance(value, str):
        return value.strip()
    v = float(value)
    return "inf" if math.isinf(v) else (str(int(v)) if v.is_integer() else repr(v))


def describe_bw(label: str) -> str:
    """A bandwidth label for people: ``64 GB/s``, or ``unconstrained`` for ``inf`` (PACT's word)."""
    return "unconstrained" if label == "inf" else f"{label} GB/s"


__all__ = ["bw_label", "describe_bw", "parse_bw"]
