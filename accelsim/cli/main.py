"""The `accelsim` command: parse, call the library, print. No modelling happens here.

Results go to stdout (table, CSV or JSON); progress and errors go to stderr. Bad input is one line
on stderr and exit code 2, never a traceback (pypa/build's convention).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from accelsim.cli.table_output import add_table_options, write_table
from accelsim.errors import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, AccelsimError, InputError
from accelsim.report.tables import FORMATS, render

#: What --workload accepts, said the same way in every command's help.
WORKLOAD_KINDS = "zoo name (accelsim workloads), LayerGraph .json, SCALE-Sim topology .csv or ONNX .onnx file"

#: What `accelsim layers` shows by default (fitted to the terminal; --all-columns adds the rest).
LAYER_COLUMNS = [
    "name",
    "type",
    "out_shape",
    "gemm_m",
    "gemm_n",
    "gemm_k",
    "macs",
    "weights",
    "w_bits",
    "a_bits",
    "groups",
    "in_act",
    "out_act",
]

#: Bit-widths `accelsim workloads` reports weight storage at.
LISTED_BITS = (16, 8, 4, 2)


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its one-line message, drop the usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


class _ExamplesFormatter(argparse.HelpFormatter):
    """Wraps descriptions as usual but prints the examples epilog line for line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return text
        return super()._fill_text(text, width, indent)


def add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")


def _cmd_workloads(args: argparse.Namespace) -> int:
    import workloads

    rows = []
    for name in workloads.names():
        graph = workloads.load(name, batch=args.batch)
        row: dict[str, Any] = {
            "workload": name,
            "phase": _phase_label(graph),
            "layers": len(graph),
            "gmacs": graph.total_macs() / 1e9,
            "params_m": graph.total_params() / 1e6,
        }
        weights = graph.total_weights()
        for bits in LISTED_BITS:
            row[f"weights_mb_{bits}b"] = weights * bits / 8 / 1e6
        rows.append(row)
    if args.format == "table":
        write_table(rows, list(rows[0]), args)
    else:
        sys.stdout.write(render(rows, args.format))
    return EXIT_OK


def _phase_label(graph: Any) -> str:
    """``decode ctx=2048`` for an LLM step (the default `load` builds), blank for other networks."""
    meta = graph.metadata
    if "phase" not in meta:
        return ""
    return f"decode ctx={meta['ctx']}" if meta["phase"] == "decode" else f"prefill {meta['tokens']}"


def _cmd_layers(args: argparse.Namespace) -> int:
    from accelsim.io.inputs import load_workload

    graph = load_workload(args.workload, batch=args.batch)
    rows = []
    for layer in graph.layers():
        view = layer.gemm()
        p = graph.precision(layer.name)
        rows.append(
            {
                "name": layer.name,
                "type": layer.kind,
                "out_shape": layer.out_shape,
                "gemm_m": view.m if view else None,
                "gemm_n": view.n if view else None,
                "gemm_k": view.k if view else None,
                "groups": view.groups if view else None,
                "macs": layer.macs,
                "weights": layer.weight_elems,
                "in_act": layer.in_elems,
                "out_act": layer.out_elems,
                "w_bits": p.w_bits,
                "a_bits": p.a_bits,
            }
        )
    if args.format == "table":
        rows.append({"name": "TOTAL", "macs": graph.total_macs(), "weights": graph.total_weights()})
        write_table(rows, LAYER_COLUMNS, args)
    else:
        sys.stdout.write(render(rows, args.format, columns=list(rows[0])))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from accelsim._version import __version__

    parser = _Parser(
        prog="accelsim",
        description="Iso-area speed and on-chip fit of quantized networks on multi-core systolic accelerators.",
    )
    parser.add_argument("--version", action="version", version=f"accelsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "workloads",
        help="list the built-in networks with MACs, params and weight MB per precision",
        description="The networks of the zoo (workloads/), their MACs, parameters and weight storage at 16, 8, 4 "
        "and 2 bits. Any of their names works wherever a command takes --workload.",
    )
    p.add_argument("--batch", type=int, default=1, help="batch size (default 1)")
    add_format_option(p)
    add_table_options(p)
    p.set_defaults(func=_cmd_workloads)

    p = sub.add_parser(
        "layers",
        help="per-layer table of a network (zoo name, LayerGraph .json, SCALE-Sim .csv or .onnx)",
        description="Every layer of a network in execution order: type, output shape, its GEMM view (M, N, K, "
        "groups), MACs, weights, activations and bits.",
    )
    p.add_argument("workload", help=WORKLOAD_KINDS)
    p.add_argument("--batch", type=int, default=1, help="batch size for zoo networks (default 1)")
    add_format_option(p)
    add_table_options(p)
    p.set_defaults(func=_cmd_layers)

    for register in _extra_commands():
        register(sub)
    _add_examples(sub)
    return parser


def _add_examples(sub: Any, prefix: str = "") -> None:
    """Every subcommand gets its examples as an epilog (kept verbatim) and a description."""
    from accelsim.cli.examples import epilog

    for name, parser in sub.choices.items():
        command = f"{prefix}{name}"
        parser.epilog = epilog(command)
        parser.formatter_class = _ExamplesFormatter
        if not parser.description:
            parser.description = next((a.help for a in sub._choices_actions if a.dest == name), None)
        for action in parser._subparsers._group_actions if parser._subparsers else ():
            _add_examples(action, prefix=f"{command} ")


def _extra_commands() -> list[Callable[[Any], None]]:
    """Subcommands that live in their own modules (simulation, import/export)."""
    import importlib

    registers: list[Callable[[Any], None]] = []
    for module in (
        "accelsim.cli.sim_commands",
        "accelsim.cli.config_commands",
        "accelsim.cli.io_commands",
        "accelsim.cli.report_commands",
        "accelsim.cli.llm_commands",
    ):
        try:
            registers.append(importlib.import_module(module).register)
        except ModuleNotFoundError as exc:  # a command module not built yet; real import bugs still raise
            if exc.name != module:
                raise
    return registers


def _note(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None, line: Any = None
) -> None:
    sys.stderr.write(f"accelsim: note: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (exit 2), --help and --version (exit 0)
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    shown, warnings.showwarning = warnings.showwarning, _note  # library warnings as one line each
    try:
        return _run(args)
    finally:
        warnings.showwarning = shown


def _run(args: argparse.Namespace) -> int:
    if sys.stdout is None:  # started with fd 1 closed (`accelsim ... >&-`): nowhere to print results
        sys.stderr.write("accelsim: error: standard output is closed\n")
        return EXIT_INPUT
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a full or failing stdout (/dev/full) surfaces here, not at exit
        return code
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            _silence_stdout()
            return EXIT_OK
        _silence_stdout()
        sys.stderr.write(f"accelsim: error: cannot write standard output ({exc.strerror or exc})\n")
        return EXIT_INPUT
    except InputError as exc:
        sys.stderr.write(f"accelsim: error: {exc}\n")
        return EXIT_INPUT
    except AccelsimError as exc:
        sys.stderr.write(f"accelsim: error: {exc}\n")
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        sys.stderr.write("accelsim: interrupted\n")
        return EXIT_INTERRUPTED


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush of unwritable output stays quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
