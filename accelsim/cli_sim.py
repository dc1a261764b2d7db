"""The simulation subcommands: `sweep`, `run` and `fit`, registered into the main `accelsim` parser.

Thin shells over `accelsim.sweep`, `accelsim.sim` and `accelsim.fit`: parse, call, print. Results go
to stdout, the progress bar and errors to stderr; bad input is one line and exit code 2 (the main
parser in `accelsim.cli` turns InputError into that line).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from accelsim.errors import InputError

EXIT_OK = 0


# --- argument types (argparse turns ArgumentTypeError into a one-line usage error, exit 2) --------
def _bits(text: str) -> int:
    from accelsim.grid import parse_bits

    try:
        return parse_bits(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _bw(text: str) -> str:
    from accelsim.grid import parse_bw

    try:
        parse_bw(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _first_last(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        return _bits(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"first_last_bits={text!r}: must be an integer in 1..32 or none") from None


def _batch(text: str) -> int:
    from accelsim.grid import parse_batch

    try:
        return parse_batch(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _axis(name: str):  # type: ignore[no-untyped-def]
    from accelsim.grid import cli_type

    return cli_type(name)


def _common(p: argparse.ArgumentParser, *, iso_area: bool = True) -> None:
    from accelsim.cli import add_format_option
    from accelsim.design import MAC_MODES, SCALES

    p.add_argument("--workload", default="resnet50", help="zoo name or LayerGraph .json file (default resnet50)")
    p.add_argument("--batch", type=_batch, default=1, help="batch size for zoo networks (default 1)")
    p.add_argument("--config", metavar="FILE", help="base accelerator as JSON or TOML (default: the 16-bit default system)")
    if iso_area:
        p.add_argument("--mode", choices=MAC_MODES, default="configurable", help="iso-area MAC model (default configurable)")
        p.add_argument("--scale", choices=SCALES, default=None, help="where iso-area MACs go (default: cores for configurable, array for dedicated; see docs/model.md)")
    p.add_argument(
        "--first-last-bits", type=_first_last, default=8, metavar="BITS|none",
        help="precision of the first and last layers when the body is narrower (default 8; none = same as body)",
    )
    add_format_option(p)


def register(subparsers: Any) -> None:
    """Add `sweep`, `run` and `fit` to the `accelsim` subcommand parsers."""
    p = subparsers.add_parser(
        "sweep", help="speedup of iso-area design points over bit-widths and bandwidths (PACT Fig. 6c)",
        description="Simulate every (bits, bandwidth) iso-area design point; speedups are over the 16-bit design at the same bandwidth.",
    )
    p.add_argument("--bits", type=_axis("bits"), default=None, help="body bit-widths, e.g. 16,8,4,2 (default)")
    p.add_argument("--bw", type=_axis("bw"), default=None, help="external bandwidths in GB/s, e.g. 32,64,inf (default)")
    _common(p)
    p.add_argument("--plot", metavar="FILE", help="also draw speedup vs bits to FILE (.png, .svg or .pdf)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

    p = subparsers.add_parser(
        "run", help="one design point: per-layer cycles, utilization, bound, off-chip bytes and totals",
        description="Simulate one design point. Without --bits the --config accelerator runs as is.",
    )
    p.add_argument("--bits", type=_bits, default=None, help="body bit-width; the design is iso-area to the base at this precision")
    p.add_argument("--bw", type=_bw, default=None, help="external bandwidth in GB/s or inf (default: the base's, 64)")
    _common(p)
    p.set_defaults(func=cmd_run)

    p = subparsers.add_parser(
        "fit", help="on-chip fit per precision: weights, working sets, live activations, spills",
        description="Which tensors fit in the accelerator's total on-chip memory at each precision.",
    )
    p.add_argument("--bits", type=_axis("bits"), default=None, help="bit-widths, e.g. 16,8,4,2 (default)")
    _common(p, iso_area=False)
    p.set_defaults(func=cmd_fit)


# --- commands ---------------------------------------------------------------------------------------
def _base(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from accelsim.design import Accelerator, load_accelerator

    return load_accelerator(args.config) if args.config else Accelerator()


def _graph(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from accelsim.inputs import load_workload

    return load_workload(args.workload, batch=args.batch)


def cmd_sweep(args: argparse.Namespace) -> int:
    from accelsim.report import render
    from accelsim.sweep import sweep

    bits = list(args.bits.values) if args.bits is not None else [16, 8, 4, 2]
    bws = list(args.bw.labels) if args.bw is not None else ["32", "64", "inf"]
    if args.plot:
        from accelsim.plot import plot_format

        plot_format(args.plot)  # reject a bad suffix before simulating
    from accelsim.design import default_scale

    args.scale = args.scale or default_scale(args.mode)
    base = _base(args)
    graph = _graph(args)
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(bits) * len(bws), unit="point", desc="sweep", file=sys.stderr, disable=None, leave=False)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    try:
        rows = sweep(
            graph, bits, bws, base=base, mode=args.mode, scale=args.scale,
            first_last_bits=args.first_last_bits, progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    if args.plot:
        from accelsim.plot import plot_speedup, system_title

        plot_speedup(rows, args.plot, title=system_title(base, graph.name, args.mode, args.scale, args.first_last_bits))
    if args.format == "table":  # people read milliseconds; constant columns move to a header line
        sys.stdout.write(
            f"{graph.name}, batch {args.batch}: iso-area {args.mode} MACs grown by {args.scale}; base {base.describe(with_bw=False)}\n\n"
        )
        table = []
        for r in rows:
            d = r.as_dict()
            for key in ("workload", "mode", "scale"):
                d.pop(key)
            d["ms_per_image"] = d.pop("seconds_per_image") * 1e3
            d["first_image_ms"] = d.pop("first_image_seconds") * 1e3
            table.append(d)
        columns = [
            "bits", "first_last_bits", "bw", "macs_per_cycle", "peak_tmacs", "ms_per_image", "first_image_ms",
            "speedup", "peak_ratio", "efficiency", "utilization", "stall_fraction", "bound", "offchip_mb",
            "weights_fit", "activations_fit",
        ]
        sys.stdout.write(render(table, "table", columns=columns))
    else:
        sys.stdout.write(render([r.as_dict() for r in rows], args.format))
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from accelsim.design import iso_area
    from accelsim.fit import policy_for
    from accelsim.grid import parse_bw
    from accelsim.report import json_safe, render
    from accelsim.sim import simulate

    base = _base(args)
    if args.bw is not None:
        base = replace(base, bw_gb_per_s=parse_bw(args.bw))
    if args.bits is None:
        design, bits = base, base.mac_w_bits
    else:
        design, bits = iso_area(base, args.bits, args.mode, args.scale), args.bits
    graph = _graph(args).with_policy(policy_for(bits, args.first_last_bits))
    result = simulate(graph, design)
    if args.format == "json":
        sys.stdout.write(json.dumps(json_safe(result.as_dict()), indent=1, allow_nan=False) + "\n")
        return EXIT_OK
    columns = [
        "name", "kind", "w_bits", "a_bits", "split", "gang", "compute_cycles", "cycles", "stall_cycles",
        "array_utilization", "bound", "read_bytes", "write_bytes", "refetch", "output_on_chip",
    ]
    rows = [layer.as_dict() for layer in result.layers]
    totals = result.totals()
    if args.format == "table":
        rows.append({
            "name": "TOTAL", "compute_cycles": result.compute_cycles, "cycles": result.cycles,
            "stall_cycles": result.stall_cycles, "array_utilization": result.utilization, "bound": result.bound,
            "read_bytes": result.read_bytes, "write_bytes": result.write_bytes,
        })
        sys.stdout.write(design.describe() + "\n\n")
        sys.stdout.write(render(rows, "table", columns=columns))
        sys.stdout.write("\n" + render([totals], "table"))
    else:
        sys.stdout.write(render(rows, "csv", columns=columns))
    return EXIT_OK


def cmd_fit(args: argparse.Namespace) -> int:
    from accelsim.fit import fit_report
    from accelsim.report import render

    bits = list(args.bits.values) if args.bits is not None else [16, 8, 4, 2]
    base = _base(args)
    rows, first = fit_report(_graph(args), base, bits, args.first_last_bits)
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
        sys.stdout.write(f"\nwhole model (weights + peak live activations) first fits in {base.sram_bytes_total / 1e6:g} MB {where}\n")
    return EXIT_OK


__all__ = ["cmd_fit", "cmd_run", "cmd_sweep", "register"]
