"""The PACT report's placement sensitivity (section 2.3) and (d) other networks (section 4): each reads
its studies and writes its text (section 1: `pact_density`; section 3: `pact_first_last`).
"""

from __future__ import annotations

from pathlib import Path

from accelsim.hardware.bandwidth import describe_bw
from accelsim.hardware.design import MB, default_scale, iso_area
from accelsim.ir.graph import LayerGraph
from accelsim.report.pact_analysis import (
    Study,
    efficiency_of,
    row_at,
    speedup_of,
)
from accelsim.report.pact_figures import (
    study_speedup_figure,
)
from accelsim.report.pact_options import (
    PAPER_BW_CONSTRAINED,
    FigureInfo,
    Options,
    display,
)
from accelsim.report.pact_prose import (
    md_table,
    percent,
    shape,
    times,
)


def sensitivity_section(name: str, graph: LayerGraph, opts: Options, studies: dict[tuple[str, str], Study]) -> str:
    headers = ["MACs / placement", "bits", "design (cores x array)", "peak ratio"]
    headers += [f"speedup {describe_bw(b)}" for b in opts.bandwidths] + ["weights on chip"]
    rows = []
    for mode, scale in opts.placements:
        s = studies[(mode, scale)]
        default = " (default)" if scale == default_scale(mode) else ""
        for b in opts.bits:
            if b == max(opts.bits):
                continue
            inf = row_at(s.rows, b, "inf")
            design = iso_area(opts.base, b, mode, scale)
            rows.append(
                [f"{mode} / {scale}{default}", b, shape(design), times(inf.peak_ratio)]
                + [times(speedup_of(row_at(s.rows, b, bw))) for bw in opts.bandwidths]
                + ["yes" if inf.weights_fit else "no"]
            )
    bwc = PAPER_BW_CONSTRAINED
    at4 = {k: row_at(s.rows, 4, bwc) for k, s in studies.items()}
    lo = min(at4.items(), key=lambda kv: speedup_of(kv[1]))
    hi = max(at4.items(), key=lambda kv: speedup_of(kv[1]))
    sl = [f"{m} / {s}" for (m, s), r in at4.items() if speedup_of(r) > r.peak_ratio]
    conf = {k: v for k, v in at4.items() if k[0] == "configurable"}
    base_key = ("configurable", default_scale("configurable"))
    bw_spread = None
    if base_key in studies:
        by_bw = [speedup_of(row_at(studies[base_key].rows, 4, bw)) for bw in opts.bandwidths]
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
        md_table(headers, rows),
        "",
        f"At 4 bits and {bwc} GB/s the variants span {times(speedup_of(lo[1]))} ({lo[0][0]} / {lo[0][1]}) to "
        f"{times(speedup_of(hi[1]))} ({hi[0][0]} / {hi[0][1]}); super-linear (above their own peak ratio) there: "
        f"{', '.join(sl) if sl else 'none'}. The configurable placements alone span "
        f"{times(min(speedup_of(r) for r in conf.values()))} to {times(max(speedup_of(r) for r in conf.values()))}"
        + (
            f", while the default's 4-bit speedup over the three bandwidths spans {times(bw_spread[0])} to "
            f"{times(bw_spread[1])}"
            if bw_spread
            else ""
        )
        + ". Why they differ: a bigger array pays a longer fill and drain (R + C - 2 cycles) on every fold and "
        f"leaves more PEs idle on layers smaller than it; more lanes shorten each fold's streaming (K / L) but "
        f"not its fill and drain, so the fixed per-fold cost weighs more; more base-size cores keep the 16-bit "
        f"array's per-fold cost but need each layer to split over more cores. Dedicated MACs have more peak "
        f"(section 1) but run the {opts.first_last_bits}-bit first and last layers bit-serially "
        f"(ceil({opts.first_last_bits}/b)^2 passes), which costs most at 2 bits.",
        "",
    ]
    return "\n".join(text)


def _network_row(st: Study, opts: Options, low: list[int]) -> list[str]:
    bwc, top = PAPER_BW_CONSTRAINED, max(opts.bits)
    g = st.graph
    fits = [b for b in opts.bits if row_at(st.rows, b, "inf").weights_fit]
    return (
        [display(st.name), f"{g.total_macs() / 1e9:.2f}", f"{g.total_weights() * top / 8 / MB:.1f}"]
        + [times(speedup_of(row_at(st.rows, b, bwc))) for b in low]
        + [times(speedup_of(row_at(st.rows, b, "inf"))) for b in low]
        + [f"{max(fits)} b" if fits else "never"]
    )


