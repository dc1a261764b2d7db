"""Design-space sweeps: speed, energy and area of iso-area design points over any grid of axes.

`sweep_grid(spec)` simulates the product of the spec's axes (`accelsim.explore.grid`: workload, bits,
bandwidth, total SRAM, cores, base array, batch, MAC mode) and compares every point with the
base-precision (16-bit) design at the same values of every other axis. `sweep` is PACT Fig. 6(c):
the bits x bandwidth special case, kept with its original signature.

How a point runs (`plan` -> `pool` -> `point` -> `assemble`): `point.evaluate_point` is a
module-level, pure function of a plain dict (the design
point with every setting that affects its result) returning a plain dict, so the same code runs
inline, on a process pool or on a Dask cluster (`accelsim.explore.parallel.run_points`), and each result
is committed to the `ResultStore` under the hash of the point, the workload graph, and the model
(accelsim version, model source and tech data; `model_hash.model_salt`), so a rerun skips finished points.
Rows come back in grid order (first axis slowest) whatever the order the points finished in.

What the axes mean (every other field comes from the base accelerator):

* ``sram_bytes``: total on-chip memory, divided evenly over the base's cores (a remainder of fewer
  than `cores` bytes is dropped); iso-area keeps the total.
* ``cores`` / ``array``: the base design's cores and per-core array (``16x32``); the design at
  `bits` is ``iso_area(base, bits, mode, scale)``, so these change the silicon area.
* ``mode``: configurable or dedicated MACs; `scale` defaults to `default_scale(mode)` per point.

Example
-------
>>> rows = sweep("resnet18", bits=[16, 4], bw=["inf"])
>>> [(r.bits, r.bw, round(r.peak_ratio)) for r in rows]
[(16, 'inf', 1), (4, 'inf', 4)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from accelsim.errors import InputError
from accelsim.explore.grid import Axis, SweepSpec
from accelsim.explore.options import Progress, SweepOptions, options_of
from accelsim.explore.pool import run_grid
from accelsim.explore.record import SweepRow, describe_labels, strip_error_type
from accelsim.explore.registry import load_graph
from accelsim.hardware.bandwidth import bw_label, parse_bw
from accelsim.hardware.design import SCALES, Accelerator, default_scale, iso_area
from accelsim.ir.checks import check_bits
from accelsim.ir.graph import LayerGraph
from accelsim.model.energy import DEFAULT_MEMORY
from accelsim.model.fit import policy_for
from accelsim.model.mapper import MapperConfig
from accelsim.model.sim import simulate


def sweep_grid(
    spec: SweepSpec | Mapping[str, Any] | None = None,
    options: SweepOptions | None = None,
    *,
    errors: str = "raise",
    **changes: Any,
) -> list[SweepRow]:
    """Simulate every point of the grid `spec` and return its rows in grid order.

    Parameters
    ----------
    spec : SweepSpec, mapping or None
        Axes and their values (``{"bits": "8,4", "sram": "8MB,16MB"}`` or `accelsim.explore.grid.load_spec`);
        workload (resnet50), bits (16,8,4,2) and bw (32,64,inf GB/s) default when left out.
    options : SweepOptions, optional
        The base design, scale, first/last bits, external memory, in-memory graphs and mapper of every
        point, and how the sweep runs (jobs, executor, store, progress, max_pending, fresh); any of its
        fields may be given as a keyword instead (``sweep_grid(spec, jobs=2, store="s.db")``). With
        jobs > 1 the pool is started with "spawn": a script calling this needs the
        ``if __name__ == "__main__":`` guard.
    errors : {"raise", "skip"}
        A point that cannot be built or simulated is stored as an error either way; "raise" then
        raises InputError for the first one (after the whole grid ran), "skip" leaves it out.

    Returns
    -------
    list of SweepRow
        Grid order: the first axis varies slowest, values in the order given.
    """
    if errors not in ("raise", "skip"):
        raise InputError("errors", errors, "must be 'raise' or 'skip'")
    run = run_grid(spec, options_of(options, changes))
    if errors == "raise" and run.failures:
        labels, message = run.failures[0]
        raise InputError("design point", describe_labels(labels), strip_error_type(message))
    return list(run.rows)


def sweep(
    workload: LayerGraph | str,
    bits: Sequence[int] = (16, 8, 4, 2),
    bw: Sequence[float | int | str] = (32, 64, "inf"),
    *,
    base: Accelerator | None = None,
    mode: str = "configurable",
    scale: str | None = None,
    first_last_bits: int | None = 8,
    batch: int = 1,
    progress: Progress | None = None,
    jobs: int = 1,
    memory: str = DEFAULT_MEMORY,
    mapper: MapperConfig | None = None,
) -> list[SweepRow]:
    """Simulate every (bits, bandwidth) iso-area design point of `base` (PACT Fig. 6(c)).

    Parameters
    ----------
    workload : LayerGraph or str
        A graph, a zoo name (``"resnet50"``) or a LayerGraph JSON path.
    bits : sequence of int
        Body precisions; each point is ``iso_area(base, b, mode, scale)`` running PACT's policy.
    bw : sequence of float or str
        External bandwidths in GB/s; ``"inf"`` (or ``math.inf``) is unconstrained.
    base : Accelerator, optional
        The reference design (default: the default 16-bit system). Its bandwidth is replaced.
    mode, scale : str
        See `accelsim.hardware.design.iso_area`.
    first_last_bits : int or None
        Precision of the first and last MAC layers when the body is narrower (PACT: 8); None
        quantizes them like the body.
    batch : int
        Batch size for zoo workloads.
    progress : callable, optional
        ``progress(done, total)`` after each simulated point (the CLI drives a tqdm bar with it).
    jobs, memory, mapper : see `sweep_grid`.

    Returns
    -------
    list of SweepRow
        Bits outer, bandwidth inner, in the order given.
    """
    scale = default_scale(mode) if scale is None else scale
    if scale not in SCALES:
        raise InputError("scale", scale, f"must be one of {', '.join(SCALES)}")
    if first_last_bits is not None:
        check_bits("first_last_bits", first_last_bits)
    spec, graphs = _bits_bw_spec(workload, bits, bw, mode, batch)
    return sweep_grid(
        spec,
        base=base,
        scale=scale,
        first_last_bits=first_last_bits,
        memory=memory,
        graphs=graphs,
        jobs=jobs,
        progress=_once_per_point(progress),
        mapper=mapper,
    )


def _bits_bw_spec(
    workload: LayerGraph | str, bits: Sequence[int], bw: Sequence[float | int | str], mode: str, batch: int
) -> tuple[SweepSpec, dict[str, LayerGraph]]:
    """`sweep`'s grid (workload x bits x bw x mode [x batch]) and the in-memory graph it names, if any."""
    bits = [check_bits("bits", b) for b in bits]
    if not bits:
        raise InputError("bits", bits, "needs at least one value")
    if len(set(bits)) != len(bits):
        raise InputError("bits", bits, "lists a bit-width twice")
    points_bw = [(bw_label(v), parse_bw(v)) for v in bw]
    if not points_bw:
        raise InputError("bw", list(bw), "needs at least one value")
    if len({v for _, v in points_bw}) != len(points_bw):
        raise InputError("bw", [lbl for lbl, _ in points_bw], "lists a bandwidth twice")
    if isinstance(workload, LayerGraph):
        graphs, name = {workload.name: workload}, workload.name
    else:
        graphs, name = {}, workload
    axes = [
        Axis.parse("workload", [name]),
        Axis("bits", tuple(bits), tuple(str(b) for b in bits)),
        Axis("bw_gb_per_s", tuple(v for _, v in points_bw), tuple(lbl for lbl, _ in points_bw)),
        Axis.parse("mode", [mode]),
    ]
    if batch != 1:
        axes.append(Axis.parse("batch", [batch]))
    return SweepSpec(tuple(axes)), graphs


