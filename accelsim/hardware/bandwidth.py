"""External bandwidth as users write it (``64``, ``12.5``, ``inf``) and as reports label it.

Bandwidth is a property of the accelerator's system (`Accelerator.bw_gb_per_s`), so its parsing
and labels live with the hardware; the sweep grid, the reports and the trainer's comparison share them.

>>> parse_bw("64"), bw_label(64.0), describe_bw(bw_label("inf"))
(64.0, '64', 'unconstrained')
"""

from __future__ import annotations

import math

from accelsim.ir.units import parse_bw  # the one parser of the `bw` key, flag and axis


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
