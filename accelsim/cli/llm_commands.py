"""The `accelsim llm-study` subcommand: regenerate docs/llm-decode.md and its figures.

A thin shell over `accelsim.report.llm_study`: parse, call, print the files written and the key numbers.
"""

from __future__ import annotations

import argparse
from typing import Any


def _cmd_llm_study(args: argparse.Namespace) -> int:
    from accelsim.report.llm_study import run_from_args

    return run_from_args(args)


def register(sub: Any) -> None:
    """Add `llm-study` to the main parser's subcommands."""
    from accelsim.report.llm_study import add_arguments

    p = sub.add_parser(
        "llm-study",
        help="decode GPT-2 and Llama-2-7B at 16/8/4/2 bits on the default and an HBM-class system; rewrite docs/llm-decode.md",
        description="Simulate decoder-LLM decode (and prefill) on iso-area designs and write the markdown report and figures.",
    )
    add_arguments(p)
    p.set_defaults(func=_cmd_llm_study)


__all__ = ["register"]