def _once_per_point(progress: Progress | None) -> Progress:
    """A progress callback that forwards only calls where `done` grew (one per simulated point)."""
    last = 0

    def forward(done: int, total: int) -> None:
        nonlocal last
        if progress is not None and done > last:
            last = done
            progress(done, total)

    return forward


def first_last_ratio(
    workload: LayerGraph | str,
    bits: int = 4,
    bw: float | int | str = 64,
    *,
    first_last_bits: int = 8,
    base: Accelerator | None = None,
    mode: str = "configurable",
    scale: str | None = None,
    batch: int = 1,
) -> float:
    """How much faster the `bits` design runs when the first and last layers are quantized too.

    Time per image with first/last layers at `first_last_bits` divided by the time with every
    layer at `bits` (PACT section 6 estimates 1.24x at 4 bits).
    """
    base = base if base is not None else Accelerator()
    graph = load_graph(workload, batch)
    design = iso_area(replace(base, bw_gb_per_s=parse_bw(bw)), bits, mode, scale)
    kept = simulate(graph.with_policy(policy_for(bits, first_last_bits)), design)
    quantized = simulate(graph.with_policy(policy_for(bits, None)), design)
    return kept.seconds_per_image / quantized.seconds_per_image


__all__ = ["first_last_ratio", "sweep", "sweep_grid"]
