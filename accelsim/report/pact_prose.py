"""The PACT report's generated prose: number formats, markdown tables, the paper-vs-model statements
and the report header. Every number comes from a run; only PACT's own statements are typed in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from accelsim.explore.record import SweepRow
from accelsim.hardware.bandwidth import describe_bw
from accelsim.hardware.design import MB, Accelerator, iso_area
from accelsim.report.pact_analysis import (
    Study,
    edge_layers,
    efficiency_of,
    layer_time,
    row_at,
    speedup_of,
    utilization,
)
from accelsim.report.pact_options import (
    MATCH_TOL,
    NEAR_LINEAR,
    PAPER_BW_CONSTRAINED,
    PAPER_PEAK_4BIT,
    PAPER_SPEEDUP_4BIT_64,
    Options,
    display,
)


def times(v: float) -> str:
    return f"{v:.2f}x"


def percent(v: float) -> str:
    return f"{100 * v:.1f} %" if abs(v) < 0.095 else f"{100 * v:.0f} %"


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def relative_to_paper(model: float, paper: float) -> str:
    return f"{100 * (model - paper) / paper:+.0f} %"


def paper_verdict(model: float, paper: float) -> str:
    return "matches" if abs(model - paper) <= MATCH_TOL * paper else "does not match"


def shape(d: Accelerator) -> str:
    lanes = f" x {d.lanes} lanes" if d.lanes > 1 else ""
    return f"{d.cores} x {d.rows}x{d.cols}{lanes}"


def sweep_table(study: Study, opts: Options) -> str:
    headers = ["bits", "MACs", "peak ratio"] + [f"speedup {describe_bw(b)}" for b in opts.bandwidths]
    headers += [
        "efficiency (unconstr.)",
        "weights on chip",
        "off-chip MB/image",
        f"stalled @ {PAPER_BW_CONSTRAINED} GB/s",
    ]
    rows = []
    for b in opts.bits:
        inf = row_at(study.rows, b, "inf")
        mid = row_at(study.rows, b, PAPER_BW_CONSTRAINED)
        rows.append(
            [b, inf.macs_per_cycle, times(inf.peak_ratio)]
            + [times(speedup_of(row_at(study.rows, b, bw))) for bw in opts.bandwidths]
            + [
                f"{efficiency_of(inf):.2f}",
                "yes" if inf.weights_fit else "no",
                f"{inf.offchip_mb:.2f}",
                percent(mid.stall_fraction),
            ]
        )
    return md_table(headers, rows)


#: One paper statement: its markdown lines and its summary-table row (PACT says, model, verdict).
Statement = tuple[list[str], tuple[str, str, str]]


def _efficiencies(rows: Sequence[SweepRow], opts: Options) -> dict[int, float]:
    """Speedup / peak ratio at unconstrained bandwidth, per precision."""
    return {b: efficiency_of(row_at(rows, b, "inf")) for b in opts.bits}


def _slowdowns(rows: Sequence[SweepRow], opts: Options) -> tuple[float, float]:
    """Time at the paper's constrained bandwidth over unconstrained: the widest design's, the 4-bit one's."""
    bwc, top = PAPER_BW_CONSTRAINED, max(opts.bits)
    slow_base = row_at(rows, top, bwc).seconds_per_image / row_at(rows, top, "inf").seconds_per_image
    slow_4 = row_at(rows, 4, bwc).seconds_per_image / row_at(rows, 4, "inf").seconds_per_image
    return slow_base, slow_4


