"""The `accelsim llm-study` subcommand: regenerate docs/llm-decode.md and its figures.

A thin shell over `accelsim.report.llm_study`: parse, call, print the files written and the key numbers.
"""

from __future__ import annotations

import argparse
from typing import Any


def _cmd_llm_study(args: argparse.Namespace) -> int:
    from accelsim.report.llm_study import run_from_args

    return run_from_args(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """llm-study's flags (here, not in `accelsim.report.llm_study`: building the parser imports no simulator)."""
    parser.add_argument(
        "--out", default="docs", metavar="DIR", help="directory for llm-decode.md and figures/ (default: docs)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="GPT-2 only, 3 precisions: for tests, not the published report"
    )


def register(sub: Any) -> None:
    """Add `llm-study` to the main parser's subcommands."""
    p = sub.add_parser(
        "llm-study",
        help="decode GPT-2 and Llama-2-7B at 16/8/4/2 bits on the default and an HBM-class system; rewrite "
        "docs/llm-decode.md",
        description="Simulate decoder-LLM decode (and prefill) on iso-area designs and write the markdown report "
        "and figures.",
    )
    add_arguments(p)
    p.set_defaults(func=_cmd_llm_study)


__all__ = ["add_arguments", "register"]
