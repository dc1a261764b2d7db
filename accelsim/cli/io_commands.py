"""`accelsim export-topology` and `accelsim import`: workloads to and from other tools' files.

Registered by `accelsim.cli.main` when this module exists. Like every command, results go to stdout
(`--format`), notes about what was left out go to stderr, one line each, and bad input is one
stderr line with exit code 2 (raised as `InputError`, printed by `accelsim.cli.main.main`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from accelsim.errors import EXIT_OK, InputError
from accelsim.report.tables import render


def _note(text: str) -> None:
    sys.stderr.write(f"accelsim: note: {text}\n")


def _group_reasons(skipped: dict[str, str]) -> str:
    """'depthwise convolution x17 (a, b, c, ...)': one short clause per kind of reason."""
    groups: dict[str, list[str]] = {}
    for name, why in skipped.items():
        groups.setdefault(why.split(":")[0].split(" (")[0], []).append(name)
    parts = []
    for kind, names in groups.items():
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        parts.append(f"{kind} x{len(names)} ({shown})")
    return "; ".join(parts)


def _cmd_export_topology(args: argparse.Namespace) -> int:
    from accelsim.atomic import check_output_path
    from accelsim.io.inputs import load_workload
    from accelsim.io.scalesim import write_topology

    check_output_path(args.out, field="out")  # a bad place to write is refused before the workload is read
    graph = load_workload(args.workload, batch=args.batch)
    done = write_topology(graph, args.out, form="gemm" if args.gemm else "conv", skip_unsupported=True)
    if done.skipped:
        listed = _group_reasons(done.skipped)
        hint = (
            ""
            if args.gemm or not any("MatMul" in w for w in done.skipped.values())
            else "; --gemm writes MatMul layers"
        )
        _note(
            f"skipped {len(done.skipped)} layers SCALE-Sim cannot express "
            f"({done.skipped_macs:,} of {done.macs + done.skipped_macs:,} MACs): {listed}{hint}"
        )
    row: dict[str, Any] = {
        "file": done.path,
        "form": done.form,
        "layers": len(done.layers),
        "rows": done.rows,
        "macs": done.macs,
        "skipped_layers": len(done.skipped),
        "skipped_macs": done.skipped_macs,
    }
    sys.stdout.write(render([row], args.format))
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from accelsim.atomic import check_output_path

    check_output_path(args.output, field="output")  # before the (possibly long) import
    source = Path(args.model)
    suffix = source.suffix.lower()
    if not source.is_file():
        raise InputError("model", args.model, "no such file")
    if suffix == ".onnx":
        from accelsim.io.onnx_import import import_onnx

        graph = import_onnx(source, batch=args.batch)
    elif suffix == ".csv":
        from accelsim.io.scalesim import read_topology

        graph = read_topology(source, batch=args.batch, depthwise=args.depthwise)
    else:
        raise InputError("model", args.model, "must be an ONNX model (.onnx) or a SCALE-Sim topology (.csv)")
    graph.save(args.output)
    meta = graph.metadata
    skipped = meta.get("skipped_ops") or {}
    if skipped:
        listed = ", ".join(f"{op} x{len(names)}" for op, names in skipped.items())
        _note(f"skipped {sum(map(len, skipped.values()))} ops without MACs: {listed}")
    if meta.get("pinned_dims"):
        _note(f"pinned dynamic dims: {', '.join(meta['pinned_dims'])}")
    if meta.get("ignored_columns"):
        _note(f"ignored {meta['ignored_columns']} extra columns: {', '.join(meta.get('ignored_column_names', []))}")
    row = {
        "file": str(args.output),
        "name": graph.name,
        "layers": len(graph),
        "macs": graph.total_macs(),
        "weights": graph.total_weights(),
    }
    sys.stdout.write(render([row], args.format))
    return EXIT_OK


def register(sub: Any) -> None:
    """Add the import/export subcommands to `accelsim`'s subparsers."""
    from accelsim.cli.main import add_format_option

    p = sub.add_parser(
        "export-topology",
        help="write a network's conv/fc layers as a SCALE-Sim topology CSV",
        description=(
            "Write the MAC layers of a network as a SCALE-Sim topology. Conv form: dense convolutions "
            "(IFMAP = the padded input their windows read) and fully connected layers; depthwise/grouped "
            "convolutions and MatMuls are skipped with a note on stderr. --gemm writes the Layer,M,N,K "
            "form, which also holds MatMuls (one row per batch/head)."
        ),
    )
    p.add_argument("workload", help="zoo name, LayerGraph .json, SCALE-Sim .csv or ONNX .onnx file")
    p.add_argument("out", help="topology CSV to write (replaced atomically)")
    p.add_argument("--gemm", action="store_true", help="write the GEMM form (Layer, M, N, K) instead of conv rows")
    p.add_argument("--batch", type=int, default=1, help="batch size for zoo networks (default 1)")
    add_format_option(p)
    p.set_defaults(func=_cmd_export_topology)

    p = sub.add_parser(
        "import",
        help="convert an ONNX model or SCALE-Sim topology into a LayerGraph JSON file",
        description=(
            "Build a LayerGraph from an ONNX model (needs: pip install 'accelsim[onnx]') or a SCALE-Sim "
            "topology CSV and save it as JSON. Ops without MACs that have no layer are skipped and listed "
            "on stderr."
        ),
    )
    p.add_argument("model", help="model.onnx or topology.csv")
    p.add_argument("-o", "--output", required=True, help="LayerGraph JSON file to write")
    p.add_argument("--batch", type=int, default=1, help="batch for a dynamic first axis / a topology (default 1)")
    p.add_argument(
        "--depthwise",
        metavar="MODE",
        default="scalesim",  # read_topology checks the value (one InputError line), so help stays fast
        help="topology rows with Num Filter=1: 'scalesim' reads them as SCALE-Sim does (one filter over "
        "all channels), 'num_filter_1' as depthwise convolutions (default: scalesim)",
    )
    add_format_option(p)
    p.set_defaults(func=_cmd_import)


__all__ = ["register"]
