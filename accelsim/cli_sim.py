"""The simulation subcommands: `sweep`, `run`, `fit`, `results` and `pareto`, registered into `accelsim`.

Thin shells over `accelsim.sweep`, `accelsim.sim`, `accelsim.fit`, `accelsim.store` and
`accelsim.pareto`: parse, call, print. Results go to stdout, the progress bar and errors to
stderr; bad input is one line and exit code 2 (the main parser in `accelsim.cli` turns InputError
into that line), checked before any work starts or any file is written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from accelsim.errors import InputError

EXIT_OK, EXIT_INPUT, EXIT_INTERRUPTED = 0, 2, 130

#: Where `accelsim sweep` keeps its results unless told (`--store`, `--no-store`).
DEFAULT_STORE = "accelsim-sweep.db"

#: Objectives `accelsim pareto` minimises unless told.
DEFAULT_OBJECTIVES = ("seconds_per_image", "area_mm2", "energy_per_image_uj")

#: CLI flag -> canonical sweep axis, in the default grid order (first varies slowest).
AXIS_FLAGS = (
    ("workload", "workload"),
    ("bits", "bits"),
    ("bw", "bw_gb_per_s"),
    ("sram", "sram_bytes"),
    ("cores", "cores"),
    ("array", "array"),
    ("batch", "batch"),
    ("mode", "mode"),
)


# --- argument types (argparse turns ArgumentTypeError into a one-line usage error, exit 2) --------
def _bits(text: str) -> int:
    from accelsim.grid import parse_bits

    try:
        return parse_bits(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _bw(text: str) -> str:
    from accelsim.grid import parse_bw

    try:
        parse_bw(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _first_last(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        return _bits(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"first_last_bits={text!r}: must be an integer in 1..32 or none") from None


def _batch(text: str) -> int:
    from accelsim.grid import parse_batch

    try:
        return parse_batch(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _jobs(text: str) -> int:
    from accelsim.grid import _int_in

    try:
        return _int_in("jobs", text, 1, None, "must be a positive integer")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _memory(text: str) -> str:
    import tech

    try:
        return tech.memory(text).name
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _objectives(text: str) -> tuple[str, ...]:
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"objectives={text!r}: needs at least one column name")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"objectives={text!r}: names a column twice")
    return names


def _axis(name: str):  # type: ignore[no-untyped-def]
    from accelsim.grid import cli_type

    return cli_type(name)


def _memory_names() -> str:
    try:
        import tech

        return ", ".join(tech.memory_names())
    except Exception:  # noqa: BLE001 - help text only; a broken data file fails properly when used
        return "see tech/memories.toml"


def _common(p: argparse.ArgumentParser, *, iso_area: bool = True) -> None:
    from accelsim.cli import add_format_option
    from accelsim.design import MAC_MODES, SCALES

    p.add_argument("--workload", default="resnet50", help="zoo name or LayerGraph .json file (default resnet50)")
    p.add_argument("--batch", type=_batch, default=1, help="batch size for zoo networks (default 1)")
    p.add_argument("--config", metavar="FILE", help="base accelerator as JSON or TOML (default: the 16-bit default system)")
    if iso_area:
        p.add_argument("--mode", choices=MAC_MODES, default="configurable", help="iso-area MAC model (default configurable)")
        p.add_argument("--scale", choices=SCALES, default=None, help="where iso-area MACs go (default: cores for configurable, array for dedicated; see docs/model.md)")
    _first_last_option(p)
    add_format_option(p)


def _first_last_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--first-last-bits", type=_first_last, default=8, metavar="BITS|none",
        help="precision of the first and last layers when the body is narrower (default 8; none = same as body)",
    )


def _memory_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--memory", type=_memory, default="lpddr4", metavar="NAME",
        help=f"external memory whose pJ/bit prices off-chip bytes in the energy model (default lpddr4, 8 pJ/bit; one of {_memory_names()})",
    )


def register(subparsers: Any) -> None:
    """Add `sweep`, `run`, `fit`, `results` and `pareto` to the `accelsim` subcommand parsers."""
    from accelsim.cli import add_format_option
    from accelsim.design import SCALES

    p = subparsers.add_parser(
        "sweep", help="speed, energy and area of iso-area design points over any grid of axes (PACT Fig. 6c and more)",
        description=(
            "Simulate every point of the grid (the product of the axes) on the iso-area design of the base at each "
            "precision; speedups are over the 16-bit design with the same values of every other axis. Every finished "
            "point is committed to a SQLite result store, so an interrupted sweep resumes where it stopped."
        ),
    )
    axes = p.add_argument_group("axes (comma lists; the grid is their product, first axis varying slowest)")
    axes.add_argument("--workload", type=_axis("workload"), default=None, metavar="LIST", help="zoo names or LayerGraph .json files (default resnet50)")
    axes.add_argument("--bits", type=_axis("bits"), default=None, metavar="LIST", help="body bit-widths, e.g. 16,8,4,2 (default)")
    axes.add_argument("--bw", type=_axis("bw"), default=None, metavar="LIST", help="external bandwidths in GB/s, e.g. 32,64,inf (default)")
    axes.add_argument("--sram", type=_axis("sram"), default=None, metavar="LIST", help="total on-chip memory, e.g. 8MB,16MB,32MB (default: the base's, 16MB)")
    axes.add_argument("--cores", type=_axis("cores"), default=None, metavar="LIST", help="cores of the base design, e.g. 2,4,8 (default: the base's, 4)")
    axes.add_argument("--array", type=_axis("array"), default=None, metavar="LIST", help="base array per core, e.g. 16x32,32x32 (default: the base's, 16x32)")
    axes.add_argument("--batch", type=_axis("batch"), default=None, metavar="LIST", help="batch sizes for zoo networks (default 1)")
    axes.add_argument("--mode", type=_axis("mode"), default=None, metavar="LIST", help="iso-area MAC models: configurable,dedicated (default configurable)")
    axes.add_argument("--spec", metavar="FILE.toml", help="axes from a TOML file's [axes] table (in its order); flags above replace the file's axis of the same name")
    p.add_argument("--config", metavar="FILE", help="base accelerator as JSON or TOML (default: the 16-bit default system)")
    p.add_argument("--scale", choices=SCALES, default=None, help="where iso-area MACs go (default: cores for configurable, array for dedicated; see docs/model.md)")
    _first_last_option(p)
    _memory_option(p)
    run = p.add_argument_group("running and storing")
    run.add_argument("--jobs", type=_jobs, default=None, metavar="N", help=f"worker processes (default: the machine's core count, {os.cpu_count() or 1} here; 1 runs inline)")
    run.add_argument("--dask", "--scheduler", dest="dask", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS, e.g. tcp://host:8786 (needs accelsim[dask])")
    run.add_argument("--store", metavar="FILE", default=DEFAULT_STORE, help=f"SQLite result store; finished points are skipped on a rerun (default: ./{DEFAULT_STORE} in the working directory)")
    run.add_argument("--no-store", action="store_true", help="keep no result store (nothing is written, nothing reused)")
    add_format_option(p)
    p.add_argument("--plot", metavar="FILE", help="also draw speedup vs bits to FILE (.png, .svg or .pdf); needs one value on every axis but bits and bw")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

    p = subparsers.add_parser(
        "run", help="one design point: per-layer cycles, utilization, bound, off-chip bytes, energy and totals",
        description="Simulate one design point. Without --bits the --config accelerator runs as is.",
    )
    p.add_argument("--bits", type=_bits, default=None, help="body bit-width; the design is iso-area to the base at this precision")
    p.add_argument("--bw", type=_bw, default=None, help="external bandwidth in GB/s or inf (default: the base's, 64)")
    _common(p)
    _memory_option(p)
    p.set_defaults(func=cmd_run)

    p = subparsers.add_parser(
        "fit", help="on-chip fit per precision: weights, working sets, live activations, spills",
        description="Which tensors fit in the accelerator's total on-chip memory at each precision.",
    )
    p.add_argument("--bits", type=_axis("bits"), default=None, help="bit-widths, e.g. 16,8,4,2 (default)")
    _common(p, iso_area=False)
    p.set_defaults(func=cmd_fit)

    p = subparsers.add_parser(
        "results", help="read a sweep result store back as a table, CSV or JSON",
        description="Every design point in the store, in grid order, with speedups against the stored 16-bit points.",
    )
    p.add_argument("store", metavar="STORE", help=f"a result store written by `accelsim sweep` (e.g. {DEFAULT_STORE})")
    p.add_argument("--stale", action="store_true", help="also show points an older accelsim version or model computed (column model)")
    add_format_option(p)
    p.set_defaults(func=cmd_results)

    p = subparsers.add_parser(
        "pareto", help="the non-dominated design points of a result store, optionally plotted",
        description="Design points no other point beats in every objective (all minimised); failed points are left out.",
    )
    p.add_argument("store", metavar="STORE", help="a result store written by `accelsim sweep`")
    p.add_argument(
        "--objectives", type=_objectives, default=DEFAULT_OBJECTIVES, metavar="LIST",
        help=f"columns to minimise (default {','.join(DEFAULT_OBJECTIVES)})",
    )
    p.add_argument("--plot", metavar="FILE", help="draw the front over the first two objectives to FILE (.png, .svg or .pdf)")
    add_format_option(p)
    p.set_defaults(func=cmd_pareto)


# --- helpers ----------------------------------------------------------------------------------------
def _base(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from accelsim.design import Accelerator, load_accelerator

    return load_accelerator(args.config) if args.config else Accelerator()


def _graph(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from accelsim.inputs import load_workload

    return load_workload(args.workload, batch=args.batch)


def _check_plot_path(path: str) -> None:
    from accelsim.plot import plot_format

    plot_format(path)


class _Bar:
    """A tqdm bar on stderr driven by ``progress(done, total)``; off when quiet or not a terminal."""

    def __init__(self, quiet: bool, desc: str) -> None:
        self.bar = None
        if not quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=None, unit="point", desc=desc, file=sys.stderr, disable=None, leave=False, dynamic_ncols=True)

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None:
            if self.bar.total != total:
                self.bar.total = total
                self.bar.refresh()
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def sweep_spec(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The sweep's axes: the --spec file's (in its order), each replaced or extended by the flags given."""
    from accelsim.grid import SweepSpec, load_spec

    axes = {a.name: a for a in load_spec(args.spec).axes} if args.spec else {}
    for flag, name in AXIS_FLAGS:
        value = getattr(args, flag)
        if value is not None:
            axes[name] = value
    from accelsim.sweep import full_spec

    return full_spec(SweepSpec(tuple(axes.values())) if axes else None)


