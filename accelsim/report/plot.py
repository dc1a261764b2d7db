"""The standard figure: speedup vs bit-width, one line per bandwidth (PACT Fig. 6(c) style).

matplotlib's object API only (a `Figure` and its own canvas, no pyplot state), imported when a plot
is drawn so `accelsim --help` stays fast. Files are written atomically and without volatile
metadata (dates, software version, random SVG ids), so the same rows give byte-identical files.

House style, for a paper: PNGs at `DPI` (print resolution; .svg/.pdf are vector), a short title,
and the full configuration in one small caption line under the axes instead of in the title.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from accelsim.atomic import atomic_write
from accelsim.errors import InputError
from accelsim.explore.record import SweepRow
from accelsim.hardware.bandwidth import describe_bw
from accelsim.hardware.design import MB, Accelerator

#: Print resolution of PNG output (vector formats ignore it).
DPI = 200

#: savefig metadata per format: None removes an entry matplotlib would otherwise fill in.
_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def plot_format(path: str | Path) -> str:
    """The output format from the file name: png, svg or pdf (InputError otherwise)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in _METADATA:
        raise InputError("plot", str(path), "must end in .png, .svg or .pdf")
    return suffix


def _bits_order(bits: int | str) -> tuple[int, int, int]:
    """Widest first when reversed: by weight, then activation, then KV bits (``16`` > ``w4a16`` > ``4``)."""
    from accelsim.ir.bits_spec import parse_bits_token

    spec = parse_bits_token(bits)
    return (spec.w_bits, spec.a_bits, spec.kv_bits)


def new_figure(width: float = 6.4, height: float = 4.4):  # type: ignore[no-untyped-def]
    """A `Figure` (inches) with one axes, at print resolution."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    return fig, fig.add_subplot()


def caption(fig, text: str) -> None:  # type: ignore[no-untyped-def]
    """Lay the figure out, leaving a strip at the bottom for `text` in small grey type."""
    if text:
        lines = text.count("\n") + 1
        fig.tight_layout(rect=(0, 0.025 + 0.03 * lines, 1, 1))
        fig.text(0.01, 0.01, text, fontsize=6.5, color="0.3", ha="left", va="bottom")
    else:
        fig.tight_layout()


def speedup_figure(rows: Sequence[SweepRow], title: str = "", note: str = ""):  # type: ignore[no-untyped-def]
    """A matplotlib `Figure` of speedup vs bits (one line per bandwidth, ideal peak ratio dashed).

    Filled markers: every weight is pinned on chip; hollow: some weights stream from external memory.
    The super-linear region (speedup above the peak MAC/s ratio) is shaded.
    """
    if not rows:
        raise InputError("rows", [], "nothing to plot")
    bits = sorted({r.bits for r in rows}, key=_bits_order, reverse=True)
    labels: list[str] = []
    for r in rows:
        if r.bw not in labels:
            labels.append(r.bw)
    fig, ax = new_figure()
    peak = {r.bits: r.peak_ratio for r in rows}
    ideal = [peak[b] for b in bits]
    ax.plot(range(len(bits)), ideal, linestyle="--", color="black", linewidth=1.2, label="ideal (peak MAC/s ratio)")
    top = max([*ideal, *(r.speedup for r in rows if r.speedup is not None)]) * 1.12
    ax.fill_between(range(len(bits)), ideal, [top] * len(bits), color="#2ca02c", alpha=0.08, linewidth=0)
    ax.text(
        0.02,
        0.97,
        "super-linear: faster than the peak ratio",
        transform=ax.transAxes,
        fontsize=7,
        va="top",
        color="#2ca02c",
    )
    ax.set_ylim(0, top)
    _speedup_lines(ax, rows, bits, labels)
    ax.set_xticks(range(len(bits)), [str(b) for b in bits])
    ax.set_xlabel("precision of weights and activations (bits)")
    ax.set_ylabel("speedup over 16-bit at the same bandwidth (x)")
    ax.grid(True, linewidth=0.4, alpha=0.6)
    ax.legend(title="external bandwidth", fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(0, 0.93))
    ax.set_title(title or f"{rows[0].workload}: iso-area speedup", fontsize=10)
    ax.text(
        0.99,
        0.01,
        "hollow marker: some weights stream from off-chip",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=7,
        color="0.35",
    )
    caption(fig, note)
    return fig


def _speedup_lines(ax, rows: Sequence[SweepRow], bits: list, labels: list[str]) -> None:  # type: ignore[no-untyped-def]
    """One line per bandwidth over the bit-widths; a hollow marker where some weights stream."""
    markers = "osD^v<>"
    for i, label in enumerate(labels):
        points = {r.bits: r for r in rows if r.bw == label}
        xs = [j for j, b in enumerate(bits) if b in points]
        ys = [points[bits[j]].speedup for j in xs]
        (line,) = ax.plot(xs, ys, marker=markers[i % len(markers)], linewidth=1.6, label=describe_bw(label))
        for j in xs:
            if not points[bits[j]].weights_fit:
                ax.plot(
                    [j],
                    [points[bits[j]].speedup],
                    marker=line.get_marker(),
                    markerfacecolor="white",
                    color=line.get_color(),
                    markeredgecolor=line.get_color(),
                    linestyle="none",
                )


def save_figure(fig, path: str | Path) -> Path:  # type: ignore[no-untyped-def]
    """Render `fig` in the format its suffix names and write it atomically, byte-stable."""
    import matplotlib

    fmt = plot_format(path)
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "accelsim", "pdf.compression": 6}):
        fig.savefig(buf, format=fmt, metadata=_METADATA[fmt])
    path = Path(path)
    atomic_write(path, buf.getvalue())
    return path


def system_title(base: Accelerator, workload: str, mode: str, scale: str, first_last_bits: int | None) -> str:
    """The caption: the workload and policy, then the 16-bit base system the points are iso-area to."""
    edge = "first/last layers as body" if first_last_bits is None else f"first/last layers >= {first_last_bits} b"
    return (
        f"{workload}: iso-area {mode} MACs grown by {scale}, {edge}\n"
        f"base: {base.tech_node}, {base.clock_hz / 1e9:g} GHz, {base.cores} cores x {base.rows}x{base.cols}"
        f" {base.mac_w_bits}-bit MACs ({base.dataflow.upper()}), {base.sram_bytes / MB:g} MB on chip"
    )


def plot_speedup(rows: Sequence[SweepRow], path: str | Path, *, title: str = "", note: str = "") -> Path:
    """Draw `rows` (from `accelsim.explore.sweep.sweep`) and save the figure to `path` (.png/.svg/.pdf)."""
    plot_format(path)  # fail before drawing
    return save_figure(speedup_figure(rows, title, note), path)


__all__ = [
    "DPI",
    "caption",
    "new_figure",
    "plot_format",
    "plot_speedup",
    "save_figure",
    "speedup_figure",
    "system_title",
]