def _network_note(st: Study, opts: Options, low: list[int]) -> str:
    """One bullet: where the weights fit, how stalled the baseline is, where it is super-linear."""
    bwc, top = PAPER_BW_CONSTRAINED, max(opts.bits)
    fits = [b for b in opts.bits if row_at(st.rows, b, "inf").weights_fit]
    ratio = {b: speedup_of(row_at(st.rows, b, bwc)) / row_at(st.rows, b, bwc).peak_ratio for b in low}
    sl = [b for b in low if ratio[b] > 1]
    base_bw = row_at(st.rows, top, bwc)
    eff2 = efficiency_of(row_at(st.rows, min(low), "inf"))
    note = f"* **{display(st.name)}**: "
    note += (
        f"weights fit on chip from {max(fits)} bits"
        if fits
        else f"weights never fit in {opts.base.sram_bytes / MB:g} MB"
    )
    note += f"; the {top}-bit design is {percent(base_bw.stall_fraction)} stalled at {bwc} GB/s"
    note += (
        f"; super-linear at {bwc} GB/s at {', '.join(f'{b}' for b in sl)} bits (speedup / peak ratio "
        f"{', '.join(f'{ratio[b]:.3f}' for b in sl)})"
        if sl
        else f"; never super-linear at {bwc} GB/s"
    )
    note += f"; unconstrained, {min(low)} bits reach {eff2:.2f} of the peak ratio."
    return note


def _super_linear_closing(studies: list[Study], opts: Options, low: list[int]) -> str:
    """Whether every super-linear point is one whose weights start to fit, and the converse."""
    bwc, top = PAPER_BW_CONSTRAINED, max(opts.bits)
    sl_points, flip_points = [], []
    for st in studies:
        for b in low:
            r = row_at(st.rows, b, bwc)
            if speedup_of(r) > r.peak_ratio:
                sl_points.append((st, b))
            if r.weights_fit and not row_at(st.rows, top, bwc).weights_fit:
                flip_points.append((st, b))
    if sl_points and all(p in flip_points for p in sl_points):
        closing = (
            f"Every point that beats its peak ratio at {bwc} GB/s is one whose weights fit on chip while "
            f"the {top}-bit baseline's stream: the super-linear effect needs a network that stops "
            f"streaming its weights when quantized."
        )
    elif sl_points:
        odd = [f"{display(st.name)} at {b} bits" for st, b in sl_points if (st, b) not in flip_points]
        closing = f"Super-linear points without the weights starting to fit on chip: {', '.join(odd)}."
    else:
        closing = f"No network here beats its peak ratio at {bwc} GB/s."
    short = [(st, b) for st, b in flip_points if (st, b) not in sl_points]
    if short:
        closing += (
            " The converse does not always hold: "
            + "; ".join(
                f"{display(st.name)} at {b} bits fits but reaches {times(speedup_of(row_at(st.rows, b, bwc)))} of "
                f"{times(row_at(st.rows, b, bwc).peak_ratio)} peak (unconstrained efficiency "
                f"{efficiency_of(row_at(st.rows, b, 'inf')):.2f}: the mapping loses more than the saved traffic gains)"
                for st, b in short
            )
            + "."
        )
    return closing


def _fit_extremes(studies: list[Study], opts: Options) -> str:
    """The networks whose weights never fit, and those that fit even at the widest precision."""
    bwc, top = PAPER_BW_CONSTRAINED, max(opts.bits)
    never = [display(st.name) for st in studies if not any(row_at(st.rows, b, bwc).weights_fit for b in opts.bits)]
    always = [display(st.name) for st in studies if row_at(st.rows, top, bwc).weights_fit]
    out = f" Weights never fit: {', '.join(never)}." if never else ""
    return out + (f" Weights fit even at {top} bits: {', '.join(always)}." if always else "")


def others_section(
    studies: list[Study], opts: Options, figdir: Path, first_number: int
) -> tuple[str, list[FigureInfo]]:
    """Section 4: the speedup study on the networks PACT did not run, a figure each."""
    bwc, top = PAPER_BW_CONSTRAINED, max(opts.bits)
    low = [b for b in opts.bits if b < top]
    headers = ["network", "GMAC/image", f"weights MB @ {top} b"]
    headers += [f"speedup {bwc} GB/s @ {b} b" for b in low] + [f"speedup unconstr. @ {b} b" for b in low]
    headers += ["weights fit from"]
    infos = [study_speedup_figure(st, opts, figdir, first_number + i) for i, st in enumerate(studies)]
    closing = _super_linear_closing(studies, opts, low) + _fit_extremes(studies, opts) if studies else ""
    text = [
        "## 4. Beyond the paper: " + ", ".join(display(s.name) for s in studies),
        "",
        f"PACT ran ResNet-50 only. The same study (default configurable MACs as more cores, first/last layers at "
        f"{opts.first_last_bits} bits, batch 1) on other networks of the zoo:",
        "",
        md_table(headers, [_network_row(st, opts, low) for st in studies]),
        "",
        *[_network_note(st, opts, low) for st in studies],
        "",
        closing,
        "",
    ]
    for info in infos:
        text += [f"![{info.name}](figures/{info.name})", "", f"*{info.caption}*", ""]
    return "\n".join(text), infos


__all__ = ["others_section", "sensitivity_section"]
