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
    AXIS_FLAGS,
    DEFAULT_OBJECTIVES,
    DEFAULT_STORE,
    add_common_options,
    add_first_last_option,
    add_mapper_options,
    add_memory_option,
    add_table_options,
    axis_type,
    base_accelerator,
    bits_type,
    bw_type,
    check_plot_path,
    ctx_list_type,
    jobs_type,
    mapper_config,
    max_points_type,
    objectives_type,
    workload_graph,
    write_table,
)
from accelsim.cli.store_commands import cmd_pareto, cmd_results
from accelsim.cli.sweep_commands import cmd_sweep
from accelsim.errors import EXIT_OK, InputError


def register(subparsers: Any) -> None:
    """Add `sweep`, `run`, `fit`, `results` and `pareto` to the `accelsim` subcommand parsers."""
    _register_sweep(subparsers)
    _register_run(subparsers)
    _register_fit(subparsers)
    _register_results(subparsers)
    _register_pareto(subparsers)


def _register_sweep(subparsers: Any) -> None:
    from accelsim.cli.main import add_format_option
    from accelsim.hardware import SCALES

    p = subparsers.add_parser(
        "sweep",
        help="speed, energy and area of iso-area design points over any grid of axes (PACT Fig. 6c and more)",
        description=(
            "Simulate every point of the grid (the product of the axes) on the iso-area design of the base at each "
            "precision; speedups are over the 16-bit design with the same values of every other axis. Every finished "
            "point is committed to a SQLite result store, so an interrupted sweep resumes where it stopped."
        ),
    )
    axes = p.add_argument_group("axes (comma lists; the grid is their product, first axis varying slowest)")
    axes.add_argument(
        "--workload",
        type=axis_type("workload"),
        default=None,
        metavar="LIST",
        help="zoo names, LLM steps (gpt2:decode,ctx=512), LayerGraph .json, SCALE-Sim .csv or ONNX .onnx files (default resnet50)",
    )
    axes.add_argument(
        "--bits",
        type=axis_type("bits"),
        default=None,
        metavar="LIST",
        help="body bit-widths, e.g. 16,8,4,2 (default), tokens such as w4a16,w8a8,w4a16kv8, or as-trained: the graph's own per-layer bits (the default for graphs that carry them; bits or tokens re-quantize those)",
    )
    axes.add_argument(
        "--bw",
        type=axis_type("bw"),
        default=None,
        metavar="LIST",
        help="external bandwidths in GB/s, e.g. 32,64,inf (default)",
    )
    axes.add_argument(
        "--sram",
        type=axis_type("sram"),
        default=None,
        metavar="LIST",
        help="total on-chip memory, e.g. 8MB,16MB,32MB (default: the base's, 16MB)",
    )
    axes.add_argument(
        "--cores",
        type=axis_type("cores"),
        default=None,
        metavar="LIST",
        help="cores of the base design, e.g. 2,4,8 (default: the base's, 4)",
    )
    axes.add_argument(
        "--array",
        type=axis_type("array"),
        default=None,
        metavar="LIST",
        help="base array per core, e.g. 16x32,32x32 (default: the base's, 16x32)",
    )
    axes.add_argument(
        "--batch",
        type=axis_type("batch"),
        default=None,
        metavar="LIST",
        help="batch sizes for zoo networks (default 1)",
    )
    axes.add_argument(
        "--ctx",
        type=ctx_list_type,
        default=None,
        metavar="LIST",
        help="decode context lengths for LLM workloads, e.g. 512,2048 (each workload becomes NAME:decode,ctx=C)",
    )
    axes.add_argument(
        "--mode",
        type=axis_type("mode"),
        default=None,
        metavar="LIST",
        help="iso-area MAC models: configurable,dedicated (default configurable)",
    )
    axes.add_argument(
        "--efficiency",
        type=axis_type("dram_efficiency"),
        default=None,
        metavar="LIST",
        help="sustained / peak external bandwidth, e.g. 1,0.8 (default: the base's, 1 = peak as in PACT; presets: "
        "lpddr4 0.69, ddr4 0.78, gddr5 0.75, hbm2 0.83)",
    )
    axes.add_argument(
        "--spec",
        metavar="FILE.toml",
        help="axes from a TOML file's [axes] table (in its order); flags above replace the file's axis of the same name",
    )
    p.add_argument(
        "--config", metavar="FILE", help="base accelerator as JSON or TOML (default: the 16-bit default system)"
    )
    p.add_argument(
        "--scale",
        choices=SCALES,
        default=None,
        help="where iso-area MACs go (default: cores for configurable, array for dedicated; see docs/model.md)",
    )
    add_first_last_option(p)
    add_memory_option(p)
    add_mapper_options(p)
    run = p.add_argument_group("running and storing")
    run.add_argument(
        "--jobs",
        type=jobs_type,
        default=None,
        metavar="N",
        help=f"worker processes (default: the machine's core count, {os.cpu_count() or 1} here; 1 runs inline)",
    )
    run.add_argument(
        "--dask",
        "--scheduler",
        dest="dask",
        metavar="ADDRESS",
        help="run on the Dask scheduler at ADDRESS, e.g. tcp://host:8786 (needs accelsim[dask])",
    )
    run.add_argument(
        "--dask-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="longest wait for the Dask scheduler to connect and answer (default 10)",
    )
    run.add_argument(
        "--max-points",
        type=max_points_type,
        default=None,
        metavar="N",
        help="largest grid to run (default 1,000,000; see docs/limits.md)",
    )
    run.add_argument(
        "--store",
        metavar="FILE",
        default=None,
        help=f"SQLite result store; finished points are skipped on a rerun (default: ./{DEFAULT_STORE} in the working directory)",
    )
    run.add_argument(
        "--no-store", action="store_true", help="keep no result store (nothing is written, nothing reused)"
    )
    run.add_argument(
        "--fresh", action="store_true", help="simulate every point again, replacing what the store holds for them"
    )
    add_format_option(p)
    add_table_options(p)
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw speedup vs bits to FILE (.png, .svg or .pdf); needs one value on every axis but bits and bw",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)


