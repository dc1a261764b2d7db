"""Regenerate the PACT reproduction report: ``docs/reproducing-pact.md`` and ``docs/figures/``.

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

from collections.abc import Callable
from pathlib import Path

from accelsim.atomic import atomic_write
from accelsim.hardware.design import default_scale
from accelsim.ir.graph import LayerGraph
from accelsim.report.pact_ablation import ablation_section
from accelsim.report.pact_analysis import (
    Study,
    load_graph,
    row_at,
    run_study,
)
from accelsim.report.pact_density import density_section
from accelsim.report.pact_figures import (
    study_speedup_figure,
)
from accelsim.report.pact_first_last import first_last_section
from accelsim.report.pact_options import (
    FIGURES,
    PAPER_BW_CONSTRAINED,
    PAPER_DENSITY_2BIT,
    REPORT,
    FigureInfo,
    Options,
    Report,
    display,
)
from accelsim.report.pact_prose import (
    header,
    md_table,
    paper_statements,
    paper_verdict,
    sweep_table,
    times,
)
from accelsim.report.pact_sections import (
    others_section,
    sensitivity_section,
)

REGENERATE = "\n".join(
    [
        "## 5. How to regenerate",
        "",
        "```",
        "accelsim reproduce --out docs            # or: python -m accelsim reproduce",
        "```",
        "",
        "It rewrites this file and docs/figures/*.png deterministically (no dates or timings in the files; PNGs "
        "carry no software or date metadata). `--quick` runs a reduced set for tests. Change the model, rerun, "
        "and the numbers above follow.",
        "",
    ]
)


def main_studies(graph: LayerGraph, opts: Options) -> tuple[dict[tuple[str, str], Study], Study]:
    """The main network's study per placement, and the default placement's (run on its own if not listed)."""
    studies = {(m, s): run_study(opts.main, graph, opts, m, s) for m, s in opts.placements}
    default = ("configurable", default_scale("configurable"))
    main = studies[default] if default in studies else run_study(opts.main, graph, opts, *default)
    return studies, main


def main_section(main: Study, main_fig: FigureInfo, opts: Options, statements: str, rest: list[str]) -> str:
    """Section 2: the default system's sweep, the paper's statements, then `rest` (sensitivity, ablation)."""
    name = display(opts.main)
    text = [
        f"## 2. {name} iso-area speedup (PACT Fig. 6(c))",
        "",
        "### 2.1 The default system",
        "",
        f"![{name} speedup](figures/{main_fig.name})",
        "",
        f"*{main_fig.caption}*",
        "",
        sweep_table(main, opts),
        "",
        "Efficiency = speedup / peak ratio at unconstrained bandwidth (1 = the ideal iso-area gain); "
        f'"stalled" = share of the time the cores wait on the external memory at {PAPER_BW_CONSTRAINED} GB/s; '
        "off-chip MB/image is the steady state (a model whose weights fit loads them once).",
        "",
        statements,
        *rest,
    ]
    return "\n".join(text)


def summary_section(opts: Options, density_2bit: float, rows: list[tuple[str, str, str]]) -> str:
    """The summary table: PACT's density claim, then each statement's row (`rows`)."""
    density = (
        f"~{PAPER_DENSITY_2BIT:g}x MAC density 16 -> 2 bits (Fig. 6(b))",
        times(density_2bit),
        f"{paper_verdict(density_2bit, PAPER_DENSITY_2BIT)} (calibrated to it)",
    )
    table = md_table(["PACT says", f"this model ({display(opts.main)})", "verdict"], [density, *rows])
    return "\n".join(["## Summary", "", table, ""])


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
    density_text, density_fig, numbers = density_section(opts, figdir)

    say(f"{opts.main}: iso-area sweeps ({len(opts.placements)} placements)")
    graph = load_graph(opts.main)
    studies, main = main_studies(graph, opts)
    main_fig = study_speedup_figure(main, opts, figdir, 2)
    statements, summary, more = paper_statements(main, opts)
    numbers.update(more)
    numbers["peak_4bit"] = row_at(main.rows, 4, "inf").peak_ratio

    say(f"{opts.main}: ablation")
    ablation_text, ablation_numbers = ablation_section(opts.main, graph, opts, "2.4")
    numbers.update(ablation_numbers)

    say(f"{opts.main}: first and last layers")
    fl_text, fl_fig, fl_numbers, fl_summary = first_last_section(main, opts, figdir, 3)
    numbers.update(fl_numbers)

    others_text, other_figs = "", list[FigureInfo]()
    if opts.others:
        say(f"other networks: {', '.join(opts.others)}")
        default = ("configurable", default_scale("configurable"))
        others = [run_study(name, load_graph(name), opts, *default) for name in opts.others]
        others_text, other_figs = others_section(others, opts, figdir, 4)

    sections_md = [
        header(opts),
        summary_section(opts, numbers["density_2bit"], [*summary, fl_summary]),
        density_text,
        main_section(
            main, main_fig, opts, statements, [sensitivity_section(opts.main, graph, opts, studies), ablation_text]
        ),
        fl_text,
        *([others_text] if others_text else []),
        REGENERATE,
    ]
    text = "\n".join(sections_md)
    md = out / REPORT
    atomic_write(md, text)
    sections = tuple(line for line in text.splitlines() if line.startswith("#"))
    figures = (density_fig, main_fig, fl_fig, *other_figs)
    return Report(md, figures, sections, numbers)


__all__ = ["reproduce"]
