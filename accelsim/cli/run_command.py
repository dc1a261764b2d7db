"""`accelsim run`: one design point layer by layer, with totals and optional figures.

Parse, call `accelsim.model.sim.simulate`, print; the precision that runs (as trained or re-quantized)
is decided in `_run_precision`, the figures in `_run_figures`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from accelsim.cli.options import (
    add_common_options,
    add_mapper_options,
    add_memory_option,
    add_table_options,
    base_accelerator,
    bits_type,
    bw_type,
    check_plot_path,
    mapper_config,
    note_written,
    workload_graph,
    write_table,
)
from accelsim.errors import EXIT_OK, InputError

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

#: What an LLM step adds to the totals: tokens/s, TTFT, where the bytes go.
LLM_TOTALS = (
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

#: Figure flags of `run`, in the order their paths are checked before the simulation.
FIGURE_FLAGS = ("plot", "roofline", "timeline")


def register_run(subparsers: Any) -> None:
    """Add `run` to the `accelsim` subcommand parsers."""
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
        "or as-trained, the default for a graph that carries per-layer bits (a pact-train export); a width or "
        "token re-quantizes it",
    )
    p.add_argument(
        "--bw", type=bw_type, default=None, help="external bandwidth in GB/s or inf (default: the base's, 64)"
    )
    p.add_argument(
        "--timeline",
        default=None,
        metavar="FILE",
        help="also draw per-core compute, channel traffic (demand, stores, prefetch) and SRAM occupancy over "
        "time (.png/.svg/.pdf)",
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
    from accelsim.model.sim import simulate

    for field in FIGURE_FLAGS:  # a bad suffix, a directory or an unwritable place fails before the simulation
        if getattr(args, field):
            check_plot_path(getattr(args, field), field=field)
    base, graph, design, body, precision = run_design(args, workload_graph(args))
    built = (base.mac_w_bits, base.mac_a_bits)  # the iso-area design's MACs are the base's, split
    result = simulate(graph, design, memory=args.memory, mapper=mapper_config(args), built_bits=built)
    if args.timeline is not None:
        _draw_timeline(args, graph, design, body)
    totals = _run_totals(args, base, graph, design, result)
    if args.plot or args.roofline:
        _run_figures(args, base, graph, result)
    if args.format == "json":
        _write_json(result, totals)
    elif args.format == "table":
        _write_run_table(args, result, totals, f"{body} body\n{design.describe()}", precision)
    else:
        from accelsim.report.tables import render

        rows = [layer.as_dict() for layer in result.layers]
        sys.stdout.write(render(rows, "csv", columns=list(rows[0])))
    return EXIT_OK


def _draw_timeline(args: argparse.Namespace, graph: Any, design: Any, body: str) -> None:
    """--timeline: per-core compute, channel traffic and SRAM occupancy over time."""
    from accelsim.model.sim import timeline
    from accelsim.report.timeline import plot_timeline

    title = f"{graph.name}, {body} body: {design.describe()}"
    plot_timeline(
        timeline(graph, design, mapper_config(args), args.memory), design.clock_hz, args.timeline, title=title
    )
    note_written(args.timeline)


def _run_totals(args: argparse.Namespace, base: Any, graph: Any, design: Any, result: Any) -> dict[str, Any]:
    """The run's totals (the result's, silicon area included), an LLM step's metrics and the mapper used."""
    totals = result.totals()
    if graph.metadata.get("phase") in ("prefill", "decode"):  # an LLM step: tokens/s, TTFT, where the bytes go
        from accelsim.model.llm_metrics import llm_step

        step = llm_step(graph, result).as_dict()
        totals.update({k: step[k] for k in LLM_TOTALS})
    from accelsim.model.batching import splits

    picks = args.mapper != "fixed" or splits(result.batch)  # the objective picks mappings or a micro-batch
    totals.update({"mapper": args.mapper, "objective": args.objective if picks else ""})
    return totals


def _write_json(result: Any, totals: dict[str, Any]) -> None:
    import json

    from accelsim.explore.store import json_safe

    data = result.as_dict()
    data["totals"] = totals
    sys.stdout.write(json.dumps(json_safe(data), indent=1, allow_nan=False) + "\n")


def _total_row(result: Any) -> dict[str, Any]:
    """The TOTAL line under the per-layer table."""
    return {
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


def _write_run_table(
    args: argparse.Namespace, result: Any, totals: dict[str, Any], header: str, precision: str
) -> None:
    """Header (workload, design, precision, mapper), the per-layer table with its TOTAL, the summary."""
    from accelsim.report.views import run_summary

    rows = [layer.as_dict() for layer in result.layers]
    rows.append(_total_row(result))
    extra = f"{precision}\n" if precision else ""  # a trained graph: as trained, or re-quantized
    if args.mapper != "fixed":  # the `mapping` column's choices were searched (docs/mapper.md)
        extra += f"mapping: searched per layer, objective {args.objective}\n"
    from accelsim.model.batching import splits

    if splits(result.batch):  # which micro-batch the objective picked (docs/model.md section 10)
        micro = result.micro_batch or result.batch
        runs = f"{result.batch // micro} x {micro}" if result.micro_batch else "whole"
        extra += f"micro-batch: runs {runs}, least {args.objective} per image\n"
    sys.stdout.write(f"{result.workload}, batch {result.batch}, {header}\n{extra}\n")
    write_table(rows, list(RUN_COLUMNS), args)
    sys.stdout.write("\n" + run_summary(totals))


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
        note_written(args.plot)
    if args.roofline:
        widths = sorted({b for b in (base.mac_w_bits, 8, 4, 2) if b <= base.mac_w_bits}, reverse=True)
        runs = []
        for b in widths:
            design = iso_area(base, b, args.mode or base.mac_mode, args.scale)
            run_graph = graph.with_policy(policy_for(b, args.first_last_bits))
            runs.append((f"{b}-bit", simulate(run_graph, design, memory=args.memory, mapper=mapper_config(args))))
        plot_roofline(runs, args.roofline, note=f"iso-area to: {base.describe()}")
        note_written(args.roofline)


__all__ = ["RUN_COLUMNS", "cmd_run", "register_run", "run_design"]
