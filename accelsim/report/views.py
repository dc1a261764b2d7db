"""Table views of result records: one header (with its unit) and one number format per quantity.

The records keep every field in its base unit (seconds, bytes, µJ); CSV and JSON print them as
they are. A table is a *view* for people: each column names its unit once in the header (``ms/img``,
``offchip MB``), shows three significant digits, and the default views fit a 100-column terminal
(columns that do not fit are dropped from the right and listed, so nothing is silently hidden).

>>> print(render_view([{"bits": 4, "seconds_per_image": 0.000364212, "speedup": 4.5123}],
...                   ["bits", "seconds_per_image", "speedup"]).text, end="")
bits  ms/img  speedup
----  ------  -------
   4   0.364     4.51
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accelsim.errors import InputError

#: The width a table aims for when stdout is not a terminal (pipes, files, CI logs).
DEFAULT_WIDTH = 100
SIGNIFICANT = 3


@dataclass(frozen=True, slots=True)
class Column:
    """How a table shows one record field: header (unit included), scale and style.

    style: ``sig`` (three significant digits), ``int`` (rounded, thousands separators),
    ``text``, ``yesno``.
    """

    key: str
    header: str
    scale: float = 1.0
    style: str = "sig"


def _columns(table: str) -> dict[str, Column]:
    """Column views from a text table, one line each: ``key | header | style [| scale]`` (scale 1
    unless given); blank lines, ``#`` lines and trailing ``  # ...`` comments are ignored."""
    out = {}
    for line in table.splitlines():
        line = line.split("  #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        key, header, style, *scale = (cell.strip() for cell in line.split("|"))
        out[key] = Column(key, header, float(scale[0]) if scale else 1.0, style)
    return out


#: Every field a table may show. Energies are dynamic only (no leakage term yet): "dyn".
COLUMNS: dict[str, Column] = _columns(
    """
# the design point
workload                    | workload      | text
bits                        | bits          | int
body_bits                   | body bits     | int  # what an as-trained row's design is sized for
first_last_bits             | f/l bits      | int
bw                          | bw GB/s       | text
bw_gb_per_s                 | bw GB/s       | sig
sram_bytes                  | sram MB       | sig   | 1e-6
cores                       | cores         | int
array                       | array         | text
batch                       | batch         | int
mode                        | mode          | text
scale                       | scale         | text
memory                      | memory        | text
design_cores                | dcores        | int
design_array                | darray        | text
design_lanes                | dlanes        | int
macs_per_cycle              | MACs          | int
peak_tmacs                  | TMAC/s        | sig
# sweep results
speedup                     | speedup       | sig
peak_ratio                  | peak x        | sig
efficiency                  | eff           | sig
seconds_per_image           | ms/img        | sig   | 1000
first_image_seconds         | 1st ms        | sig   | 1000
images_per_s                | img/s         | sig
tokens_per_s                | tok/s         | sig  # LLM steps (accelsim.model.llm_metrics)
kv_mb                       | KV MB         | sig
kv_on_chip                  | KV chip       | yesno
utilization                 | util %        | sig   | 100
stall_fraction              | stall %       | sig   | 100
memory_bound_fraction       | mem-bound %   | sig   | 100
bound                       | bound         | text
offchip_mb                  | offchip MB    | sig
noc_mb                      | NoC MB        | sig
pinned_mb                   | pinned MB     | sig
dram_efficiency             | dram eff      | sig
fits                        | fits          | yesno
weights_fit                 | w fit         | yesno
activations_fit             | acts fit      | yesno
energy_per_image_uj         | dyn uJ        | sig
mac_energy_per_image_uj     | MAC uJ        | sig
sram_energy_per_image_uj    | SRAM uJ       | sig
offchip_energy_per_image_uj | offchip uJ    | sig
noc_energy_per_image_uj     | NoC uJ        | sig
area_mm2                    | area mm2      | sig
compute_area_mm2            | MAC mm2       | sig
sram_area_mm2               | SRAM mm2      | sig
status                      | status        | text
model                       | model         | text
# per-layer results
name                        | layer         | text
kind                        | kind          | text
w_bits                      | w             | int
a_bits                      | a             | int
out_bits                    | out           | int
split                       | split         | text
mapping                     | mapping       | text
dataflow                    | flow          | text
k_split                     | k split       | int
pack                        | pack          | int
gang                        | gang          | int
tiles                       | tiles         | int
macs                        | MMACs         | sig   | 1e-6
compute_cycles              | compute cyc   | int
cycles                      | cycles        | int
stall_cycles                | stall cyc     | int
transfer_cycles             | xfer cyc      | int
array_utilization           | util %        | sig   | 100
read_bytes                  | read MB       | sig   | 1e-6
write_bytes                 | write MB      | sig   | 1e-6
refetch                     | refetch       | int
order                       | order         | text
weights_pinned              | w pinned      | yesno
output_on_chip              | out on chip   | yesno
noc_bytes                   | NoC MB        | sig   | 1e-6
mac_energy_uj               | MAC uJ        | sig
sram_energy_uj              | SRAM uJ       | sig
offchip_energy_uj           | offchip uJ    | sig
noc_energy_uj               | NoC uJ        | sig
# networks and their layers (`accelsim workloads`, `accelsim layers`)
type                        | type          | text
out_shape                   | out shape     | text
gemm_m                      | M             | int
gemm_n                      | N             | int
gemm_k                      | K             | int
groups                      | groups        | int
weights                     | weights       | int
in_act                      | in act        | int
out_act                     | out act       | int
layers                      | layers        | int
gmacs                       | GMACs         | sig
params_m                    | M params      | sig
weights_mb_16b              | MB@16b        | sig
weights_mb_8b               | MB@8b         | sig
weights_mb_4b               | MB@4b         | sig
weights_mb_2b               | MB@2b         | sig
# on-chip fit
capacity_mb                 | sram MB       | sig
capacity_per_core_mb        | core MB       | sig
weights_mb                  | weights MB    | sig
pinned_per_core_mb          | pin/core MB   | sig
streamed_mb                 | streamed MB   | sig
peak_live_per_core_mb       | live/core MB  | sig
largest_layer               | largest layer | text
largest_working_set_mb      | layer MB      | sig
peak_live_mb                | live MB       | sig
peak_live_at                | live peak at  | text
model_fits                  | fits          | yesno
first_fit                   | first fit     | yesno
spilled                     | spilled       | text
"""
)


def significant(value: float, digits: int = SIGNIFICANT) -> str:
    """`value` with `digits` significant digits, never in exponent form: 4.51, 0.364, 13.8; from
    100 on, the whole number (35,133)."""
    if not math.isfinite(value):
        return "inf" if value > 0 else ("-inf" if value < 0 else "nan")
    if abs(value) >= 10 ** (digits - 1) - 0.5:  # whole numbers keep every digit: 35,133
        return f"{value:,.0f}"
    value = float(f"{value:.{digits}g}")  # round first, so 9.996 becomes 10.0, not 10.00
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    return f"{value:,.{max(0, digits - 1 - magnitude)}f}"


def cell(column: Column, value: Any) -> str:
    """One table cell: blank for None, yes/no for flags, the column's unit and digits for numbers."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return (
            "x".join(str(v) for v in value)
            if column.key in ("split", "array", "out_shape")
            else " ".join(map(str, value))
        )
    if isinstance(value, (int, float)) and column.style in ("sig", "int"):
        scaled = value * column.scale
        if column.style == "int" and math.isfinite(scaled):
            return f"{round(scaled):,}"
        return significant(float(scaled))
    return str(value)


def column(key: str) -> Column:
    """The view of `key`; a field without an entry shows under its own name, three digits."""
    return COLUMNS.get(key) or Column(key, key)


@dataclass(frozen=True, slots=True)
class View:
    """A rendered table and the columns left out to fit the width."""

    text: str
    dropped: tuple[str, ...] = field(default=())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def render_view(
    rows: Sequence[Mapping[str, Any]], keys: Sequence[str], *, width: int | None = None, keep: int = 1
) -> View:
    """`rows` as an aligned table of `keys`; with `width`, drop columns from the right until it fits.

    The first `keep` columns are never dropped (the row's identity). Numbers align right.
    """
    specs = [column(k) for k in keys]
    cells = [[cell(c, r.get(c.key)) for c in specs] for r in rows]
    widths = [max([len(c.header)] + [len(row[i]) for row in cells]) for i, c in enumerate(specs)]
    shown = len(specs)
    if width is not None:
        while shown > keep and sum(widths[:shown]) + 2 * (shown - 1) > width:
            shown -= 1
    numeric = [all(_is_number(r.get(c.key)) or r.get(c.key) is None for r in rows) for c in specs]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values[:shown], widths, numeric, strict=False)]
        return "  ".join(parts).rstrip()

    out = [line([c.header for c in specs]), line(["-" * w for w in widths])]
    out.extend(line(row) for row in cells)
    return View("\n".join(out) + "\n", tuple(keys[shown:]))


def terminal_width() -> int:
    """Columns of the terminal stdout writes to; `DEFAULT_WIDTH` for pipes and files."""
    if not sys.stdout.isatty():
        return (
            int(os.environ.get("COLUMNS", DEFAULT_WIDTH)) if os.environ.get("COLUMNS", "").isdigit() else DEFAULT_WIDTH
        )
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def choose_columns(
    default: Sequence[str], available: Sequence[str], *, columns: Sequence[str] | None = None, all_columns: bool = False
) -> list[str]:
    """The keys a table shows: `columns` as asked (each must exist), every available one, or the default."""
    if columns:
        unknown = [c for c in columns if c not in available]
        if unknown:
            raise InputError("columns", ",".join(unknown), f"not a column here (available: {', '.join(available)})")
        return list(columns)
    if all_columns:
        return list(available)
    return [c for c in default if c in available]


def dropped_note(dropped: Sequence[str]) -> str:
    """The line under a table that says which columns did not fit, and how to see them."""
    if not dropped:
        return ""
    line = f"(not shown, to fit the width: {', '.join(dropped)}; --all-columns shows them)"
    if len(line) > DEFAULT_WIDTH:  # the note must not wrap either
        line = f"({len(dropped)} more columns not shown, to fit the width: --all-columns shows them)"
    return line + "\n"


def _weights_words(weights_mb: float, pinned_mb: float) -> str:
    """Partial residency in words: how many weight MB stay on chip and how many stream per image."""
    streamed = max(weights_mb - pinned_mb, 0.0)
    if pinned_mb <= 0:
        return f"none pinned: all {significant(weights_mb)} MB stream from off-chip each image"
    if streamed <= 0:
        return f"all {significant(weights_mb)} MB pinned on chip (loaded once)"
    return (
        f"{significant(pinned_mb)} of {significant(weights_mb)} MB pinned (loaded once), "
        f"{significant(streamed)} MB stream from off-chip each image"
    )


def _llm_lines(t: Mapping[str, Any]) -> list[str]:
    """tokens/s against the bytes-over-bandwidth bound, time to first token, bytes per step by kind."""
    ratio = t["roofline_ratio"]
    vs = f" ({significant(100 * ratio)} % of the bytes/bandwidth bound)" if ratio == ratio else ""  # nan: inf bw
    ttft = f"; time to first token {significant(t['ttft_s'] * 1e3)} ms" if t.get("ttft_s") is not None else ""
    kv = "on chip" if t["kv_on_chip"] else "streamed"
    return [
        f"tokens    {significant(t['tokens_per_s'])} tokens/s, {t['phase']} at context {t['ctx']}{vs}{ttft}",
        f"per step  weights {significant(t['weight_bytes'] / 1e6)} MB, KV cache {significant(t['kv_bytes'] / 1e6)} MB "
        f"({kv}), other {significant(t['other_bytes'] / 1e6)} MB off chip",
    ]


def run_summary(totals: Mapping[str, Any]) -> str:
    """The run-level numbers of `accelsim run` as labelled lines (units in the words, each <= 100 columns).

    `totals` is `SimResult.totals()` (area included), with an LLM step's fields. Weights are pinned per core and may be
    pinned in part (the rest streams); energy is dynamic only: the model has no leakage term yet,
    and the line says so.
    """
    t = totals
    ms, first_ms = t["seconds_per_image"] * 1e3, t["first_image_seconds"] * 1e3
    memory_share = significant(100 * t["memory_bound_fraction"])
    acts = "all stay" if t["activations_fit"] else "some spill off-chip"
    lines = [
        f"time      {significant(ms)} ms/image steady state, first image {significant(first_ms)} ms; "
        f"{significant(t['images_per_s'])} images/s",
        f"bound     {t['bound']}: memory-bound layers take {memory_share} % of the time; array utilization "
        f"{significant(100 * t['utilization'])} %",
        f"weights   {_weights_words(t['weights_mb'], t['pinned_weights_mb'])}",
        f"on chip   activations {acts} (peak live {significant(t['peak_live_mb'])} MB); on-chip network "
        f"{significant(t['noc_mb_per_image'])} MB/image",
        f"off-chip  {significant(t['offchip_mb_per_image'])} MB/image steady state ({t['memory']}), "
        f"{significant(t['first_image_read_mb'])} MB read for the first image",
        f"energy    {significant(t['energy_per_image_uj'])} uJ/image dynamic (no leakage term): MAC "
        f"{significant(t['mac_energy_per_image_uj'])}, SRAM {significant(t['sram_energy_per_image_uj'])}, "
        f"off-chip {significant(t['offchip_energy_per_image_uj'])}, NoC {significant(t['noc_energy_per_image_uj'])}",
    ]
    if "tokens_per_s" in t:  # an LLM step (`accelsim.model.llm_metrics`): the figures people compare
        lines += _llm_lines(t)
    if "area_mm2" in t:
        lines.append(
            f"area      {significant(t['area_mm2'])} mm2: MACs {significant(t['compute_area_mm2'])} + SRAM "
            f"{significant(t['sram_area_mm2'])} (cells only, no wiring or I/O)"
        )
    return "\n".join(lines) + "\n"


__all__ = [
    "COLUMNS",
    "DEFAULT_WIDTH",
    "Column",
    "View",
    "cell",
    "choose_columns",
    "column",
    "dropped_note",
    "render_view",
    "run_summary",
    "significant",
    "terminal_width",
]
