"""Argument types and shared options of the simulation commands, and the objects they name (the base
accelerator, the workload graph).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from accelsim.cli.table_output import add_table_options, columns_type, write_table
from accelsim.errors import InputError

if TYPE_CHECKING:  # the CLI imports the layers below lazily (`accelsim --help` stays fast)
    from accelsim.explore.grid import Axis
    from accelsim.hardware.design import Accelerator
    from accelsim.ir.graph import LayerGraph
    from accelsim.model.mapper import MapperConfig

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
    ("efficiency", "dram_efficiency"),
)


# --- argument types (argparse turns ArgumentTypeError into a one-line usage error, exit 2) --------
def _parsed(parse: Callable[[str], Any], text: str) -> Any:
    """parse(text), its InputError turned into argparse's one-line usage error."""
    try:
        return parse(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def bits_type(text: str) -> int | str:
    from accelsim.explore.grid import parse_bits

    return _parsed(parse_bits, text)


def bw_type(text: str) -> str:
    from accelsim.hardware.bandwidth import parse_bw

    _parsed(parse_bw, text)
    return text.strip()


def ctx_list_type(text: str) -> tuple[int, ...]:
    """``512,2048`` -> (512, 2048): decode context lengths for `sweep --ctx`."""
    values = [t.strip() for t in text.split(",") if t.strip()]
    if not values or not all(v.isdigit() for v in values):
        raise argparse.ArgumentTypeError(f"ctx={text!r}: must be a comma list of integers >= 0")
    return tuple(int(v) for v in values)


def first_last_type(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    value: int | str = ""
    try:
        value = bits_type(text)
    except argparse.ArgumentTypeError:
        pass
    if not isinstance(value, int):  # a mixed token such as w4a16 is not a first/last precision
        raise argparse.ArgumentTypeError(f"first_last_bits={text!r}: must be an integer in 1..32 or none")
    return value


def batch_type(text: str) -> int:
    from accelsim.explore.grid import parse_batch

    return _parsed(parse_batch, text)


def max_points_type(text: str) -> int:
    from accelsim.explore.grid import _int_in

    return _parsed(lambda t: _int_in("max_points", t, 1, None, "must be a positive integer"), text)


def jobs_type(text: str) -> int:
    from accelsim.explore.grid import _int_in

    return _parsed(lambda t: _int_in("jobs", t, 1, None, "must be a positive integer"), text)


def memory_type(text: str) -> str:
    import tech

    return _parsed(lambda t: tech.memory(t).name, text)


def objectives_type(text: str) -> tuple[str, ...]:
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"objectives={text!r}: needs at least one column name")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"objectives={text!r}: names a column twice")
    return names


def axis_type(name: str) -> Callable[[str], Axis]:
    from accelsim.explore.grid import cli_type

    return cli_type(name)


def memory_names() -> str:
    import tech

    try:
        return ", ".join(tech.memory_names())
    except Exception:  # noqa: BLE001 - help text only; a broken data file fails properly when used
        return "see tech/memories.toml"


def add_common_options(p: argparse.ArgumentParser, *, iso_area: bool = True) -> None:
    from accelsim.cli.main import WORKLOAD_KINDS, add_format_option
    from accelsim.hardware import MAC_MODES

    p.add_argument("--workload", default="resnet50", help=f"{WORKLOAD_KINDS} (default resnet50)")
    p.add_argument("--batch", type=batch_type, default=1, help="batch size for zoo networks (default 1)")
    add_config_option(p)
    if iso_area:
        p.add_argument(
            "--mode",
            choices=MAC_MODES,
            default=None,
            help="iso-area MAC model (default: the base's `mode`, configurable)",
        )
        add_scale_option(p)
    add_first_last_option(p)
    add_format_option(p)


def add_first_last_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--first-last-bits",
        type=first_last_type,
        default=8,
        metavar="BITS|none",
        help="precision of the first and last layers when the body is narrower (default 8; none = same as body)",
    )


