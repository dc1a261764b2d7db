"""Regenerate the PACT reproduction report: ``docs/reproducing-pact.md`` and ``docs/figures/``.

    python -m accelsim.reproduce [--out docs] [--quick]
    accelsim reproduce [--out docs] [--quick]

PACT (Choi et al. 2018, section 6 / Fig. 6) reports four things about its iso-area accelerator
study; this module runs the simulator for each and writes a markdown report that puts the model's
numbers next to the paper's statements:

(a) MAC density vs precision from the technology model next to Fig. 6(b)'s ~14x;
(b) the ResNet-50 iso-area speedup at 32, 64 GB/s and unconstrained bandwidth, 16/8/4/2 bits, next
    to the paper's statements, with the iso-area placement / MAC mode as a sensitivity table;
(c) the gain from quantizing the first and last layers too (PACT: 1.24x), with the per-layer array
    utilization that explains the number;
(d) the same speedup study for networks the paper did not run.

Everything in the report is generated from the runs: the only numbers typed in here are the
paper's own statements (``PAPER_*``) and the threshold that turns "near-linear" into a test
(``NEAR_LINEAR``), both printed in the report. Output is deterministic (no dates, no timings; PNGs
without volatile metadata), so rerunning on the same code gives byte-identical files.
``--quick`` runs a reduced set (ResNet-18 as the main network, AlexNet as the only extra one) for
tests.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from accelsim.atomic import atomic_write
from accelsim.design import MB, Accelerator, default_scale, iso_area
from accelsim.fit import policy_for
from accelsim.graph import LayerGraph
from accelsim.results import SimResult
from accelsim.sim import simulate
from accelsim.sweep import SweepRow, describe_bw, sweep

# --- what the paper says (PACT, arXiv 1805.06085v2, section 6) ------------------------------------
#: Fig. 6(b): "~14x improvement in density when ... uniformly reduced from 16 bits to 2 bits".
PAPER_DENSITY_2BIT = 14.0
#: "quantizing from 16 to 4 bits leads to a 4x increase in peak FLOPs but a 4.5x improvement in
#: performance" -- at 64 GB/s.
PAPER_PEAK_4BIT = 4.0
PAPER_SPEEDUP_4BIT_64 = 4.5
PAPER_BW_CONSTRAINED = "64"
#: "If we are able to quantize the first and last layers as well to 4 or 2 bits, we estimate an
#: additional 1.24x improvement in performance".
PAPER_FIRST_LAST_GAIN = 1.24
#: Our reading of "near-linear increase in performance for up-to 4 bits" (unconstrained bandwidth):
#: speedup at least this fraction of the peak ratio. A stated threshold, not a result.
NEAR_LINEAR = 0.9
#: A model number "matches" a paper number when within this relative distance.
MATCH_TOL = 0.05

BITS = (16, 8, 4, 2)
BANDWIDTHS = ("32", "64", "inf")
MAIN = "resnet50"
OTHERS = ("resnet18", "alexnet", "mobilenet_v2", "bert_base")
#: The iso-area variants of the sensitivity table: (mac mode, where the MACs go).
PLACEMENTS = (("configurable", "cores"), ("configurable", "array"), ("configurable", "lanes"), ("dedicated", "array"))
DENSITY_BITS = (16, 12, 8, 6, 4, 3, 2)
REPORT = "reproducing-pact.md"
FIGURES = "figures"

DISPLAY = {
    "resnet50": "ResNet-50",
    "resnet18": "ResNet-18",
    "alexnet": "AlexNet",
    "mobilenet_v2": "MobileNetV2",
    "bert_base": "BERT-base",
}


def display(name: str) -> str:
    return DISPLAY.get(name, name)


@dataclass(frozen=True)
class Options:
    """What the report runs. `quick()` is the reduced set the tests use."""

    main: str = MAIN
    others: tuple[str, ...] = OTHERS
    bits: tuple[int, ...] = BITS
    bandwidths: tuple[str, ...] = BANDWIDTHS
    first_last_bits: int = 8
    placements: tuple[tuple[str, str], ...] = PLACEMENTS
    base: Accelerator = field(default_factory=Accelerator)
    quick: bool = False

    @classmethod
    def reduced(cls) -> Options:
        return cls(main="resnet18", others=("alexnet",), quick=True)


@dataclass(frozen=True)
class FigureInfo:
    """What a generated figure shows: read back from the matplotlib objects before saving."""

    name: str
    path: Path
    title: str
    xlabel: str
    ylabel: str
    legend: tuple[str, ...]
    caption: str


@dataclass(frozen=True)
class Report:
    """The files written and the key numbers (the same ones the markdown prints)."""

    markdown: Path
    figures: tuple[FigureInfo, ...]
    sections: tuple[str, ...]
    numbers: dict[str, float]


# --- small formatting helpers ----------------------------------------------------------------------
def _x(v: float) -> str:
    return f"{v:.2f}x"


def _pct(v: float) -> str:
    return f"{100 * v:.1f} %" if abs(v) < 0.095 else f"{100 * v:.0f} %"


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _rel(model: float, paper: float) -> str:
    return f"{100 * (model - paper) / paper:+.0f} %"


def _verdict(model: float, paper: float) -> str:
    return "matches" if abs(model - paper) <= MATCH_TOL * paper else "does not match"


def _shape(d: Accelerator) -> str:
    lanes = f" x {d.lanes} lanes" if d.lanes > 1 else ""
    return f"{d.cores} x {d.rows}x{d.cols}{lanes}"


def _figure_info(fig, name: str, path: Path, caption: str) -> FigureInfo:  # type: ignore[no-untyped-def]
    ax = fig.axes[0]
    legend = ax.get_legend()
    labels = tuple(t.get_text() for t in legend.get_texts()) if legend is not None else ()
    title = ax.get_title() or (fig._suptitle.get_text() if fig._suptitle is not None else "")
    return FigureInfo(name, path, title, ax.get_xlabel(), ax.get_ylabel(), labels, caption)


def _save(fig, figdir: Path, name: str, caption: str) -> FigureInfo:  # type: ignore[no-untyped-def]
    from accelsim.plot import save_figure

    path = figdir / name
    info = _figure_info(fig, name, path, caption)
    save_figure(fig, path)
    return info


def _graph(name: str) -> LayerGraph:
    from accelsim.inputs import load_workload

    return load_workload(name, batch=1)


def _row(rows: Sequence[SweepRow], bits: int, bw: str) -> SweepRow:
    return next(r for r in rows if r.bits == bits and r.bw == bw)


def _sp(row: SweepRow) -> float:
    """The row's speedup; a sweep that raises on failed points always has one."""
    if row.speedup is None:
        raise RuntimeError(f"{row.workload} at {row.bits} bits, {row.bw} GB/s has no speedup")
    return row.speedup


