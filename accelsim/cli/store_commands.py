"""`accelsim results` and `accelsim pareto`: read a sweep store back as tables or a Pareto front.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from accelsim.cli.options import check_plot_path
from accelsim.errors import EXIT_OK, InputError

_HIDDEN_IN_TABLES = ("workload_sha256", "key", "error", "tech_node", "clock_hz", "lanes", "dataflow", "base_w_bits", "base_a_bits")

#: Result columns a table shows, after the point's varying fields.
_TABLE_RESULTS = (
    "ms_per_image", "speedup", "peak_ratio", "efficiency", "bound", "offchip_mb", "weights_fit",
    "energy_uj", "area_mm2", "status", "model",
)


def store_rows(path: str, *, stale: bool = False) -> list[dict[str, Any]]:
    """The records of the store at `path` as flat rows (point, result, speedup...), sweep by sweep in grid order.

    Only points this accelsim would reuse (same model salt) unless `stale`: a store kept across
    upgrades also holds results of older models, which are then marked ``model = stale``. Speedups
    are always taken against a reference computed by the same model.
    """
    from accelsim.explore.assemble import relative_metrics
    from accelsim.explore.model_hash import model_salt
    from accelsim.explore.store import ResultStore

    if not Path(path).is_file():
        raise InputError("store", path, "no such file (write one with `accelsim sweep --store FILE`)")
    with ResultStore(path) as store:
        records = store.rows(by_sweep=True)
        salts = store.point_salts()
    current = model_salt()
    hidden = sum(1 for r in records if salts.get(r["key"]) != current)
    if hidden and not stale:
        records = [r for r in records if salts.get(r["key"]) == current]
        sys.stderr.write(
            f"accelsim: note: {hidden} stored points were computed by another accelsim version or model and are "
            "not shown (--stale shows them)\n"
        )
    rel: dict[str, dict[str, Any]] = {}
    for salt in dict.fromkeys(salts.get(r["key"]) for r in records):
        group = [r for r in records if salts.get(r["key"]) == salt]
        rel.update({r["key"]: m for r, m in zip(group, relative_metrics(group))})
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
    return out


def _table_view(rows: Sequence[dict[str, Any]], objectives: Sequence[str] = ()) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows with readable units and the columns worth a table: the point fields that vary, then results."""
    from accelsim.hardware.bandwidth import bw_label

    if not rows:
        return [], []
    keys = list(rows[0])
    stop = min((keys.index(k) for k in ("network", "status") if k in keys), default=len(keys))
    point_keys = [k for k in keys[:stop] if k not in _HIDDEN_IN_TABLES]
    varying = [k for k in point_keys if len({repr(r.get(k)) for r in rows}) > 1]
    view = []
    for r in rows:
        d = dict(r)
        if isinstance(d.get("bw_gb_per_s"), (int, float)):
            d["bw"] = bw_label(d["bw_gb_per_s"])
        if isinstance(d.get("sram_bytes"), int):
            d["sram_mb"] = d["sram_bytes"] / 1e6
        if isinstance(d.get("seconds_per_image"), (int, float)):
            d["ms_per_image"] = d["seconds_per_image"] * 1e3
        if "energy_per_image_uj" in d:
            d["energy_uj"] = d["energy_per_image_uj"]
        view.append(d)
    rename = {"bw_gb_per_s": "bw", "sram_bytes": "sram_mb"}
    lead = [rename.get(k, k) for k in varying]
    for must in ("bits", "bw"):
        if must not in lead:
            lead.append(must)
    columns = lead + [c for c in objectives if c not in lead]
    same = {"ms_per_image": "seconds_per_image", "energy_uj": "energy_per_image_uj"}
    columns += [
        c for c in _TABLE_RESULTS if c not in columns and same.get(c) not in columns and any(c in r for r in view)
    ]
    return view, columns


def cmd_results(args: argparse.Namespace) -> int:
    from accelsim.explore.store import union_columns
    from accelsim.report.tables import render

    rows = store_rows(args.store, stale=args.stale)
    if args.format == "table":
        view, columns = _table_view(rows)
        sys.stdout.write(render(view, "table", columns=columns) if view else "(the store holds no design points)\n")
    else:
        sys.stdout.write(render(rows, args.format, columns=union_columns(rows)))
    return EXIT_OK


#: Plot labels for columns whose unit is not the last part of their name.
_AXIS_LABELS = {
    "seconds_per_image": "time per image (s)",
    "first_image_seconds": "first-image latency (s)",
    "energy_per_image_uj": "energy per image (µJ)",
    "mac_energy_per_image_uj": "MAC energy per image (µJ)",
    "sram_energy_per_image_uj": "SRAM energy per image (µJ)",
    "offchip_energy_per_image_uj": "off-chip energy per image (µJ)",
}


def cmd_pareto(args: argparse.Namespace) -> int:
    from accelsim.explore.pareto import pareto, plot_front
    from accelsim.explore.store import union_columns
    from accelsim.report.tables import render

    if args.plot:
        check_plot_path(args.plot)
        if len(args.objectives) < 2:
            raise InputError("plot", args.plot, "needs at least two objectives to draw")
    rows = [r for r in store_rows(args.store) if r["status"] == "ok"]
    if not rows:
        raise InputError("store", args.store, "holds no finished design points")
    objectives = list(args.objectives)
    front = pareto(rows, objectives)
    sys.stderr.write(
        f"accelsim: {len(front.rows)} of {len(rows)} design points are Pareto-optimal in "
        f"{', '.join(objectives)} (all minimised)" + (f"; {front.excluded} without those values left out" if front.excluded else "") + "\n"
    )
    if args.plot:
        extra = f" (front over all {len(objectives)} objectives)" if len(objectives) > 2 else ""
        plot_front(
            rows, front.rows, objectives[0], objectives[1], args.plot,
            x_label=_AXIS_LABELS.get(objectives[0]), y_label=_AXIS_LABELS.get(objectives[1]),
            title=f"Pareto front: {Path(args.store).name}{extra}",
        )
    front_rows = [dict(r) for r in front.rows]
    if args.format == "table":
        view, columns = _table_view(front_rows, objectives)
        sys.stdout.write(render(view, "table", columns=columns))
    else:
        sys.stdout.write(render(front_rows, args.format, columns=union_columns(front_rows)))
    return EXIT_OK


__all__ = ["cmd_pareto", "cmd_results", "store_rows"]
