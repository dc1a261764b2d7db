"""Run a function over many design points: inline, on a process pool, or on a Dask cluster.

One code path for all three: anything that implements `concurrent.futures.Executor` (a
`ProcessPoolExecutor`, or Dask's `Client.get_executor()`, whose futures are stdlib futures). Workers
only compute and return JSON text; the coordinator alone writes the store, one transaction per
finished chunk of points (sized to ~0.25 s of work), so a killed sweep resumes where it stopped and
parallel runs never clobber a file.
Results come back in completion order but are returned in the points' order, so output never
depends on scheduling.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from accelsim.errors import AccelsimError, InputError, optional_import
from accelsim.explore.store import ResultStore, StoreWarning, decode, encode, normalize, point_key

PointFn = Callable[[dict[str, Any]], Mapping[str, Any]]
Progress = Callable[[int, int], None]

DASK_HINT = "needs the optional Dask extra: pip install 'accelsim[dask]'"

#: Seconds to wait for a Dask scheduler to accept and answer the handshake (`--dask-timeout`).
#: Dask's own connect timeout is 30 s and an open port that is not a scheduler (an HTTP server,
#: the dashboard's 8787) hung for ever; a scheduler on a reachable host answers in milliseconds.
DASK_TIMEOUT_S = 10.0


class ClusterLost(AccelsimError):
    """The executor's workers or scheduler went away mid-run; finished points stay in the store."""


def _run_one(fn: PointFn, params: dict[str, Any]) -> tuple[str, str, float]:
    """Evaluate one point in a worker: ``("ok", result JSON, wall_s)`` or ``("error", message, wall_s)``.

    An AccelsimError becomes data here, in the worker, because exceptions with extra constructor
    arguments (InputError) do not survive pickling back to the coordinator. Other exceptions are bugs
    and propagate. Encoding here also proves the result is plain JSON before it crosses processes.
    """
    start = time.perf_counter()
    try:
        result = fn(params)
    except AccelsimError as exc:
        return "error", f"{type(exc).__name__}: {exc}", time.perf_counter() - start
    if not isinstance(result, Mapping):
        raise TypeError(f"point function must return a dict, got {type(result).__name__}")
    return "ok", encode(dict(result)), time.perf_counter() - start


def process_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> cf.ProcessPoolExecutor:
    """A "spawn" process pool whose workers exit when this process dies (even by SIGKILL).

    Without this, a killed coordinator left its workers blocked on the task queue for ever (each
    kill-and-resume leaked more). Workers only compute, so dying with the parent loses nothing.
    """
    return cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
        initargs=(os.getpid(), initializer, initargs),
    )


