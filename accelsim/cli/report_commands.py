"""The `accelsim reproduce` subcommand: regenerate docs/reproducing-pact.md and docs/figures/.

A thin shell over `accelsim.report.pact_study`: parse, call, print the files written and the key
numbers to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from accelsim.errors import EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `accelsim reproduce`."""
    parser.add_argument(
        "--out", default="docs", metavar="DIR", help="directory for reproducing-pact.md and figures/ (default: docs)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="reduced set (ResNet-18 main, AlexNet extra) for tests; not the published report",
    )


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from accelsim.report.pact_study import reproduce  # heavy (matplotlib): only when the command runs

    report = reproduce(args.out, quick=args.quick, log=lambda msg: print(f"reproduce: {msg}", file=sys.stderr))
    print(f"wrote {report.markdown}")
    for fig in report.figures:
        print(f"wrote {fig.path}")
    from accelsim.report.views import significant

    print("key numbers (the report explains each):")
    for key, value in report.numbers.items():
        label, unit = NUMBER_LABELS.get(key, (key, ""))
        print(f"  {label:58s} {significant(value)}{unit}")
    return EXIT_OK


#: What `reproduce` prints for each number of the study: a label, and its unit ("x" = a ratio).
NUMBER_LABELS = {
    "density_2bit": ("MAC density gain 16 -> 2 bits, dedicated MACs", "x"),
    "density_4bit": ("MAC density gain 16 -> 4 bits, dedicated MACs", "x"),
    "speedup_4bit_bw": ("ResNet speedup at 4 bits, constrained bandwidth", "x"),
    "speedup_4bit_inf": ("ResNet speedup at 4 bits, unconstrained bandwidth", "x"),
    "peak_4bit": ("peak MAC/s ratio at 4 bits (iso-area)", "x"),
    "efficiency_inf_8bit": ("speedup / peak ratio at 8 bits, unconstrained", ""),
    "efficiency_inf_4bit": ("speedup / peak ratio at 4 bits, unconstrained", ""),
    "efficiency_inf_2bit": ("speedup / peak ratio at 2 bits, unconstrained", ""),
    "base_slowdown_bw": ("16-bit time, constrained / unconstrained bandwidth", "x"),
    "first_last_gain_4bit_bw": ("gain from quantizing first/last layers too, 4 bits", "x"),
    "first_last_gain_2bit_bw": ("gain from quantizing first/last layers too, 2 bits", "x"),
    "first_last_share_time": ("share of time in the first/last layers at 8 bits", ""),
    "first_layer_utilization": ("array utilization of the first layer", ""),
    "body_utilization": ("array utilization of the body layers", ""),
    "ablation_default_32": ("ablation: 4-bit speedup at 32 GB/s, every mechanism on", "x"),
    "ablation_default_64": ("ablation: 4-bit speedup at 64 GB/s, every mechanism on", "x"),
    "ablation_band_32_lo": ("ablation: lowest 4-bit speedup at 32 GB/s over the rows", "x"),
    "ablation_band_32_hi": ("ablation: highest 4-bit speedup at 32 GB/s over the rows", "x"),
    "ablation_band_64_lo": ("ablation: lowest 4-bit speedup at 64 GB/s over the rows", "x"),
    "ablation_band_64_hi": ("ablation: highest 4-bit speedup at 64 GB/s over the rows", "x"),
    "ablation_barrier_64": ("ablation: 4-bit speedup at 64 GB/s without prefetch", "x"),
    "ablation_deep_prefetch_32": ("ablation: 4-bit speedup at 32 GB/s, deeper prefetch lookahead", "x"),
    "ablation_deep_prefetch_64": ("ablation: 4-bit speedup at 64 GB/s, deeper prefetch lookahead", "x"),
    "ablation_pooled_64": ("ablation: 4-bit speedup at 64 GB/s, pooled SRAM", "x"),
    "ablation_all_or_nothing_64": ("ablation: 4-bit speedup at 64 GB/s, all-or-nothing weights", "x"),
    "edge_configurable_4_inf": ("first/last-layer gain at 4 bits, configurable MACs, inf", "x"),
    "edge_configurable_2_inf": ("first/last-layer gain at 2 bits, configurable MACs, inf", "x"),
    "edge_dedicated_4_inf": ("first/last-layer gain at 4 bits, dedicated MACs, inf", "x"),
    "edge_dedicated_2_inf": ("first/last-layer gain at 2 bits, dedicated MACs, inf", "x"),
}


def register(sub: Any) -> None:
    """Add `reproduce` to the main parser's subcommands."""
    p = sub.add_parser(
        "reproduce",
        help="rerun PACT's system study and rewrite docs/reproducing-pact.md and docs/figures/",
        description="Rerun the PACT section 6 study (MAC density, ResNet-50 iso-area speedup, first/last layers, "
        "other networks) and write the markdown report and its figures.",
    )
    add_arguments(p)
    p.set_defaults(func=_cmd_reproduce)


__all__ = ["add_arguments", "register"]
