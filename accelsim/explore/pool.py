"""Running a planned sweep: inline, on a spawn process pool, or on a caller's executor, with the store
skipping finished points (`run_grid` is the entry the CLI uses).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import math
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelsim._version import __version__
from accelsim.explore.grid import SweepSpec
from accelsim.explore.model_hash import model_salt
from accelsim.explore.options import Progress, SweepOptions, options_of
from accelsim.explore.parallel import _check_jobs, process_pool
from accelsim.explore.plan import GridPlan, plan_points
from accelsim.explore.point import evaluate_point, evaluate_point_with
from accelsim.explore.record import GridRun, SweepRow
from accelsim.explore.registry import graph_texts, register_graphs
from accelsim.explore.store import ResultStore
from accelsim.explore.stream import (
    Handover,
    Outcome,
    Runner,
    StreamCounts,
    StreamRun,
    run_steps,
    stored_outcomes,
)
from accelsim.ir.graph import LayerGraph


def run_grid(
    spec: SweepSpec | Mapping[str, Any] | None = None, options: SweepOptions | None = None, **changes: Any
) -> GridRun:
    """Plan, run and assemble a sweep; failed points are returned, not raised (see `sweep_grid`).

    `options` (`SweepOptions`, with any of its fields given as keywords too): a store may be a
    `ResultStore` or a path, opened after every input is validated (so bad input creates no file)
    and closed at the end; `fresh` deletes the sweep's points from the store first, so every one is
    simulated again. The rows are collected in a list: the CLI iterates `stream_grid` instead,
    which holds none of them.
    """
    with stream_grid(spec, options_of(options, changes)) as run:
        rows: list[SweepRow] = []
        failures: list[tuple[dict[str, str], str]] = []
        for row, labels, error in run.outcomes():
            if row is not None:
                rows.append(row)
            else:
                failures.append((labels or {}, error or ""))
        return GridRun(run.plan.spec, tuple(rows), tuple(failures), run.plan.grid_size, run.from_store, run.simulated)


@dataclass
class GridStream:
    """A sweep whose rows are read back from its store on demand (`outcomes`): finished, or still
    running (reading the rows runs what is left; the counts are final once they are read)."""

    plan: GridPlan
    store: ResultStore
    salt: str
    counts: StreamCounts
    runner: Runner

    @property
    def size(self) -> int:
        return self.plan.grid_size

    @property
    def from_store(self) -> int:
        return self.counts.from_store

    @property
    def simulated(self) -> int:
        return self.counts.simulated

    def outcomes(self) -> Iterator[Outcome]:
        """``(row, None, None)`` per finished grid point and ``(None, labels, message)`` per failed
        point, in grid order (failed references off the grid last)."""
        return stored_outcomes(self.plan, self.store, self.salt, self.runner)


@contextlib.contextmanager
def stream_grid(
    spec: SweepSpec | Mapping[str, Any] | None, options: SweepOptions, *, overlap: bool = False
) -> Iterator[GridStream]:
    """Run a sweep (see `run_grid`) and yield a `GridStream` to read its rows from.

    `overlap`: yield at once and run the sweep as its rows are read (each window of rows as soon as
    its points are stored), so printing the rows overlaps the simulation; the pool closes on exit.
    Without a store the sweep runs through a scratch store in a temporary directory, removed on exit.
    """
    _check_jobs(options.jobs)
    plan = plan_points(spec, options)
    with contextlib.ExitStack() as stack:
        store = options.store
        resumable = store is not None
        if store is None:
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="accelsim-sweep-"))
            store = stack.enter_context(ResultStore(Path(scratch) / "scratch.db"))
        elif not hasattr(store, "done_keys"):  # a path: opened only now that the inputs are known to be good
            store = stack.enter_context(ResultStore(store))
        run = _stream_run(plan, options, store, resumable)
        pool = run.executor if isinstance(run.executor, _LazyPool) else None
        if pool is not None:
            stack.callback(pool.shutdown, wait=True, cancel_futures=True)
        counts = StreamCounts()
        handover = Handover()
        runner = Runner(run_steps(plan, run, counts, handover), handover)
        if not overlap:  # the whole sweep first; its workers go before the rows are read
            runner.until(math.inf)
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        yield GridStream(plan, store, run.salt, counts, runner)


def _stream_run(plan: GridPlan, options: SweepOptions, store: ResultStore, resumable: bool) -> StreamRun:
    """How `plan` runs: its point function, executor (a lazily started pool of `options.jobs`, or
    the caller's), and its sweep's row in `store`."""
    salt = model_salt()
    first = next(plan.iter_points()).to_dict()
    settings = {k: v for k, v in first.items() if k not in plan.spec.names and k != "workload_sha256"}
    sweep_id = store.begin_sweep({"axes": plan.spec.to_dict(), "settings": settings}, __version__, salt)
    fn: Callable[[dict[str, Any]], Mapping[str, Any]] = evaluate_point
    executor: cf.Executor | None = options.executor
    workers = options.jobs
    if executor is not None:  # another machine may not have the files: ship the graphs with the function
        fn = functools.partial(evaluate_point_with, graph_texts(plan.graphs))
    else:
        workers = min(options.jobs, plan.size)
        if workers > 1:  # started lazily: a sweep whose points are all stored starts no process
            executor = _LazyPool(workers, plan.graphs)
        else:
            workers = 1
            register_graphs(plan.graphs)
    return StreamRun(
        fn=fn,
        jobs=workers,
        executor=executor,
        store=store,
        salt=salt,
        sweep_id=sweep_id,
        progress=options.progress,
        max_pending=options.max_pending or 4 * max(1, workers),
        fresh=options.fresh,
        resumable=resumable,
    )


class _LazyPool(cf.Executor):
    """A process pool started on the first submit (resumed sweeps with nothing left start none)."""

    def __init__(self, workers: int, graphs: Mapping[str, LayerGraph]) -> None:
        self._workers, self._graphs = workers, graphs
        self._pool: cf.ProcessPoolExecutor | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        if self._pool is None:
            self._pool = process_pool(self._workers, register_graphs, (graph_texts(self._graphs),))
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


__all__ = ["GridStream", "Progress", "SweepOptions", "run_grid", "stream_grid"]