def _worker_init(parent_pid: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    die_with_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


#: How often a worker checks that its parent still exists where prctl is unavailable (seconds).
PARENT_POLL_S = 0.5


def die_with_parent(parent_pid: int) -> None:
    """Make this process exit when `parent_pid` (its parent) dies.

    Linux: prctl(PR_SET_PDEATHSIG, SIGKILL) through ctypes, immediate. Everywhere, as well: a daemon
    thread that exits the process once its parent pid changes (the orphan was re-parented), polled
    every `PARENT_POLL_S`.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no usable libc: the watchdog thread below still covers it
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="accelsim-parent-watchdog", daemon=True).start()


def _check_jobs(jobs: object) -> int:
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise InputError("jobs", jobs, "must be a positive integer")
    return jobs


def run_points(
    points: Sequence[Mapping[str, Any]],
    fn: PointFn,
    *,
    jobs: int = 1,
    executor: cf.Executor | None = None,
    store: ResultStore | None = None,
    salt: str = "",
    progress: Progress | None = None,
    sweep_id: int | None = None,
    max_pending: int | None = None,
) -> list[dict[str, Any]]:
    """Evaluate `fn` on every point; return one record per point, in the points' order.

    Parameters
    ----------
    points : design points (plain dicts); a point's index is its ``seq`` in the store, so pass the
        whole expanded grid.
    fn : a module-level function ``point -> dict of JSON values`` (it must pickle by reference for a
        process pool; it must not write files).
    jobs : 1 runs inline in this process (no pool: easiest to debug); > 1 starts a
        ``ProcessPoolExecutor(jobs)`` with the "spawn" start method (safe with threads, same on every OS).
    executor : use this executor instead (e.g. `dask_executor`); the caller owns and shuts it down.
    store : skip points already stored (ok or error) and commit each new one as it finishes.
    salt : mixed into every key (workload hash + accelsim version), see `accelsim.explore.store.point_key`.
    progress : called as ``progress(done, total)`` once before work starts and after every point.
    max_pending : most chunks (tasks) submitted at once (default ``4 * jobs``), so memory stays flat on
        huge grids; with a Dask executor, set it to a few times the cluster's worker count.

    Returns
    -------
    ``{"key", "seq", "status", "params", "result", "error"}`` per point; ``status`` is ``"ok"`` or
    ``"error"`` (fn raised an AccelsimError: recorded, and the sweep goes on). Values are as stored
    (tuples become lists, inf stays inf), so fresh, resumed and parallel runs give equal records.

    Raises
    ------
    Whatever non-AccelsimError exception `fn` raises (a bug): points finished so far stay committed.
    """
    _check_jobs(jobs)
    with cluster_loss_reported(executor, store):
        return _run_points(points, fn, jobs, executor, store, salt, progress, sweep_id, max_pending)


@contextlib.contextmanager
def cluster_loss_reported(executor: cf.Executor | None, store: ResultStore | None) -> Iterator[None]:
    """Turn a dead pool or a lost cluster into one `ClusterLost` line naming the store to resume from."""
    try:
        yield
    except (cf.CancelledError, cf.BrokenExecutor, OSError) as exc:
        if isinstance(exc, OSError) and executor is None:
            raise  # a local OSError is the point function's own (a bug): keep its traceback
        kept = f"; the points finished so far are in {store.path}: rerun the same command to resume" if store else ""
        what = "a worker process died" if isinstance(exc, cf.BrokenExecutor) else "the cluster went away"
        raise ClusterLost(f"{what} mid-sweep ({type(exc).__name__}: {exc or 'no detail'}){kept}") from None


def _run_points(
    points: Sequence[Mapping[str, Any]],
    fn: PointFn,
    jobs: int,
    executor: cf.Executor | None,
    store: ResultStore | None,
    salt: str,
    progress: Progress | None,
    sweep_id: int | None,
    max_pending: int | None,
) -> list[dict[str, Any]]:
    if max_pending is not None and (
        isinstance(max_pending, bool) or not isinstance(max_pending, int) or max_pending < 1
    ):
        raise InputError("max_pending", max_pending, "must be a positive integer")
    keys = [point_key(p, salt) for p in points]
    outcome = _stored_outcomes(store, keys) if store is not None else {}
    todo: list[tuple[int, str, Mapping[str, Any]]] = []
    queued: set[str] = set(outcome)
    for i, (key, point) in enumerate(zip(keys, points, strict=True)):
        if key not in queued:
            queued.add(key)
            todo.append((i, key, point))
    run = _PointsRun(store, sweep_id, outcome, Counter(keys), progress, len(points))
    run.tally.advance(len(points) - sum(run.counts[key] for _, key, _ in todo))
    if todo:  # (nothing left: no pool is started)
        pending = max_pending or 4 * jobs
        for _ in iter_chunks(
            todo, fn, jobs=jobs, executor=executor, max_pending=pending, finish=run.finish, sizer=run.sizer
        ):
            pass
    records = []
    for i, (key, point) in enumerate(zip(keys, points, strict=True)):
        status, result, error = outcome[key]
        records.append(
            {"key": key, "seq": i, "status": status, "params": normalize(dict(point)), "result": result, "error": error}
        )
    return records


def _stored_outcomes(store: ResultStore, keys: list[str]) -> dict[str, tuple[str, Any, str | None]]:
    """key -> (status, result, error) of the points already in `store`; unreadable rows are deleted
    (and recomputed) with one warning."""
    outcome: dict[str, tuple[str, Any, str | None]] = {}
    unreadable = []
    for key, rec in store.records_for(keys).items():  # batched reads, not one per stored key
        if rec is None:  # a damaged row: recompute it rather than make the store unusable
            unreadable.append(key)
            continue
        outcome[key] = (rec["status"], rec["result"], rec["error"])
    if unreadable:
        store.forget(unreadable)
        warnings.warn(
            f"{len(unreadable)} stored point(s) in {store.path} had unreadable data and are recomputed",
            StoreWarning,
            stacklevel=4,
        )
    return outcome


class Tally:
    """Points done so far (stored ones included) and the progress callback that is told."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.done, self.progress = total, 0, progress

    def advance(self, points: int) -> None:
        self.done += points
        if self.progress is not None:
            self.progress(self.done, self.total)


def store_chunk(
    store: ResultStore, sweep_id: int | None, chunk: Sequence[tuple[int, str, Mapping[str, Any]]], results: ChunkResult
) -> int:
    """Commit a finished chunk's results in one transaction (`results[0]` may be shorter than the
    chunk: a bug ended it early); returns how many rows were new (a key another writer stored in
    the meantime keeps that writer's row)."""
    return store.put_many(
        (key, seq, sweep_id, status, point, *((payload, None) if status == "ok" else (None, payload)), wall_s)
        for (seq, key, point), (status, payload, wall_s) in zip(chunk, results[0], strict=False)
    )


class _PointsRun:
    """`run_points`' bookkeeping: commits each finished chunk, records its outcomes, counts progress."""

    def __init__(
        self,
        store: ResultStore | None,
        sweep_id: int | None,
        outcome: dict[str, tuple[str, Any, str | None]],
        counts: Counter[str],
        progress: Progress | None,
        total: int,
    ) -> None:
        self.store, self.sweep_id, self.outcome, self.counts = store, sweep_id, outcome, counts
        self.tally = Tally(total, progress)
        self.sizer = ChunkSizer()

    def finish(self, chunk: Sequence[tuple[int, str, Mapping[str, Any]]], outcome_of_chunk: ChunkResult) -> None:
        results, bug = outcome_of_chunk
        chunk = chunk[: len(results)]
        self.sizer.observe(len(chunk), sum(r[2] for r in results))
        if self.store is not None:
            store_chunk(self.store, self.sweep_id, chunk, outcome_of_chunk)
        for (_, key, _), (status, payload, _) in zip(chunk, results, strict=True):
            self.outcome[key] = ("ok", decode(payload), None) if status == "ok" else ("error", None, payload)
            self.tally.advance(self.counts[key])
        if bug is not None:
            raise bug


#: Wall time one task (a chunk of points) aims at: long enough that a pool's or Dask's per-task
#: overhead (~1 ms) is amortised, short enough that a kill loses little and workers stay balanced.
CHUNK_TARGET_S = 0.25

#: Most points in one chunk (bounds what a kill loses and what one task holds).
MAX_CHUNK = 512


class ChunkSizer:
    """Chunk size adapted to the measured time per point: ``CHUNK_TARGET_S / mean point time``.

    Starts at one point (the first chunks measure), then follows the running mean, clamped to
    1..`MAX_CHUNK`. Results do not depend on the chunking: each point is still evaluated alone.

    `in_flight` is how many chunks to keep submitted while the size is still growing: one more than
    the chunks measured so far, and at least one per worker (a spawn pool starts a process per
    submitted task, so fewer would start the pool's workers late). Filling a deep queue (the CLI
    keeps 64 Dask tasks in flight) at the first, one-point size made over a third of a Dask sweep's tasks
    one-point tasks, each paying the ~5 ms of client, scheduler and worker CPU a Dask task costs on
    this machine (docs/scaling.md).

    >>> s = ChunkSizer(target_s=0.25)
    >>> s.in_flight(64, 2), [s.observe(s.size, 0.004 * s.size) or s.size for _ in range(7)], s.in_flight(64, 2)
    (2, [2, 4, 8, 16, 32, 62, 62], 64)
    """

    def __init__(self, target_s: float = CHUNK_TARGET_S, most: int = MAX_CHUNK) -> None:
        self.target_s, self.most = target_s, most
        self.points, self.seconds, self.chunks = 0, 0.0, 0
        self.size = 1
        self.settled = False

    def observe(self, points: int, seconds: float) -> None:
        self.points += points
        self.seconds += seconds
        self.chunks += 1
        mean = self.seconds / self.points if self.points else 0.0
        want = self.most if mean <= 0 else int(self.target_s / mean)
        self.size = max(1, min(self.most, want, 2 * self.size))  # grow at most 2x per chunk
        self.settled = self.settled or self.size >= min(self.most, want)  # no longer held back by the 2x

    def in_flight(self, most: int, workers: int) -> int:
        """Chunks to keep submitted: `most` once the size has settled, fewer while it still grows."""
        return most if self.settled else min(most, max(workers, self.chunks + 1))


ChunkResult = tuple[list[tuple[str, str, float]], BaseException | None]


def _run_chunk(fn: PointFn, chunk: Sequence[dict[str, Any]]) -> ChunkResult:
    """`_run_one` on every point of a chunk (one task): per-point results and failures.

    A bug (a non-AccelsimError exception) stops the chunk; it comes back with the results before
    it, so the coordinator commits those and then raises it, as it did point by point.
    """
    results: list[tuple[str, str, float]] = []
    for p in chunk:
        try:
            results.append(_run_one(fn, p))
        except Exception as exc:  # re-raised by the coordinator after committing `results`
            return results, exc
    return results, None


def iter_chunks(
    todo: Iterable[tuple[int, str, Mapping[str, Any]]],
    fn: PointFn,
    *,
    jobs: int,
    executor: cf.Executor | None,
    max_pending: int,
    finish: Callable[[Sequence[tuple[int, str, Mapping[str, Any]]], ChunkResult], None],
    sizer: ChunkSizer,
) -> Iterator[None]:
    """Evaluate `(seq, key, point)` items in chunks (inline, on a pool of `jobs`, or on `executor`),
    calling ``finish(chunk, (results, bug))`` for each chunk as it completes, lowest seq first, and
    yielding after each (its caller may do other work while the workers go on; `todo` is read as
    chunks are queued)."""
    if executor is None and jobs == 1:
        items = iter(todo)
        while chunk := list(itertools.islice(items, sizer.size)):
            finish(chunk, _run_chunk(fn, [dict(p) for _, _, p in chunk]))
            yield
        return
    own = executor is None
    ex = executor or process_pool(jobs)
    try:
        yield from _drain(ex, fn, todo, max_pending, finish, sizer, jobs)
    finally:
        if own:
            ex.shutdown(wait=True, cancel_futures=True)


def _drain(
    ex: cf.Executor,
    fn: PointFn,
    todo: Iterable[tuple[int, str, Mapping[str, Any]]],
    max_pending: int,
    finish: Callable[..., None],
    sizer: ChunkSizer,
    workers: int,
) -> Iterator[None]:
    """Keep at most `max_pending` chunks in flight; commit each as it completes (lowest index first)."""
    items = iter(todo)
    Chunk = list[tuple[int, str, Mapping[str, Any]]]
    pending: dict[cf.Future[ChunkResult], Chunk] = {}

    def refill() -> None:
        while len(pending) < sizer.in_flight(max_pending, workers):
            chunk = list(itertools.islice(items, sizer.size))
            if not chunk:
                return
            pending[ex.submit(_run_chunk, fn, [dict(p) for _, _, p in chunk])] = chunk

    try:
        refill()
        while pending:
            finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in sorted(finished, key=lambda f: pending[f][0][0]):
                chunk = pending.pop(fut)
                finish(chunk, fut.result())
            refill()  # the workers get more before the caller does anything else
            yield
    finally:
        for fut in pending:
            fut.cancel()


class _DaskExecutor(cf.Executor):
    """Dask's executor, plus closing the client on shutdown so ``with dask_executor(...)`` cleans up."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._inner = client.get_executor(pure=False)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = self._inner.submit(fn, *args, **kwargs)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        try:
            self._inner.shutdown(wait=wait)
        finally:
            self._client.close()


def dask_executor(address: str, timeout: float = DASK_TIMEOUT_S) -> cf.Executor:
    """An Executor on the Dask scheduler at `address` (``tcp://host:8786``); shutting it down closes the client.

    Connecting and the handshake take at most `timeout` seconds: the client is built on a daemon
    thread and abandoned when it does not answer in time (Dask's own timeout does not cover a peer
    that accepts the connection but never speaks). Dask is optional (``accelsim[dask]``) and imported
    only here. Dask ships tasks with cloudpickle: run it between machines you trust.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < 86_400:
        raise InputError("dask_timeout", timeout, "must be a number of seconds in (0, 86400)")
    Client = optional_import("distributed", "dask", address, DASK_HINT).Client
    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["client"] = Client(address, timeout=timeout)
        except BaseException as exc:  # handed to the waiting thread below
            box["error"] = exc

    thread = threading.Thread(target=connect, name="accelsim-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 1.0)
    if thread.is_alive():
        raise InputError(
            "dask", address, f"did not answer as a Dask scheduler within {timeout:g} s (--dask-timeout raises the wait)"
        )
    exc = box.get("error")
    if isinstance(exc, OSError):
        raise InputError("dask", address, f"cannot reach the scheduler: {exc}") from None
    if isinstance(exc, (ValueError, TypeError)):  # a malformed address, e.g. a port that is not a number
        raise InputError("dask", address, f"is not a scheduler address such as tcp://host:8786 ({exc})") from None
    if exc is not None:
        raise exc
    return _DaskExecutor(box["client"])


__all__ = [
    "CHUNK_TARGET_S",
    "DASK_HINT",
    "DASK_TIMEOUT_S",
    "ChunkResult",
    "ChunkSizer",
    "Tally",
    "ClusterLost",
    "cluster_loss_reported",
    "dask_executor",
    "die_with_parent",
    "iter_chunks",
    "process_pool",
    "run_points",
    "store_chunk",
]
