"""Section 3 of the PACT report: the gain from quantizing the first and last layers too (PACT: 1.24x),
with the per-layer utilization that explains the model's number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from accelsim.hardware.bandwidth import describe_bw
from accelsim.hardware.design import Accelerator
from accelsim.model.results import LayerResult, SimResult
from accelsim.report.pact_analysis import Study, edge_layers, layer_time, utilization
from accelsim.report.pact_figures import save
from accelsim.report.pact_options import PAPER_BW_CONSTRAINED, PAPER_FIRST_LAST_GAIN, FigureInfo, Options, display
from accelsim.report.pact_prose import md_table, paper_verdict, percent, times

#: The first/last-layer gain per (body bits, bandwidth): time with them kept over time with them quantized.
Gains = dict[tuple[int, str], float]


def first_last_gains(study: Study, opts: Options) -> Gains:
    gains: Gains = {}
    for b in (4, 2):
        for bw in opts.bandwidths:
            keep = study.run(opts, b, bw, True)[1]
            quant = study.run(opts, b, bw, False)[1]
            gains[(b, bw)] = keep.seconds_per_image / quant.seconds_per_image
    return gains


@dataclass(frozen=True, slots=True)
class EdgeRuns:
    """The 4-bit design at unconstrained bandwidth with the first/last layers kept and quantized."""

    design: Accelerator
    keep: SimResult
    quant: SimResult

    @property
    def mac_layers(self) -> list[LayerResult]:
        return [layer for layer in self.keep.layers if layer.macs]

    @property
    def edge(self) -> set[str]:
        return edge_layers(self.keep, 4)

    @property
    def body(self) -> set[str]:
        return {layer.name for layer in self.mac_layers} - self.edge

    @property
    def speedup(self) -> float:
        """How much faster the first and last layers get when quantized (s)."""
        return layer_time(self.keep, self.edge) / layer_time(self.quant, self.edge)

    @property
    def share(self) -> float:
        """The first and last layers' share of the time when kept."""
        return layer_time(self.keep, self.edge) / layer_time(self.keep)

    def mac_share(self, names: set[str]) -> float:
        mac_layers = self.mac_layers
        return sum(layer.macs for layer in mac_layers if layer.name in names) / sum(layer.macs for layer in mac_layers)


def edge_runs(study: Study, opts: Options) -> EdgeRuns:
    design, keep = study.run(opts, 4, "inf", True)
    return EdgeRuns(design, keep, study.run(opts, 4, "inf", False)[1])


def need_text(e: EdgeRuns, opts: Options) -> str:
    """What PACT's 1.24x would need from the first and last layers, or why it is out of reach."""
    g, s, share8 = PAPER_FIRST_LAST_GAIN, e.speedup, e.share
    if s <= g:
        return (
            f"{g:g}x is out of reach here whatever their share of the time: quantizing them speeds them up only "
            f"{s:.2f}x."
        )
    t_body, t_edge8 = layer_time(e.keep, e.body), layer_time(e.keep, e.edge)
    t_needed = (g - 1) * t_body / (1 - g / s)
    share_needed = t_needed / (t_body + t_needed)
    u_needed = utilization(e.keep, e.edge) * t_edge8 / t_needed
    return (
        f"For {g:g}x with the same speed-up s = {s:.2f}x, the first and last layers would have to take "
        f"{percent(share_needed)} of the time at {opts.first_last_bits} bits instead of {percent(share8)}, i.e. run at "
        f"{percent(u_needed)} utilization (against the design peak) instead of {percent(utilization(e.keep, e.edge))}."
    )


