"""The simulation subcommands: `sweep`, `run`, `fit`, `results` and `pareto`, registered into `accelsim`.

Thin shells over `accelsim.explore.sweep`, `accelsim.model.sim`, `accelsim.model.fit`, `accelsim.explore.store` and
`accelsim.explore.pareto`: parse, call, print. Results go to stdout, the progress bar and errors to
stderr; bad input is one line and exit code 2 (the main parser in `accelsim.cli.main` turns InputError
into that line), checked before any work starts or any file is written.

This module registers all five and runs `run` and `fit`; `sweep` is in `sweep_commands`, `results`
and `pareto` in `store_commands`, their shared argument types in `options`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from accelsim.cli.options import (
    DEFAULT_OBJECTIVES,
    DEFAULT_STORE,
    add_common_options,
    add_first_last_option,
    add_memory_option,
    axis_type,
    base_accelerator,
    bits_type,
    bw_type,
    jobs_type,
    objectives_type,
    workload_graph,
)
from accelsim.cli.store_commands import cmd_pareto, cmd_results
from accelsim.cli.sweep_commands import cmd_sweep
from accelsim.errors import EXIT_OK


def register(subparsers: Any) -> None:
    """Add `sweep`, `run`, `fit`, `results` and `pareto` to the `accelsim` subcommand parsers."""
    from accelsim.cli.main import add_format_option
    from accelsim.hardware.design import SCALES

    p = subparsers.add_parser(
        "sweep", help="speed, energy and area of iso-area design points over any grid of axes (PACT Fig. 6c and more)",
        description=(
            "Simulate every point of the grid (the product of the axes) on the iso-area design of the base at each "
            "precision; speedups are over the 16-bit design with the same values of every other axis. Every finished "
            "point is committed to a SQLite result store, so an interrupted sweep resumes where it stopped."
        ),
    )
    axes = p.add_argument_group("axes (comma lists; the grid is their product, first axis varying slowest)")
    axes.add_argument("--workload", type=axis_type("workload"), default=None, metavar="LIST", help="zoo names or LayerGraph .json files (default resnet50)")
    axes.add_argument("--bits", type=axis_type("bits"), default=None, metavar="LIST", help="body bit-widths, e.g. 16,8,4,2 (default)")
    axes.add_argument("--bw", type=axis_type("bw"), default=None, metavar="LIST", help="external bandwidths in GB/s, e.g. 32,64,inf (default)")
    axes.add_argument("--sram", type=axis_type("sram"), default=None, metavar="LIST", help="total on-chip memory, e.g. 8MB,16MB,32MB (default: the base's, 16MB)")
    axes.add_argument("--cores", type=axis_type("cores"), default=None, metavar="LIST", help="cores of the base design, e.g. 2,4,8 (default: the base's, 4)")
    axes.add_argument("--array", type=axis_type("array"), default=None, metavar="LIST", help="base array per core, e.g. 16x32,32x32 (default: the base's, 16x32)")
    axes.add_argument("--batch", type=axis_type("batch"), default=None, metavar="LIST", help="batch sizes for zoo networks (default 1)")
    axes.add_argument("--mode", type=axis_type("mode"), default=None, metavar="LIST", help="iso-area MAC models: configurable,dedicated (default configurable)")
    axes.add_argument(
        "--efficiency", type=axis_type("dram_efficiency"), default=None, metavar="LIST",
        help="sustained / peak external bandwidth, e.g. 1,0.8 (default: the base's, 1 = peak as in PACT; presets: "
        "lpddr4 0.69, ddr4 0.78, gddr5 0.75, hbm2 0.83)",
    )
    axes.add_argument("--spec", metavar="FILE.toml", help="axes from a TOML file's [axes] table (in its order); flags above replace the file's axis of the same name")
    p.add_argument("--config", metavar="FILE", help="base accelerator as JSON or TOML (default: the 16-bit default system)")
    p.add_argument("--scale", choices=SCALES, default=None, help="where iso-area MACs go (default: cores for configurable, array for dedicated; see docs/model.md)")
    add_first_last_option(p)
    add_memory_option(p)
    run = p.add_argument_group("running and storing")
    run.add_argument("--jobs", type=jobs_type, default=None, metavar="N", help=f"worker processes (default: the machine's core count, {os.cpu_count() or 1} here; 1 runs inline)")
    run.add_argument("--dask", "--scheduler", dest="dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS, e.g. tcp://host:8786 (needs accelsim[dask])")
    run.add_argument("--store", metavar="FILE", default=DEFAULT_STORE, help=f"SQLite result store; finished points are skipped on a rerun (default: ./{DEFAULT_STORE} in the working directory)")
    run.add_argument("--no-store", action="store_true", help="keep no result store (nothing is written, nothing reused)")
    add_format_option(p)
    p.add_argument("--plot", metavar="FILE", help="also draw speedup vs bits to FILE (.png, .svg or .pdf); needs one value on every axis but bits and bw")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

    p = subparsers.add_parser(
        "run", help="one design point: per-layer cycles, utilization, bound, off-chip bytes, energy and totals",
        description="Simulate one design point. Without --bits the --config accelerator runs as is.",
    )
    p.add_argument("--bits", type=bits_type, default=None, help="body bit-width; the design is iso-area to the base at this precision")
    p.add_argument("--bw", type=bw_type, default=None, help="external bandwidth in GB/s or inf (default: the base's, 64)")
    p.add_argument("--timeline", default=None, metavar="FILE", help="also draw per-core compute, channel traffic (demand, stores, prefetch) and SRAM occupancy over time (.png/.svg/.pdf)")
    add_common_options(p)
    add_memory_option(p)
    p.set_defaults(func=cmd_run)

    p = subparsers.add_parser(
        "fit", help="on-chip fit per precision: weights pinned and streamed, live activations per core, spills",
        description=(
            "What the per-core memory plan keeps on chip at each precision, on the iso-area design of the base at that "
            "precision (the design a sweep runs): weights pinned and streamed, peak live activations per core, spills."
        ),
    )
    p.add_argument("--bits", type=axis_type("bits"), default=None, help="bit-widths, e.g. 16,8,4,2 (default)")
    add_common_options(p)
    p.set_defaults(func=cmd_fit)

    p = subparsers.add_parser(
        "results", help="read a sweep result store back as a table, CSV or JSON",
        description="Every design point in the store, in grid order, with speedups against the stored 16-bit points.",
    )
    p.add_argument("store", metavar="STORE", help=f"a result store written by `accelsim sweep` (e.g. {DEFAULT_STORE})")
    p.add_argument("--stale", action="store_true", help="also show points an older accelsim version or model computed (column model)")
    add_format_option(p)
    p.set_defaults(func=cmd_results)

    p = subparsers.add_parser(
        "pareto", help="the non-dominated design points of a result store, optionally plotted",
        description="Design points no other point beats in every objective (all minimised); failed points are left out.",
    )
    p.add_argument("store", metavar="STORE", help="a result store written by `accelsim sweep`")
    p.add_argument(
        "--objectives", type=objectives_type, default=DEFAULT_OBJECTIVES, metavar="LIST",
        help=f"columns to minimise (default {','.join(DEFAULT_OBJECTIVES)})",
    )
    p.add_argument("--plot", metavar="FILE", help="draw the front over the first two objectives to FILE (.png, .svg or .pdf)")
    add_format_option(p)
    p.set_defaults(func=cmd_pareto)


# --- helpers ----------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    import json
    from dataclasses import replace

    from accelsim.explore.store import json_safe
    from accelsim.hardware.bandwidth import parse_bw
    from accelsim.hardware.design import iso_area
    from accelsim.model.energy import area
    from accelsim.model.fit import policy_for
    from accelsim.model.sim import simulate
    from accelsim.report.tables import render

    base = base_accelerator(args)
    if args.bw is not None:
        base = replace(base, bw_gb_per_s=parse_bw(args.bw))
    if args.bits is None:
        design, bits = base, base.mac_w_bits
    else:
        design, bits = iso_area(base, args.bits, args.mode, args.scale), args.bits
    graph = workload_graph(args).with_policy(policy_for(bits, args.first_last_bits))
    if args.timeline is not None:
        from accelsim.report.plot import plot_format

        plot_format(args.timeline)  # a bad suffix fails before any work
    result = simulate(graph, design, memory=args.memory)
    if args.timeline is not None:
        from accelsim.model.sim import timeline
        from accelsim.report.timeline import plot_timeline

        title = f"{graph.name} at {bits} bits: {design.describe()}"
        plot_timeline(timeline(graph, design), design.clock_hz, args.timeline, title=title)
    cost = area(design, built_bits=(base.mac_w_bits, base.mac_a_bits))
    totals = result.totals()
    totals.update({"area_mm2": cost.total_mm2, "compute_area_mm2": cost.compute_mm2, "sram_area_mm2": cost.sram_mm2})
    if args.format == "json":
        data = result.as_dict()
        data["totals"] = totals
        sys.stdout.write(json.dumps(json_safe(data), indent=1, allow_nan=False) + "\n")
        return EXIT_OK
    columns = [
        "name", "kind", "w_bits", "a_bits", "split", "gang", "compute_cycles", "cycles", "stall_cycles",
        "array_utilization", "bound", "read_bytes", "write_bytes", "refetch", "order", "weights_pinned",
        "output_on_chip", "noc_bytes", "mac_energy_uj", "sram_energy_uj", "offchip_energy_uj", "noc_energy_uj",
    ]
    rows = [layer.as_dict() for layer in result.layers]
    if args.format == "table":
        rows.append({
            "name": "TOTAL", "compute_cycles": result.compute_cycles, "cycles": result.cycles,
            "stall_cycles": result.stall_cycles, "array_utilization": result.utilization, "bound": result.bound,
            "read_bytes": result.read_bytes, "write_bytes": result.write_bytes,
            "mac_energy_uj": result.mac_energy_uj, "sram_energy_uj": result.sram_energy_uj,
            "offchip_energy_uj": result.offchip_energy_uj, "noc_bytes": result.noc_bytes,
            "noc_energy_uj": result.noc_energy_uj,
        })
        sys.stdout.write(design.describe() + "\n\n")
        sys.stdout.write(render(rows, "table", columns=columns))
        sys.stdout.write("\n" + render([{"quantity": k, "value": v} for k, v in totals.items()], "table"))
    else:
        sys.stdout.write(render(rows, "csv", columns=columns))
    return EXIT_OK


def cmd_fit(args: argparse.Namespace) -> int:
    from accelsim.hardware.design import iso_area
    from accelsim.model.fit import fit_report
    from accelsim.report.tables import render

    bits = list(args.bits.values) if args.bits is not None else [16, 8, 4, 2]
    base = base_accelerator(args)
    rows, first = fit_report(
        workload_graph(args), base, bits, args.first_last_bits, design_for=lambda b: iso_area(base, b, args.mode, args.scale)
    )
    out = []
    for r in rows:
        d = r.as_dict()
        d["first_fit"] = r.bits == first
        if args.format != "json":
            d["spilled"] = " ".join(r.spilled) if r.spilled else ""
        out.append(d)
    sys.stdout.write(render(out, args.format))
    if args.format == "table":
        where = f"at {first} bits" if first is not None else "at none of these bit-widths"
        sys.stdout.write(
            f"\neverything (all weights pinned, all activations on chip) first fits in the cores' "
            f"{base.sram_bytes_total / 1e6:g} MB {where}\n"
        )
    return EXIT_OK


# --- reading a store back ------------------------------------------------------------------------------
#: Point fields that only identify the model inputs; shown in CSV/JSON, not in tables.


__all__ = ["cmd_fit", "cmd_run", "register"]
