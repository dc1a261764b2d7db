"""A run folder's ``log.csv``: one row per epoch (lr, train/test loss and accuracy, seconds, and every
activation's clipping level alpha), rewritten whole and atomically, read back as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from accelsim.atomic import atomic_write
from accelsim.errors import InputError


def write_log(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Rewrite the whole CSV atomically (a few hundred rows at most)."""
    if not rows:
        return
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(path, buf.getvalue())


def read_log(path: Path) -> list[dict[str, float]]:
    """The rows of a log.csv ([] without one); a damaged file is one InputError naming the row."""
    if not path.is_file():
        return []
    from accelsim.inputfiles import read_text

    rows: list[dict[str, float]] = []
    for n, row in enumerate(csv.DictReader(io.StringIO(read_text(path, "log"), newline="")), start=2):
        try:
            parsed = {str(k): float(v) for k, v in row.items()}
            parsed["epoch"] = int(parsed["epoch"])
        except (TypeError, ValueError, KeyError, OverflowError):
            raise InputError("log", str(path), f"row {n} is not a log row of numbers with an epoch") from None
        rows.append(parsed)
    return rows


__all__ = ["read_log", "write_log"]