_SHORT_AXIS = {"bw_gb_per_s": "bw", "sram_bytes": "sram"}


def cmd_sweep(args: argparse.Namespace) -> int:
    from accelsim.design import default_scale
    from accelsim.report import render
    from accelsim.sweep import describe_labels, run_grid, strip_error_type

    spec = sweep_spec(args)
    varying = [a.name for a in spec.axes if len(a.values) > 1 and a.name not in ("bits", "bw_gb_per_s")]
    if args.plot:
        _check_plot_path(args.plot)  # reject a bad suffix before simulating
        if varying:
            raise InputError(
                "plot", args.plot,
                f"draws speedup vs bits per bandwidth; give one value of {', '.join(_SHORT_AXIS.get(v, v) for v in varying)} "
                "(or plot the store with `accelsim pareto --plot`)",
            )
    base = _base(args)
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    store = None if args.no_store else args.store
    bar = _Bar(args.quiet, "sweep")
    executor = None
    try:
        if args.dask:
            from accelsim.parallel import dask_executor

            executor = dask_executor(args.dask)
        run = run_grid(
            spec, base=base, scale=args.scale, first_last_bits=args.first_last_bits, memory=args.memory,
            jobs=jobs, executor=executor, store=store, progress=bar, max_pending=max(64, 4 * jobs) if executor else None,
        )
    except KeyboardInterrupt:
        bar.close()
        where = f"; finished points are in {store}, rerun the same command to resume" if store else ""
        sys.stderr.write(f"accelsim: interrupted{where}\n")
        return EXIT_INTERRUPTED
    finally:
        bar.close()
        if executor is not None:
            executor.shutdown(wait=True)
    rows = run.rows
    if run.failures and not rows:
        labels, message = run.failures[0]
        sys.stderr.write(
            f"accelsim: error: {strip_error_type(message)} (all {run.size} design points failed; first: {describe_labels(labels)})\n"
        )
        return EXIT_INPUT
    if args.plot:
        from accelsim.plot import plot_speedup, system_title

        drawable = [r for r in rows if r.speedup is not None]
        first = rows[0]
        plot_speedup(drawable, args.plot, title=system_title(base, first.workload, first.mode, first.scale, args.first_last_bits))
    if args.format == "table":  # people read milliseconds; constant columns move to a header line
        modes = spec.axis("mode").labels if "mode" in spec.names else ("configurable",)
        scales = args.scale or "/".join(dict.fromkeys(default_scale(m) for m in modes))
        names = ", ".join(dict.fromkeys(r.workload for r in rows))
        batches = ",".join(spec.axis("batch").labels) if "batch" in spec.names else "1"
        swept = [v for v in varying if v not in ("workload", "batch", "mode")]
        note = f"; swept: {', '.join(_SHORT_AXIS.get(v, v) for v in swept)}" if swept else ""
        sys.stdout.write(
            f"{names}, batch {batches}: iso-area {','.join(modes)} MACs grown by {scales}; "
            f"base {base.describe(with_bw=False)}{note}\n\n"
        )
        extra = {"workload": "workload", "batch": "batch", "mode": "mode", "sram_bytes": "sram_mb", "cores": "cores", "array": "array"}
        lead = [extra[v] for v in varying]
        table = []
        for r in rows:
            d = r.as_dict()
            d["sram_mb"] = r.sram_bytes / 1e6
            d["ms_per_image"] = r.seconds_per_image * 1e3
            d["first_image_ms"] = r.first_image_seconds * 1e3
            d["energy_uj"] = r.energy_per_image_uj
            d["mac_uj"] = r.mac_energy_per_image_uj
            d["sram_uj"] = r.sram_energy_per_image_uj
            d["offchip_uj"] = r.offchip_energy_per_image_uj
            table.append(d)
        columns = lead + [
            "bits", "first_last_bits", "bw", "macs_per_cycle", "peak_tmacs", "ms_per_image", "first_image_ms",
            "speedup", "peak_ratio", "efficiency", "utilization", "stall_fraction", "bound", "offchip_mb",
            "weights_fit", "activations_fit", "energy_uj", "mac_uj", "sram_uj", "offchip_uj", "area_mm2",
        ]
        sys.stdout.write(render(table, "table", columns=columns))
        if any(r.speedup is None for r in rows):
            sys.stdout.write("\n(blank speedup: the 16-bit reference point with the same other values failed)\n")
    else:
        sys.stdout.write(render([r.as_dict() for r in rows], args.format))
    if run.failures:
        labels, message = run.failures[0]
        where = " (stored as errors)" if store else ""
        sys.stderr.write(
            f"accelsim: warning: {len(run.failures)} design points failed{where}; first: "
            f"{describe_labels(labels)}: {strip_error_type(message)}\n"
        )
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    import json
    from dataclasses import replace

    from accelsim.design import iso_area
    from accelsim.energy import area
    from accelsim.fit import policy_for
    from accelsim.grid import parse_bw
    from accelsim.report import json_safe, render
    from accelsim.sim import simulate

    base = _base(args)
    if args.bw is not None:
        base = replace(base, bw_gb_per_s=parse_bw(args.bw))
    if args.bits is None:
        design, bits = base, base.mac_w_bits
    else:
        design, bits = iso_area(base, args.bits, args.mode, args.scale), args.bits
    graph = _graph(args).with_policy(policy_for(bits, args.first_last_bits))
    result = simulate(graph, design, memory=args.memory)
    cost = area(design, built_bits=(base.mac_w_bits, base.mac_a_bits))
    totals = result.totals()
    totals.update({"area_mm2": cost.total_mm2, "compute_area_mm2": cost.compute_mm2, "sram_area_mm2": cost.sram_mm2})
    if args.format == "json":
        data = result.as_dict()
        data["totals"] = totals
        sys.stdout.write(json.dumps(json_safe(data), indent=1, allow_nan=False) + "\n")
        return EXIT_OK
    columns = [
        "name", "kind", "w_bits", "a_bits", "split", "gang", "compute_cycles", "cycles", "stall_cycles",
        "array_utilization", "bound", "read_bytes", "write_bytes", "refetch", "output_on_chip",
        "mac_energy_uj", "sram_energy_uj", "offchip_energy_uj",
    ]
    rows = [layer.as_dict() for layer in result.layers]
    if args.format == "table":
        rows.append({
            "name": "TOTAL", "compute_cycles": result.compute_cycles, "cycles": result.cycles,
            "stall_cycles": result.stall_cycles, "array_utilization": result.utilization, "bound": result.bound,
            "read_bytes": result.read_bytes, "write_bytes": result.write_bytes,
            "mac_energy_uj": result.mac_energy_uj, "sram_energy_uj": result.sram_energy_uj,
            "offchip_energy_uj": result.offchip_energy_uj,
        })
        sys.stdout.write(design.describe() + "\n\n")
        sys.stdout.write(render(rows, "table", columns=columns))
        sys.stdout.write("\n" + render([{"quantity": k, "value": v} for k, v in totals.items()], "table"))
    else:
        sys.stdout.write(render(rows, "csv", columns=columns))
    return EXIT_OK


