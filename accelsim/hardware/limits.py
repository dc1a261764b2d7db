"""Limits and checks on an accelerator's fields: what `Accelerator` refuses before any work starts.

A value beyond any real chip of the kind modelled is refused with one line naming the field, the
limit, docs/limits.md and the environment variable that raises it.
"""

from __future__ import annotations

import math
from typing import Any

from accelsim.errors import InputError

#: Design sizes beyond any real chip of the kind modelled (cores with their own systolic array and
#: SRAM sharing one external channel), refused before any work: simulation time grows linearly with
#: cores (measured: resnet50, 4,096 cores, 2 design points, 108 s, ~13 ms per core per point), so
#: `cores = 1000000000` would never end.
#: Sources and how to raise each: docs/limits.md. `ACCELSIM_MAX_<NAME>` (e.g. ACCELSIM_MAX_CORES)
#: replaces a limit for one run.
DESIGN_LIMITS: dict[str, float] = {
    "cores": 16_384,  # Graphcore GC200: 1,472 tiles; Tesla D1: 354 cores (docs/limits.md)
    "array_side": 1_024,  # rows or cols; TPU v1's 256 x 256 is the largest shipped systolic array
    "lanes": 256,  # MACs per PE (dot-product width)
    "sram_total_bytes": 64e9,  # on-chip memory of the whole chip; Cerebras WSE-3 has 44 GB
    "clock_hz": 10e9,  # no digital accelerator clocks above ~2 GHz; CPUs peak near 6 GHz
    "bw_gb_per_s": 100_000.0,  # finite external bandwidth; HBM3e stacks give ~8,000 GB/s per chip
}


def design_limit(name: str) -> float:
    """`DESIGN_LIMITS[name]`, or ACCELSIM_MAX_<NAME> from the environment when set."""
    import os

    env = f"ACCELSIM_MAX_{name.upper()}"
    raw = os.environ.get(env)
    if raw is None:
        return DESIGN_LIMITS[name]
    try:
        value = float(raw)
    except ValueError:
        raise InputError(env, raw, "must be a number") from None
    if not value > 0:
        raise InputError(env, raw, "must be a number > 0")
    return value


def check_limit(field: str, value: float, name: str) -> None:
    limit = design_limit(name)
    if value > limit:
        raise InputError(
            field,
            value,
            f"exceeds {limit:,.0f}, beyond any real chip (docs/limits.md; ACCELSIM_MAX_{name.upper()} raises it)",
        )


def check_int(field: str, value: Any, lo: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < lo:
        raise InputError(field, value, f"must be an integer >= {lo}")
    return value


def check_positive_float(field: str, value: Any, allow_inf: bool = False) -> float:
    rule = "must be a number > 0" + (" or inf" if allow_inf else "")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(field, value, rule)
    out = float(value)
    if math.isnan(out) or out <= 0 or (math.isinf(out) and not allow_inf):
        raise InputError(field, value, rule)
    return out


__all__ = ["DESIGN_LIMITS", "check_int", "check_limit", "check_positive_float", "design_limit"]
