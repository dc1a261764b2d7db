"""`accelsim fit`: what the per-core memory plan keeps on chip at each precision, on the iso-area designs."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from accelsim.cli.options import (
    add_common_options,
    add_table_options,
    axis_type,
    base_accelerator,
    workload_graph,
    write_table,
)
from accelsim.errors import EXIT_OK, InputError

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


def register_fit(subparsers: Any) -> None:
    """Add `fit` to the `accelsim` subcommand parsers."""
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


__all__ = ["FIT_COLUMNS", "cmd_fit", "register_fit"]
