"""A sweep streamed through its store: points generated lazily, run window by window, and the rows
read back from the store in grid order, so the coordinator's memory does not grow with the grid.
The rows may be read while the sweep runs (`Runner`): a window of rows is printed once its points
and their references are stored, so the output overlaps the simulation instead of following it.

The store is the sweep's memory: what is done is looked up window by window (`ResultStore.records_for`),
each finished chunk is committed in one transaction, and a row's speedup is computed against its
reference point's record fetched by key. A sweep without a result store runs through a scratch store in
a temporary directory. What the run already worked out for a grid point (its dict, keys and labels,
and the result it committed) is handed to the output (`Handover`, bounded) instead of being worked out
again or read back; a point it does not hold is read from the store.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accelsim.explore.assemble import finished_result, metrics_against
from accelsim.explore.design_point import DesignPoint
from accelsim.explore.grid import iter_points
from accelsim.explore.parallel import (
    ChunkResult,
    ChunkSizer,
    PointFn,
    Progress,
    Tally,
    cluster_loss_reported,
    iter_chunks,
    store_chunk,
)
from accelsim.explore.plan import GridPlan
from accelsim.explore.record import SweepRow, row_from_record
from accelsim.explore.store import ResultStore, StoreWarning, decode, point_key
from accelsim.explore.store_codec import key_of_text, point_text, reference_key
from accelsim.model.mapper import UNPLANNED_FIELDS
from accelsim.model.memo import BoundedMemo

#: Points looked up in the store at once, as the work queue reaches them (the next window's chunks
#: are queued while this window's last ones run); 4,096 points hold ~4 MB of keys and dicts, with the
#: chunks in flight the coordinator's whole per-grid memory.
WINDOW = 4_096


#: Grid points read back at once for the output (each needs its record and its reference's, ~8 KB
#: each decoded: 256 points hold ~4 MB; 1,024 set the peak of a streamed read at ~20 MB).
OUTPUT_WINDOW = 256


@dataclass
class StreamCounts:
    """Distinct points taken from the store and simulated (the CLI's honesty line)."""

    from_store: int = 0
    simulated: int = 0


#: Grid points the run hands to the output at most (`Handover`): the run looks points up at most a
#: window and the chunks in flight (`4 * workers` of at most 512 points) ahead of the output, so
#: this holds them all on a 2-worker pool; an entry is ~2.5 KB (its dict, keys, labels, result).
HANDOVER = 3 * WINDOW


@dataclass(slots=True)
class _Handed:
    """A grid point as the run worked it out, and its result once the run committed it."""

    params: dict[str, Any]
    key: str
    ref_key: str
    labels: dict[str, str]
    status: str | None = None  # "ok" or "error" once committed in this run
    payload: str | None = None  # the result's JSON text, or the error message


class Handover:
    """What the run worked out for the grid points the output has not read yet, by seq: at most
    `HANDOVER` (the output works out and reads back a point that is not here). Points come out as
    the output reads them, so nothing stays once the rows are printed."""

    def __init__(self) -> None:
        self.limit = HANDOVER
        self.points: dict[int, _Handed] = {}

    def has_room(self) -> bool:
        return len(self.points) < self.limit

    def give(self, seq: int, handed: _Handed) -> None:
        """Hold grid point `seq` (the caller checked `has_room` before working it out)."""
        self.points[seq] = handed

    def committed(self, seqs: Sequence[int], status: str, payload: str) -> None:
        """The points at `seqs` (one key) were stored with this outcome."""
        for seq in seqs:
            handed = self.points.get(seq)
            if handed is not None:
                handed.status, handed.payload = status, payload

    def take(self, seq: int) -> _Handed | None:
        return self.points.pop(seq, None)


def _windows(items: Iterator[Any], size: int | None = None) -> Iterator[list[Any]]:
    """`items` in lists of `size` (default `WINDOW`, read when called)."""
    size = WINDOW if size is None else size
    while window := list(itertools.islice(items, size)):
        yield window


@dataclass(frozen=True)
class StreamRun:
    """How `run_steps` runs a plan's points: the point function, where it runs, the store it
    commits to (`salt` and `sweep_id` as the rows are keyed and tagged), and the progress callback.

    `resumable` False (a scratch store) leaves the resume hint out of a lost-cluster message."""

    fn: PointFn
    jobs: int
    executor: Any
    store: ResultStore
    salt: str
    sweep_id: int | None
    progress: Progress | None
    max_pending: int
    fresh: bool = False
    resumable: bool = True


#: A point as the stream handles it: (seq in the plan, store key, point dict).
Item = tuple[int, str, Mapping[str, Any]]


def run_steps(plan: GridPlan, run: StreamRun, counts: StreamCounts, handover: Handover) -> Iterator[int]:
    """Run every point of `plan` not already in `run.store`, committing each chunk as it finishes,
    a chunk at a time: after each commit, yields the *watermark*, the lowest seq
    whose point may not be in the store yet (every point before it is), so that a reader can print
    rows while later points still run (`Runner`).

    Windows are looked up as the work queue reaches them: the workers get the next window's chunks
    while this window's last ones still run, instead of idling at every window's tail. Each grid
    point worked out here, and its result once committed, goes to `handover` while it has room.
    """
    tally = Tally(plan.size, run.progress)
    sizer = ChunkSizer()
    planned = [name for name in plan.spec.names if name not in UNPLANNED_FIELDS]
    track = _Watermark()
    unreadable = 0

    def look_up(window: list[tuple[int, DesignPoint]]) -> list[Item]:
        """The points of `window` to run (not stored, not already waited for), queued by design."""
        nonlocal unreadable
        keyed = [_keyed(seq, point, plan, run.salt, handover) for seq, point in window]
        present, bad = _stored_keys(run, keyed, track)
        unreadable += bad
        counts.from_store += len(present)
        new: list[Item] = []
        for item in keyed:
            seq, key, _ = item
            if key in present:
                continue
            if not track.waits_for(key):  # the first time it is seen (a duplicate waits with it)
                new.append(item)
            track.wait(seq, key)
        counts.simulated += len(new)
        tally.advance(sum(1 for _, key, _ in keyed if key in present))
        return _by_plan(new, planned)

    references = _OffGrid(plan)

    def todo() -> Iterator[Item]:
        for window in _windows(enumerate(plan.iter_points(grid_only=True))):
            # the references off the grid this window's rows need run first, not after the grid
            if needed := references.needed_by(window[-1][0]):
                yield from look_up(needed)
            yield from look_up(window)
            track.looked_up(window[-1][0] + 1)
        while rest := references.next_window():
            yield from look_up(rest)

    finish = functools.partial(_commit_chunk, run, sizer, tally, track, handover)
    with cluster_loss_reported(run.executor, run.store if run.resumable else None):
        for _ in iter_chunks(
            todo(),
            run.fn,
            jobs=run.jobs,
            executor=run.executor,
            max_pending=run.max_pending,
            finish=finish,
            sizer=sizer,
        ):
            yield track.mark
    if unreadable:
        warnings.warn(
            f"{unreadable} stored point(s) in {run.store.path} had unreadable data and are recomputed",
            StoreWarning,
            stacklevel=2,
        )
    yield track.mark


class _OffGrid:
    """The reference points off the grid (`GridPlan.iter_references`, seq `grid_size` onwards), taken
    in their order as the grid's windows need them.

    Grid point ``seq`` has reference ``(seq // (stride * n)) * stride + seq % stride`` (n bits
    values, `stride` points per bits value: the grid without its bits digit), so the grid's first
    bits value needs the references in order, and later values need none the first did not."""

    def __init__(self, plan: GridPlan) -> None:
        sizes = [len(a.values) for a in plan.spec.axes]
        at = plan.spec.names.index("bits")
        self.stride, self.block = math.prod(sizes[at + 1 :]), math.prod(sizes[at:])
        self.points = enumerate(plan.iter_references(), plan.grid_size)  # empty when none is off the grid
        self.taken = 0  # references handed out

    def needed_by(self, last_seq: int) -> list[tuple[int, DesignPoint]]:
        """The references that grid points up to `last_seq` need and that were not handed out yet."""
        upto = (last_seq // self.block) * self.stride + min(last_seq % self.block, self.stride - 1) + 1
        return self._take(upto - self.taken)

    def next_window(self) -> list[tuple[int, DesignPoint]]:
        """The references no grid window asked for, a window at a time (none once all are out)."""
        return self._take(WINDOW)

    def _take(self, n: int) -> list[tuple[int, DesignPoint]]:
        out = list(itertools.islice(self.points, n)) if n > 0 else []
        self.taken += len(out)
        return out


def _by_plan(items: list[Item], planned: list[str]) -> list[Item]:
    """A window's points to run, those that differ only in values no plan reads (the bandwidths:
    `accelsim.model.mapper.UNPLANNED_FIELDS`) next to each other, in order of first appearance.

    Grid order varies bandwidth slower than the SRAM and cores axes, so every chunk held points of
    most designs of a precision and each pool worker planned nearly all of them; grouped, a design's
    points mostly land in one chunk and are planned once. Rows still come out in grid order."""
    groups: dict[tuple[Any, ...], list[Item]] = {}
    for item in items:
        params = item[2]
        group = tuple(tuple(v) if isinstance(v, list) else v for v in map(params.__getitem__, planned))  # (arrays)
        groups.setdefault(group, []).append(item)
    return [item for group in groups.values() for item in group]


def _keyed(seq: int, point: DesignPoint, plan: GridPlan, salt: str, handover: Handover) -> Item:
    """`(seq, key, dict)` of a point; a grid point also goes to `handover` while it has room."""
    if seq < plan.grid_size and handover.has_room():
        handed = _worked_out(plan, salt, point)
        handover.give(seq, handed)
        return seq, handed.key, handed.params
    params = point.to_dict()
    return seq, point_key(params, salt), params


def _worked_out(plan: GridPlan, salt: str, point: DesignPoint) -> _Handed:
    """What the output needs of a grid point besides its result: its dict, key, reference key
    (from the point's canonical text) and axis labels as the user wrote them."""
    params = point.to_dict()
    text = point_text(params, salt)
    labels = {a.name: a.label(getattr(point, a.name)) for a in plan.spec.axes}
    return _Handed(params, key_of_text(text), reference_key(text, params, salt), labels)


class _Watermark:
    """Which looked-up points are not in the store yet, and the lowest of them (points finish out of
    order). Holds the points in flight and the current window's: bounded like the work queue."""

    def __init__(self) -> None:
        self.heap: list[int] = []  # seqs waiting, lowest first (finished ones removed lazily)
        self.finished: set[int] = set()
        self.seqs: dict[str, list[int]] = {}  # key -> the seqs waiting for it
        self.next = 0  # one past the last seq looked up

    def waits_for(self, key: str) -> bool:
        return key in self.seqs

    def wait(self, seq: int, key: str) -> None:
        self.seqs.setdefault(key, []).append(seq)
        heapq.heappush(self.heap, seq)

    def looked_up(self, next_seq: int) -> None:
        self.next = next_seq

    def stored(self, key: str) -> list[int]:
        """`key` is in the store now: its points are done; returns the seqs it stands for."""
        seqs = self.seqs.pop(key, [])
        self.finished.update(seqs)
        return seqs

    @property
    def mark(self) -> int:
        while self.heap and self.heap[0] in self.finished:
            self.finished.discard(heapq.heappop(self.heap))
        # (a reference off the grid, run early, may wait with a seq past points not looked up yet)
        return min(self.heap[0], self.next) if self.heap else self.next


def _stored_keys(run: StreamRun, keyed: list[Item], track: _Watermark) -> tuple[set[str], int]:
    """(distinct keys of a window that are stored and readable, unreadable stored rows, deleted so
    that they are recomputed). `fresh` deletes the window's rows first (not those still in flight
    from an earlier window: their new results are on the way)."""
    keys = [key for key in dict.fromkeys(key for _, key, _ in keyed) if not track.waits_for(key)]
    if run.fresh:
        run.store.forget(keys)
    present = run.store.readable_keys(keys)
    bad = [key for key, ok in present.items() if not ok]
    if bad:  # a damaged row: recompute it rather than make the store unusable
        run.store.forget(bad)
    return {key for key, ok in present.items() if ok}, len(bad)


def _commit_chunk(
    run: StreamRun,
    sizer: ChunkSizer,
    tally: Tally,
    track: _Watermark,
    handover: Handover,
    chunk: Sequence[Item],
    outcome: ChunkResult,
) -> None:
    """Store a finished chunk in one transaction, then count its points and hand their outcomes
    over (a bug is raised after)."""
    results, bug = outcome
    new = store_chunk(run.store, run.sweep_id, chunk, outcome)
    sizer.observe(len(results), sum(r[2] for r in results))
    # a row another process stored first stays in the store: then the output reads the chunk back
    hand = new == len(results)
    for (_, key, _), (status, payload, _) in zip(chunk, results, strict=False):
        seqs = track.stored(key)
        tally.advance(len(seqs))
        if hand:
            handover.committed(seqs, status, payload)
    if bug is not None:
        raise bug


class Runner:
    """A sweep run step by step (`run_steps`) by whoever reads its rows: `until(seq)` runs it until
    every point before `seq` is in the store, or it is over. `handover`: the one the steps fill."""

    def __init__(self, steps: Iterator[int], handover: Handover) -> None:
        self.steps, self.mark, self.over = steps, 0, False
        self.handover = handover

    def step(self) -> None:
        try:
            self.mark = next(self.steps)
        except StopIteration:
            self.over = True

    def until(self, seq: float) -> None:
        while not self.over and self.mark < seq:
            self.step()


#: What `stored_outcomes` yields: a finished row, or the labels and message of a failed point.
Outcome = tuple[SweepRow | None, dict[str, str] | None, str | None]


#: References whose speedup fields are remembered across output windows. A grid's points share
#: references (every precision of one design), spread far apart in grid order; an entry is ~200 B,
#: so the bound holds the coordinator to ~3 MB whatever the grid (a grid with more references than
#: this between two points that share one reads that reference again).
REFERENCE_MEMO = 1 << 14

#: What a speedup reads of a reference's result (`metrics_against`), or None when it did not finish.
_RefSummary = tuple[Mapping[str, Any] | None]

#: The fields of a reference's result that `metrics_against` reads.
_REFERENCE_FIELDS = ("seconds_per_image", "peak_tmacs")


class _References:
    """Each reference's summary, read from the store once while it is remembered."""

    def __init__(self, store: ResultStore) -> None:
        self.store = store
        self.summaries: BoundedMemo[str, _RefSummary] = BoundedMemo(REFERENCE_MEMO)

    def summaries_for(self, keys: list[str], recs: Mapping[str, Any]) -> dict[str, _RefSummary]:
        """The summaries of `keys`: remembered, found in `recs` (already read), or read now. A
        reference missing from the store is left out and not remembered (the sweep may still run it)."""
        unique = dict.fromkeys(keys)
        out = {k: s for k in unique if (s := self.summaries.get(k)) is not None}
        unread = [k for k in unique if k not in out and k not in recs]
        found = {**self.store.records_for(unread), **{k: recs[k] for k in unique if k not in out and k in recs}}
        for k, rec in found.items():
            result = finished_result(rec)
            summary = None if result is None else {f: result.get(f) for f in _REFERENCE_FIELDS}
            out[k] = self.summaries.put(k, (summary,))
        return out


def stored_outcomes(plan: GridPlan, store: ResultStore, salt: str, runner: Runner) -> Iterator[Outcome]:
    """The sweep's rows (with speedups against their reference records) and failures, in grid order,
    read from `store` window by window; then the failed reference points that are not on the grid.

    Each window waits, running the sweep (`runner`) as far as needed, until its points are stored
    and its references are too (a reference off the grid runs just before the first window that
    needs it: `_OffGrid`; or the run is over). A point
    the run handed over (`Handover`) is not worked out again, nor its result read back."""
    references = _References(store)
    handover = runner.handover
    seq = 0
    for window in _windows(iter_points(plan.spec), OUTPUT_WINDOW):
        first, seq = seq, seq + len(window)
        runner.until(seq)
        points = [_handed(plan, salt, handover, s, values) for s, values in enumerate(window, first)]
        recs = store.records_for([h.key for h in points if h.status is None])
        recs.update((h.key, _record(h)) for h in points if h.status is not None)
        ref_keys = list(dict.fromkeys(h.ref_key for h in points))
        refs = references.summaries_for(ref_keys, recs)
        while not runner.over and len(refs) < len(ref_keys):
            runner.step()  # a reference later in the grid, or off it: run on until it is stored
            refs.update(references.summaries_for([k for k in ref_keys if k not in refs], {}))
        peaks: dict[str, float | None] = {}
        for h in points:
            rec = recs.get(h.key)
            if rec is None:
                yield None, h.labels, "the result is missing from the store (rerun the same command)"
            elif rec["status"] != "ok":
                yield None, h.labels, rec["error"]
            else:
                ref = refs.get(h.ref_key)
                extra = metrics_against(rec, None if ref is None else ref[0], peaks)
                yield row_from_record(rec, extra, h.labels.get("bw_gb_per_s")), None, None
    runner.until(math.inf)
    axes = plan.spec.axes
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


def _handed(plan: GridPlan, salt: str, handover: Handover, seq: int, values: Mapping[str, Any]) -> _Handed:
    """Grid point `seq` as the run handed it over, or worked out again from its axis `values`."""
    handed = handover.take(seq)
    return handed if handed is not None else _worked_out(plan, salt, plan.point(values))


def _record(handed: _Handed) -> dict[str, Any]:
    """A handed-over point's record, as the store would give it back (the result's text decoded)."""
    ok = handed.status == "ok"
    return {
        "key": handed.key,
        "status": handed.status,
        "params": handed.params,
        "result": decode(handed.payload or "") if ok else None,
        "error": None if ok else handed.payload,
    }


__all__ = [
    "HANDOVER",
    "WINDOW",
    "Handover",
    "Outcome",
    "Runner",
    "StreamCounts",
    "StreamRun",
    "run_steps",
    "stored_outcomes",
]
