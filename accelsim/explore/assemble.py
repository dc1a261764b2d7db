"""Speedup, peak ratio and efficiency of a point record against its reference point's result: one
function shared by a sweep streamed through its store (`stream`) and a store read back (`readback`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accelsim.errors import InputError
from accelsim.explore.point import design_of, reference_point
from accelsim.explore.store import canonical_json, decode


def metrics_against(
    rec: Mapping[str, Any], ref: Mapping[str, Any] | None, peaks: dict[str, float | None]
) -> dict[str, float | None]:
    """Speedup, peak ratio and efficiency of one record against its reference point's result `ref`
    (None when the reference did not finish).

    `peaks` caches the reference designs' peaks for the caller (a streamed read passes a fresh dict
    per window, so no cache outlives the window: long-lived entries scattered over a long read kept
    the allocator's arenas alive and made memory grow with the grid).
    """
    p, r = rec["params"], rec["result"]
    if rec["status"] != "ok" or "base_w_bits" not in p:
        return {"speedup": None, "peak_ratio": None, "efficiency": None}
    if ref is not None and isinstance(ref.get("peak_tmacs"), (int, float)):
        peak = ref["peak_tmacs"]  # the reference's own record says it (the same design, built when it ran)
    else:
        peak = _peak_of_reference(p, peaks)
    peak_ratio = r["peak_tmacs"] / peak if peak else None
    ok = ref is not None and r["seconds_per_image"] > 0
    speedup = ref["seconds_per_image"] / r["seconds_per_image"] if ok else None  # type: ignore[index]
    efficiency = speedup / peak_ratio if speedup is not None and peak_ratio else None
    return {"speedup": speedup, "peak_ratio": peak_ratio, "efficiency": efficiency}


def finished_result(rec: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """A stored record's result when it finished; None when it failed or is missing (a reference
    that cannot give a speedup)."""
    return rec["result"] if rec is not None and rec["status"] == "ok" else None


def _peak_of_reference(p: Mapping[str, Any], peaks: dict[str, float | None]) -> float | None:
    """The reference design's peak, rebuilt from the point (its record failed or is missing)."""
    ref_json = canonical_json(reference_point(p))
    if ref_json not in peaks:
        peaks[ref_json] = reference_peak(ref_json)
    return peaks[ref_json]


def reference_peak(point_json: str) -> float | None:
    """Peak TMAC/s of the design of a point given as canonical JSON (None when it cannot be built)."""
    try:
        return design_of(decode(point_json))[1].peak_tmacs
    except (InputError, KeyError, TypeError, ValueError):
        return None


__all__ = ["finished_result", "metrics_against", "reference_peak"]