def _peak_statement(rows: Sequence[SweepRow], opts: Options) -> Statement:
    """1. "4x peak -> 4.5x at 64 GB/s", with the exact identity that explains the model's value."""
    bwc, top = PAPER_BW_CONSTRAINED, max(opts.bits)
    r4, r4inf = row_at(rows, 4, bwc), row_at(rows, 4, "inf")
    base_bw = row_at(rows, top, bwc)
    # exact identity: speedup(bw) = speedup(inf) * slowdown_base(bw) / slowdown_design(bw)
    slow_base, slow_4 = _slowdowns(rows, opts)
    need_base = PAPER_SPEEDUP_4BIT_64 / speedup_of(r4inf) * slow_4
    super_linear = speedup_of(r4) > r4.peak_ratio
    verdict = paper_verdict(speedup_of(r4), PAPER_SPEEDUP_4BIT_64)
    if verdict != "matches" and super_linear:
        verdict = "super-linear as in the paper, but the value " + verdict
    elif not super_linear:
        verdict = "does not match (not super-linear)"
    lines = [
        f'**1. "16 to 4 bits leads to a {PAPER_PEAK_4BIT:g}x increase in peak FLOPs but a {PAPER_SPEEDUP_4BIT_64:g}x '
        f'improvement in performance" ({bwc} GB/s).** Model: {times(r4.peak_ratio)} peak, {times(speedup_of(r4))} '
        f"({relative_to_paper(speedup_of(r4), PAPER_SPEEDUP_4BIT_64)} vs the paper) — {verdict}.",
        "",
        f"Why: the speedup at {bwc} GB/s is exactly the unconstrained speedup times the ratio of how much the "
        f"external memory slows each design down: {times(speedup_of(r4))} = {times(speedup_of(r4inf))} x "
        f"{slow_base:.3f} / "
        f"{slow_4:.3f}. The {top}-bit design's weights "
        f"{'fit on chip' if base_bw.weights_fit else 'do not fit on chip, so they stream every image'} "
        f"({base_bw.offchip_mb:.1f} MB/image off chip), and it is {slow_base:.3f}x slower than unconstrained "
        f"({percent(base_bw.stall_fraction)} of its time stalled); the 4-bit design's weights "
        f"{'fit' if r4.weights_fit else 'do not fit'} in the {opts.base.sram_bytes / MB:g} MB on chip "
        f"({r4.offchip_mb:.2f} MB/image), so it runs at {slow_4:.3f}x of its unconstrained time. That removed "
        f"traffic is PACT's super-linear mechanism, and the model shows it"
        + ("." if super_linear else " too weakly to beat the peak ratio.")
        + f" To reach {PAPER_SPEEDUP_4BIT_64:g}x with this unconstrained speedup ({times(speedup_of(r4inf))}), the "
        f"{top}-bit design would have to be {need_base:.3f}x slower at {bwc} GB/s than unconstrained instead of "
        f"{slow_base:.3f}x: how memory-bound PACT's baseline was depends on its Fig. 6(a) parameters (array, "
        f"clock, SRAM), which are an image with no text copy; ours are the documented defaults (docs/model.md "
        f"section 2), not tuned to the paper.",
        "",
    ]
    summary = (
        f"{PAPER_PEAK_4BIT:g}x peak -> {PAPER_SPEEDUP_4BIT_64:g}x speedup at 16 -> 4 bits, {bwc} GB/s",
        f"{times(r4.peak_ratio)} peak -> {times(speedup_of(r4))} "
        "(other iso-area variants: section 2.3; modelling choices: section 2.4)",
        verdict,
    )
    return lines, summary


def _near_linear_statement(rows: Sequence[SweepRow], opts: Options) -> Statement:
    """2. "near-linear up to 4 bits" without a bandwidth limit, read as efficiency >= NEAR_LINEAR."""
    top = max(opts.bits)
    eff = _efficiencies(rows, opts)
    near = [b for b in opts.bits if b >= 4 and b < top]
    near_ok = all(eff[b] >= NEAR_LINEAR for b in near)
    effs = ", ".join(f"{eff[b]:.2f} at {b} bits" for b in near)
    verdict = "matches" if near_ok else "does not match"
    lines = [
        f'**2. "In the bandwidth unconstrained scenario ... a near-linear increase in performance for up-to 4 '
        f'bits".** Model efficiency (speedup / peak ratio, unconstrained): {effs}. Reading near-linear as an '
        f"efficiency of at least {NEAR_LINEAR:g}: {verdict}.",
        "",
    ]
    if not near_ok:
        worst = min(near, key=lambda b: eff[b])
        lines += [
            f"Why: at {worst} bits the design keeps {percent(row_at(rows, worst, 'inf').utilization)} of its MAC slots "
            f"busy vs {percent(row_at(rows, top, 'inf').utilization)} at {top} bits (section 3 shows the per-layer "
            f"losses: the {opts.first_last_bits}-bit first and last layers and the layers that do not divide evenly "
            f"over more MACs).",
            "",
        ]
    return lines, ("near-linear speedup up to 4 bits, unconstrained bandwidth", effs, verdict)


