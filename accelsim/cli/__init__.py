"""The command line: parse, call the library, print. `main` is the `accelsim` console script.

Imports anything below it; nothing imports it (except `accelsim.__main__`).
"""

from __future__ import annotations

from accelsim.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
