"""`accelsim config show FILE`: the effective design a config file gives, with what follows from it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from accelsim.errors import EXIT_OK


def _cmd_config_show(args: argparse.Namespace) -> int:
    from accelsim.hardware.design import Accelerator, load_accelerator, read_config
    from accelsim.report.config_view import config_rows
    from accelsim.report.tables import render
    from accelsim.report.views import render_view

    if args.file is None:
        accel, given, name = Accelerator(), {}, "the built-in default system"
    else:
        accel, given, name = load_accelerator(args.file), read_config(args.file), args.file
    rows = config_rows(accel, given)
    if args.format != "table":
        sys.stdout.write(render(rows, args.format))
        return EXIT_OK
    sys.stdout.write(f"{name}: {accel.describe()}\n\n")
    sys.stdout.write(render_view(rows, ["key", "value", "from", "meaning"]).text)
    return EXIT_OK


def register(sub: Any) -> None:
    """Add `config` (with its `show` subcommand) to the main parser."""
    from accelsim.cli.main import _Parser, add_format_option

    p = sub.add_parser(
        "config",
        help="inspect accelerator config files",
        description="Accelerator config files (TOML or JSON) use the command-line flag names as keys: "
        'sram = "16MB" (total on-chip memory), array = "16x32", bw = 64, ... (configs/ has examples).',
    )
    actions = p.add_subparsers(dest="config_command", metavar="ACTION", parser_class=_Parser, required=True)
    show = actions.add_parser(
        "show",
        help="print the effective design of a config file with peak TOPS, area and SRAM per core",
        description="Every key of the design the file describes (those it leaves out come from the default "
        "system, marked 'default'), then the derived MAC count, peak throughput, on-chip memory per core, "
        "silicon area of the technology model and the ridge point of the roofline.",
    )
    show.add_argument(
        "file", nargs="?", default=None, metavar="FILE", help="config file (.toml or .json); none: the default system"
    )
    add_format_option(show)
    show.set_defaults(func=_cmd_config_show)


__all__ = ["register"]
