"""Pareto fronts of sweep rows, and a byte-stable plot of one.

A row is on the front when no other row is at least as good in every objective and better in one.
The answer must not depend on row order or on ties, so the front is sorted by its objective values,
and rows with equal objective vectors are kept once (the first given). Rows whose objectives are
missing, None or NaN (failed points) cannot be compared: they are left out and counted.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelsim.atomic import atomic_write
from accelsim.errors import InputError

Row = Mapping[str, Any]

#: Column-name suffix -> unit shown on an axis label (names carry units, see the style guide).
UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_gb_per_s", "GB/s"),
    ("_bytes", "bytes"),
    ("_mm2", "mm²"),
    ("_um2", "µm²"),
    ("_pj", "pJ"),
    ("_nj", "nJ"),
    ("_uj", "µJ"),
    ("_mj", "mJ"),
    ("_j", "J"),
    ("_mw", "mW"),
    ("_w", "W"),
    ("_ms", "ms"),
    ("_us", "µs"),
    ("_ns", "ns"),
    ("_s", "s"),
    ("_hz", "Hz"),
    ("_mb", "MB"),
    ("_kb", "KB"),
)

_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


@dataclass(frozen=True, slots=True)
class Front:
    """The non-dominated rows (sorted by objective values) and how many rows could not be compared."""

    rows: tuple[Row, ...]
    excluded: int


def _value(row: Row, name: str, index: int) -> float | None:
    value = row.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(name, value, f"row {index} has a non-numeric objective value")
    value = float(value)
    return None if math.isnan(value) else value


def pareto(rows: Iterable[Row], objectives: Sequence[str], *, maximize: Iterable[str] = ()) -> Front:
    """The Pareto front minimising every objective (those in `maximize` are maximised instead).

    Sorted by the objective vector (first objective first, then the next...), ties broken by input
    order; of rows with equal vectors only the first is kept. O(n * front size); the rows are read
    once and only the front is held (`FrontBuilder`), so `rows` may be a stream.
    """
    builder = FrontBuilder(objectives, maximize=maximize)
    for row in rows:
        builder.add(row)
    return builder.front()


class FrontBuilder:
    """A Pareto front built row by row, holding only the rows not yet dominated (see `pareto`)."""

    def __init__(self, objectives: Sequence[str], *, maximize: Iterable[str] = ()) -> None:
        self.objectives = list(objectives)
        if not self.objectives:
            raise InputError("objectives", self.objectives, "needs at least one column name")
        flip = set(maximize)
        unknown = sorted(flip - set(self.objectives))
        if unknown:
            raise InputError("maximize", unknown, f"must be among the objectives {self.objectives}")
        self.sign = [-1.0 if name in flip else 1.0 for name in self.objectives]
        self.kept: list[tuple[tuple[float, ...], int, Row]] = []
        self.seen = 0
        self.excluded = 0
        self.first: Row | None = None
        self.named = {name: False for name in self.objectives}

    def add(self, row: Row) -> None:
        """Take one row (rows are numbered in the order they are added)."""
        i = self.seen
        self.seen += 1
        self.first = self.first if self.first is not None else row
        for name in self.objectives:
            self.named[name] = self.named[name] or name in row
        values = [_value(row, name, i) for name in self.objectives]
        if any(v is None for v in values):
            self.excluded += 1
            return
        vec = tuple(s * v for s, v in zip(self.sign, values, strict=True))  # type: ignore[operator]
        if any(all(f <= v for f, v in zip(fvec, vec, strict=True)) for fvec, _, _ in self.kept):
            return  # dominated, or equal to an earlier row
        self.kept = [k for k in self.kept if not all(v <= f for v, f in zip(vec, k[0], strict=True))]
        self.kept.append((vec, i, row))

    def front(self) -> Front:
        """The front sorted by objective vector, then input order; InputError for an objective no row has."""
        for name, present in self.named.items():
            if self.seen and not present:
                have = ", ".join(self.first or {})
                raise InputError("objective", name, f"is not a column of the rows (have: {have})")
        return Front(
            rows=tuple(row for _, _, row in sorted(self.kept, key=lambda k: (k[0], k[1]))), excluded=self.excluded
        )


def pareto_front(rows: Iterable[Row], objectives: Sequence[str], *, maximize: Iterable[str] = ()) -> list[Row]:
    """Just the front rows of `pareto` (use `pareto(...).excluded` for the count of incomparable rows)."""
    return list(pareto(rows, objectives, maximize=maximize).rows)


def dominates(a: Row, b: Row, objectives: Sequence[str], *, maximize: Iterable[str] = ()) -> bool:
    """True if `a` is no worse than `b` in every objective and better in at least one."""
    flip = set(maximize)
    better = False
    for name in objectives:
        x, y = float(a[name]), float(b[name])
        if name in flip:
            x, y = -x, -y
        if x > y:
            return False
        better = better or x < y
    return better


def axis_label(name: str) -> str:
    """``latency_s`` -> ``latency (s)``, ``bw_gb_per_s`` -> ``bw (GB/s)``; unknown suffix: name as is."""
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return f"{name[: -len(suffix)].replace('_', ' ')} ({unit})"
    return name.replace("_", " ")


def plot_front(
    rows: Sequence[Row],
    front: Sequence[Row],
    x: str,
    y: str,
    path: str | Path,
    *,
    x_label: str | None = None,
    y_label: str | None = None,
    title: str | None = None,
) -> None:
    """Scatter all rows, highlight the front, and write PNG/SVG/PDF (by extension) atomically.

    Uses matplotlib's object API (no pyplot global state, safe in threads and tests), imported here
    so importing accelsim stays fast. Volatile metadata is stripped, so equal inputs give equal bytes.
    Rows with a missing or non-finite x or y are not drawn.
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError("path", str(path), f"must end in {', '.join(_FORMATS)}")

    import matplotlib
    from matplotlib.figure import Figure

    def finite(rs: Iterable[Row]) -> list[tuple[float, float]]:
        pts = []
        for r in rs:
            vx, vy = _finite(r.get(x)), _finite(r.get(y))
            if vx is not None and vy is not None:
                pts.append((vx, vy))
        return pts

    every, best = finite(rows), sorted(finite(front))
    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    ax = fig.add_subplot()
    if every:
        xs, ys = [p[0] for p in every], [p[1] for p in every]
        ax.scatter(xs, ys, s=12, color="0.7", label=f"all points ({len(every)})", zorder=1)
    if best:
        xs, ys = [p[0] for p in best], [p[1] for p in best]
        ax.plot(xs, ys, marker="o", color="C3", label=f"Pareto front ({len(best)})", zorder=2)
    ax.set_xlabel(x_label or axis_label(x))
    ax.set_ylabel(y_label or axis_label(y))
    if title:
        ax.set_title(title)
    if every or best:
        ax.legend(loc="best")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()

    metadata: dict[str, Any] = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
    }[fmt]
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "accelsim", "svg.fonttype": "path"}):
        fig.savefig(buf, format=fmt, metadata=metadata)
    atomic_write(path, buf.getvalue())


def _finite(v: Any) -> float | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


__all__ = ["Front", "FrontBuilder", "axis_label", "dominates", "pareto", "pareto_front", "plot_front"]
