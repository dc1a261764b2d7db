"""`accelsim sweep`: parse the grid, run it with a progress bar, print the rows, optionally plot.
"""

from __future__ import annotations

import argparse
import os
import sys

from accelsim.cli.options import (
    AXIS_FLAGS,
    base_accelerator,
    check_plot_path,
    mapper_config,
)
from accelsim.errors import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, InputError


class _Bar:
    """A tqdm bar on stderr driven by ``progress(done, total)``; off when quiet or not a terminal."""

    def __init__(self, quiet: bool, desc: str) -> None:
        self.bar = None
        if not quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=None, unit="point", desc=desc, file=sys.stderr, disable=None, leave=False, dynamic_ncols=True)

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None:
            if self.bar.total != total:
                self.bar.total = total
                self.bar.refresh()
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def sweep_spec(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The sweep's axes: the --spec file's (in its order), each replaced or extended by the flags given."""
    from accelsim.explore.grid import SweepSpec, load_spec

    axes = {a.name: a for a in load_spec(args.spec).axes} if args.spec else {}
    for flag, name in AXIS_FLAGS:
        value = getattr(args, flag)
        if value is not None:
            axes[name] = value
    from accelsim.explore.plan import full_spec

    return full_spec(SweepSpec(tuple(axes.values())) if axes else None)


_SHORT_AXIS = {"bw_gb_per_s": "bw", "sram_bytes": "sram", "dram_efficiency": "efficiency"}


def cmd_sweep(args: argparse.Namespace) -> int:
    from accelsim.explore.pool import run_grid
    from accelsim.explore.record import describe_labels, strip_error_type
    from accelsim.hardware.design import default_scale
    from accelsim.report.tables import render

    spec = sweep_spec(args)
    varying = [a.name for a in spec.axes if len(a.values) > 1 and a.name not in ("bits", "bw_gb_per_s")]
    if args.plot:
        check_plot_path(args.plot)  # reject a bad suffix before simulating
        if varying:
            raise InputError(
                "plot", args.plot,
                f"draws speedup vs bits per bandwidth; give one value of {', '.join(_SHORT_AXIS.get(v, v) for v in varying)} "
                "(or plot the store with `accelsim pareto --plot`)",
            )
    base = base_accelerator(args)
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    store = None if args.no_store else args.store
    bar = _Bar(args.quiet, "sweep")
    executor = None
    try:
        if args.dask:
            from accelsim.explore.parallel import dask_executor

            executor = dask_executor(args.dask)
        run = run_grid(
            spec, base=base, scale=args.scale, first_last_bits=args.first_last_bits, memory=args.memory,
            jobs=jobs, executor=executor, store=store, progress=bar, max_pending=max(64, 4 * jobs) if executor else None,
            mapper=mapper_config(args),
        )
    except KeyboardInterrupt:
        bar.close()
        where = f"; finished points are in {store}, rerun the same command to resume" if store else ""
        sys.stderr.write(f"accelsim: interrupted{where}\n")
        return EXIT_INTERRUPTED
    finally:
        bar.close()
        if executor is not None:
            executor.shutdown(wait=True)
    rows = run.rows
    if run.failures and not rows:
        labels, message = run.failures[0]
        sys.stderr.write(
            f"accelsim: error: {strip_error_type(message)} (all {run.size} design points failed; first: {describe_labels(labels)})\n"
        )
        return EXIT_INPUT
    if args.plot:
        from accelsim.report.plot import plot_speedup, system_title

        drawable = [r for r in rows if r.speedup is not None]
        first = rows[0]
        plot_speedup(drawable, args.plot, title=system_title(base, first.workload, first.mode, first.scale, args.first_last_bits))
    if args.format == "table":  # people read milliseconds; constant columns move to a header line
        modes = spec.axis("mode").labels if "mode" in spec.names else ("configurable",)
        scales = args.scale or "/".join(dict.fromkeys(default_scale(m) for m in modes))
        names = ", ".join(dict.fromkeys(r.workload for r in rows))
        batches = ",".join(spec.axis("batch").labels) if "batch" in spec.names else "1"
        swept = [v for v in varying if v not in ("workload", "batch", "mode")]
        note = f"; swept: {', '.join(_SHORT_AXIS.get(v, v) for v in swept)}" if swept else ""
        if args.mapper != "fixed":
            note += f"; mapper {args.mapper} ({args.objective})"
        sys.stdout.write(
            f"{names}, batch {batches}: iso-area {','.join(modes)} MACs grown by {scales}; "
            f"base {base.describe(with_bw=False)}{note}\n\n"
        )
        extra = {
            "workload": "workload", "batch": "batch", "mode": "mode", "sram_bytes": "sram_mb", "cores": "cores",
            "array": "array", "dram_efficiency": "dram_efficiency",
        }
        lead = [extra[v] for v in varying]
        table = []
        for r in rows:
            d = r.as_dict()
            d["sram_mb"] = r.sram_bytes / 1e6
            d["ms_per_image"] = r.seconds_per_image * 1e3
            d["first_image_ms"] = r.first_image_seconds * 1e3
            d["energy_uj"] = r.energy_per_image_uj
            d["mac_uj"] = r.mac_energy_per_image_uj
            d["sram_uj"] = r.sram_energy_per_image_uj
            d["offchip_uj"] = r.offchip_energy_per_image_uj
            d["noc_uj"] = r.noc_energy_per_image_uj
            table.append(d)
        columns = lead + [
            "bits", "first_last_bits", "bw", "macs_per_cycle", "peak_tmacs", "ms_per_image", "first_image_ms",
            "speedup", "peak_ratio", "efficiency", "utilization", "stall_fraction", "memory_bound_fraction", "bound",
            "offchip_mb", "noc_mb", "weights_fit", "activations_fit", "pinned_mb", "energy_uj", "mac_uj", "sram_uj",
            "offchip_uj", "noc_uj", "area_mm2",
        ]
        sys.stdout.write(render(table, "table", columns=columns))
        if any(r.speedup is None for r in rows):
            sys.stdout.write("\n(blank speedup: the 16-bit reference point with the same other values failed)\n")
    else:
        sys.stdout.write(render([r.as_dict() for r in rows], args.format))
    if run.failures:
        labels, message = run.failures[0]
        where = " (stored as errors)" if store else ""
        sys.stderr.write(
            f"accelsim: warning: {len(run.failures)} design points failed{where}; first: "
            f"{describe_labels(labels)}: {strip_error_type(message)}\n"
        )
    return EXIT_OK


__all__ = ["cmd_sweep", "sweep_spec"]
