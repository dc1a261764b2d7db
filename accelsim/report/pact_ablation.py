"""The ablation table of the PACT reproduction: which modelling choice moves the headline, and how far.

Each row changes one mechanism of the default model (every mechanism on: per-core SRAM with partial
weight residency, cross-layer prefetch, peak DRAM bandwidth, configurable MACs placed as cores) and
re-runs the 16-bit reference and the 4-bit design at 32 and 64 GB/s, both under the row's setting:
a competent 16-bit baseline gets every mechanism the 4-bit design gets. The headline band is the
range of the 4-bit speedups over the rows; "super-linear" means above the peak MAC-rate ratio.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import tech
from accelsim.hardware.design import Accelerator, default_scale, iso_area
from accelsim.ir.graph import LayerGraph
from accelsim.model.fit import policy_for
from accelsim.model.sim import simulate
from accelsim.report.pact_options import Options, display
from accelsim.report.pact_prose import md_table, times

BWS = (32.0, 64.0)


@dataclass(frozen=True, slots=True)
class Variant:
    """One row: a label, how it changes the base, and the iso-area MAC mode and placement."""

    label: str
    change: Callable[[Accelerator], Accelerator]
    mode: str = "configurable"
    scale: str | None = None


def variants() -> tuple[Variant, ...]:
    lpddr4 = tech.memory("lpddr4").efficiency
    return (
        Variant("every mechanism on (default)", lambda a: a),
        Variant("barrier: no prefetch (prefetch_layers = 0)", lambda a: replace(a, prefetch_layers=0)),
        Variant("prefetch lookahead 1 layer", lambda a: replace(a, prefetch_layers=1)),
        Variant(f"sustained DRAM: {lpddr4:.0%} of peak (LPDDR4 STREAM)", lambda a: replace(a, dram_efficiency=lpddr4)),
        Variant("MAC placement: bigger array per core", lambda a: a, scale="array"),
        Variant("MAC placement: more lanes per PE", lambda a: a, scale="lanes"),
        Variant("dedicated MACs (bit-serial above their width)", lambda a: a, mode="dedicated"),
    )


def _seconds(graph: LayerGraph, design: Accelerator, bits: int, first_last: int | None) -> float:
    return simulate(graph.with_policy(policy_for(bits, first_last)), design).seconds_per_image


def ablation_rows(graph: LayerGraph, opts: Options) -> list[dict[str, float | str]]:
    """Per variant: the 4-bit speedup at 32 and 64 GB/s and the peak MAC-rate ratio."""
    rows: list[dict[str, float | str]] = []
    for v in variants():
        scale = v.scale or default_scale(v.mode)
        row: dict[str, float | str] = {"label": v.label}
        for bw in BWS:
            base = v.change(replace(opts.base, bw_gb_per_s=bw))
            ref = _seconds(graph, iso_area(base, 16, v.mode, scale), 16, opts.first_last_bits)
            low = iso_area(base, 4, v.mode, scale)
            row[f"speedup_{bw:g}"] = ref / _seconds(graph, low, 4, opts.first_last_bits)
            row["peak"] = low.macs_per_cycle * 1.0 / iso_area(base, 16, v.mode, scale).macs_per_cycle
        rows.append(row)
    return rows


def edge_rows(graph: LayerGraph, opts: Options) -> list[tuple[str, int, float, float]]:
    """The first/last-layer gain (edges at `first_last_bits` -> at the body's bits), both MAC modes."""
    out = []
    for mode in ("configurable", "dedicated"):
        for bits in (4, 2):
            gains = []
            for bw in (64.0, math.inf):
                design = iso_area(replace(opts.base, bw_gb_per_s=bw), bits, mode, default_scale(mode))
                gains.append(_seconds(graph, design, bits, opts.first_last_bits) / _seconds(graph, design, bits, None))
            out.append((mode, bits, gains[0], gains[1]))
    return out


def ablation_section(name: str, graph: LayerGraph, opts: Options, number: str) -> tuple[str, dict[str, float]]:
    """Markdown for the ablation and the first/last-layer MAC-mode table, and the key numbers."""
    rows = ablation_rows(graph, opts)
    table = md_table(
        [
            "model variant (16-bit baseline gets it too)",
            "4-bit speedup @ 32 GB/s",
            "4-bit speedup @ 64 GB/s",
            "peak ratio",
            "super-linear @ 32 / 64",
        ],
        [
            (
                r["label"],
                times(float(r["speedup_32"])),
                times(float(r["speedup_64"])),
                times(float(r["peak"])),
                f"{'yes' if float(r['speedup_32']) > float(r['peak']) else 'no'} / "
                f"{'yes' if float(r['speedup_64']) > float(r['peak']) else 'no'}",
            )
            for r in rows
        ],
    )
    lo32, hi32 = min(float(r["speedup_32"]) for r in rows), max(float(r["speedup_32"]) for r in rows)
    lo64, hi64 = min(float(r["speedup_64"]) for r in rows), max(float(r["speedup_64"]) for r in rows)
    default = rows[0]
    verdict = {bw: float(default[f"speedup_{bw:g}"]) > float(default["peak"]) for bw in BWS}
    edges = edge_rows(graph, opts)
    edge_table = md_table(
        ["MACs", "body bits", "gain @ 64 GB/s", "gain @ inf"],
        [(mode, bits, times(g64), times(ginf)) for mode, bits, g64, ginf in edges],
    )
    text = [
        f"### {number} Ablation: which modelling choice moves the headline",
        "",
        f"{display(name)}, 4-bit vs 16-bit iso-area designs; each row changes one mechanism of the default model "
        "and the 16-bit reference runs under the same change (a competent baseline prefetches too).",
        "",
        table,
        "",
        f"Headline band over these rows: {times(lo32)}-{times(hi32)} at 32 GB/s, {times(lo64)}-{times(hi64)} at 64 "
        "GB/s. "
        f"With every mechanism on, the 4-bit speedup is {times(float(default['speedup_32']))} at 32 GB/s and "
        f"{times(float(default['speedup_64']))} at 64 GB/s against a {times(float(default['peak']))} peak ratio: "
        f"super-linear {'survives' if verdict[32.0] else 'does not survive'} a prefetching 16-bit baseline at 32 "
        "GB/s and "
        f"{'survives' if verdict[64.0] else 'does not survive'} at 64 GB/s.",
        "",
        "Not rows here: pooled SRAM and all-or-nothing residency are no longer in the model (issue 10 replaced them "
        "by the per-core plan with partial residency; docs/model.md quotes their effect when they were removed).",
        "",
        "First and last layers: gain from quantizing them to the body's bits (time with them at "
        f"{opts.first_last_bits} "
        "bits over time with them at the body's bits), with configurable MACs (a wider layer gangs PEs) and dedicated "
        "MACs (a wider layer runs bit-serially):",
        "",
        edge_table,
        "",
    ]
    numbers = {
        "ablation_default_32": float(default["speedup_32"]),
        "ablation_default_64": float(default["speedup_64"]),
        "ablation_band_64_lo": lo64,
        "ablation_band_64_hi": hi64,
        "ablation_barrier_64": float(rows[1]["speedup_64"]),
    }
    for mode, bits, _, ginf in edges:
        numbers[f"edge_{mode}_{bits}_inf"] = ginf
    return "\n".join(text), numbers


__all__ = ["ablation_rows", "ablation_section", "edge_rows", "variants"]
