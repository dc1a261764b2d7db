"""`accelsim results` and `accelsim pareto`: read a sweep store back as tables or a Pareto front."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from accelsim.cli.options import (
    AXIS_FLAGS,
    DEFAULT_OBJECTIVES,
    DEFAULT_STORE,
    add_table_options,
    axis_type,
    check_plot_path,
    note_written,
    objectives_type,
    write_table,
)
from accelsim.errors import EXIT_OK, InputError, optional_import

_HIDDEN_IN_TABLES = (
    "workload_sha256",
    "key",
    "error",
    "tech_node",
    "clock_hz",
    "lanes",
    "dataflow",
    "base_w_bits",
    "base_a_bits",
)

#: Result columns a table shows, after the point's varying fields.
_TABLE_RESULTS = (
    "seconds_per_image",
    "speedup",
    "peak_ratio",
    "efficiency",
    "bound",
    "offchip_mb",
    "fits",
    "energy_per_image_uj",
    "area_mm2",
    "status",
)


def store_rows(
    path: str, args: argparse.Namespace, *, stale: bool = False, quiet: bool = False
) -> Iterator[dict[str, Any]]:
    """The points of the store at `path` as flat rows (point, result, speedup...), sweep by sweep in
    grid order, streamed, kept by the filters in `args` (--where, --bits, --bw, ...).

    Only points this accelsim would reuse (same model salt) unless `stale`: a store kept across
    upgrades also holds results of older models, which are then marked ``model = stale``. Speedups
    are always taken against a reference computed by the same model. The part of --where that
    names typed columns (`accelsim.explore.store_schema.TYPED_COLUMNS`) is evaluated by SQLite, so
    rows it drops are never decoded; the rest is checked here, row by row.
    """
    from accelsim.explore.model_hash import model_salt
    from accelsim.explore.readback import flat_rows_with_speedups
    from accelsim.explore.store import ResultStore

    keep, tree = _row_filter(args)
    with ResultStore(path, read_only=True) as store:  # a reader never writes (nor converts a foreign file)
        current = model_salt()
        hidden = 0 if stale or quiet else store.count_other_salts(current)
        if hidden:
            sys.stderr.write(
                f"accelsim: note: {hidden} stored points were computed by another accelsim version or model and are "
                "not shown (--stale shows them)\n"
            )
        condition = _sql_condition(tree, store)
        rows = flat_rows_with_speedups(
            store, condition=condition, salt=None if stale else current, model=current if stale else None
        )
        yield from (r for r in rows if keep(r))


def _sql_condition(tree: Any, store: Any) -> tuple[str, list[Any]] | None:
    if tree is None or not store.typed:
        return None
    from accelsim.explore.store_schema import TYPED_COLUMNS
    from accelsim.explore.where import to_sql

    return to_sql(tree, TYPED_COLUMNS)


#: Store fields that name an axis, in the order a table shows them, and the row field to show.
_AXES = ("workload", "sram_bytes", "cores", "array", "batch", "mode", "bits", "bw_gb_per_s")


def _varying(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The axes whose value differs between `rows` (bits and bw always shown)."""
    return _varying_of({k: {repr(r.get(k)) for r in rows} for k in _AXES})


def _varying_of(seen: Mapping[str, set[str]]) -> list[str]:
    """The axes with more than one value in `seen` (axis -> reprs of its values; bits and bw always)."""
    return [k for k in _AXES if k in ("bits", "bw_gb_per_s") or len(seen[k]) > 1]


