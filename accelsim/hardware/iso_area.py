"""Iso-area design points: the same silicon (compute area, total on-chip memory, external
bandwidth) at another precision, with the MAC count that area holds (PACT section 6; docs/model.md
section 2 gives every assumption and its source).
"""

from __future__ import annotations

import math
from dataclasses import replace

import tech
from accelsim.errors import InputError
from accelsim.hardware import MAC_MODES, SCALES
from accelsim.hardware.accelerator import Accelerator
from accelsim.ir.checks import check_bits

#: Iso-area arrays grow near-square: no side may exceed this many times the other (or the base's
#: own aspect ratio when that is larger), so a 7.34x target does not become a 13 x 289 strip.
MAX_ASPECT = 2.0


def mac_multiplier(base: Accelerator, w_bits: int, a_bits: int, mode: str) -> float:
    """How many `w_bits x a_bits` MACs fit in the area of one of `base`'s MACs.

    configurable: the base MAC splits into ``floor(base_bits / bits)`` sub-word MACs (PACT's
    precision-configurable MAC: 2x at 8, 4x at 4, 8x at 2 bits from 16), using the wider operand;
    a wider design gangs ``ceil(bits / base_bits)`` base MACs per MAC.
    dedicated: the area ratio ``A(base) / A(w, a)`` from the technology model (14 nm: 3.0x at 8x8,
    7.34x at 4x4, 14x at 2x2).
    """
    check_bits("bits", w_bits)
    check_bits("a_bits", a_bits)
    if mode == "configurable":
        have, want = base.mac_bits, max(w_bits, a_bits)
        return float(have // want) if want <= have else 1.0 / math.ceil(want / have)
    if mode == "dedicated":
        node = tech.load(base.tech_node)
        return node.density_gain(w_bits, a_bits) / node.density_gain(base.mac_w_bits, base.mac_a_bits)
    raise InputError("mode", mode, f"must be one of {', '.join(MAC_MODES)}")


def _count(base_count: int, multiplier: float, what: str = "array") -> int:
    # The epsilon keeps exact products (2048 * 4.0) from flooring one short after float rounding,
    # while never rounding a genuinely fractional count up (that would exceed the base area).
    count = math.floor(base_count * multiplier + 1e-9)
    if count < 1:
        raise InputError("scale", what, f"leaves less than one unit at iso-area (x{multiplier:.3g}); use scale='array'")
    return count


def grow_array(rows: int, cols: int, target: int) -> tuple[int, int]:
    """The near-square array of at most `target` PEs that keeps the orientation of `rows x cols`.

    Maximises rows*cols <= target with an aspect ratio of at most max(2, the base's); ties go to the
    squarer shape, then to the base's orientation (cols >= rows for 16x32). Powers of two reproduce
    the doubling sequence 16x32 -> 32x32 -> 32x64 -> 64x64.

    >>> grow_array(16, 32, 4 * 512), grow_array(16, 32, 8 * 512), grow_array(16, 32, 3 * 512)
    ((32, 64), (64, 64), (32, 48))
    """
    if target == rows * cols:
        return rows, cols
    aspect = max(MAX_ASPECT, max(rows, cols) / min(rows, cols))
    wide = cols >= rows
    best: tuple[int, int, int, int] | None = None  # (-area, |r-c|, orientation penalty, r)
    for r in range(1, math.isqrt(int(target * aspect)) + 1):
        c = min(target // r, math.floor(aspect * r))
        if c < 1 or r > aspect * c:
            continue
        key = (-(r * c), abs(r - c), int((c >= r) != wide), r)
        if best is None or key < best:
            best = key
    if best is None:  # target < 1 cannot happen (counts are floored at 1); keep a 1x1 array
        return 1, 1
    r = best[3]
    c = -best[0] // r
    return r, c


def default_scale(mode: str) -> str:
    """Where iso-area MACs go unless told: configurable sub-word MACs act as more base-shaped
    arrays ("cores"); dedicated MACs have non-integer multipliers (3.0x, 7.34x) that only a grown
    array can use without wasting area ("array"). Reasons in docs/model.md section 2."""
    return "cores" if mode == "configurable" else "array"


def iso_area(
    base: Accelerator,
    bits: int,
    mode: str = "configurable",
    scale: str | None = None,
    a_bits: int | None = None,
) -> Accelerator:
    """The design point at `bits` with `base`'s compute area, on-chip memory and bandwidth.

    Parameters
    ----------
    base : Accelerator
        The reference design (normally the 16-bit default system).
    bits : int
        Weight precision of the new MACs (and activation precision unless `a_bits` is given).
    mode : {"configurable", "dedicated"}
        MAC count from sub-word splitting (peak ~ 16/bits) or from the technology area model
        (``tech.density_gain``). Never exceeds the base area: counts are floored.
    scale : {"array", "cores", "lanes"}, optional
        Default `default_scale(mode)`. Where the extra MACs go: a bigger near-square array per core,
        more cores (each with the base array; the total memory is re-divided), or more MACs per PE.
    a_bits : int, optional
        Activation precision for mixed designs (the wider operand sets the configurable count).

    Returns
    -------
    Accelerator
        With ``mac_w_bits=bits``, ``mac_a_bits=a_bits or bits`` and ``mac_mode=mode``.

    Examples
    --------
    >>> base = Accelerator()
    >>> [iso_area(base, b).macs_per_cycle for b in (16, 8, 4, 2)]
    [2048, 4096, 8192, 16384]
    >>> iso_area(base, 4, scale="cores").cores, iso_area(base, 4, scale="lanes").lanes
    (16, 4)
    """
    w = check_bits("bits", bits)
    a = check_bits("a_bits", a_bits if a_bits is not None else bits)
    if scale is None:
        scale = default_scale(mode)
    if scale not in SCALES:
        raise InputError("scale", scale, f"must be one of {', '.join(SCALES)}")
    multiplier = mac_multiplier(base, w, a, mode)
    if scale == "array":
        rows, cols = grow_array(base.rows, base.cols, _count(base.rows * base.cols, multiplier))
        return replace(base, rows=rows, cols=cols, mac_w_bits=w, mac_a_bits=a, mac_mode=mode)
    if scale == "cores":
        cores = _count(base.cores, multiplier, "cores")
        # Same total on-chip memory, re-divided among more cores (`sram_bytes_per_core`).
        return replace(base, cores=cores, mac_w_bits=w, mac_a_bits=a, mac_mode=mode)
    lanes = _count(base.lanes, multiplier, "lanes")
    return replace(base, lanes=lanes, mac_w_bits=w, mac_a_bits=a, mac_mode=mode)


__all__ = ["MAX_ASPECT", "default_scale", "grow_array", "iso_area", "mac_multiplier"]
