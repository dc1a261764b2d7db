"""`SweepOptions`: everything a sweep takes besides its axes, in one frozen record.

Why a record: planning (`plan.plan_points`), running (`pool.stream_grid`, `pool.run_grid`) and the
public `sweep.sweep_grid` all take the same settings; one record passed through keeps them in one
place instead of four copies of a thirteen-keyword signature.

>>> SweepOptions(jobs=2).with_fields(memory="hbm2").memory
'hbm2'
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator
from accelsim.ir.graph import LayerGraph
from accelsim.model.energy import DEFAULT_MEMORY
from accelsim.model.mapper import MapperConfig

#: progress(done, total): called as design points finish (done counts stored points too).
Progress = Callable[[int, int], None]


@dataclass(frozen=True, kw_only=True)
class SweepOptions:
    """What every point is (base .. mapper) and how the sweep runs (jobs .. fresh).

    base : the reference design the points are iso-area to (default: the 16-bit default system).
    scale : where iso-area MACs go (`accelsim.hardware.design.iso_area`); None: per point's mode.
    first_last_bits : precision of the first and last MAC layers when the body is narrower (PACT: 8).
    memory : external memory preset for the off-chip energy.
    graphs : in-memory LayerGraphs by the workload name the spec uses for them.
    mapper : how every point maps its layers (default the fixed mapping).
    jobs : 1 runs inline; N > 1 a spawn process pool of up to N processes.
    executor : run on this instead (e.g. a Dask executor); the caller shuts it down.
    store : a `ResultStore` or a path: skip points already stored, commit each chunk as it finishes.
    progress : ``progress(done, total)`` as points finish.
    max_pending : most chunks in flight at once (default 4 per worker).
    fresh : delete the sweep's points from the store first, so every one is simulated again.
    """

    base: Accelerator | None = None
    scale: str | None = None
    first_last_bits: int | None = 8
    memory: str = DEFAULT_MEMORY
    graphs: Mapping[str, LayerGraph] | None = None
    mapper: MapperConfig | None = None
    jobs: int = 1
    executor: cf.Executor | None = None
    store: Any = None
    progress: Progress | None = None
    max_pending: int | None = None
    fresh: bool = False

    def with_fields(self, **changes: Any) -> SweepOptions:
        """A copy with `changes`; an unknown name is an InputError (not a TypeError traceback)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise InputError("sweep option", unknown[0], f"is not one of {', '.join(sorted(known))}")
        return replace(self, **changes) if changes else self


def options_of(options: SweepOptions | None, changes: Mapping[str, Any]) -> SweepOptions:
    """`options` (default `SweepOptions()`) with the keyword `changes` a caller passed alongside it."""
    if options is not None and not isinstance(options, SweepOptions):
        raise InputError("options", type(options).__name__, "must be a SweepOptions")
    return (options or SweepOptions()).with_fields(**changes)


__all__ = ["Progress", "SweepOptions", "options_of"]
