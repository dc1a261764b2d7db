"""Running a planned sweep: inline, on a spawn process pool, or on a caller's executor, with the store
skipping finished points (`run_grid` is the entry the CLI uses).
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from accelsim._version import __version__
from accelsim.explore.assemble import assemble
from accelsim.explore.grid import SweepSpec
from accelsim.explore.model_hash import model_salt
from accelsim.explore.parallel import _check_jobs, process_pool, run_points
from accelsim.explore.plan import GridPlan, plan_points
from accelsim.explore.point import evaluate_point, evaluate_point_with
from accelsim.explore.record import GridRun
from accelsim.explore.registry import graph_texts, register_graphs
from accelsim.explore.store import ResultStore, point_key
from accelsim.hardware.design import Accelerator
from accelsim.ir.graph import LayerGraph
from accelsim.model.energy import DEFAULT_MEMORY
from accelsim.model.mapper import MapperConfig

#: progress(done, total): called as design points finish (done counts stored points too).
Progress = Callable[[int, int], None]


def run_grid(
    spec: SweepSpec | Mapping[str, Any] | None = None,
    *,
    base: Accelerator | None = None,
    scale: str | None = None,
    first_last_bits: int | None = 8,
    memory: str = DEFAULT_MEMORY,
    graphs: Mapping[str, LayerGraph] | None = None,
    jobs: int = 1,
    executor: cf.Executor | None = None,
    store: Any = None,
    progress: Progress | None = None,
    max_pending: int | None = None,
    fresh: bool = False,
    mapper: MapperConfig | None = None,
) -> GridRun:
    """Plan, run and assemble a sweep; failed points are returned, not raised (see `sweep_grid`).

    `store` may be a `ResultStore` or a path, opened after every input is validated (so bad input
    creates no file) and closed at the end. `fresh` deletes the sweep's points from the store first,
    so every one is simulated again (and stored anew).
    """
    _check_jobs(jobs)
    plan = plan_points(
        spec, base=base, scale=scale, first_last_bits=first_last_bits, memory=memory, graphs=graphs, mapper=mapper
    )
    if store is None or hasattr(store, "done_keys"):
        return run_plan(plan, jobs=jobs, executor=executor, store=store, progress=progress, max_pending=max_pending, fresh=fresh)
    with ResultStore(store) as opened:  # a path: opened only now that the inputs are known to be good
        return run_plan(plan, jobs=jobs, executor=executor, store=opened, progress=progress, max_pending=max_pending, fresh=fresh)


def run_plan(
    plan: GridPlan,
    *,
    jobs: int,
    executor: cf.Executor | None,
    store: Any,
    progress: Progress | None,
    max_pending: int | None,
    fresh: bool = False,
) -> GridRun:
    salt = model_salt()
    sweep_id = None
    points = [p.to_dict() for p in plan.points]  # plain dicts cross to workers and into the store
    keys = {point_key(p, salt) for p in points}
    from_store = 0
    if store is not None:
        if fresh:
            store.forget(keys)
        from_store = len(keys & store.done_keys())
        settings = {k: v for k, v in points[0].items() if k not in plan.spec.names and k != "workload_sha256"}
        sweep_id = store.begin_sweep({"axes": plan.spec.to_dict(), "settings": settings}, __version__, salt)

    fn: Callable[[dict[str, Any]], Mapping[str, Any]] = evaluate_point
    pool = None
    workers = 1
    if executor is not None:  # another machine may not have the files: ship the graphs with the function
        fn = functools.partial(evaluate_point_with, graph_texts(plan.graphs))
        workers = jobs
    elif jobs > 1:
        done = store.done_keys() if store is not None else set()
        todo = keys - done
        workers = min(jobs, len(todo))
        if workers > 1:
            pool = process_pool(workers, register_graphs, (graph_texts(plan.graphs),))
    if pool is None and executor is None:
        register_graphs(plan.graphs)
    try:
        records = run_points(
            points, fn, jobs=1 if pool is None and executor is None else workers,
            executor=executor or pool, store=store, salt=salt, progress=progress, sweep_id=sweep_id,
            max_pending=max_pending or 4 * max(1, workers),
        )
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return replace(assemble(plan, records), from_store=from_store, simulated=len(keys) - from_store)


__all__ = ["Progress", "run_grid", "run_plan"]
