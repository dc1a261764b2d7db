"""The PACT reproduction report generator (accelsim.report.pact_study) on a reduced set, into tmp_path."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from accelsim.cli.main import build_parser
from accelsim.report.pact_options import FIGURES, REPORT, Options
from accelsim.report.pact_study import reproduce

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REPO_DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("report")
    return out, reproduce(out, quick=True)


def test_writes_the_markdown_with_every_section(quick) -> None:
    out, report = quick
    assert report.markdown == out / REPORT and report.markdown.is_file()
    text = report.markdown.read_text()
    for heading in (
        "# Reproducing PACT's system study",
        "## System",
        "## Summary",
        "## 1. MAC density vs precision (PACT Fig. 6(b))",
        "## 2. ResNet-18 iso-area speedup (PACT Fig. 6(c))",
        "### 2.2 Against the paper's statements",
        "### 2.3 Sensitivity: where the iso-area MACs go, and dedicated MACs",
        "## 3. Quantizing the first and last layers (PACT's 1.24x)",
        "## 4. Beyond the paper: AlexNet",
        "## 5. How to regenerate",
    ):
        assert any(line.startswith(heading) for line in report.sections), heading
    assert "Quick mode" in text
    # the sensitivity table has every placement, and the dedicated mode
    for variant in (
        "configurable / cores (default)",
        "configurable / array",
        "configurable / lanes",
        "dedicated / array",
    ):
        assert variant in text
    # every verdict line is generated, and a mismatch is said as such
    assert "does not match" in text or "matches" in text


def test_numbers_in_the_text_are_the_runs(quick) -> None:
    _, report = quick
    text = report.markdown.read_text()
    n = report.numbers
    assert all(math.isfinite(v) for v in n.values())
    assert f"{n['density_2bit']:.2f}x" in text
    assert f"{n['speedup_4bit_bw']:.2f}x" in text
    assert f"{n['first_last_gain_4bit_bw']:.2f}x" in text
    assert f"{n['efficiency_inf_4bit']:.2f}" in text
    # PACT's 4x peak at 4 bits is the configurable MAC split, by definition
    assert n["peak_4bit"] == pytest.approx(4.0)


def test_figures_exist_are_linked_and_labelled(quick) -> None:
    out, report = quick
    text = report.markdown.read_text()
    names = [f.name for f in report.figures]
    assert names == [
        "mac_density.png",
        "resnet18_speedup.png",
        "resnet18_first_last_utilization.png",
        "alexnet_speedup.png",
    ]
    for fig in report.figures:
        assert fig.path == out / FIGURES / fig.name
        assert fig.path.read_bytes()[:8] == PNG_MAGIC
        assert f"](figures/{fig.name})" in text
        assert fig.xlabel and fig.ylabel and fig.title
        assert len(fig.legend) >= 2, fig.name
        # the system parameters are stated in the title or the caption
        described = fig.title + " " + fig.caption
        assert "14nm" in described or "14 nm" in described, fig.name
    speedup = {f.name: f for f in report.figures}["resnet18_speedup.png"]
    assert "ideal (peak MAC/s ratio)" in speedup.legend
    assert {"32 GB/s", "64 GB/s", "unconstrained"} <= set(speedup.legend)
    assert "16x32" in speedup.title and "MB on chip" in speedup.title
    util = {f.name: f for f in report.figures}["resnet18_first_last_utilization.png"]
    assert "16 cores x 16x32" in util.title and "inf GB/s" in util.title


def test_output_is_byte_stable(tmp_path: Path) -> None:
    """Two runs give identical files (a tiny set: one network, one placement)."""
    opts = Options(main="alexnet", others=(), placements=(("configurable", "cores"),), quick=True)
    first = reproduce(tmp_path / "a", options=opts)
    second = reproduce(tmp_path / "b", options=opts)
    assert first.markdown.read_bytes() == second.markdown.read_bytes()
    assert "## 4." not in first.markdown.read_text()  # no extra networks, no section 4
    for a, b in zip(first.figures, second.figures, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes(), a.name
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", first.markdown.read_text())  # no dates


def test_cli_registers_reproduce() -> None:
    args = build_parser().parse_args(["reproduce", "--quick", "--out", "somewhere"])
    assert args.quick and args.out == "somewhere"
    assert args.func.__module__ == "accelsim.cli.report_commands"


def test_committed_report_links_existing_figures() -> None:
    report = REPO_DOCS / REPORT
    if not report.is_file():
        pytest.skip("docs/reproducing-pact.md not generated yet")
    links = re.findall(r"\]\((figures/[^)]+)\)", report.read_text())
    assert links
    for link in links:
        assert (REPO_DOCS / link).is_file(), link


def test_every_number_reproduce_prints_has_a_label(quick) -> None:
    from accelsim.cli.report_commands import NUMBER_LABELS

    _, report = quick
    assert set(report.numbers) <= set(NUMBER_LABELS)


def test_ablation_has_the_memory_model_rows_computed_by_the_model(quick) -> None:
    """Issue 11's pooled-SRAM and all-or-nothing rows are in the table with their numbers, inside
    the stated band (the switches themselves: tests/test_memory_switches.py)."""
    from accelsim.report.pact_ablation import ALL_OR_NOTHING, OLD_MEMORY, POOLED

    _, report = quick
    text = report.markdown.read_text()
    n = report.numbers
    for label in (POOLED, ALL_OR_NOTHING, OLD_MEMORY):
        assert f"| {label} |" in text
    assert f"{n['ablation_pooled_64']:.2f}x" in text and f"{n['ablation_all_or_nothing_64']:.2f}x" in text
    assert n["ablation_band_64_lo"] <= n["ablation_all_or_nothing_64"] <= n["ablation_band_64_hi"]
    assert n["ablation_band_32_lo"] <= n["ablation_default_32"] <= n["ablation_band_32_hi"]
    assert "### 2.4 Ablation" in text  # its own number, after 2.3 Sensitivity


def test_ablation_has_the_deeper_lookahead_row_and_states_its_verdict(quick) -> None:
    """The deeper-prefetch row (both designs at L = DEEP_LOOKAHEAD) is in the table, inside the band,
    and the headline text names its speedups and whether super-linear survives it."""
    from accelsim.report.pact_ablation import DEEP_LOOKAHEAD, DEEP_PREFETCH

    _, report = quick
    text = report.markdown.read_text()
    n = report.numbers
    assert f"| {DEEP_PREFETCH} |" in text
    assert n["ablation_band_64_lo"] <= n["ablation_deep_prefetch_64"] <= n["ablation_band_64_hi"]
    headline = next(line for line in text.splitlines() if line.startswith("Headline band"))
    assert f"prefetches {DEEP_LOOKAHEAD} layers ahead" in headline
    assert f"{n['ablation_deep_prefetch_32']:.2f}x at 32 GB/s and {n['ablation_deep_prefetch_64']:.2f}x" in headline


def test_deeper_lookahead_is_the_16_bit_resnet50_baselines_best_at_64_gb_s() -> None:
    """The row's L is the one docs/model.md section 12 names: no L in 0..8 makes the 16-bit ResNet-50
    baseline faster at 64 GB/s (so the row is the most competent prefetching baseline there)."""
    from dataclasses import replace

    import workloads
    from accelsim.hardware.design import Accelerator
    from accelsim.model.fit import policy_for
    from accelsim.model.sim import simulate
    from accelsim.report.pact_ablation import DEEP_LOOKAHEAD

    graph = workloads.load("resnet50").with_policy(policy_for(16, 8))
    seconds = {
        lookahead: simulate(graph, replace(Accelerator(bw_gb_per_s=64.0), prefetch_layers=lookahead)).seconds_per_image
        for lookahead in range(9)
    }
    assert seconds[DEEP_LOOKAHEAD] == min(seconds.values())
    assert seconds[DEEP_LOOKAHEAD] < seconds[Accelerator().prefetch_layers]