def _edge_share(study: Study, opts: Options, bits: int) -> tuple[float, int, float]:
    """At `bits`, unconstrained: the first/last layers' share of the time, their gang, the body's utilization."""
    _, res = study.run(opts, bits, "inf", True)
    edge = edge_layers(res, bits)
    body = {layer.name for layer in res.layers if layer.macs} - edge
    gang = max((layer.gang for layer in res.layers if layer.name in edge), default=1)
    return layer_time(res, edge) / layer_time(res), gang, utilization(res, body)


def _drop_statement(study: Study, opts: Options) -> Statement:
    """3. "a small drop at 2 bits", explained by the first/last layers' share and the body's utilization."""
    rows = study.rows
    eff = _efficiencies(rows, opts)
    drop = eff[4] - eff[2]
    verdict = "matches" if drop > 0 else "does not match"
    (sh4, g4, u4), (sh2, g2, u2) = _edge_share(study, opts, 4), _edge_share(study, opts, 2)
    why_drop = (
        f"the first and last layers stay at {opts.first_last_bits} bits, i.e. run at 1/{g2} of the 2-bit design's "
        f"peak rate (1/{g4} at 4 bits), so their share of the time grows from {percent(sh4)} at 4 bits to "
        f"{percent(sh2)} at 2 bits; "
        + (
            f"and the body's utilization falls from {u4:.2f} to {u2:.2f} as twice the MACs leave more of them "
            f"idle on layers that do not divide evenly."
            if u2 < u4
            else f"the body's utilization itself does not fall ({u4:.2f} -> {u2:.2f})."
        )
    )
    lines = [
        f'**3. "... and a small drop at extreme quantization levels (2 bits)".** Model: efficiency '
        f"{eff[4]:.2f} at 4 bits -> {eff[2]:.2f} at 2 bits (speedup {times(speedup_of(row_at(rows, 2, 'inf')))} of "
        f"{times(row_at(rows, 2, 'inf').peak_ratio)} peak) — {verdict}"
        + (f"; the drop is {drop:.2f} of efficiency." if drop > 0 else "."),
        "",
        f"Why: {why_drop}",
        "",
    ]
    return lines, ("small drop at 2 bits, unconstrained", f"efficiency {eff[4]:.2f} -> {eff[2]:.2f}", verdict)


def _super_linear_mechanism(rows: Sequence[SweepRow], opts: Options, points: list[tuple[str, int]]) -> str:
    """Whether the super-linear points are the ones whose weights start to fit on chip."""
    top = max(opts.bits)
    fit_flip = [
        (bw, b) for bw, b in points if row_at(rows, b, bw).weights_fit and not row_at(rows, top, bw).weights_fit
    ]
    if points and fit_flip == points:
        return (
            f"Every one of them is a point whose weights fit on chip while the {top}-bit baseline's do "
            f"not: the saved traffic, not the extra MACs, makes the difference."
        )
    if points:
        return (
            f"{len(fit_flip)} of the {len(points)} are points whose weights fit on chip while the {top}-bit "
            f"baseline's do not; the others gain from less traffic per image at fewer bits."
        )
    return "No design point beats its peak ratio at a constrained bandwidth."


def _super_linear_statement(rows: Sequence[SweepRow], opts: Options) -> Statement:
    """4. "constrained systems are super-linear": every constrained point above its peak ratio."""
    top = max(opts.bits)
    points = [
        (bw, b)
        for bw in opts.bandwidths
        if bw != "inf"
        for b in opts.bits
        if b < top and speedup_of(row_at(rows, b, bw)) > row_at(rows, b, bw).peak_ratio
    ]
    listed = ", ".join(f"{b} bits @ {bw} GB/s ({times(speedup_of(row_at(rows, b, bw)))})" for bw, b in points) or "none"
    verdict = "matches" if points else "does not match"
    lines = [
        f'**4. "Practical systems, whose bandwidths are constrained, (surprisingly) exhibit a super-linear '
        f'growth in performance with quantization."** Super-linear points in the model: {listed} — {verdict}. '
        + _super_linear_mechanism(rows, opts, points),
        "",
    ]
    return lines, ("super-linear growth when bandwidth is constrained", listed, verdict)