def _ef(row: SweepRow) -> float:
    return _sp(row) / row.peak_ratio


# --- (a) MAC density ------------------------------------------------------------------------------
def _density(opts: Options, figdir: Path) -> tuple[str, FigureInfo, dict[str, float]]:
    import tech
    from matplotlib.figure import Figure

    node = tech.load(opts.base.tech_node)
    ref = opts.base.mac_w_bits
    bits = [b for b in DENSITY_BITS if b <= ref]
    dedicated = [node.density_gain(b, b) / node.density_gain(ref, ref) for b in bits]
    configurable = [float(ref // b) for b in bits]
    a, b_, c = node.mac_area_coeffs_um2

    fig = Figure(figsize=(6.4, 4.4), dpi=100)
    ax = fig.add_subplot()
    xs = range(len(bits))
    ax.plot(xs, dedicated, marker="o", linewidth=1.6, label="dedicated w x a MAC (tech area model)")
    ax.plot(xs, configurable, marker="s", linestyle="--", linewidth=1.2, color="0.35",
            label=f"precision-configurable MAC: floor({ref}/b) sub-word MACs")
    j2 = bits.index(2) if 2 in bits else len(bits) - 1
    ax.plot([j2], [PAPER_DENSITY_2BIT], marker="*", markersize=14, linestyle="none", color="tab:red",
            label=f"PACT Fig. 6(b): ~{PAPER_DENSITY_2BIT:g}x at 2 bits")
    ax.set_yscale("log", base=2)
    ticks = [2**k for k in range(0, 1 + math.ceil(math.log2(max(dedicated + [PAPER_DENSITY_2BIT]))))]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xticks(list(xs), [str(b) for b in bits])
    ax.set_xlabel("precision of weights = activations (bits)")
    ax.set_ylabel(f"MACs per unit area relative to {ref}x{ref} (x, log scale)")
    ax.grid(True, linewidth=0.4, alpha=0.6, which="both")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(
        f"MAC density vs precision, {node.name} (tech/{node.name}.toml)\n"
        f"A(w,a) = {a:g} w*a + {b_:g} (w+a) + {c:g} um^2, synthesis-level, iso-area vs one {ref}x{ref} MAC",
        fontsize=7.5,
    )
    fig.tight_layout()
    caption = (
        f"MAC density vs precision at {node.name}: dedicated MACs from the area model of tech/{node.name}.toml "
        f"(bilinear in the operand widths), precision-configurable MACs (what Fig. 6(c) runs), and PACT's ~14x."
    )
    info = _save(fig, figdir, "mac_density.png", caption)

    d2 = dedicated[j2]
    rows = [
        (b, f"{node.mac_area_um2(b, b):.1f}", _x(dv), _x(cv))
        for b, dv, cv in zip(bits, dedicated, configurable)
    ]
    text = [
        "## 1. MAC density vs precision (PACT Fig. 6(b))",
        "",
        f"PACT: \"we achieve ~{PAPER_DENSITY_2BIT:g}x improvement in density when the bit-precisions of both "
        f"activations and weights are uniformly reduced from 16 bits to 2 bits\" (14 nm, real hardware "
        f"implementations; the curve itself is an image with no text copy).",
        "",
        f"![MAC density vs precision](figures/{info.name})",
        "",
        f"*Figure 1. {caption}*",
        "",
        _table(
            ["bits (w = a)", f"dedicated MAC area ({node.name}, um^2)", f"dedicated density vs {ref}x{ref}",
             "configurable sub-word MACs"],
            rows,
        ),
        "",
        f"**Against the paper.** The model gives {_x(d2)} at 2 bits vs PACT's ~{PAPER_DENSITY_2BIT:g}x: "
        f"{_verdict(d2, PAPER_DENSITY_2BIT)} — **by construction**, not as a prediction: the constant term of "
        f"the area model is calibrated so that A(16,16)/A(2,2) = 14 (tech/{node.name}.toml, `mac_area`; "
        f"`shared/reference/tech-data.md` section 1.5). The points between 16 and 2 bits are the model's "
        f"(a Bit Fusion 45 nm synthesis fit scaled to {node.name}), not read off Fig. 6(b).",
        "",
        f"The dedicated curve is *not* what Fig. 6(c) runs. PACT's speedup study uses a precision-configurable "
        f"MAC whose \"peak compute capability ... varied such that we achieve iso-area\", and its text gives "
        f"{PAPER_PEAK_4BIT:g}x peak at 4 bits — the configurable column ({_x(configurable[bits.index(4)])} at 4 bits), "
        f"not the dedicated one ({_x(dedicated[bits.index(4)])}). Both readings cannot be one area curve "
        f"(tech-data section 1.1); section 2.3 runs both.",
        "",
    ]
    return "\n".join(text), info, {"density_2bit": d2, "density_4bit": dedicated[bits.index(4)]}


# --- (b) the main speedup study --------------------------------------------------------------------
@dataclass
class _Study:
    name: str
    graph: LayerGraph
    rows: list[SweepRow]
    mode: str
    scale: str
    runs: dict[tuple[int, str, bool], tuple[Accelerator, SimResult]] = field(default_factory=dict)

    def run(self, opts: Options, bits: int, bw: str, keep_edges: bool) -> tuple[Accelerator, SimResult]:
        """One design point with the first/last layers kept at `opts.first_last_bits` or quantized too."""
        key = (bits, bw, keep_edges)
        if key not in self.runs:
            value = math.inf if bw == "inf" else float(bw)
            design = iso_area(replace(opts.base, bw_gb_per_s=value), bits, self.mode, self.scale)
            policy = policy_for(bits, opts.first_last_bits if keep_edges else None)
            self.runs[key] = (design, simulate(self.graph.with_policy(policy), design))
        return self.runs[key]


def _util(result: SimResult, names: set[str]) -> float:
    """MACs of `names` over the design's MAC slots during their compute cycles."""
    layers = [layer for layer in result.layers if layer.name in names]
    cycles = sum(layer.compute_cycles for layer in layers)
    return sum(layer.macs for layer in layers) / (result.accelerator.macs_per_cycle * cycles) if cycles else 0.0


def _run_study(name: str, graph: LayerGraph, opts: Options, mode: str, scale: str) -> _Study:
    rows = sweep(graph, opts.bits, opts.bandwidths, base=opts.base, mode=mode, scale=scale,
                 first_last_bits=opts.first_last_bits)
    return _Study(name, graph, rows, mode, scale)


def _speedup_figure(study: _Study, opts: Options, figdir: Path, number: int) -> FigureInfo:
    from accelsim.plot import speedup_figure, system_title

    title = system_title(opts.base, display(study.name), study.mode, study.scale, opts.first_last_bits)
    fig = speedup_figure(study.rows, title)
    caption = (
        f"{display(study.name)} (batch 1): speedup of each iso-area design point over the {opts.base.mac_w_bits}-bit "
        f"design at the same external bandwidth; dashed: the ideal (peak MAC/s ratio). Base system: "
        f"{opts.base.describe(with_bw=False)}; iso-area {study.mode} MACs placed as more {study.scale}; "
        f"first/last layers at {opts.first_last_bits} bits when the body is narrower."
    )
    return _save(fig, figdir, f"{study.name}_speedup.png", f"Figure {number}. {caption}")


def _sweep_table(study: _Study, opts: Options) -> str:
    headers = ["bits", "MACs", "peak ratio"] + [f"speedup {describe_bw(b)}" for b in opts.bandwidths]
    headers += ["efficiency (unconstr.)", "weights on chip", "off-chip MB/image", f"stalled @ {PAPER_BW_CONSTRAINED} GB/s"]
    rows = []
    for b in opts.bits:
        inf = _row(study.rows, b, "inf")
        mid = _row(study.rows, b, PAPER_BW_CONSTRAINED)
        rows.append(
            [b, inf.macs_per_cycle, _x(inf.peak_ratio)]
            + [_x(_sp(_row(study.rows, b, bw))) for bw in opts.bandwidths]
            + [f"{_ef(inf):.2f}", "yes" if inf.weights_fit else "no", f"{inf.offchip_mb:.2f}", _pct(mid.stall_fraction)]
        )
    return _table(headers, rows)


def _edge_layers(result: SimResult, body_bits: int) -> set[str]:
    return {layer.name for layer in result.layers if layer.macs and layer.w_bits != body_bits}


def _time(result: SimResult, names: set[str] | None = None, exclude: set[str] | None = None) -> float:
    return sum(
        layer.cycles for layer in result.layers
        if layer.macs and (names is None or layer.name in names) and (exclude is None or layer.name not in exclude)
    )


def _statements(study: _Study, opts: Options) -> tuple[str, list[tuple[str, str, str]], dict[str, float]]:
    """PACT's Fig. 6(c) statements against the main study, each with a generated explanation."""
    rows = study.rows
    bwc = PAPER_BW_CONSTRAINED
    top = max(opts.bits)
    r4, r4inf = _row(rows, 4, bwc), _row(rows, 4, "inf")
    base_bw, base_inf = _row(rows, top, bwc), _row(rows, top, "inf")
    # exact identity: speedup(bw) = speedup(inf) * slowdown_base(bw) / slowdown_design(bw)
    slow_base = base_bw.seconds_per_image / base_inf.seconds_per_image
    slow_4 = r4.seconds_per_image / r4inf.seconds_per_image
    need_base = PAPER_SPEEDUP_4BIT_64 / _sp(r4inf) * slow_4
    super_linear = _sp(r4) > r4.peak_ratio
    eff = {b: _ef(_row(rows, b, "inf")) for b in opts.bits}
    near = [b for b in opts.bits if b >= 4 and b < top]
    near_ok = all(eff[b] >= NEAR_LINEAR for b in near)
    drop = eff[4] - eff[2]
    out: list[str] = ["### 2.2 Against the paper's statements", ""]
    summary: list[tuple[str, str, str]] = []

    # 1. 4x peak -> 4.5x at 64 GB/s
    verdict = _verdict(_sp(r4), PAPER_SPEEDUP_4BIT_64)
    if verdict != "matches" and super_linear:
        verdict = "super-linear as in the paper, but the value " + verdict
    elif not super_linear:
        verdict = "does not match (not super-linear)"
    out += [
        f"**1. \"16 to 4 bits leads to a {PAPER_PEAK_4BIT:g}x increase in peak FLOPs but a {PAPER_SPEEDUP_4BIT_64:g}x "
        f"improvement in performance\" ({bwc} GB/s).** Model: {_x(r4.peak_ratio)} peak, {_x(_sp(r4))} "
        f"({_rel(_sp(r4), PAPER_SPEEDUP_4BIT_64)} vs the paper) — {verdict}.",
        "",
        f"Why: the speedup at {bwc} GB/s is exactly the unconstrained speedup times the ratio of how much the "
        f"external memory slows each design down: {_x(_sp(r4))} = {_x(_sp(r4inf))} x {slow_base:.3f} / "
        f"{slow_4:.3f}. The {top}-bit design's weights "
        f"{'fit on chip' if base_bw.weights_fit else 'do not fit on chip, so they stream every image'} "
        f"({base_bw.offchip_mb:.1f} MB/image off chip), and it is {slow_base:.3f}x slower than unconstrained "
        f"({_pct(base_bw.stall_fraction)} of its time stalled); the 4-bit design's weights "
        f"{'fit' if r4.weights_fit else 'do not fit'} in the {opts.base.sram_bytes / MB:g} MB on chip "
        f"({r4.offchip_mb:.2f} MB/image), so it runs at {slow_4:.3f}x of its unconstrained time. That removed "
        f"traffic is PACT's super-linear mechanism, and the model shows it"
        + ("." if super_linear else " too weakly to beat the peak ratio.")
        + f" To reach {PAPER_SPEEDUP_4BIT_64:g}x with this unconstrained speedup ({_x(_sp(r4inf))}), the "
        f"{top}-bit design would have to be {need_base:.3f}x slower at {bwc} GB/s than unconstrained instead of "
        f"{slow_base:.3f}x: how memory-bound PACT's baseline was depends on its Fig. 6(a) parameters (array, "
        f"clock, SRAM), which are an image with no text copy; ours are the documented defaults (docs/model.md "
        f"section 2), not tuned to the paper.",
        "",
    ]
    summary.append((f"{PAPER_PEAK_4BIT:g}x peak -> {PAPER_SPEEDUP_4BIT_64:g}x speedup at 16 -> 4 bits, {bwc} GB/s",
                    f"{_x(r4.peak_ratio)} peak -> {_x(_sp(r4))} (other iso-area variants: section 2.3)", verdict))

    # 2. near-linear to 4 bits, unconstrained
    effs = ", ".join(f"{eff[b]:.2f} at {b} bits" for b in near)
    verdict = "matches" if near_ok else "does not match"
    out += [
        f"**2. \"In the bandwidth unconstrained scenario ... a near-linear increase in performance for up-to 4 "
        f"bits\".** Model efficiency (speedup / peak ratio, unconstrained): {effs}. Reading near-linear as an "
        f"efficiency of at least {NEAR_LINEAR:g}: {verdict}.",
        "",
    ]
    if not near_ok:
        worst = min(near, key=lambda b: eff[b])
        out += [
            f"Why: at {worst} bits the design keeps {_pct(_row(rows, worst, 'inf').utilization)} of its MAC slots "
            f"busy vs {_pct(base_inf.utilization)} at {top} bits (section 3 shows the per-layer losses: the "
            f"{opts.first_last_bits}-bit first and last layers and the layers that do not divide evenly over more "
            f"MACs).",
            "",
        ]
    summary.append(("near-linear speedup up to 4 bits, unconstrained bandwidth", effs, verdict))

    # 3. small drop at 2 bits
    verdict = "matches" if drop > 0 else "does not match"
    parts = []
    for b in (4, 2):
        _, res = study.run(opts, b, "inf", True)
        edge = _edge_layers(res, b)
        body = {layer.name for layer in res.layers if layer.macs} - edge
        gang = max((layer.gang for layer in res.layers if layer.name in edge), default=1)
        parts.append((b, _time(res, edge) / _time(res), gang, _util(res, body)))
    (b4, sh4, g4, u4), (b2, sh2, g2, u2) = parts
    why_drop = (
        f"the first and last layers stay at {opts.first_last_bits} bits, i.e. run at 1/{g2} of the 2-bit design's "
        f"peak rate (1/{g4} at 4 bits), so their share of the time grows from {_pct(sh4)} at 4 bits to "
        f"{_pct(sh2)} at 2 bits; "
        + (f"and the body's utilization falls from {u4:.2f} to {u2:.2f} as twice the MACs leave more of them "
           f"idle on layers that do not divide evenly." if u2 < u4 else
           f"the body's utilization itself does not fall ({u4:.2f} -> {u2:.2f}).")
    )
    out += [
        f"**3. \"... and a small drop at extreme quantization levels (2 bits)\".** Model: efficiency "
        f"{eff[4]:.2f} at 4 bits -> {eff[2]:.2f} at 2 bits (speedup {_x(_sp(_row(rows, 2, 'inf')))} of "
        f"{_x(_row(rows, 2, 'inf').peak_ratio)} peak) — {verdict}"
        + (f"; the drop is {drop:.2f} of efficiency." if drop > 0 else "."),
        "",
        f"Why: {why_drop}",
        "",
    ]
    summary.append(("small drop at 2 bits, unconstrained", f"efficiency {eff[4]:.2f} -> {eff[2]:.2f}", verdict))

    # 4. constrained systems super-linear
    sl = [(bw, b) for bw in opts.bandwidths if bw != "inf" for b in opts.bits if b < top
          and _sp(_row(rows, b, bw)) > _row(rows, b, bw).peak_ratio]
    listed = ", ".join(f"{b} bits @ {bw} GB/s ({_x(_sp(_row(rows, b, bw)))})" for bw, b in sl) or "none"
    verdict = "matches" if sl else "does not match"
    fit_flip = [(bw, b) for bw, b in sl if _row(rows, b, bw).weights_fit and not _row(rows, top, bw).weights_fit]
    if sl and fit_flip == sl:
        mechanism = (f"Every one of them is a point whose weights fit on chip while the {top}-bit baseline's do "
                     f"not: the saved traffic, not the extra MACs, makes the difference.")
    elif sl:
        mechanism = (f"{len(fit_flip)} of the {len(sl)} are points whose weights fit on chip while the {top}-bit "
                     f"baseline's do not; the others gain from less traffic per image at fewer bits.")
    else:
        mechanism = "No design point beats its peak ratio at a constrained bandwidth."
    out += [
        f"**4. \"Practical systems, whose bandwidths are constrained, (surprisingly) exhibit a super-linear "
        f"growth in performance with quantization.\"** Super-linear points in the model: {listed} — {verdict}. "
        + mechanism,
        "",
    ]
    summary.append(("super-linear growth when bandwidth is constrained", listed, verdict))
    numbers = {
        "speedup_4bit_bw": _sp(r4),
        "speedup_4bit_inf": _sp(r4inf),
        "peak_4bit": r4.peak_ratio,
        "efficiency_inf_8bit": eff.get(8, math.nan),
        "efficiency_inf_4bit": eff[4],
        "efficiency_inf_2bit": eff[2],
        "base_slowdown_bw": slow_base,
    }
    return "\n".join(out), summary, numbers


def _sensitivity(name: str, graph: LayerGraph, opts: Options, studies: dict[tuple[str, str], _Study]) -> str:
    headers = ["MACs / placement", "bits", "design (cores x array)", "peak ratio"]
    headers += [f"speedup {describe_bw(b)}" for b in opts.bandwidths] + ["weights on chip"]
    rows = []
    for mode, scale in opts.placements:
        s = studies[(mode, scale)]
        default = " (default)" if scale == default_scale(mode) else ""
        for b in opts.bits:
            if b == max(opts.bits):
                continue
            inf = _row(s.rows, b, "inf")
            design = iso_area(opts.base, b, mode, scale)
            rows.append(
                [f"{mode} / {scale}{default}", b, _shape(design), _x(inf.peak_ratio)]
                + [_x(_sp(_row(s.rows, b, bw))) for bw in opts.bandwidths]
                + ["yes" if inf.weights_fit else "no"]
            )
    bwc = PAPER_BW_CONSTRAINED
    at4 = {k: _row(s.rows, 4, bwc) for k, s in studies.items()}
    lo = min(at4.items(), key=lambda kv: _sp(kv[1]))
    hi = max(at4.items(), key=lambda kv: _sp(kv[1]))
    sl = [f"{m} / {s}" for (m, s), r in at4.items() if _sp(r) > r.peak_ratio]
    conf = {k: v for k, v in at4.items() if k[0] == "configurable"}
    base_key = ("configurable", default_scale("configurable"))
    bw_spread = None
    if base_key in studies:
        by_bw = [_sp(_row(studies[base_key].rows, 4, bw)) for bw in opts.bandwidths]
        bw_spread = (min(by_bw), max(by_bw))
    text = [
        "### 2.3 Sensitivity: where the iso-area MACs go, and dedicated MACs",
        "",
        "PACT does not say how the extra MACs of a narrower design are organised, and the answer depends on it. "
        "`cores` adds cores with the base array (a configurable PE's sub-word MACs act as extra base-shaped "
        "arrays, docs/model.md section 3), `array` grows each core's array near-square, `lanes` puts more MACs "
        "in each PE along the reduction axis; `dedicated` takes the MAC count from the area model of section 1 "
        "(more MACs than the configurable split at every precision) and runs wider layers bit-serially.",
        "",
        _table(headers, rows),
        "",
        f"At 4 bits and {bwc} GB/s the variants span {_x(_sp(lo[1]))} ({lo[0][0]} / {lo[0][1]}) to "
        f"{_x(_sp(hi[1]))} ({hi[0][0]} / {hi[0][1]}); super-linear (above their own peak ratio) there: "
        f"{', '.join(sl) if sl else 'none'}. The configurable placements alone span "
        f"{_x(min(_sp(r) for r in conf.values()))} to {_x(max(_sp(r) for r in conf.values()))}"
        + (f", while the default's 4-bit speedup over the three bandwidths spans {_x(bw_spread[0])} to "
           f"{_x(bw_spread[1])}" if bw_spread else "")
        + ". Why they differ: a bigger array pays a longer fill and drain (R + C - 2 cycles) on every fold and "
        f"leaves more PEs idle on layers smaller than it; more lanes shorten each fold's streaming (K / L) but "
        f"not its fill and drain, so the fixed per-fold cost weighs more; more base-size cores keep the 16-bit "
        f"array's per-fold cost but need each layer to split over more cores. Dedicated MACs have more peak "
        f"(section 1) but run the {opts.first_last_bits}-bit first and last layers bit-serially "
        f"(ceil({opts.first_last_bits}/b)^2 passes), which costs most at 2 bits.",
        "",
    ]
    return "\n".join(text)


# --- (c) first and last layers ---------------------------------------------------------------------
def _first_last(study: _Study, opts: Options, figdir: Path, number: int) -> tuple[str, FigureInfo, dict[str, float], tuple[str, str, str]]:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    mode, scale = study.mode, study.scale
    gains: dict[tuple[int, str], float] = {}
    for b in (4, 2):
        for bw in opts.bandwidths:
            keep = study.run(opts, b, bw, True)[1]
            quant = study.run(opts, b, bw, False)[1]
            gains[(b, bw)] = keep.seconds_per_image / quant.seconds_per_image

    design, keep = study.run(opts, 4, "inf", True)
    quant = study.run(opts, 4, "inf", False)[1]
    edge = _edge_layers(keep, 4)
    mac_layers = [layer for layer in keep.layers if layer.macs]
    qlayers = {layer.name: layer for layer in quant.layers}
    first, last = mac_layers[0], mac_layers[-1]
    util = _util

    body = {layer.name for layer in mac_layers} - edge
    t_keep, t_quant = _time(keep), _time(quant)
    t_edge8, t_edge4 = _time(keep, edge), _time(quant, edge)
    t_body = _time(keep, body)
    s = t_edge8 / t_edge4
    gain = t_keep / t_quant
    share8 = t_edge8 / t_keep
    macs_total = sum(layer.macs for layer in mac_layers)
    edge_macs = sum(layer.macs for layer in mac_layers if layer.name in edge)
    g = PAPER_FIRST_LAST_GAIN
    if s > g:
        t_needed = (g - 1) * t_body / (1 - g / s)
        share_needed = t_needed / (t_body + t_needed)
        u_needed = util(keep, edge) * t_edge8 / t_needed
        need_text = (
            f"For {g:g}x with the same speed-up s = {s:.2f}x, the first and last layers would have to take "
            f"{_pct(share_needed)} of the time at {opts.first_last_bits} bits instead of {_pct(share8)}, i.e. run at "
            f"{_pct(u_needed)} utilization (against the design peak) instead of {_pct(util(keep, edge))}."
        )
    else:
        share_needed = u_needed = math.nan
        need_text = (
            f"{g:g}x is out of reach here whatever their share of the time: quantizing them speeds them up only "
            f"{s:.2f}x."
        )
    bwc = PAPER_BW_CONSTRAINED
    model = gains[(4, bwc)]
    verdict = _verdict(model, g)

    # the per-layer utilization figure
    fig = Figure(figsize=(9.0, 4.2), dpi=100)
    ax = fig.add_subplot()
    xs = list(range(len(mac_layers)))
    u_keep = [layer.array_utilization for layer in mac_layers]
    u_quant = [qlayers[layer.name].array_utilization for layer in mac_layers]
    ax.bar([x - 0.2 for x in xs], u_quant, width=0.4, color="tab:blue", label="all layers at 4 bits")
    ax.bar([x + 0.2 for x in xs], u_keep, width=0.4, color="tab:orange",
           label=f"first/last layers at {opts.first_last_bits} bits (PACT's runs)")
    body_u = util(keep, body)
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
        f"{display(study.name)} per-layer array utilization on the 4-bit iso-area design ({mode} MACs as more {scale})\n"
        f"{design.describe()}",
        fontsize=7.5,
    )
    fig.tight_layout()
    caption = (
        f"Figure {number}. Per-layer array utilization (MACs / (design peak x compute cycles)) of {display(study.name)} on "
        f"the 4-bit iso-area design, unconstrained bandwidth, with the first and last layers at "
        f"{opts.first_last_bits} bits (orange) and at 4 bits (blue); dashed: the body's average. System: "
        f"{design.describe()}."
    )
    info = _save(fig, figdir, f"{study.name}_first_last_utilization.png", caption)

    gain_rows = [[b] + [_x(gains[(b, bw)]) for bw in opts.bandwidths] + [_x(g)] for b in (4, 2)]
    layer_rows = []
    for label, names in ((f"first ({first.name})", {first.name}), ("body", body), (f"last ({last.name})", {last.name})):
        layer_rows.append([
            label,
            _pct(sum(layer.macs for layer in mac_layers if layer.name in names) / macs_total),
            f"{util(keep, names):.3f}",
            f"{util(quant, names):.3f}",
            _pct(_time(keep, names) / t_keep),
            _pct(_time(quant, names) / t_quant),
        ])
    text = [
        "## 3. Quantizing the first and last layers (PACT's 1.24x)",
        "",
        f"PACT keeps the first and last layers at 8 bits in its 4- and 2-bit runs and estimates \"an additional "
        f"{g:g}x improvement in performance\" if they were quantized too. Model: time per image with them at "
        f"{opts.first_last_bits} bits / time with every layer at the body's bits, on the same design "
        f"({mode} MACs as more {scale}):",
        "",
        _table(["body bits"] + [f"gain {describe_bw(bw)}" for bw in opts.bandwidths] + ["PACT"], gain_rows),
        "",
        f"**Against the paper.** {_x(model)} at 4 bits and {bwc} GB/s vs {g:g}x — {verdict}.",
        "",
        "Why: the gain is set by how much of the time the first and last layers take and how much faster they "
        "get. Per layer group on the 4-bit design (unconstrained bandwidth, so utilization is the mapping alone):",
        "",
        _table(["layers", "share of MACs", f"utilization (first/last at {opts.first_last_bits} b)",
                "utilization (all at 4 b)", f"share of time ({opts.first_last_bits} b)", "share of time (4 b)"],
               layer_rows),
        "",
        f"The first and last layers hold {_pct(edge_macs / macs_total)} of the MACs and take {_pct(share8)} of the "
        f"time at {opts.first_last_bits} bits; quantizing them makes them {s:.2f}x faster, so the whole network "
        f"gains 1 / (1 - {share8:.3f} x (1 - 1/{s:.2f})) = {_x(gain)}. {first.name} maps onto the array "
        f"{'about as well as' if util(quant, {first.name}) >= 0.8 * util(quant, body) else 'worse than'} the body "
        f"(utilization {util(quant, {first.name}):.2f} vs {util(quant, body):.2f} when all layers run at 4 bits): "
        f"under output-stationary mapping its 3 input channels only shorten the streamed reduction, they do not "
        f"leave array rows empty (docs/model.md section 4). {need_text} The paper's estimate therefore implies a "
        f"first layer that maps far worse than this model's (or a baseline whose first and last layers take a much "
        f"larger share of the time, e.g. a fully-connected-heavy network); DeepMatrix, the model PACT used, is not "
        f"public, so which one is unknown.",
        "",
        f"![first/last utilization](figures/{info.name})",
        "",
        f"*{caption}*",
        "",
    ]
    numbers = {
        "first_last_gain_4bit_bw": model,
        "first_last_gain_2bit_bw": gains[(2, bwc)],
        "first_last_share_time": share8,
        "first_layer_utilization": util(quant, {first.name}),
        "body_utilization": util(quant, body),
    }
    summary = (f"{g:g}x more from quantizing the first/last layers (4 or 2 bits)",
               f"{_x(model)} at 4 bits, {_x(gains[(2, bwc)])} at 2 bits ({bwc} GB/s)", verdict)
    return "\n".join(text), info, numbers, summary


# --- (d) other networks ----------------------------------------------------------------------------
def _others(studies: list[_Study], opts: Options, figdir: Path, first_number: int) -> tuple[str, list[FigureInfo]]:
    bwc = PAPER_BW_CONSTRAINED
    top = max(opts.bits)
    low = [b for b in opts.bits if b < top]
    headers = ["network", "GMAC/image", f"weights MB @ {top} b"]
    headers += [f"speedup {bwc} GB/s @ {b} b" for b in low] + [f"speedup unconstr. @ {b} b" for b in low]
    headers += ["weights fit from"]
    rows, notes, infos = [], [], []
    for i, st in enumerate(studies):
        g = st.graph
        fits = [b for b in opts.bits if _row(st.rows, b, "inf").weights_fit]
        rows.append(
            [display(st.name), f"{g.total_macs() / 1e9:.2f}", f"{g.total_weights() * top / 8 / MB:.1f}"]
            + [_x(_sp(_row(st.rows, b, bwc))) for b in low]
            + [_x(_sp(_row(st.rows, b, "inf"))) for b in low]
            + [f"{max(fits)} b" if fits else "never"]
        )
        sl = [b for b in low if _sp(_row(st.rows, b, bwc)) > _row(st.rows, b, bwc).peak_ratio]
        base_bw = _row(st.rows, top, bwc)
        eff2 = _ef(_row(st.rows, min(low), "inf"))
        note = f"* **{display(st.name)}**: "
        note += (f"weights fit on chip from {max(fits)} bits" if fits else
                 f"weights never fit in {opts.base.sram_bytes / MB:g} MB")
        note += f"; the {top}-bit design is {_pct(base_bw.stall_fraction)} stalled at {bwc} GB/s"
        note += (f"; super-linear at {bwc} GB/s at {', '.join(f'{b}' for b in sl)} bits" if sl else
                 f"; never super-linear at {bwc} GB/s")
        note += f"; unconstrained, {min(low)} bits reach {eff2:.2f} of the peak ratio."
        notes.append(note)
        infos.append(_speedup_figure(st, opts, figdir, first_number + i))
    sl_points, flip_points = [], []
    for st in studies:
        for b in low:
            r = _row(st.rows, b, bwc)
            if _sp(r) > r.peak_ratio:
                sl_points.append((st, b))
            if r.weights_fit and not _row(st.rows, top, bwc).weights_fit:
                flip_points.append((st, b))
    never = [display(st.name) for st in studies if not any(_row(st.rows, b, bwc).weights_fit for b in opts.bits)]
    always = [display(st.name) for st in studies if _row(st.rows, top, bwc).weights_fit]
    closing = ""
    if studies:
        necessary = all(p in flip_points for p in sl_points)
        if sl_points and necessary:
            closing = (f"Every point that beats its peak ratio at {bwc} GB/s is one whose weights fit on chip while "
                       f"the {top}-bit baseline's stream: the super-linear effect needs a network that stops "
                       f"streaming its weights when quantized.")
        elif sl_points:
            odd = [f"{display(st.name)} at {b} bits" for st, b in sl_points if (st, b) not in flip_points]
            closing = f"Super-linear points without the weights starting to fit on chip: {', '.join(odd)}."
        else:
            closing = f"No network here beats its peak ratio at {bwc} GB/s."
        short = [(st, b) for st, b in flip_points if (st, b) not in sl_points]
        if short:
            closing += " The converse does not always hold: " + "; ".join(
                f"{display(st.name)} at {b} bits fits but reaches {_x(_sp(_row(st.rows, b, bwc)))} of "
                f"{_x(_row(st.rows, b, bwc).peak_ratio)} peak (unconstrained efficiency "
                f"{_ef(_row(st.rows, b, 'inf')):.2f}: the mapping loses more than the saved traffic gains)"
                for st, b in short
            ) + "."
        if never:
            closing += f" Weights never fit: {', '.join(never)}."
        if always:
            closing += f" Weights fit even at {top} bits: {', '.join(always)}."
    text = [
        "## 4. Beyond the paper: " + ", ".join(display(s.name) for s in studies),
        "",
        f"PACT ran ResNet-50 only. The same study (default configurable MACs as more cores, first/last layers at "
        f"{opts.first_last_bits} bits, batch 1) on other networks of the zoo:",
        "",
        _table(headers, rows),
        "",
        *notes,
        "",
        closing,
        "",
    ]
    for info in infos:
        text += [f"![{info.name}](figures/{info.name})", "", f"*{info.caption}*", ""]
    return "\n".join(text), infos


# --- the report ------------------------------------------------------------------------------------
def _header(opts: Options) -> str:
    b = opts.base
    cores = {bits: iso_area(b, bits) for bits in opts.bits}
    lines = [
        "# Reproducing PACT's system study (Choi et al. 2018, section 6 / Fig. 6)",
        "",
        "<!-- Generated by `python -m accelsim.reproduce` (or `accelsim reproduce`). Do not edit by hand: "
        "rerun the command. -->",
        "",
        "Every number in this file comes from runs of this repository's simulator made by the generator; the only "
        "numbers typed into it are PACT's own statements, quoted with the paper's words, and the threshold used "
        f"to read \"near-linear\" (efficiency >= {NEAR_LINEAR:g}). A model number \"matches\" a paper number when "
        f"within {_pct(MATCH_TOL)}. Where it does not, the text says so and why. Nothing is tuned to the paper.",
        "",
        "## System",
        "",
        f"* Base (16-bit) system: {b.describe(with_bw=False)}; {b.peak_tmacs:.2f} TMAC/s peak. Each value and its "
        "source: docs/model.md section 2.",
        "* Iso-area design points keep the base's compute area, total on-chip memory and external bandwidth "
        "(PACT: \"the total on-chip memory and external bandwidth remains constant at all precisions\"). "
        "Default: precision-configurable MACs split 16/b ways, placed as more base-size cores: "
        + ", ".join(f"{bits} b: {_shape(d)} ({d.macs_per_cycle} MACs)" for bits, d in cores.items())
        + ".",
        f"* External bandwidth: {', '.join(describe_bw(x) for x in opts.bandwidths)} (PACT's three). Batch 1. "
        f"First and last MAC layers at {opts.first_last_bits} bits when the body is narrower (PACT).",
        "* Compute cycles per layer follow SCALE-Sim v2's accounting (docs/scalesim-accounting.md); memory "
        "traffic, on-chip residency and the shared external channel follow docs/model.md sections 5-8.",
        "",
    ]
    if opts != Options():
        extra = ", ".join(display(o) for o in opts.others) or "none"
        lines += [f"> **{'Quick mode' if opts.quick else 'Custom run'}**: {display(opts.main)} as the main network, "
                  f"extra networks: {extra}. Not the published report (`python -m accelsim.reproduce`).", ""]
    return "\n".join(lines)


def reproduce(
    out: str | Path = "docs",
    *,
    quick: bool = False,
    options: Options | None = None,
    log: Callable[[str], None] | None = None,
) -> Report:
    """Run every study and write ``<out>/reproducing-pact.md`` and ``<out>/figures/*.png``.

    Returns the files written, the figures' titles/axis labels/legends (read from the matplotlib
    objects), the section headings and the key numbers. `quick` uses `Options.reduced()`.
    """
    opts = options if options is not None else (Options.reduced() if quick else Options())
    say = log if log is not None else (lambda _msg: None)
    out = Path(out)
    figdir = out / FIGURES
    figdir.mkdir(parents=True, exist_ok=True)

    say("MAC density")
    density_text, density_fig, numbers = _density(opts, figdir)

    say(f"{opts.main}: iso-area sweeps ({len(opts.placements)} placements)")
    graph = _graph(opts.main)
    studies = {(m, s): _run_study(opts.main, graph, opts, m, s) for m, s in opts.placements}
    default = ("configurable", default_scale("configurable"))
    main = studies[default] if default in studies else _run_study(opts.main, graph, opts, *default)
    main_fig = _speedup_figure(main, opts, figdir, 2)
    statements, summary, more = _statements(main, opts)
    numbers.update(more)
    numbers["peak_4bit"] = _row(main.rows, 4, "inf").peak_ratio

    say(f"{opts.main}: first and last layers")
    fl_text, fl_fig, fl_numbers, fl_summary = _first_last(main, opts, figdir, 3)
    numbers.update(fl_numbers)

    others_text, other_figs = "", list[FigureInfo]()
    if opts.others:
        say(f"other networks: {', '.join(opts.others)}")
        others = [_run_study(name, _graph(name), opts, *default) for name in opts.others]
        others_text, other_figs = _others(others, opts, figdir, 4)

    name = display(opts.main)
    summary_rows = [
        (f"~{PAPER_DENSITY_2BIT:g}x MAC density 16 -> 2 bits (Fig. 6(b))", _x(numbers["density_2bit"]),
         f"{_verdict(numbers['density_2bit'], PAPER_DENSITY_2BIT)} (calibrated to it)"),
        *summary,
        fl_summary,
    ]
    main_text = [
        f"## 2. {name} iso-area speedup (PACT Fig. 6(c))",
        "",
        "### 2.1 The default system",
        "",
        f"![{name} speedup](figures/{main_fig.name})",
        "",
        f"*{main_fig.caption}*",
        "",
        _sweep_table(main, opts),
        "",
        "Efficiency = speedup / peak ratio at unconstrained bandwidth (1 = the ideal iso-area gain); "
        f"\"stalled\" = share of the time the cores wait on the external memory at {PAPER_BW_CONSTRAINED} GB/s; "
        "off-chip MB/image is the steady state (a model whose weights fit loads them once).",
        "",
        statements,
        _sensitivity(opts.main, graph, opts, studies),
    ]
    sections_md = [
        _header(opts),
        "## Summary",
        "",
        _table(["PACT says", f"this model ({name})", "verdict"], summary_rows),
        "",
        density_text,
        "\n".join(main_text),
        fl_text,
        *([others_text] if others_text else []),
        "## 5. How to regenerate",
        "",
        "```",
        "python -m accelsim.reproduce            # or: accelsim reproduce --out docs",
        "```",
        "",
        "It rewrites this file and docs/figures/*.png deterministically (no dates or timings in the files; PNGs "
        "carry no software or date metadata). `--quick` runs a reduced set for tests. Change the model, rerun, "
        "and the numbers above follow.",
        "",
    ]
    text = "\n".join(sections_md)
    md = out / REPORT
    atomic_write(md, text)
    sections = tuple(line for line in text.splitlines() if line.startswith("#"))
    figures = (density_fig, main_fig, fl_fig, *other_figs)
    return Report(md, figures, sections, numbers)


# --- command line ----------------------------------------------------------------------------------
def run_from_args(args: argparse.Namespace) -> int:
    report = reproduce(args.out, quick=args.quick, log=lambda msg: print(f"reproduce: {msg}", file=sys.stderr))
    print(f"wrote {report.markdown}")
    for fig in report.figures:
        print(f"wrote {fig.path}")
    for key, value in report.numbers.items():
        print(f"  {key:28s} {value:.3f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from accelsim.cli_report import add_arguments

    parser = argparse.ArgumentParser(prog="python -m accelsim.reproduce", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


__all__ = ["FigureInfo", "Options", "Report", "main", "reproduce"]

if __name__ == "__main__":
    sys.exit(main())