def utilization_figure(study: Study, e: EdgeRuns, opts: Options, figdir: Path, number: int) -> FigureInfo:
    """Per-layer array utilization on the 4-bit design, first/last layers kept vs quantized."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    mac_layers = e.mac_layers
    qlayers = {layer.name: layer for layer in e.quant.layers}
    first, last = mac_layers[0], mac_layers[-1]
    fig = Figure(figsize=(9.0, 4.2), dpi=100)
    ax = fig.add_subplot()
    xs = list(range(len(mac_layers)))
    u_keep = [layer.array_utilization for layer in mac_layers]
    u_quant = [qlayers[layer.name].array_utilization for layer in mac_layers]
    ax.bar([x - 0.2 for x in xs], u_quant, width=0.4, color="tab:blue", label="all layers at 4 bits")
    ax.bar(
        [x + 0.2 for x in xs],
        u_keep,
        width=0.4,
        color="tab:orange",
        label=f"first/last layers at {opts.first_last_bits} bits (PACT's runs)",
    )
    body_u = utilization(e.keep, e.body)
    ax.axhline(body_u, color="black", linestyle="--", linewidth=1.0, label=f"body average ({body_u:.2f})")
    ax.set_xlabel(f"MAC layer of {display(study.name)} in execution order (first: {first.name}, last: {last.name})")
    ax.set_ylabel("array utilization vs the 4-bit design peak")
    ax.set_ylim(0, 1.2)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlim(-1, len(xs))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, axis="y", linewidth=0.4, alpha=0.6)
    ax.legend(fontsize=8, loc="upper center", ncol=3)
    ax.set_title(
        f"{display(study.name)} per-layer array utilization on the 4-bit iso-area design ({study.mode} MACs as more "
        f"{study.scale})\n{e.design.describe()}",
        fontsize=7.5,
    )
    fig.tight_layout()
    caption = (
        f"Figure {number}. Per-layer array utilization (MACs / (design peak x compute cycles)) "
        f"of {display(study.name)} on "
        f"the 4-bit iso-area design, unconstrained bandwidth, with the first and last layers at "
        f"{opts.first_last_bits} bits (orange) and at 4 bits (blue); dashed: the body's average. System: "
        f"{e.design.describe()}."
    )
    return save(fig, figdir, f"{study.name}_first_last_utilization.png", caption)


def layer_group_table(e: EdgeRuns, opts: Options) -> str:
    """Share of MACs, utilization and share of time of the first layer, the body and the last layer."""
    first, last = e.mac_layers[0], e.mac_layers[-1]
    t_keep, t_quant = layer_time(e.keep), layer_time(e.quant)
    rows = [
        [
            label,
            percent(e.mac_share(names)),
            f"{utilization(e.keep, names):.3f}",
            f"{utilization(e.quant, names):.3f}",
            percent(layer_time(e.keep, names) / t_keep),
            percent(layer_time(e.quant, names) / t_quant),
        ]
        for label, names in (
            (f"first ({first.name})", {first.name}),
            ("body", e.body),
            (f"last ({last.name})", {last.name}),
        )
    ]
    headers = [
        "layers",
        "share of MACs",
        f"utilization (first/last at {opts.first_last_bits} b)",
        "utilization (all at 4 b)",
        f"share of time ({opts.first_last_bits} b)",
        "share of time (4 b)",
    ]
    return md_table(headers, rows)


def explanation(e: EdgeRuns, opts: Options) -> str:
    """Why the model's gain is what it is: share x speed-up, and how the first layer maps."""
    first, s, share8 = e.mac_layers[0], e.speedup, e.share
    u_first, u_body = utilization(e.quant, {first.name}), utilization(e.quant, e.body)
    gain = layer_time(e.keep) / layer_time(e.quant)
    return (
        f"The first and last layers hold {percent(e.mac_share(e.edge))} of the MACs and take {percent(share8)} of the "
        f"time at {opts.first_last_bits} bits; quantizing them makes them {s:.2f}x faster, so the whole network "
        f"gains 1 / (1 - {share8:.3f} x (1 - 1/{s:.2f})) = {times(gain)}. {first.name} maps onto the array "
        f"{'about as well as' if u_first >= 0.8 * u_body else 'worse than'} the body "
        f"(utilization {u_first:.2f} vs {u_body:.2f} when all layers run at 4 bits): "
        f"under output-stationary mapping its 3 input channels only shorten the streamed reduction, they do not "
        f"leave array rows empty (docs/model.md section 4). "
        f"{need_text(e, opts)} The paper's estimate therefore implies a "
        f"first layer that maps far worse than this model's (or a baseline whose first and last layers take a much "
        f"larger share of the time, e.g. a fully-connected-heavy network); DeepMatrix, the model PACT used, is not "
        f"public, so which one is unknown."
    )


def first_last_text(study: Study, opts: Options, e: EdgeRuns, gains: Gains, info: FigureInfo) -> str:
    g, bwc = PAPER_FIRST_LAST_GAIN, PAPER_BW_CONSTRAINED
    gain_rows = [[b] + [times(gains[(b, bw)]) for bw in opts.bandwidths] + [times(g)] for b in (4, 2)]
    text = [
        "## 3. Quantizing the first and last layers (PACT's 1.24x)",
        "",
        f'PACT keeps the first and last layers at 8 bits in its 4- and 2-bit runs and estimates "an additional '
        f'{g:g}x improvement in performance" if they were quantized too. Model: time per image with them at '
        f"{opts.first_last_bits} bits / time with every layer at the body's bits, on the same design "
        f"({study.mode} MACs as more {study.scale}):",
        "",
        md_table(["body bits"] + [f"gain {describe_bw(bw)}" for bw in opts.bandwidths] + ["PACT"], gain_rows),
        "",
        f"**Against the paper.** {times(gains[(4, bwc)])} at 4 bits and {bwc} GB/s vs {g:g}x — "
        f"{paper_verdict(gains[(4, bwc)], g)}.",
        "",
        "Why: the gain is set by how much of the time the first and last layers take and how much faster they "
        "get. Per layer group on the 4-bit design (unconstrained bandwidth, so utilization is the mapping alone):",
        "",
        layer_group_table(e, opts),
        "",
        explanation(e, opts),
        "",
        f"![first/last utilization](figures/{info.name})",
        "",
        f"*{info.caption}*",
        "",
    ]
    return "\n".join(text)


def first_last_section(
    study: Study, opts: Options, figdir: Path, number: int
) -> tuple[str, FigureInfo, dict[str, float], tuple[str, str, str]]:
    """Section 3: markdown, the utilization figure, the key numbers and the summary-table row."""
    gains = first_last_gains(study, opts)
    e = edge_runs(study, opts)
    info = utilization_figure(study, e, opts, figdir, number)
    bwc, first = PAPER_BW_CONSTRAINED, e.mac_layers[0]
    numbers = {
        "first_last_gain_4bit_bw": gains[(4, bwc)],
        "first_last_gain_2bit_bw": gains[(2, bwc)],
        "first_last_share_time": e.share,
        "first_layer_utilization": utilization(e.quant, {first.name}),
        "body_utilization": utilization(e.quant, e.body),
    }
    summary = (
        f"{PAPER_FIRST_LAST_GAIN:g}x more from quantizing the first/last layers (4 or 2 bits)",
        f"{times(gains[(4, bwc)])} at 4 bits, {times(gains[(2, bwc)])} at 2 bits ({bwc} GB/s)",
        paper_verdict(gains[(4, bwc)], PAPER_FIRST_LAST_GAIN),
    )
    return first_last_text(study, opts, e, gains, info), info, numbers, summary


__all__ = [
    "EdgeRuns",
    "edge_runs",
    "explanation",
    "first_last_gains",
    "first_last_section",
    "first_last_text",
    "layer_group_table",
    "need_text",
    "utilization_figure",
]
