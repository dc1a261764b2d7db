"""How every command prints a table: the default columns fitted to the terminal, or --columns /
--all-columns as asked (CSV and JSON always carry every field)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def columns_type(text: str) -> tuple[str, ...]:
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"columns={text!r}: needs at least one column name")
    return names


def add_table_options(p: argparse.ArgumentParser) -> None:
    """--columns and --all-columns: what a table shows (CSV and JSON always carry every field)."""
    p.add_argument(
        "--columns",
        type=columns_type,
        default=None,
        metavar="LIST",
        help="table columns to show, by field name as in CSV/JSON (e.g. bits,bw,speedup,area_mm2)",
    )
    p.add_argument("--all-columns", action="store_true", help="show every field in the table, however wide")


def write_table(rows: list[dict[str, Any]], default: list[str], args: argparse.Namespace, *, keep: int = 1) -> None:
    """The table of `rows` on stdout: `default` columns fitted to the terminal (100 columns when
    piped), or exactly --columns / every field with --all-columns; dropped columns noted on stderr."""
    from accelsim.report.views import choose_columns, dropped_note, render_view, terminal_width

    available = list(dict.fromkeys(k for r in rows for k in r))
    columns, everything = getattr(args, "columns", None), getattr(args, "all_columns", False)
    keys = choose_columns(default, available, columns=columns, all_columns=everything)
    view = render_view(rows, keys, width=None if columns or everything else terminal_width(), keep=keep)
    sys.stdout.write(view.text)
    sys.stderr.write(dropped_note(view.dropped))


__all__ = ["add_table_options", "columns_type", "write_table"]
