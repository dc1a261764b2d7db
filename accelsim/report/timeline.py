"""The timeline of one design point: per-core compute, channel traffic and SRAM occupancy over time.

The picture that shows *why* a design is memory-bound: where the arrays wait, what the external
channel carries at each moment (demand loads, stores, prefetch) and how full each core's SRAM is.
Drawn from the steady-state run's trace (`accelsim.model.engine.Trace`); matplotlib's object API.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from accelsim.hardware.design import MB
from accelsim.model.engine import Trace
from accelsim.report.plot import plot_format, save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _steps(points: list[tuple[float, float]], end: float) -> tuple[list[float], list[float]]:
    """A piecewise-constant series (value from each time to the next) as step-plot coordinates."""
    xs, ys = [], []
    for i, (t, v) in enumerate(points):
        nxt = points[i + 1][0] if i + 1 < len(points) else end
        xs += [t, nxt]
        ys += [v, v]
    return xs, ys


def timeline_figure(trace: Trace, clock_hz: float, title: str = "") -> Figure:
    """Three panels sharing the time axis (microseconds): compute per core, channel, SRAM per core."""
    from matplotlib.figure import Figure

    us = 1e6 / clock_hz
    end = max([e for _, _, _, e in trace.compute] + [t for t, *_ in trace.channel] + [0.0])
    fig = Figure(figsize=(10, 7.5), dpi=100)
    ax_c, ax_ch, ax_s = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [1.2, 1, 1]})
    colors = ["tab:blue", "tab:cyan"]
    for core, layer, start, stop in trace.compute:
        ax_c.broken_barh([(start * us, (stop - start) * us)], (core - 0.4, 0.8), color=colors[layer % 2], linewidth=0)
    ax_c.set_yticks(range(trace.cores), [f"core {c}" for c in range(trace.cores)])
    ax_c.set_ylabel("array busy\n(layers alternate shade)")
    ax_c.invert_yaxis()
    gbs = clock_hz / 8 / 1e9  # bits per cycle -> GB/s
    for index, label, color in (
        (1, "demand: fills and layer bodies (loads + stores)", "tab:red"),
        (2, "drains (last tile's stores)", "tab:orange"),
        (3, "prefetch", "tab:green"),
    ):
        xs, ys = _steps([(row[0], row[index] * gbs) for row in trace.channel], end)
        ax_ch.plot([x * us for x in xs], ys, color=color, linewidth=0.9, label=label)
    ax_ch.axhline(
        trace.channel_bits_per_cycle * gbs, color="black", linestyle="--", linewidth=0.8, label="channel peak"
    )
    ax_ch.set_ylabel("external channel\n(GB/s)")
    ax_ch.legend(fontsize=7, loc="upper right", ncol=2)
    for c in range(trace.cores):
        xs, ys = _steps([(t, held[c] / 8 / MB) for t, held in trace.sram], end)
        ax_s.plot([x * us for x in xs], ys, linewidth=0.8, label=f"core {c}")
    ax_s.axhline(trace.capacity_bits / 8 / MB, color="black", linestyle="--", linewidth=0.8, label="capacity")
    ax_s.set_ylabel("SRAM held\n(MB per core)")
    ax_s.set_xlabel("time (us)")
    ax_s.legend(fontsize=6, loc="lower right", ncol=min(trace.cores + 1, 9))
    for ax in (ax_c, ax_ch, ax_s):
        ax.grid(True, linewidth=0.3, alpha=0.5)
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    return fig


def plot_timeline(trace: Trace, clock_hz: float, path: str | Path, *, title: str = "") -> Path:
    """Draw the trace and save it to `path` (.png/.svg/.pdf), atomically and byte-stable."""
    plot_format(path)
    return save_figure(timeline_figure(trace, clock_hz, title), path)


__all__ = ["plot_timeline", "timeline_figure"]
