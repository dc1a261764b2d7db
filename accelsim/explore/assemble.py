"""From point records to rows: speedups against each point's reference, and the rows and failures in
grid order.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from accelsim.errors import InputError
from accelsim.explore.plan import GridPlan
from accelsim.explore.point import design_of, reference_point
from accelsim.explore.record import GridRun, row_from_record
from accelsim.explore.store import canonical_json, decode


def assemble(plan: GridPlan, records: list[dict[str, Any]]) -> GridRun:
    """SweepRows (with speedups against the reference points) and failures, in grid order."""
    rel = relative_metrics(records)
    rows, failures = [], []
    for rec, extra in zip(records[: plan.grid_size], rel, strict=False):
        point = plan.points[rec["seq"]]
        labels = {a.name: a.label(getattr(point, a.name)) for a in plan.spec.axes}
        if rec["status"] != "ok":
            failures.append((labels, rec["error"]))
            continue
        rows.append(row_from_record(rec, extra, labels.get("bw_gb_per_s")))
    grid_keys = {r["key"] for r in records[: plan.grid_size]}
    for rec in records[plan.grid_size :]:
        if rec["status"] != "ok" and rec["key"] not in grid_keys:
            point = plan.points[rec["seq"]]
            labels = {
                a.name: f"{point.bits} (reference)" if a.name == "bits" else a.label(getattr(point, a.name))
                for a in plan.spec.axes
            }
            failures.append((labels, rec["error"]))
    return GridRun(plan.spec, tuple(rows), tuple(failures), plan.grid_size, notes=plan.notes)


def relative_metrics(records: Sequence[Mapping[str, Any]]) -> list[dict[str, float | None]]:
    """Speedup, peak ratio and efficiency of every record against its reference point.

    The reference is the record whose params differ only in ``bits`` = the base precision (the
    first such finished record, when a store holds several). The peak ratio needs no simulation
    (the reference design is rebuilt); speedup and efficiency are None without a finished
    reference, and everything is None for a failed record or one that is not a sweep point.
    """

    def group(params: Mapping[str, Any]) -> str:
        return canonical_json({k: v for k, v in params.items() if k != "bits"})

    refs: dict[str, Mapping[str, Any]] = {}
    for rec in records:
        p = rec["params"]
        if rec["status"] == "ok" and "base_w_bits" in p and p.get("bits") == p["base_w_bits"]:
            refs.setdefault(group(p), rec["result"])
    return [metrics_against(rec, refs.get(group(rec["params"]))) for rec in records]


def metrics_against(
    rec: Mapping[str, Any], ref: Mapping[str, Any] | None, peaks: dict[str, float | None] | None = None
) -> dict[str, float | None]:
    """Speedup, peak ratio and efficiency of one record against its reference point's result `ref`
    (None when the reference did not finish).

    `peaks` caches the reference designs' peaks for the caller (a streamed read passes a fresh dict
    per window, so no cache outlives the window: long-lived entries scattered over a long read kept
    the allocator's arenas alive and made memory grow with the grid); without it a shared LRU is used.
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


def _peak_of_reference(p: Mapping[str, Any], peaks: dict[str, float | None] | None) -> float | None:
    """The reference design's peak, rebuilt from the point (its record failed or is missing)."""
    ref_json = canonical_json(reference_point(p))
    if peaks is None:
        peak = reference_peak(ref_json)
    else:
        if ref_json not in peaks:
            peaks[ref_json] = reference_peak.__wrapped__(ref_json)
        peak = peaks[ref_json]
    return peak


@functools.lru_cache(maxsize=4096)
def reference_peak(point_json: str) -> float | None:
    try:
        return design_of(decode(point_json))[1].peak_tmacs
    except (InputError, KeyError, TypeError, ValueError):
        return None


__all__ = ["assemble", "metrics_against", "reference_peak", "relative_metrics"]