def _register_run(subparsers: Any) -> None:

    p = subparsers.add_parser(
        "run",
        help="one design point: per-layer cycles, utilization, bound, off-chip bytes, energy and totals",
        description="Simulate one design point. Without --bits the --config accelerator runs as is, except for a graph "
        "that carries per-layer bits, which runs as trained on the iso-area design of its body precision.",
    )
    p.add_argument(
        "--bits",
        type=bits_type,
        default=None,
        help="body bit-width or token (4, w4a16, w8a8; the design is iso-area to the base at this precision) "
        "or as-trained, the default for a graph that carries per-layer bits (a pact-train export); a width or token re-quantizes it",
    )
    p.add_argument(
        "--bw", type=bw_type, default=None, help="external bandwidth in GB/s or inf (default: the base's, 64)"
    )
    p.add_argument(
        "--timeline",
        default=None,
        metavar="FILE",
        help="also draw per-core compute, channel traffic (demand, stores, prefetch) and SRAM occupancy over time (.png/.svg/.pdf)",
    )
    add_common_options(p)
    add_memory_option(p)
    add_table_options(p)
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw time per layer (compute vs stall, coloured by bound) to FILE (.png, .svg or .pdf)",
    )
    p.add_argument(
        "--roofline",
        metavar="FILE",
        help="also draw every layer on a roofline at each precision down to 2 bits, iso-area to the base",
    )
    add_mapper_options(p)
    p.set_defaults(func=cmd_run)


def _register_fit(subparsers: Any) -> None:

    p = subparsers.add_parser(
        "fit",
        help="on-chip fit per precision: weights pinned and streamed, live activations per core, spills",
        description=(
            "What the per-core memory plan keeps on chip at each precision, on the iso-area design of the base at that "
            "precision (the design a sweep runs): weights pinned and streamed, peak live activations per core, spills."
        ),
    )
    p.add_argument(
        "--bits",
        type=axis_type("bits"),
        default=None,
        help="bit-widths, e.g. 16,8,4,2 (default: those no wider than the base's MACs)",
    )
    add_common_options(p)
    add_table_options(p)
    p.set_defaults(func=cmd_fit)


def _register_results(subparsers: Any) -> None:
    from accelsim.cli.main import add_format_option

    p = subparsers.add_parser(
        "results",
        help="read a sweep result store back as a table, CSV or JSON",
        description="Every design point in the store, in grid order, with speedups against the stored 16-bit points.",
    )
    p.add_argument("store", metavar="STORE", help=f"a result store written by `accelsim sweep` (e.g. {DEFAULT_STORE})")
    p.add_argument(
        "--stale",
        action="store_true",
        help="also show points an older accelsim version or model computed (column model)",
    )
    p.add_argument(
        "--parquet",
        metavar="FILE",
        help="also write the rows to FILE as Parquet (needs: pip install 'accelsim[parquet]')",
    )
    add_filter_options(p)
    add_format_option(p)
    add_table_options(p)
    p.set_defaults(func=cmd_results)


