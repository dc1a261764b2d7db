"""The two pictures architects draw first: per-layer time, and a roofline.

`layers_figure(result)`: each layer's simulated time split into compute and stall (waiting for the
external memory), coloured by what bounds it. `roofline_figure(runs)`: each layer at its
operational intensity (MACs per off-chip byte) against the design's compute roof (peak MAC/s) and
bandwidth roof (GB/s x intensity), one colour per precision. Both take `SimResult` records as
`accelsim.simulate` returns them and draw with matplotlib's object API (imported here only), in
the house style of `accelsim.report.plot` (short title, configuration in a caption line, print dpi).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accelsim.errors import InputError
from accelsim.report.plot import caption, new_figure, plot_format, save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Colours by bound (matplotlib's tab10: blue, orange, and purple for main's "balanced" layers).
BOUND_COLOURS = {"compute": "#1f77b4", "balanced": "#9467bd", "memory": "#ff7f0e", "none": "#7f7f7f"}


@dataclass(frozen=True, slots=True)
class RooflinePoint:
    """One layer on the roofline: intensity in MACs per off-chip byte (inf when nothing moves
    off chip), attained throughput in TMAC/s over the layer's simulated time."""

    name: str
    intensity: float
    tmacs: float
    bound: str


def roofline_points(result: Any) -> list[RooflinePoint]:
    """The MAC layers of a `SimResult` as roofline points (layers without MACs have no place)."""
    clock = result.accelerator.clock_hz
    points = []
    for layer in result.layers:
        if layer.macs <= 0 or layer.cycles <= 0:
            continue
        moved = layer.read_bytes + layer.write_bytes
        intensity = layer.macs / moved if moved > 0 else math.inf
        points.append(RooflinePoint(layer.name, intensity, layer.macs / (layer.cycles / clock) / 1e12, layer.bound))
    return points