def cmd_fit(args: argparse.Namespace) -> int:
    from accelsim.fit import fit_report
    from accelsim.report import render

    bits = list(args.bits.values) if args.bits is not None else [16, 8, 4, 2]
    base = _base(args)
    rows, first = fit_report(_graph(args), base, bits, args.first_last_bits)
    out = []
    for r in rows:
        d = r.as_dict()
        d["first_fit"] = r.bits == first
        if args.format != "json":
            d["spilled"] = " ".join(r.spilled) if r.spilled else ""
        out.append(d)
    sys.stdout.write(render(out, args.format))
    if args.format == "table":
        where = f"at {first} bits" if first is not None else "at none of these bit-widths"
        sys.stdout.write(f"\nwhole model (weights + peak live activations) first fits in {base.sram_bytes / 1e6:g} MB {where}\n")
    return EXIT_OK


# --- reading a store back ------------------------------------------------------------------------------
#: Point fields that only identify the model inputs; shown in CSV/JSON, not in tables.
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
    from accelsim.store import ResultStore
    from accelsim.sweep import model_salt, relative_metrics

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
    from accelsim.sweep import bw_label

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
    from accelsim.report import render
    from accelsim.store import _union_columns

    rows = store_rows(args.store, stale=args.stale)
    if args.format == "table":
        view, columns = _table_view(rows)
        sys.stdout.write(render(view, "table", columns=columns) if view else "(the store holds no design points)\n")
    else:
        sys.stdout.write(render(rows, args.format, columns=_union_columns(rows)))
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
    from accelsim.pareto import pareto, plot_front
    from accelsim.report import render
    from accelsim.store import _union_columns

    if args.plot:
        _check_plot_path(args.plot)
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
        sys.stdout.write(render(front_rows, args.format, columns=_union_columns(front_rows)))
    return EXIT_OK


__all__ = ["DEFAULT_STORE", "cmd_fit", "cmd_pareto", "cmd_results", "cmd_run", "cmd_sweep", "register", "store_rows", "sweep_spec"]