def _register_pareto(subparsers: Any) -> None:
    from accelsim.cli.main import add_format_option

    p = subparsers.add_parser(
        "pareto",
        help="the non-dominated design points of a result store, optionally plotted",
        description="Design points no other point beats in every objective (all minimised); failed points are left out.",
    )
    p.add_argument("store", metavar="STORE", help="a result store written by `accelsim sweep`")
    p.add_argument(
        "--objectives",
        type=objectives_type,
        default=DEFAULT_OBJECTIVES,
        metavar="LIST",
        help=f"columns to minimise (default {','.join(DEFAULT_OBJECTIVES)})",
    )
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="draw each workload's front over the first two objectives to FILE (.png, .svg or .pdf), points labelled",
    )
    add_filter_options(p)
    add_format_option(p)
    add_table_options(p)
    p.set_defaults(func=cmd_pareto)


# --- helpers ----------------------------------------------------------------------------------------
def add_filter_options(p: argparse.ArgumentParser) -> None:
    """--workload, --bits, --bw, ...: keep only stored points with these axis values (comma lists)."""
    group = p.add_argument_group("filters (comma lists, as for `accelsim sweep`; a point must match every one given)")
    group.add_argument(
        "--where",
        metavar="EXPR",
        default=None,
        help="keep rows matching EXPR, e.g. 'bits<=4 and bw==\"64\"' (comparisons == != <= >= < >, and/or/not, parentheses)",
    )
    for flag, name in AXIS_FLAGS:
        group.add_argument(
            f"--{flag}",
            type=axis_type(name),
            default=None,
            metavar="LIST",
            help=f"keep points whose {flag} is one of LIST",
        )


#: Per-layer columns `run` shows (fitted to the terminal from the right; --all-columns for the rest).
RUN_COLUMNS = (
    "name",
    "kind",
    "w_bits",
    "a_bits",
    "mapping",
    "compute_cycles",
    "cycles",
    "stall_cycles",
    "array_utilization",
    "bound",
    "read_bytes",
    "write_bytes",
    "split",
    "refetch",
    "mac_energy_uj",
    "sram_energy_uj",
    "offchip_energy_uj",
)

#: Fit columns (`spilled` joins them when some precision spills an activation).
FIT_COLUMNS = (
    "bits",
    "first_last_bits",
    "capacity_per_core_mb",
    "weights_mb",
    "pinned_mb",
    "streamed_mb",
    "pinned_per_core_mb",
    "peak_live_per_core_mb",
    "model_fits",
    "activations_fit",
    "peak_live_at",
    "largest_layer",
    "largest_working_set_mb",
)


def run_design(args: argparse.Namespace, graph: Any):  # type: ignore[no-untyped-def]
    """(base, graph that runs, design, body label, precision line) of `run`: the base (config, --bw)
    and its iso-area design at --bits, or at the body precision of a graph run as trained."""
    from dataclasses import replace

    from accelsim.hardware.bandwidth import parse_bw

    base = base_accelerator(args)
    if args.bw is not None:
        base = replace(base, bw_gb_per_s=parse_bw(args.bw))
    return (base, *_run_precision(args, graph, base))


