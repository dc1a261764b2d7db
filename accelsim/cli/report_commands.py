"""The `accelsim reproduce` subcommand: regenerate docs/reproducing-pact.md and docs/figures/.

A thin shell over `accelsim.report.pact_study` (which `python -m accelsim.report.pact_study` runs too): parse, call,
print the files written and the key numbers to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `accelsim reproduce` and `python -m accelsim.report.pact_study` (kept here so building
    the main parser imports nothing heavy)."""
    parser.add_argument("--out", default="docs", metavar="DIR",
                        help="directory for reproducing-pact.md and figures/ (default: docs)")
    parser.add_argument("--quick", action="store_true",
                        help="reduced set (ResNet-18 main, AlexNet extra) for tests; not the published report")


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from accelsim.report.pact_study import run_from_args

    return run_from_args(args)


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