def paper_statements(study: Study, opts: Options) -> tuple[str, list[tuple[str, str, str]], dict[str, float]]:
    """PACT's Fig. 6(c) statements against the main study, each with a generated explanation."""
    rows = study.rows
    out: list[str] = ["### 2.2 Against the paper's statements", ""]
    summary: list[tuple[str, str, str]] = []
    for lines, row in (
        _peak_statement(rows, opts),
        _near_linear_statement(rows, opts),
        _drop_statement(study, opts),
        _super_linear_statement(rows, opts),
    ):
        out += lines
        summary.append(row)
    r4, r4inf = row_at(rows, 4, PAPER_BW_CONSTRAINED), row_at(rows, 4, "inf")
    eff = _efficiencies(rows, opts)
    numbers = {
        "speedup_4bit_bw": speedup_of(r4),
        "speedup_4bit_inf": speedup_of(r4inf),
        "peak_4bit": r4.peak_ratio,
        "efficiency_inf_8bit": eff.get(8, math.nan),
        "efficiency_inf_4bit": eff[4],
        "efficiency_inf_2bit": eff[2],
        "base_slowdown_bw": _slowdowns(rows, opts)[0],
    }
    return "\n".join(out), summary, numbers


def header(opts: Options) -> str:
    b = opts.base
    cores = {bits: iso_area(b, bits) for bits in opts.bits}
    lines = [
        "# Reproducing PACT's system study (Choi et al. 2018, section 6 / Fig. 6)",
        "",
        "<!-- Generated by `accelsim reproduce` (or `python -m accelsim reproduce`). Do not edit by hand: "
        "rerun the command. -->",
        "",
        "Every number in this file comes from runs of this repository's simulator made by the generator; the only "
        "numbers typed into it are PACT's own statements, quoted with the paper's words, and the threshold used "
        f'to read "near-linear" (efficiency >= {NEAR_LINEAR:g}). A model number "matches" a paper number when '
        f"within {percent(MATCH_TOL)}. Where it does not, the text says so and why. Nothing is tuned to the paper.",
        "",
        "## System",
        "",
        f"* Base (16-bit) system: {b.describe(with_bw=False)}; {b.peak_tmacs:.2f} TMAC/s peak. Each value and its "
        "source: docs/model.md section 2.",
        "* Iso-area design points keep the base's compute area, total on-chip memory and external bandwidth "
        '(PACT: "the total on-chip memory and external bandwidth remains constant at all precisions"). '
        "Default: precision-configurable MACs split 16/b ways, placed as more base-size cores: "
        + ", ".join(f"{bits} b: {shape(d)} ({d.macs_per_cycle} MACs)" for bits, d in cores.items())
        + ".",
        f"* External bandwidth: {', '.join(describe_bw(x) for x in opts.bandwidths)} (PACT's three). Batch 1. "
        f"First and last MAC layers at {opts.first_last_bits} bits when the body is narrower (PACT).",
        "* Compute cycles per layer follow SCALE-Sim v2's accounting (docs/scalesim-accounting.md); memory "
        "traffic, on-chip residency and the shared external channel follow docs/model.md sections 5-12.",
        "",
    ]
    if opts != Options():
        extra = ", ".join(display(o) for o in opts.others) or "none"
        lines += [
            f"> **{'Quick mode' if opts.quick else 'Custom run'}**: {display(opts.main)} as the main network, "
            f"extra networks: {extra}. Not the published report (`accelsim reproduce`).",
            "",
        ]
    return "\n".join(lines)


__all__ = [
    "header",
    "md_table",
    "paper_statements",
    "paper_verdict",
    "percent",
    "relative_to_paper",
    "shape",
    "sweep_table",
    "times",
]
