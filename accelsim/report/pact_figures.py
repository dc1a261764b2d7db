"""Saving the PACT report's figures with the metadata the report cites (path, caption, number)."""

from __future__ import annotations

from pathlib import Path

from accelsim.report.pact_analysis import (
    Study,
)
from accelsim.report.pact_options import (
    FigureInfo,
    Options,
    display,
)
from accelsim.report.plot import save_figure, speedup_figure, system_title


def figure_info(fig, name: str, path: Path, caption: str) -> FigureInfo:  # type: ignore[no-untyped-def]
    ax = fig.axes[0]
    legend = ax.get_legend()
    labels = tuple(t.get_text() for t in legend.get_texts()) if legend is not None else ()
    title = ax.get_title() or (fig._suptitle.get_text() if fig._suptitle is not None else "")
    return FigureInfo(name, path, title, ax.get_xlabel(), ax.get_ylabel(), labels, caption)


def save(fig, figdir: Path, name: str, caption: str) -> FigureInfo:  # type: ignore[no-untyped-def]
    path = figdir / name
    info = figure_info(fig, name, path, caption)
    save_figure(fig, path)
    return info


def study_speedup_figure(study: Study, opts: Options, figdir: Path, number: int) -> FigureInfo:
    title = system_title(opts.base, display(study.name), study.mode, study.scale, opts.first_last_bits)
    fig = speedup_figure(study.rows, title)
    caption = (
        f"{display(study.name)} (batch 1): speedup of each iso-area design point over the {opts.base.mac_w_bits}-bit "
        f"design at the same external bandwidth; dashed: the ideal (peak MAC/s ratio). Base system: "
        f"{opts.base.describe(with_bw=False)}; iso-area {study.mode} MACs placed as more {study.scale}; "
        f"first/last layers at {opts.first_last_bits} bits when the body is narrower."
    )
    return save(fig, figdir, f"{study.name}_speedup.png", f"Figure {number}. {caption}")


__all__ = ["figure_info", "save", "study_speedup_figure"]