def _table_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store rows as the views show them: bandwidth as its label, arrays as RxC, `fits` for everything on chip."""
    from accelsim.hardware.bandwidth import bw_label

    out = []
    for r in rows:
        d = dict(r)
        if isinstance(d.get("bw_gb_per_s"), (int, float)):
            d["bw"] = bw_label(d["bw_gb_per_s"])
        if isinstance(d.get("array"), (list, tuple)):
            d["array"] = "x".join(map(str, d["array"]))
        if (
            d.get("weights_fit") is not None
        ):  # as `sweep` and `fit` say it: every weight pinned, every activation on chip
            d["fits"] = bool(d["weights_fit"]) and bool(d.get("activations_fit"))
        out.append(d)
    return out


def _columns(varying: Sequence[str], objectives: Sequence[str] = (), *, failed: bool = False) -> list[str]:
    """Varying axes, then the objectives, then the usual results (status only when some point failed)."""
    lead = ["bw" if k == "bw_gb_per_s" else k for k in varying]
    results = [c for c in _TABLE_RESULTS if c != "status" or failed]
    return list(dict.fromkeys([*lead, *objectives, *results]))


def cmd_results(args: argparse.Namespace) -> int:
    from accelsim.explore.store import union_columns
    from accelsim.report.tables import render

    parquet = getattr(args, "parquet", None)
    if parquet is not None:
        _parquet_writer(parquet)  # refuse a missing extra or a bad path before reading the store
    if args.format != "table" and parquet is None:  # streamed: a first pass finds the columns
        from accelsim.report.tables import render_stream

        columns = union_columns(store_rows(args.store, args, stale=args.stale))
        for text in render_stream(store_rows(args.store, args, stale=args.stale, quiet=True), args.format, columns):
            sys.stdout.write(text)
        return EXIT_OK
    rows = list(store_rows(args.store, args, stale=args.stale))
    if parquet is not None:
        _write_parquet(rows, parquet)
    if args.format != "table":
        sys.stdout.write(render(rows, args.format, columns=union_columns(rows)))
    elif not rows:
        sys.stdout.write("(the store holds no design points)\n")
    else:
        varying = _varying(rows)
        failed = any(r["status"] != "ok" for r in rows)
        write_table(
            _table_rows(rows),
            _columns(varying, failed=failed) + (["model"] if args.stale else []),
            args,
            keep=len(varying),
        )
    return EXIT_OK


PARQUET_HINT = "needs the optional Parquet extra: pip install 'accelsim[parquet]' (pyarrow)"


def _parquet_writer(path: str) -> Any:
    """pyarrow.parquet, after checking `path` can be written; one InputError line when pyarrow is missing."""
    from accelsim.atomic import check_output_path

    check_output_path(path, field="parquet")
    return optional_import("pyarrow.parquet", "parquet", path, PARQUET_HINT)


def _write_parquet(rows: list[dict[str, Any]], path: str) -> None:
    """The rows as one Parquet table, each column of one type (`_parquet_column`)."""
    import pyarrow as pa

    from accelsim.explore.store import union_columns

    columns = union_columns(rows)
    table = pa.table({c: _parquet_column([r.get(c) for r in rows]) for c in columns})
    _parquet_writer(path).write_table(table, path)
    sys.stderr.write(f"accelsim: wrote {len(rows)} rows to {path}\n")


def _parquet_column(values: list[Any]) -> list[Any]:
    """One column's values with one Parquet type: arrays as their CSV text ("16x32"), integers
    among floats as floats, and a column that mixes kinds (bits 4 and "w4a8") as the CSV's text of
    each value; missing values stay null."""
    from accelsim.report.tables import csv_cell

    values = [csv_cell(v) if isinstance(v, (list, tuple)) else v for v in values]
    kinds = {
        bool if isinstance(v, bool) else (float if isinstance(v, int) else type(v)) for v in values if v is not None
    }
    if len(kinds) <= 1 and kinds <= {bool, float, str}:
        numbers = kinds == {float} and any(isinstance(v, float) for v in values)
        return [float(v) if numbers and v is not None else v for v in values]
    return [None if v is None else str(csv_cell(v)) for v in values]


def _axis_test(name: str, wanted: set[str]) -> Callable[[Mapping[str, Any]], bool]:
    """A row passes when its value of axis `name` is among the `wanted` reprs."""
    return lambda r: _axis_repr(r.get(name)) in wanted


def _row_filter(args: argparse.Namespace) -> tuple[Callable[[Mapping[str, Any]], bool], Any]:
    """The test a row must pass (axis values among those given with --workload, --bits, --bw, ...,
    and --where) and the --where syntax tree (None without one), parsed before the store is read."""
    tests: list[Callable[[Mapping[str, Any]], bool]] = []
    for flag, name in AXIS_FLAGS:
        axis = getattr(args, flag, None)
        if axis is not None:
            tests.append(_axis_test(name, {_axis_repr(v) for v in axis.values}))
    where = getattr(args, "where", None)
    tree = None
    if where is not None:
        from accelsim.explore.where import parse_tree, predicate

        tree = parse_tree(where, _known_columns())
        tests.append(predicate(tree, where))
    return (lambda row: all(t(row) for t in tests)), tree


def _axis_repr(value: Any) -> str:
    """A value as the axis filter compares it: a list (from JSON) as the tuple an axis holds."""
    return repr(tuple(value) if isinstance(value, list) else value)


def _known_columns() -> set[str]:
    """Every column a stored row can have: the point's fields, the sweep row's, the status columns."""
    from dataclasses import fields

    from accelsim.explore.design_point import DesignPoint
    from accelsim.explore.record import SweepRow

    named = {f.name for f in fields(DesignPoint)} | {f.name for f in fields(SweepRow)}
    return named | set(_AXES) | {"status", "error", "key", "model", "network", "body_bits_run", "first_last_bits_run"}


#: Plot labels for columns whose unit is not the last part of their name.
_AXIS_LABELS = {
    "seconds_per_image": "time per image (ms)",
    "first_image_seconds": "first-image latency (ms)",
    "energy_per_image_uj": "dynamic energy per image (µJ)",
    "mac_energy_per_image_uj": "MAC energy per image (µJ)",
    "sram_energy_per_image_uj": "SRAM energy per image (µJ)",
    "offchip_energy_per_image_uj": "off-chip energy per image (µJ)",
}


def cmd_pareto(args: argparse.Namespace) -> int:
    from accelsim.explore.pareto import FrontBuilder
    from accelsim.explore.store import union_columns
    from accelsim.report.tables import render

    if args.plot:
        check_plot_path(args.plot)
        if len(args.objectives) < 2:
            raise InputError("plot", args.plot, "needs at least two objectives to draw")
    objectives = list(args.objectives)  # (never empty: `options.objectives_type` refuses it)
    builders: dict[str, FrontBuilder] = {}  # one front per workload: a cheaper network must not hide
    members: dict[str, list[dict[str, Any]]] = {}  # the other's best designs; members kept only to plot
    seen: dict[str, set[str]] = {k: set() for k in _AXES}
    for r in store_rows(args.store, args):  # streamed: only the fronts are held
        if r["status"] != "ok":
            continue
        builders.setdefault(r["workload"], FrontBuilder(objectives)).add(r)
        for k in _AXES:
            seen[k].add(repr(r.get(k)))
        if args.plot:
            members.setdefault(r["workload"], []).append(r)
    if not builders:
        raise InputError(
            "store",
            args.store,
            "holds no finished design points" + (" that match the filters" if _any_filter(args) else ""),
        )
    groups: list[FrontGroup] = []
    for name, builder in builders.items():
        front = builder.front()
        groups.append((name, members.get(name, []), front.rows))
        sys.stderr.write(
            f"accelsim: {name}: {len(front.rows)} of {builder.seen} design points are Pareto-optimal in "
            f"{', '.join(objectives)} (all minimised)"
            + (f"; {front.excluded} without those values left out" if front.excluded else "")
            + "\n"
        )
    varying = _varying_of(seen)
    if args.plot:
        _plot_fronts(args, groups, objectives, varying)
    front_rows = [dict(r) for _, _, front in groups for r in front]
    if args.format == "table":
        write_table(_table_rows(front_rows), _columns(varying, objectives), args, keep=len(varying))
    else:
        sys.stdout.write(render(front_rows, args.format, columns=union_columns(front_rows)))
    return EXIT_OK


def _any_filter(args: argparse.Namespace) -> bool:
    return getattr(args, "where", None) is not None or any(
        getattr(args, flag, None) is not None for flag, _ in AXIS_FLAGS
    )


#: One workload's points and its Pareto front (rows as `store_rows` gives them).
FrontGroup = tuple[str, Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]]


def _plot_fronts(args: argparse.Namespace, groups: list[FrontGroup], objectives: list[str], varying: list[str]) -> None:
    from accelsim.explore.pareto import axis_label
    from accelsim.report.figures import plot_fronts

    x, y = objectives[0], objectives[1]
    shown = [k for k in varying if k != "workload"]

    def label(row: dict[str, Any]) -> str:
        from accelsim.hardware.bandwidth import bw_label
        from accelsim.ir.units import format_size

        spell: dict[str, Callable[[Any], str]] = {
            "bits": lambda v: f"{v}b",
            "bw_gb_per_s": lambda v: "bw inf" if bw_label(v) == "inf" else f"{bw_label(v)} GB/s",
            "sram_bytes": format_size,
            "cores": lambda v: f"{v} cores",
            "array": lambda v: "x".join(map(str, v)),
            "batch": lambda v: f"batch {v}",
            "mode": str,
        }
        return ", ".join(spell[k](row[k]) for k in shown)

    extra = f"; fronts over all of {', '.join(objectives)}" if len(objectives) > 2 else ""
    to_ms = {"seconds_per_image", "first_image_seconds"}  # times in ms, as every table shows them

    def in_ms(rs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [{**r, **{k: r[k] * 1e3 for k in to_ms & {x, y} if isinstance(r.get(k), (int, float))}} for r in rs]

    scaled = [(name, in_ms(members), in_ms(front)) for name, members, front in groups]
    plot_fronts(
        scaled,
        x,
        y,
        args.plot,
        x_label=_AXIS_LABELS.get(x) or axis_label(x),
        y_label=_AXIS_LABELS.get(y) or axis_label(y),
        point_label=label,
        title="Pareto fronts per workload",
        note=f"store {Path(args.store).name}; point labels: "
        f"{', '.join({'bw_gb_per_s': 'bw', 'sram_bytes': 'sram'}.get(k, k) for k in shown)}{extra}",
        join=len(objectives) == 2,
    )
    note_written(args.plot)


# --- registering `results` and `pareto` ---------------------------------------------------------------
def register_results(subparsers: Any) -> None:
    """Add `results` to the `accelsim` subcommand parsers."""
    p = subparsers.add_parser(
        "results",
        help="read a sweep result store back as a table, CSV or JSON",
        description="Every design point in the store, in grid order, with speedups against the stored 16-bit points.",
    )
    p.add_argument("store", metavar="STORE", help=f"a result store written by `accelsim sweep` (e.g. {DEFAULT_STORE})")
    p.add_argument(
        "--stale",
        action="store_true",
        help="also show points an older accelsim version or model computed (column model)",
    )
    p.add_argument(
        "--parquet",
        metavar="FILE",
        help="also write the rows to FILE as Parquet (needs: pip install 'accelsim[parquet]')",
    )
    _add_filters_and_output(p, cmd_results)


def register_pareto(subparsers: Any) -> None:
    """Add `pareto` to the `accelsim` subcommand parsers."""
    p = subparsers.add_parser(
        "pareto",
        help="the non-dominated design points of a result store, optionally plotted",
        description="Design points no other point beats in every objective (all minimised); failed points are "
        "left out.",
    )
    p.add_argument("store", metavar="STORE", help="a result store written by `accelsim sweep`")
    p.add_argument(
        "--objectives",
        type=objectives_type,
        default=DEFAULT_OBJECTIVES,
        metavar="LIST",
        help=f"columns to minimise (default {','.join(DEFAULT_OBJECTIVES)})",
    )
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="draw each workload's front over the first two objectives to FILE (.png, .svg or .pdf), points labelled",
    )
    _add_filters_and_output(p, cmd_pareto)


def _add_filters_and_output(p: argparse.ArgumentParser, func: Any) -> None:
    """What `results` and `pareto` share after their own options: filters, --format, table options, the command."""
    from accelsim.cli.main import add_format_option

    add_filter_options(p)
    add_format_option(p)
    add_table_options(p)
    p.set_defaults(func=func)


def add_filter_options(p: argparse.ArgumentParser) -> None:
    """--workload, --bits, --bw, ...: keep only stored points with these axis values (comma lists)."""
    group = p.add_argument_group("filters (comma lists, as for `accelsim sweep`; a point must match every one given)")
    group.add_argument(
        "--where",
        metavar="EXPR",
        default=None,
        help="keep rows matching EXPR, e.g. 'bits<=4 and bw==\"64\"' (comparisons == != <= >= < >, and/or/not, "
        "parentheses)",
    )
    for flag, name in AXIS_FLAGS:
        group.add_argument(
            f"--{flag}",
            type=axis_type(name),
            default=None,
            metavar="LIST",
            help=f"keep points whose {flag} is one of LIST",
        )


__all__ = ["add_filter_options", "cmd_pareto", "cmd_results", "register_pareto", "register_results", "store_rows"]
