"""A sweep streamed through its store: points generated lazily, run window by window, and the rows
read back from the store in grid order, so the coordinator's memory does not grow with the grid.

The store is the sweep's memory: what is done is looked up window by window (`ResultStore.records_for`),
each finished chunk is committed in one transaction, and a row's speedup is computed against its
reference point's record fetched by key. A sweep without a result store runs through a scratch store in
a temporary directory.
"""

from __future__ import annotations

import itertools
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accelsim.explore.assemble import metrics_against
from accelsim.explore.parallel import ChunkResult, ChunkSizer, PointFn, Progress, cluster_loss_reported, run_chunks
from accelsim.explore.plan import GridPlan
from accelsim.explore.point import reference_point
from accelsim.explore.record import SweepRow, row_from_record
from accelsim.explore.store import ResultStore, StoreWarning, point_key

#: Points looked up and queued at once. Each window is drained before the next starts (a tail of at
#: most one chunk per worker, ~1 % of a window at 5 ms a point on 2 workers); 4,096 points hold ~4 MB
#: of keys and dicts, the coordinator's whole per-grid memory.
WINDOW = 4_096


#: Grid points read back at once for the output (each needs its record and its reference's).
OUTPUT_WINDOW = 1_024


@dataclass
class StreamCounts:
    """Distinct points taken from the store and simulated (the CLI's honesty line)."""

    from_store: int = 0
    simulated: int = 0


def _windows(items: Iterator[Any], size: int = WINDOW) -> Iterator[list[Any]]:
    while window := list(itertools.islice(items, size)):
        yield window


def run_streaming(
    plan: GridPlan,
    fn: PointFn,
    *,
    jobs: int,
    executor: Any,
    store: ResultStore,
    salt: str,
    sweep_id: int | None,
    progress: Progress | None,
    max_pending: int,
    fresh: bool = False,
    resumable: bool = True,
) -> StreamCounts:
    """Run every point of `plan` not already in `store`, committing each chunk as it finishes.

    `resumable` False (a scratch store) leaves the resume hint out of a lost-cluster message."""
    counts = StreamCounts()
    total, done, unreadable = plan.size, 0, 0
    sizer = ChunkSizer()
    for window in _windows(enumerate(p.to_dict() for p in plan.iter_points())):
        keyed = [(seq, point_key(point, salt), point) for seq, point in window]
        keys = list(dict.fromkeys(key for _, key, _ in keyed))
        if fresh:
            store.forget(keys)
        stored = store.records_for(keys)
        bad = [key for key, rec in stored.items() if rec is None]
        if bad:  # a damaged row: recompute it rather than make the store unusable
            store.forget(bad)
            unreadable += len(bad)
        counts.from_store += len(stored) - len(bad)
        seen = {key for key, rec in stored.items() if rec is not None}
        todo = []
        for item in keyed:
            if item[1] not in seen:
                seen.add(item[1])
                todo.append(item)
        counts.simulated += len(todo)
        multiplicity = Counter(key for _, key, _ in keyed)
        done += len(keyed) - sum(multiplicity[key] for _, key, _ in todo)
        if progress is not None:
            progress(done, total)

        def finish(
            chunk: Sequence[tuple[int, str, Mapping[str, Any]]],
            outcome: ChunkResult,
            multiplicity: Counter[str] = multiplicity,
        ) -> None:
            nonlocal done
            results, bug = outcome
            store.put_many(
                (
                    key,
                    seq,
                    sweep_id,
                    status,
                    point,
                    payload if status == "ok" else None,
                    None if status == "ok" else payload,
                    wall_s,
                )
                for (seq, key, point), (status, payload, wall_s) in zip(chunk, results, strict=True)
            )
            sizer.observe(len(results), sum(r[2] for r in results))
            for _, key, _ in chunk[: len(results)]:
                done += multiplicity[key]
                if progress is not None:
                    progress(done, total)
            if bug is not None:
                raise bug

        if todo:
            with cluster_loss_reported(executor, store if resumable else None):
                run_chunks(todo, fn, jobs=jobs, executor=executor, max_pending=max_pending, finish=finish, sizer=sizer)
    if unreadable:
        warnings.warn(
            f"{unreadable} stored point(s) in {store.path} had unreadable data and are recomputed",
            StoreWarning,
            stacklevel=2,
        )
    return counts


#: What `stored_outcomes` yields: a finished row, or the labels and message of a failed point.
Outcome = tuple[SweepRow | None, dict[str, str] | None, str | None]


def stored_outcomes(plan: GridPlan, store: ResultStore, salt: str) -> Iterator[Outcome]:
    """The sweep's rows (with speedups against their reference records) and failures, in grid order,
    read from `store` window by window; then the failed reference points that are not on the grid."""
    axes = plan.spec.axes
    for window in _windows(plan.iter_points(grid_only=True), OUTPUT_WINDOW):
        dicts = [p.to_dict() for p in window]
        keys = [point_key(d, salt) for d in dicts]
        ref_keys = [point_key(reference_point(d), salt) for d in dicts]
        recs = store.records_for(keys + ref_keys)
        peaks: dict[str, float | None] = {}
        for point, key, ref_key in zip(window, keys, ref_keys, strict=True):
            labels = {a.name: a.label(getattr(point, a.name)) for a in axes}
            rec = recs.get(key)
            if rec is None:
                yield None, labels, "the result is missing from the store (rerun the same command)"
            elif rec["status"] != "ok":
                yield None, labels, rec["error"]
            else:
                ref = recs.get(ref_key)
                extra = metrics_against(
                    rec, ref["result"] if ref is not None and ref["status"] == "ok" else None, peaks
                )
                yield row_from_record(rec, extra, labels.get("bw_gb_per_s")), None, None
    for window in _windows(plan.iter_references()):
        keys = [point_key(p.to_dict(), salt) for p in window]
        recs = store.records_for(keys)
        for point, key in zip(window, keys, strict=True):
            rec = recs.get(key)
            if rec is not None and rec["status"] != "ok":
                labels = {
                    a.name: f"{point.bits} (reference)" if a.name == "bits" else a.label(getattr(point, a.name))
                    for a in axes
                }
                yield None, labels, rec["error"]


__all__ = ["WINDOW", "Outcome", "StreamCounts", "run_streaming", "stored_outcomes"]
