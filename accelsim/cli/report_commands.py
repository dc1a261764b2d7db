"""The `accelsim reproduce` subcommand: regenerate docs/reproducing-pact.md and docs/figures/.

A thin shell over `accelsim.report.pact_study`: parse, call, print the files written and the key numbers to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from accelsim.errors import EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `accelsim reproduce`."""
    parser.add_argument("--out", default="docs", metavar="DIR",
                        help="directory for reproducing-pact.md and figures/ (default: docs)")
    parser.add_argument("--quick", action="store_true",
                        help="reduced set (ResNet-18 main, AlexNet extra) for tests; not the published report")


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from accelsim.report.pact_study import reproduce  # heavy (matplotlib): only when the command runs

    report = reproduce(args.out, quick=args.quick, log=lambda msg: print(f"reproduce: {msg}", file=sys.stderr))
    print(f"wrote {report.markdown}")
    for fig in report.figures:
        print(f"wrote {fig.path}")
    for key, value in report.numbers.items():
        print(f"  {key:28s} {value:.3f}")
    return EXIT_OK


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
