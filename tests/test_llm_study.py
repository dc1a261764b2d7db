"""The generated LLM decode study: files, determinism, the back-of-envelope statement."""

from __future__ import annotations

import re

from accelsim.cli import main
from accelsim.report.llm_study import StudyOptions, llm_study


def test_quick_study_writes_a_stable_report(tmp_path) -> None:
    first = llm_study(tmp_path / "a", options=StudyOptions.quick())
    second = llm_study(tmp_path / "b", options=StudyOptions.quick())
    text = first.markdown.read_text()
    assert first.markdown.read_bytes() == second.markdown.read_bytes()
    assert [f.read_bytes() for f in first.figures] == [f.read_bytes() for f in second.figures]
    assert "## gpt2: decode" in text and "time to first token" in text and "HBM-class" in text
    assert re.search(r"The simulation gives [\d,.]+ tokens/s", text)
    assert 0.9 < first.numbers["gpt2_16b_roofline_ratio"] <= 1.0
    for link in re.findall(r"\]\((figures/[^)]+)\)", text):
        assert (tmp_path / "a" / link).is_file()


def test_cli_runs_the_quick_study(tmp_path, capsys) -> None:
    assert main(["llm-study", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "llm-decode.md" in out and "gpt2_16b_tokens_per_s" in out
