"""Render result rows (plain dicts) as a readable table, CSV or JSON.

One renderer for every command, so `--format` means the same everywhere. Values are not rounded
in CSV/JSON (programs read those); the table rounds for people.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accelsim.atomic import atomic_write
from accelsim.errors import InputError

if TYPE_CHECKING:  # the store (sqlite3, hashlib) loads only when a store is exported: --help stays fast
    from accelsim.explore.store import ResultStore

FORMATS = ("table", "csv", "json")


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError("format", fmt, f"must be one of {', '.join(FORMATS)}")
    return fmt


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e7 or abs(value) < 1e-3):
            return f"{value:.4g}"
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return "x".join(str(v) for v in value)
    return "" if value is None else str(value)


def render(rows: Sequence[dict[str, Any]], fmt: str = "table", *, columns: Sequence[str] | None = None) -> str:
    """Rows as text in `fmt`; `columns` fixes the order (default: keys of the first row)."""
    check_format(fmt)
    cols = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    if fmt != "table":
        return "".join(render_stream(rows, fmt, cols))
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    numeric = [all(_is_number(r.get(c)) for r in rows) for c in cols]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(cols), line(["-" * w for w in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out) + "\n"


def render_stream(rows: Iterable[dict[str, Any]], fmt: str, columns: Sequence[str]) -> Iterator[str]:
    """CSV or JSON text of `rows`, piece by piece (the same bytes as `render`): a sweep's or a store's
    rows are written as they are read, never all held."""
    cols = list(columns)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow([csv_cell(r.get(c)) for c in cols])
            if buf.tell() > 1 << 16:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()
        return
    if fmt != "json":
        raise InputError("format", fmt, "streams only as csv or json")
    from accelsim.explore.store import json_safe

    first = True
    for r in rows:  # json.dumps(list, indent=1) element by element: each item one space in
        item = json.dumps(json_safe({c: r.get(c) for c in cols}), indent=1, allow_nan=False)
        yield ("[\n" if first else ",\n") + "\n".join(" " + line for line in item.split("\n"))
        first = False
    yield "[]\n" if first else "\n]\n"


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell holds it: arrays as ``16x32``, infinities as "inf", None as empty
    (what the csv module does with the rest: str and numbers as they are)."""
    t = type(value)  # the common cells first, without the checks below (one call per cell of a sweep)
    if t is str or t is int or t is bool or (t is float and value - value == 0.0):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return "inf" if value > 0 else ("-inf" if value < 0 else "nan")  # as json_safe spells them
    if isinstance(value, (list, tuple)):
        return "x".join(str(v) for v in value)
    return "" if value is None else value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def export_store(
    store: ResultStore,
    path: str | Path,
    fmt: str = "csv",
    *,
    columns: Iterable[str] | None = None,
    timing: bool = False,
) -> None:
    """Write a store's flattened rows (`flat_rows`) as table/CSV/JSON, atomically.

    `timing` adds ``wall_s``, which differs run to run, so it is off by default.
    """
    from accelsim.explore.store import flat_rows, union_columns

    check_format(fmt)
    flat = flat_rows(store.rows(timing=timing))
    cols = list(columns) if columns is not None else union_columns(flat)
    atomic_write(path, render(flat, fmt, columns=cols))


__all__ = ["FORMATS", "check_format", "csv_cell", "export_store", "render", "render_stream"]