def cmd_run(args: argparse.Namespace) -> int:
    import json

    from accelsim.atomic import check_output_path
    from accelsim.explore.store import json_safe
    from accelsim.model.energy import area
    from accelsim.model.sim import simulate
    from accelsim.report.tables import render
    from accelsim.report.views import run_summary

    for field, path in (("plot", args.plot), ("roofline", args.roofline), ("timeline", args.timeline)):
        if path:
            check_plot_path(path)  # a bad suffix, a directory or an unwritable place fails before the simulation
            check_output_path(path, field=field)
    base, graph, design, body, precision = run_design(args, workload_graph(args))
    result = simulate(graph, design, memory=args.memory, mapper=mapper_config(args))
    if args.timeline is not None:
        from accelsim.model.sim import timeline
        from accelsim.report.timeline import plot_timeline

        title = f"{graph.name}, {body} body: {design.describe()}"
        plot_timeline(
            timeline(graph, design, mapper_config(args), args.memory), design.clock_hz, args.timeline, title=title
        )
        sys.stderr.write(f"accelsim: wrote {args.timeline}\n")
    cost = area(design, built_bits=(base.mac_w_bits, base.mac_a_bits))
    totals = result.totals()
    if graph.metadata.get("phase") in ("prefill", "decode"):  # an LLM step: tokens/s, TTFT, where the bytes go
        from accelsim.model.llm_metrics import llm_step

        step = llm_step(graph, result).as_dict()
        totals.update(
            {
                k: step[k]
                for k in (
                    "phase",
                    "ctx",
                    "tokens_per_s",
                    "ttft_s",
                    "weight_bytes",
                    "kv_bytes",
                    "other_bytes",
                    "kv_on_chip",
                    "roofline_tokens_per_s",
                    "roofline_ratio",
                )
            }
        )
    totals.update({"area_mm2": cost.total_mm2, "compute_area_mm2": cost.compute_mm2, "sram_area_mm2": cost.sram_mm2})
    picks = args.mapper != "fixed" or result.batch % 2 == 0  # the objective picks mappings or a micro-batch
    totals.update({"mapper": args.mapper, "objective": args.objective if picks else ""})
    if args.plot or args.roofline:
        _run_figures(args, base, graph, result)
    if args.format == "json":
        data = result.as_dict()
        data["totals"] = totals
        sys.stdout.write(json.dumps(json_safe(data), indent=1, allow_nan=False) + "\n")
        return EXIT_OK
    rows = [layer.as_dict() for layer in result.layers]
    if args.format == "table":
        rows.append(
            {
                "name": "TOTAL",
                "compute_cycles": result.compute_cycles,
                "cycles": result.cycles,
                "stall_cycles": result.stall_cycles,
                "array_utilization": result.utilization,
                "bound": result.bound,
                "read_bytes": result.read_bytes,
                "write_bytes": result.write_bytes,
                "mac_energy_uj": result.mac_energy_uj,
                "sram_energy_uj": result.sram_energy_uj,
                "offchip_energy_uj": result.offchip_energy_uj,
                "noc_bytes": result.noc_bytes,
                "noc_energy_uj": result.noc_energy_uj,
            }
        )
        extra = f"{precision}\n" if precision else ""  # a trained graph: as trained, or re-quantized
        if args.mapper != "fixed":  # the `mapping` column's choices were searched (docs/mapper.md)
            extra += f"mapping: searched per layer, objective {args.objective}\n"
        if result.batch % 2 == 0:  # which micro-batch the objective picked (docs/model.md section 10)
            micro = result.micro_batch or result.batch
            runs = f"{result.batch // micro} x {micro}" if result.micro_batch else "whole"
            extra += f"micro-batch: runs {runs}, least {args.objective} per image\n"
        sys.stdout.write(f"{result.workload}, batch {result.batch}, {body} body\n{design.describe()}\n{extra}\n")
        write_table(rows, list(RUN_COLUMNS), args)
        sys.stdout.write("\n" + run_summary(totals))
    else:
        sys.stdout.write(render(rows, "csv", columns=list(rows[0])))
    return EXIT_OK


def _run_precision(args: argparse.Namespace, graph: Any, base: Any) -> tuple[Any, Any, str, str]:
    """(graph with the precision that runs, design, body label, one line saying which) for `accelsim run`.

    A graph that carries per-layer bits (a trained network) runs as trained unless --bits names a
    uniform precision; then it is re-quantized and the line (and stderr) says so. For a graph without
    per-layer bits the line is empty (the header's body bits say it all).
    """
    from accelsim.hardware.design import iso_area
    from accelsim.ir.bits_spec import parse_bits_token, token_policy
    from accelsim.ir.graph import AS_TRAINED

    trained = graph.carries_bits()
    if args.bits == AS_TRAINED or (args.bits is None and trained):
        if not trained:
            raise InputError("bits", AS_TRAINED, f"needs per-layer bits in the graph; {graph.name} has none")
        run = graph.capped(base.mac_w_bits, base.mac_a_bits)
        body = run.body_bits()
        design = iso_area(base, body, args.mode or base.mac_mode, args.scale)
        line = (
            f"precision: as trained (per-layer w/a bits, float layers at {base.mac_w_bits}); "
            f"body {body}, first/last {run.edge_bits()} bits"
        )
        return run, design, f"as-trained ({body}-bit)", line
    if args.bits is None:
        design, bits = base, base.mac_w_bits
    else:
        spec = parse_bits_token(args.bits)
        design, bits = (
            iso_area(base, spec.w_bits, args.mode or base.mac_mode, args.scale, a_bits=spec.a_bits),
            args.bits,
        )
    policy = token_policy(bits, args.first_last_bits)
    unit = " bits" if isinstance(bits, int) else ""
    line = ""
    if trained:
        line = (
            f"precision: uniform {bits}{unit}, first/last {policy.first_last_bits or bits}{unit}, "
            "re-quantized (the graph carries per-layer bits)"
        )
        sys.stderr.write(
            f"accelsim: note: {graph.name} carries per-layer bits; --bits {bits} re-quantizes them "
            f"(--bits {AS_TRAINED} runs them as trained)\n"
        )
    label = f"{bits}-bit" if str(bits).isdigit() else str(bits)  # w4a16: the token says the bits
    return graph.with_policy(policy), design, label, line