def dataflows_type(text: str) -> tuple[str, ...]:
    """A comma list of dataflows (os, ws, is) for the mapper's search."""
    from accelsim.hardware.design import DATAFLOWS

    flows = tuple(v.strip().lower() for v in text.split(",") if v.strip())
    if not flows or any(f not in DATAFLOWS for f in flows):
        raise argparse.ArgumentTypeError(f"dataflows={text!r}: must be a comma list of {', '.join(DATAFLOWS)}")
    return flows


def add_mapper_options(p: argparse.ArgumentParser) -> None:
    """--mapper, --objective and --dataflows: how layers are mapped onto the arrays."""
    from accelsim.model.mapper import MAPPERS, OBJECTIVES

    g = p.add_argument_group("mapping (docs/model.md, 'The mapper')")
    g.add_argument(
        "--mapper",
        choices=MAPPERS,
        default="fixed",
        help="fixed: the design's dataflow and the closed-form split (SCALE-Sim's mapping, default); "
        "search: per-layer search over dataflow, split incl. K, and group packing",
    )
    g.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default="latency",
        help="what the run minimises: per image, which micro-batch an even batch runs as (both mappers); "
        "per layer, the searched mapping (default latency)",
    )
    g.add_argument(
        "--dataflows",
        type=dataflows_type,
        default=None,
        metavar="LIST",
        help="dataflows the array supports, e.g. os,ws,is for a flexible array (default: the config's, else its one "
        "dataflow); the fixed mapping keeps the config's dataflow if listed, else takes the first",
    )


def mapper_config(args: argparse.Namespace) -> MapperConfig:
    from accelsim.model.mapper import MapperConfig

    return MapperConfig(args.mapper, args.objective)


def add_memory_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--memory",
        type=memory_type,
        default="lpddr4",
        metavar="NAME",
        help="external memory whose pJ/bit prices off-chip bytes in the energy model (default lpddr4, 8 pJ/bit; "
        f"one of {memory_names()})",
    )


def base_accelerator(args: argparse.Namespace) -> Accelerator:
    from dataclasses import replace

    from accelsim.hardware.design import Accelerator, load_accelerator

    base = load_accelerator(args.config) if args.config else Accelerator()
    flows = getattr(args, "dataflows", None)
    if not flows:
        return base
    # the fixed mapping's dataflow stays the config's when the list has it, else the list's first
    return replace(base, dataflow=base.dataflow if base.dataflow in flows else flows[0], dataflows=flows)


def workload_graph(args: argparse.Namespace) -> LayerGraph:
    from accelsim.io.inputs import load_workload

    return load_workload(args.workload, batch=args.batch)


def check_plot_path(path: str, field: str = "plot") -> None:
    """Refuse a figure path before any work: a bad suffix, a directory or an unwritable place (one line, exit 2)."""
    from accelsim.atomic import check_output_path
    from accelsim.report.plot import plot_format

    plot_format(path)
    check_output_path(path, field=field)


def note_written(path: object) -> None:
    """The one stderr line every command prints after writing a figure or file."""
    sys.stderr.write(f"accelsim: wrote {path}\n")


def add_config_option(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    p.add_argument(
        "--config", metavar="FILE", help="base accelerator as JSON or TOML (default: the 16-bit default system)"
    )


def add_scale_option(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    from accelsim.hardware import SCALES

    p.add_argument(
        "--scale",
        choices=SCALES,
        default=None,
        help="where iso-area MACs go (default: cores for configurable, array for dedicated; see docs/model.md)",
    )


__all__ = [
    "add_table_options",
    "columns_type",
    "write_table",
    "check_plot_path",
    "note_written",
    "add_config_option",
    "add_scale_option",
    "AXIS_FLAGS",
    "DEFAULT_OBJECTIVES",
    "DEFAULT_STORE",
    "add_common_options",
    "add_first_last_option",
    "add_mapper_options",
    "add_memory_option",
    "axis_type",
    "base_accelerator",
    "batch_type",
    "bits_type",
    "bw_type",
    "ctx_list_type",
    "dataflows_type",
    "first_last_type",
    "jobs_type",
    "mapper_config",
    "max_points_type",
    "memory_names",
    "memory_type",
    "objectives_type",
    "workload_graph",
]
