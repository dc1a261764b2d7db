"""A result store read back as flat rows (point, result, and speedup against the stored reference),
for `accelsim results` and `accelsim pareto`; a sweep's own rows are `SweepRow`s (`record`).

The speedups come from `assemble.relative_metrics`, the one place they are computed, each against
a reference simulated by the same model: the CLI only prints what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accelsim.explore.assemble import relative_metrics
from accelsim.explore.model_hash import model_salt
from accelsim.explore.store import ResultStore


@dataclass(frozen=True, slots=True)
class StoredRows:
    """The rows of a store, sweep by sweep in grid order, and how many points were left out.

    hidden : points computed by another accelsim version or model, not in `rows` (0 with ``stale``).
    """

    rows: list[dict[str, Any]]
    hidden: int


def read_store_rows(path: str, *, stale: bool = False) -> StoredRows:
    """The records of the store at `path` as flat rows (point, result, speedup...).

    Only points this accelsim would reuse (same model salt) unless `stale`: a store kept across
    upgrades also holds results of older models, which are then marked ``model = stale``. Speedups
    are always taken against a reference computed by the same model.
    """
    with ResultStore(path, read_only=True) as store:  # a reader never writes (nor converts a foreign file)
        records = store.rows(by_sweep=True)
        salts = store.point_salts()
    current = model_salt()
    hidden = sum(1 for r in records if salts.get(r["key"]) != current)
    if hidden and not stale:
        records = [r for r in records if salts.get(r["key"]) == current]
    rel: dict[str, dict[str, Any]] = {}
    for salt in dict.fromkeys(salts.get(r["key"]) for r in records):
        group = [r for r in records if salts.get(r["key"]) == salt]
        rel.update({r["key"]: m for r, m in zip(group, relative_metrics(group), strict=True)})
    out = []
    for rec in records:
        row: dict[str, Any] = dict(rec["params"])
        row.update(rec.get("result") or {})
        if rec["status"] == "ok":
            row.update(rel[rec["key"]])
        row["status"] = rec["status"]
        row["error"] = rec["error"]
        if stale:
            row["model"] = "current" if salts.get(rec["key"]) == current else "stale"
        row["key"] = rec["key"]
        out.append(row)
    return StoredRows(out, 0 if stale else hidden)


__all__ = ["StoredRows", "read_store_rows"]
