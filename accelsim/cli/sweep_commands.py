"""`accelsim sweep`: parse the grid, run it with a progress bar, print the rows, optionally plot."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from accelsim.cli.options import (
    AXIS_FLAGS,
    DEFAULT_STORE,
    add_config_option,
    add_first_last_option,
    add_mapper_options,
    add_memory_option,
    add_scale_option,
    add_table_options,
    axis_type,
    base_accelerator,
    check_plot_path,
    ctx_list_type,
    jobs_type,
    mapper_config,
    max_points_type,
    write_table,
)
from accelsim.errors import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, InputError

if TYPE_CHECKING:  # the CLI imports the layers below lazily (`accelsim --help` stays fast)
    from accelsim.explore.grid import Axis, SweepSpec
    from accelsim.explore.pool import GridStream
    from accelsim.explore.record import SweepRow
    from accelsim.hardware.design import Accelerator


class _Bar:
    """A tqdm bar on stderr driven by ``progress(done, total)``; off when quiet or not a terminal."""

    def __init__(self, quiet: bool, desc: str) -> None:
        self.bar = None
        if not quiet:
            from tqdm import tqdm

            self.bar = tqdm(
                total=None, unit="point", desc=desc, file=sys.stderr, disable=None, leave=False, dynamic_ncols=True
            )

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None:
            if self.bar.total != total:
                self.bar.total = total
                self.bar.refresh()
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def sweep_spec(args: argparse.Namespace) -> SweepSpec:
    """The sweep's axes: the --spec file's (in its order), each replaced or extended by the flags given."""
    from accelsim.explore.grid import Axis, SweepSpec, load_spec

    axes = {a.name: a for a in load_spec(args.spec).axes} if args.spec else {}
    for flag, name in AXIS_FLAGS:
        value = getattr(args, flag)
        if isinstance(value, list):  # argparse strips a lone '--' (`--bits=--`) to an empty list
            value = Axis.parse(name, "--")  # the axis parser's own one-line refusal
        if value is not None:
            axes[name] = value
    from accelsim.explore.plan import full_spec

    if getattr(args, "ctx", None):
        axes["workload"] = _with_contexts(axes.get("workload"), args.ctx)
    return full_spec(SweepSpec(tuple(axes.values())) if axes else None, with_bits="bits" in axes)


def _with_contexts(workloads_axis: Axis | None, contexts: tuple[int, ...]) -> Axis:
    """The workload axis with every LLM workload at each decode context (`--ctx`)."""
    from accelsim.explore.grid import Axis

    names = list(workloads_axis.values) if workloads_axis is not None else []
    if not names:
        raise InputError("ctx", ",".join(map(str, contexts)), "needs --workload naming LLMs (e.g. llama2-7b)")
    expanded = []
    for name in names:
        if ":" in name:
            raise InputError("ctx", name, "applies to workloads without a phase; give one or the other")
        expanded += [f"{name}:decode,ctx={c}" for c in contexts]
    return Axis("workload", tuple(expanded), tuple(expanded))


_SHORT_AXIS = {"bw_gb_per_s": "bw", "sram_bytes": "sram", "dram_efficiency": "efficiency"}

#: Sweep axis -> the SweepRow field that holds it.
_ROW_FIELD = {"bw_gb_per_s": "bw"}

#: What a sweep table shows after the varying axes (`fits`: every weight pinned and every
#: activation on chip, as in `accelsim fit`) (fitted to the terminal from the right; the rest
#: with --columns/--all-columns; CSV and JSON carry every field).
SWEEP_COLUMNS = (
    "bits",
    "bw",
    "speedup",
    "peak_ratio",
    "efficiency",
    "seconds_per_image",
    "bound",
    "offchip_mb",
    "fits",
    "energy_per_image_uj",
    "area_mm2",
)

#: Added after `speedup` when the rows are LLM steps (`accelsim.model.llm_metrics`).
LLM_COLUMNS = ("tokens_per_s", "kv_mb", "kv_on_chip")


def cmd_sweep(args: argparse.Namespace) -> int:
    from accelsim.explore.grid import MAX_POINTS, check_grid_size
    from accelsim.explore.options import SweepOptions
    from accelsim.explore.pool import stream_grid

    spec = sweep_spec(args)
    check_grid_size(spec, MAX_POINTS if args.max_points is None else args.max_points)  # before expanding it
    if args.no_store and args.store is not None:
        raise InputError("store", args.store, "cannot be combined with --no-store")
    varying = [a.name for a in spec.axes if len(a.values) > 1 and a.name not in ("bits", "bw_gb_per_s")]
    if args.plot:
        check_plot_path(args.plot)  # reject a bad suffix, a directory or an unwritable place before simulating
        if varying:
            raise InputError(
                "plot",
                args.plot,
                "draws speedup vs bits per bandwidth; give one value of "
                f"{', '.join(_SHORT_AXIS.get(v, v) for v in varying)} "
                "(or plot the store with `accelsim pareto --plot`)",
            )
    if args.dask_timeout is not None and not args.dask:
        raise InputError("dask_timeout", args.dask_timeout, "applies only with --dask ADDRESS")
    base = base_accelerator(args)
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    store = None if args.no_store else (args.store or DEFAULT_STORE)
    bar = _Bar(args.quiet, "sweep")
    executor = None
    try:
        if args.dask:
            from accelsim.explore.parallel import DASK_TIMEOUT_S, dask_executor

            executor = dask_executor(args.dask, DASK_TIMEOUT_S if args.dask_timeout is None else args.dask_timeout)
        options = SweepOptions(
            base=base,
            scale=args.scale,
            first_last_bits=args.first_last_bits,
            memory=args.memory,
            jobs=jobs,
            executor=executor,
            store=store,
            progress=bar,
            max_pending=max(64, 4 * jobs) if executor else None,
            fresh=args.fresh,
            mapper=mapper_config(args),
        )
        overlap = args.format != "table" and not args.plot  # streamed output: rows as points finish
        with stream_grid(spec, options, overlap=overlap) as run:
            if not overlap:
                bar.close()
            return _emit(args, spec, base, run, store, varying, bar)
    except KeyboardInterrupt:
        bar.close()
        where = f"; finished points are in {store}, rerun the same command to resume" if store else ""
        sys.stderr.write(f"accelsim: interrupted{where}\n")
        return EXIT_INTERRUPTED
    finally:
        bar.close()
        if executor is not None:
            executor.shutdown(wait=True)


def _emit(
    args: argparse.Namespace,
    spec: SweepSpec,
    base: Accelerator,
    run: GridStream,
    store: str | None,
    varying: list[str],
    bar: _Bar,
) -> int:
    """Print the sweep's rows as they are read back from its store (CSV and JSON stream, while the
    sweep runs; a table or a plot needs every row first), then the store line and the failures'
    summary. The progress bar stays up while rows go to a file or a pipe, not to the terminal."""
    from accelsim.explore.record import describe_labels, strip_error_type
    from accelsim.report.tables import render, render_stream

    for note in run.plan.notes:  # e.g. a trained graph re-quantized by numeric bits
        sys.stderr.write(f"accelsim: note: {note}\n")
    failures = 0
    first_failure: tuple[dict[str, str], str] | None = None
    found_row = False

    def rows() -> Iterator[SweepRow]:
        nonlocal failures, first_failure, found_row
        for row, labels, message in run.outcomes():
            if row is None:
                failures += 1
                if first_failure is None:  # a failed point always has its labels and message
                    first_failure = (labels or {}, message or "")
                continue
            if not found_row and sys.stdout.isatty():
                bar.close()
            found_row = True
            yield row

    if args.format == "table" or args.plot:
        buffered = list(rows())
        if buffered and args.plot:
            _plot(args, base, buffered)
        if buffered and args.format == "table":
            _print_table(args, spec, base, buffered, varying)
        elif buffered:
            sys.stdout.write(render([r.as_dict() for r in buffered], args.format))
    else:
        from accelsim.explore.record import ROW_COLUMNS

        for text in render_stream((r.as_dict() for r in rows()), args.format, ROW_COLUMNS):
            if found_row:  # nothing on stdout when every point failed
                sys.stdout.write(text)
    bar.close()
    if found_row and store is not None:  # (when every point failed, the error line is the whole story)
        sys.stderr.write(store_line(run, store, args.fresh))
    if first_failure is None:  # no point failed
        return EXIT_OK
    labels, message = first_failure
    if not found_row:
        sys.stderr.write(
            f"accelsim: error: {strip_error_type(message)} (all {run.size} design points failed; first: "
            f"{describe_labels(labels)})\n"
        )
        return EXIT_INPUT
    where = " (stored as errors)" if store else ""
    sys.stderr.write(
        f"accelsim: warning: {failures} design points failed{where}; first: "
        f"{describe_labels(labels)}: {strip_error_type(message)}\n"
    )
    return EXIT_OK


def _plot(args: argparse.Namespace, base: Accelerator, rows: Sequence[SweepRow]) -> None:
    """Speedup vs bits per bandwidth, with the configuration in the caption."""
    from accelsim.report.plot import plot_speedup, system_title

    if any(r.bits != r.body_bits for r in rows):  # as-trained rows have no place on a bits axis
        raise InputError(
            "plot", args.plot, "draws speedup against bit-widths; as-trained rows have none, give --bits to plot"
        )
    first = rows[0]
    note = system_title(base, first.workload, first.mode, first.scale, args.first_last_bits)
    plot_speedup([r for r in rows if r.speedup is not None], args.plot, note=note)


def store_line(run: GridStream, store: str, fresh: bool) -> str:
    """'N design points: X from store FILE, Y simulated': a reused result is never silent."""
    again = "" if fresh else "; --fresh recomputes them" if run.from_store else ""
    return (
        f"accelsim: {run.from_store + run.simulated} design points: {run.from_store} from store {store}, "
        f"{run.simulated} simulated{again}\n"
    )


def _print_table(
    args: argparse.Namespace, spec: SweepSpec, base: Accelerator, rows: Sequence[SweepRow], varying: list[str]
) -> None:
    """Constant settings in a two-line header; the varying axes lead the rows."""
    from accelsim.hardware.design import default_scale

    modes = spec.axis("mode").labels if "mode" in spec.names else (base.mac_mode,)
    scales = args.scale or "/".join(dict.fromkeys(default_scale(m) for m in modes))
    names = ", ".join(dict.fromkeys(r.workload for r in rows))
    batches = ",".join(spec.axis("batch").labels) if "batch" in spec.names else "1"
    mapper = f"; mapper {args.mapper} ({args.objective})" if args.mapper != "fixed" else ""
    if args.mapper == "fixed" and args.objective != "latency":  # it still picks even batches' micro-batches
        mapper = f"; objective {args.objective}"
    sys.stdout.write(
        f"{names}, batch {batches}: iso-area {','.join(modes)} MACs grown by {scales}{mapper}\n"
        f"base: {base.describe(with_bw=False)}\n\n"
    )
    lead = [_ROW_FIELD.get(v, v) for v in varying if _ROW_FIELD.get(v, v) != "workload"]
    if len({r.workload for r in rows}) > 1:
        lead.insert(0, "workload")
    table = [{**r.as_dict(), "fits": r.weights_fit and r.activations_fit} for r in rows]
    columns = list(SWEEP_COLUMNS)
    trained = any(r.bits != r.body_bits for r in rows)  # as-trained rows: the body precision they ran at
    if trained:
        columns.insert(columns.index("bits") + 1, "body_bits")
    if any(r.tokens_per_s is not None for r in rows):  # LLM steps: tokens/s and the KV cache by the speedup
        at = columns.index("speedup") + 1
        columns[at:at] = list(LLM_COLUMNS)
    write_table(table, lead + columns, args, keep=len(lead) + 2 + trained)
    if any(r.speedup is None for r in rows):
        sys.stdout.write("\n(blank speedup: the 16-bit reference point with the same other values failed)\n")


# --- registering `sweep` ------------------------------------------------------------------------------
#: The grid axes of `sweep`, in the order --help lists them: flag and help (types and names from AXIS_FLAGS).
_AXIS_HELP = (
    (
        "workload",
        "zoo names, LLM steps (gpt2:decode,ctx=512), LayerGraph .json, SCALE-Sim .csv or ONNX .onnx files "
        "(default resnet50)",
    ),
    (
        "bits",
        "body bit-widths, e.g. 16,8,4,2 (default), tokens such as w4a16,w8a8,w4a16kv8, or as-trained: the "
        "graph's own per-layer bits (the default for graphs that carry them; bits or tokens re-quantize those)",
    ),
    ("bw", "external bandwidths in GB/s, e.g. 32,64,inf (default)"),
    ("sram", "total on-chip memory, e.g. 8MB,16MB,32MB (default: the base's, 16MB)"),
    ("cores", "cores of the base design, e.g. 2,4,8 (default: the base's, 4)"),
    ("array", "base array per core, e.g. 16x32,32x32 (default: the base's, 16x32)"),
    ("batch", "batch sizes for zoo networks (default 1)"),
    ("ctx", "decode context lengths for LLM workloads, e.g. 512,2048 (each workload becomes NAME:decode,ctx=C)"),
    ("mode", "iso-area MAC models: configurable,dedicated (default configurable)"),
    (
        "efficiency",
        "sustained / peak external bandwidth, e.g. 1,0.8 (default: the base's, 1 = peak as in PACT; presets: "
        "lpddr4 0.69, ddr4 0.78, gddr5 0.75, hbm2 0.83)",
    ),
)


def register_sweep(subparsers: Any) -> None:
    """Add `sweep` to the `accelsim` subcommand parsers."""
    from accelsim.cli.main import add_format_option

    p = subparsers.add_parser(
        "sweep",
        help="speed, energy and area of iso-area design points over any grid of axes (PACT Fig. 6c and more)",
        description=(
            "Simulate every point of the grid (the product of the axes) on the iso-area design of the base at each "
            "precision; speedups are over the 16-bit design with the same values of every other axis. Every finished "
            "point is committed to a SQLite result store, so an interrupted sweep resumes where it stopped. CSV and "
            "JSON rows are printed in grid order while the sweep runs; a table waits for the last point."
        ),
    )
    _add_axis_options(p)
    add_config_option(p)
    add_scale_option(p)
    add_first_last_option(p)
    add_memory_option(p)
    add_mapper_options(p)
    _add_running_options(p)
    add_format_option(p)
    add_table_options(p)
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw speedup vs bits to FILE (.png, .svg or .pdf); needs one value on every axis but bits and bw",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)


def _add_axis_options(p: argparse.ArgumentParser) -> None:
    """One comma-list flag per grid axis, then --spec (a TOML file of axes)."""
    axes = p.add_argument_group("axes (comma lists; the grid is their product, first axis varying slowest)")
    names = dict(AXIS_FLAGS)
    for flag, text in _AXIS_HELP:
        kind = ctx_list_type if flag == "ctx" else axis_type(names[flag])
        axes.add_argument(f"--{flag}", type=kind, default=None, metavar="LIST", help=text)
    axes.add_argument(
        "--spec",
        metavar="FILE.toml",
        help="axes from a TOML file's [axes] table (in its order); flags above replace the file's axis of the "
        "same name",
    )


def _add_running_options(p: argparse.ArgumentParser) -> None:
    """--jobs, --dask, --max-points and the result store."""
    run = p.add_argument_group("running and storing")
    run.add_argument(
        "--jobs",
        type=jobs_type,
        default=None,
        metavar="N",
        help=f"worker processes (default: the machine's core count, {os.cpu_count() or 1} here; 1 runs inline)",
    )
    run.add_argument(
        "--dask",
        "--scheduler",
        dest="dask",
        metavar="ADDRESS",
        help="run on the Dask scheduler at ADDRESS, e.g. tcp://host:8786 (needs accelsim[dask])",
    )
    run.add_argument(
        "--dask-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="longest wait for the Dask scheduler to connect and answer (default 10)",
    )
    run.add_argument(
        "--max-points",
        type=max_points_type,
        default=None,
        metavar="N",
        help="largest grid to run (default 1,000,000; see docs/limits.md)",
    )
    run.add_argument(
        "--store",
        metavar="FILE",
        default=None,
        help=f"SQLite result store; finished points are skipped on a rerun (default: ./{DEFAULT_STORE} in the "
        f"working directory)",
    )
    run.add_argument(
        "--no-store", action="store_true", help="keep no result store (nothing is written, nothing reused)"
    )
    run.add_argument(
        "--fresh", action="store_true", help="simulate every point again, replacing what the store holds for them"
    )


__all__ = ["cmd_sweep", "register_sweep", "sweep_spec"]