def layers_figure(result: Any, *, title: str = "", note: str = "") -> Figure:
    """Stacked bars per layer: compute time (solid) and stall time (hatched), coloured by bound."""
    layers = [layer for layer in result.layers if layer.cycles > 0]
    if not layers:
        raise InputError("result", result.workload, "has no layer with simulated time to plot")
    clock_mhz = result.accelerator.clock_hz / 1e6
    fig, ax = new_figure(width=max(6.4, min(14.0, 0.11 * len(layers) + 2.5)), height=4.0)
    xs = range(len(layers))
    compute_us = [min(layer.compute_cycles, layer.cycles) / clock_mhz for layer in layers]
    stall_us = [max(0.0, layer.cycles - layer.compute_cycles) / clock_mhz for layer in layers]
    colours = [BOUND_COLOURS.get(layer.bound, BOUND_COLOURS["none"]) for layer in layers]
    ax.bar(xs, compute_us, color=colours, width=0.8, linewidth=0)
    ax.bar(xs, stall_us, bottom=compute_us, color="white", edgecolor=colours, hatch="////", width=0.8, linewidth=0.6)
    step = max(1, len(layers) // 40)
    ax.set_xticks(list(xs)[::step], [layer.name for layer in layers][::step], rotation=90, fontsize=6)
    ax.set_xlim(-0.6, len(layers) - 0.4)
    ax.set_ylim(0, max(c + st for c, st in zip(compute_us, stall_us, strict=True)) * 1.35)  # headroom for the legend
    ax.set_ylabel("time per batch (µs)")
    ax.grid(True, axis="y", linewidth=0.4, alpha=0.6)
    from matplotlib.patches import Patch

    labels = {"compute": "compute-bound layer", "balanced": "balanced layer", "memory": "memory-bound layer"}
    handles = [Patch(color=BOUND_COLOURS[b], label=f"computing ({label})") for b, label in labels.items()]
    handles.append(Patch(facecolor="white", edgecolor="0.3", hatch="////", label="stall (waiting for off-chip data)"))
    ax.legend(handles=handles, fontsize=7, loc="upper left", ncols=2)
    ax.set_title(title or f"{result.workload}: time per layer", fontsize=10)
    caption(fig, note)
    return fig


def roofline_figure(runs: Sequence[tuple[str, Any]], *, title: str = "", note: str = "") -> Figure:
    """Roofline of every (label, SimResult): roofs and layer points per precision on log-log axes.

    Layers whose operands all stay on chip (no off-chip bytes) have infinite intensity; they sit at
    the right edge, drawn as triangles.
    """
    if not runs:
        raise InputError("runs", [], "nothing to plot")
    fig, ax = new_figure(width=6.4, height=4.6)
    finite = [p.intensity for _, r in runs for p in roofline_points(r) if math.isfinite(p.intensity)]
    lo = min(finite, default=1.0) / 2
    hi = max(finite, default=100.0) * 4
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    for i, (label, result) in enumerate(runs):
        colour = colours[i % len(colours)]
        design = result.accelerator
        peak = design.peak_tmacs
        bw = design.bw_gb_per_s
        grid = [lo * (hi / lo) ** (k / 200) for k in range(201)]
        roof = [peak if math.isinf(bw) else min(peak, bw * 1e9 * x / 1e12) for x in grid]
        ax.plot(grid, roof, color=colour, linewidth=1.4, label=f"{label}: peak {peak:.3g} TMAC/s")
        points = roofline_points(result)
        on = [p for p in points if math.isfinite(p.intensity)]
        off = [p for p in points if not math.isfinite(p.intensity)]
        ax.scatter([p.intensity for p in on], [p.tmacs for p in on], s=14, color=colour, alpha=0.75, linewidths=0)
        ax.scatter(
            [hi / 1.15] * len(off), [p.tmacs for p in off], s=22, marker=">", color=colour, alpha=0.75, linewidths=0
        )
    bw = runs[0][1].accelerator.bw_gb_per_s
    roof_note = "no bandwidth roof (unconstrained)" if math.isinf(bw) else f"bandwidth roof: {bw:g} GB/s"
    ax.text(
        0.02,
        0.97,
        f"{roof_note}\n> at the right edge: all operands on chip",
        transform=ax.transAxes,
        fontsize=7,
        va="top",
        color="0.3",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_xlabel("operational intensity (MACs per off-chip byte)")
    ax.set_ylabel("attained throughput (TMAC/s)")
    ax.grid(True, which="both", linewidth=0.3, alpha=0.5)
    ax.legend(fontsize=7, loc="lower right", title="precision", title_fontsize=7)
    ax.set_title(title or f"{runs[0][1].workload}: roofline per layer", fontsize=10)
    caption(fig, note)
    return fig


def plot_layers(result: Any, path: str | Path, **kwargs: Any) -> Path:
    plot_format(path)
    return save_figure(layers_figure(result, **kwargs), path)


def plot_roofline(runs: Sequence[tuple[str, Any]], path: str | Path, **kwargs: Any) -> Path:
    plot_format(path)
    return save_figure(roofline_figure(runs, **kwargs), path)


def front_figure(
    groups: Sequence[tuple[str, Sequence[Any], Sequence[Any]]],
    x: str,
    y: str,
    *,
    x_label: str,
    y_label: str,
    point_label: Any,
    title: str = "",
    note: str = "",
    join: bool = True,
) -> Figure:
    """Pareto fronts, one colour per group (workload): every point in light colour, the front joined
    and each front point labelled with `point_label(row)` (`join=False` when the front is over more
    than these two objectives: its points need not form a line in this plane). A time axis is logarithmic (speedups
    span decades), as is any axis whose values span more than a factor of 20."""
    fig, ax = new_figure(width=6.8, height=4.8)
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    spans = {x: [], y: []}  # type: dict[str, list[float]]
    for i, (name, rows, front) in enumerate(groups):
        colour = colours[i % len(colours)]
        pts = [(r[x], r[y]) for r in rows if _finite_pair(r, x, y)]
        best = sorted((r[x], r[y], r) for r in front if _finite_pair(r, x, y))
        for axis_name, k in ((x, 0), (y, 1)):
            spans[axis_name].extend(p[k] for p in pts)
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=10, color=colour, alpha=0.25, linewidths=0)
        ax.plot(
            [b[0] for b in best],
            [b[1] for b in best],
            marker="o",
            markersize=4,
            color=colour,
            linewidth=1.2 if join else 0,
            label=f"{name}: front of {len(best)} / {len(pts)} points",
        )
        for bx, by, row in best:
            ax.annotate(
                point_label(row), (bx, by), textcoords="offset points", xytext=(4, 3), fontsize=5.5, color=colour
            )
    for name, setter in ((x, ax.set_xscale), (y, ax.set_yscale)):
        values = [v for v in spans[name] if v > 0]
        if values and ("second" in name or max(values) / min(values) > 20):
            setter("log")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.grid(True, which="both", linewidth=0.3, alpha=0.5)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title or "Pareto fronts", fontsize=10)
    caption(fig, note)
    return fig


def _finite_pair(row: Any, x: str, y: str) -> bool:
    vx, vy = row.get(x), row.get(y)
    ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (vx, vy))
    return bool(ok)


def plot_fronts(
    groups: Sequence[tuple[str, Sequence[Any], Sequence[Any]]], x: str, y: str, path: str | Path, **kwargs: Any
) -> Path:
    plot_format(path)
    return save_figure(front_figure(groups, x, y, **kwargs), path)


__all__ = [
    "BOUND_COLOURS",
    "RooflinePoint",
    "front_figure",
    "layers_figure",
    "plot_fronts",
    "plot_layers",
    "plot_roofline",
    "roofline_figure",
    "roofline_points",
]