def _run_figures(args: argparse.Namespace, base, graph, result) -> None:  # type: ignore[no-untyped-def]
    """--plot: time per layer of this run; --roofline: every layer at each precision (iso-area to the base)."""
    from accelsim.hardware.design import iso_area
    from accelsim.model.fit import policy_for
    from accelsim.model.sim import simulate
    from accelsim.report.figures import plot_layers, plot_roofline

    caption = result.accelerator.describe()
    if args.plot:
        plot_layers(result, args.plot, note=caption)
        sys.stderr.write(f"accelsim: wrote {args.plot}\n")
    if args.roofline:
        widths = sorted({b for b in (base.mac_w_bits, 8, 4, 2) if b <= base.mac_w_bits}, reverse=True)
        runs = []
        for b in widths:
            design = iso_area(base, b, args.mode or base.mac_mode, args.scale)
            run_graph = graph.with_policy(policy_for(b, args.first_last_bits))
            runs.append((f"{b}-bit", simulate(run_graph, design, memory=args.memory, mapper=mapper_config(args))))
        plot_roofline(runs, args.roofline, note=f"iso-area to: {base.describe()}")
        sys.stderr.write(f"accelsim: wrote {args.roofline}\n")


def cmd_fit(args: argparse.Namespace) -> int:
    from accelsim.hardware.design import iso_area
    from accelsim.model.fit import fit_report
    from accelsim.report.tables import render

    base = base_accelerator(args)  # default widths: 16, 8, 4, 2 bits, none wider than the base's MACs
    bits = list(args.bits.values) if args.bits is not None else [b for b in (16, 8, 4, 2) if b <= base.mac_bits]
    if "as-trained" in bits:
        raise InputError(
            "bits", "as-trained", "fit compares uniform precisions; `accelsim run` runs the trained per-layer bits"
        )
    rows, first = fit_report(
        workload_graph(args),
        base,
        bits,
        args.first_last_bits,
        design_for=lambda b: iso_area(base, b, args.mode or base.mac_mode, args.scale),
    )
    out = []
    for r in rows:
        d = r.as_dict()
        d["first_fit"] = r.bits == first
        out.append(d)
    if args.format != "table":
        for d in out:
            if args.format == "csv":
                d["spilled"] = " ".join(d["spilled"])
        sys.stdout.write(render(out, args.format))
        return EXIT_OK
    for d in out:  # `fits` says yes on every row that fits; the first (widest) one is marked
        d["model_fits"] = ("yes, first" if d["first_fit"] else "yes") if d["model_fits"] else "no"
        d["spilled"] = " ".join(d["spilled"])
    spills = any(d["spilled"] for d in out)
    sys.stdout.write(f"{rows[0].workload}, iso-area to {base.describe(with_bw=False)}\n\n")
    write_table(out, list(FIT_COLUMNS) + (["spilled"] if spills else []), args)
    from accelsim.ir.units import format_size

    size = format_size(base.sram_bytes)  # one line within 100 columns
    where = (
        f"first fits in {size} at {first} bits" if first is not None else f"fits in {size} at none of these bit-widths"
    )
    sys.stdout.write(f"\neverything (all weights pinned, all activations on chip) {where}\n")
    if not spills:
        sys.stdout.write("no activation spills off chip at any of these precisions\n")
    return EXIT_OK


# --- reading a store back ------------------------------------------------------------------------------
#: Point fields that only identify the model inputs; shown in CSV/JSON, not in tables.


__all__ = ["cmd_fit", "cmd_run", "register"]
