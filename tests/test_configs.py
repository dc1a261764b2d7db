"""The example accelerators in configs/: they load, say what their comments say, and round-trip."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

import tech
from accelsim.hardware.design import RENAMED_KEYS, Accelerator, load_accelerator

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_every_example_loads_and_round_trips() -> None:
    paths = sorted(CONFIGS.glob("*.toml"))
    assert [p.name for p in paths] == [
        "edge-npu.toml",
        "hbm-datacenter.toml",
        "pact-default.toml",
        "tpu-like.toml",
        "tpu-v1.toml",
    ]
    for path in paths:
        accel = load_accelerator(path)
        assert Accelerator.from_dict(accel.to_dict()) == accel
        keys = tomllib.loads(path.read_text())["accelerator"]
        assert not set(keys) & set(RENAMED_KEYS), f"{path.name} uses an old key"


def test_pact_default_file_is_the_built_in_default() -> None:
    assert load_accelerator(CONFIGS / "pact-default.toml") == Accelerator()


def test_tpu_v1_matches_its_publication() -> None:
    """Jouppi et al., ISCA 2017: 65,536 8-bit MACs at 700 MHz = 92 TOPS; 24 + 4 MiB on chip; 34 GB/s DDR3."""
    tpu = load_accelerator(CONFIGS / "tpu-v1.toml")
    assert tpu.macs_per_cycle == 65_536 and (tpu.mac_w_bits, tpu.mac_a_bits) == (8, 8)
    assert 2 * tpu.peak_macs_per_s / 1e12 == pytest.approx(92, rel=0.01)
    assert tpu.sram_bytes == 28 * 2**20 and tpu.dataflow == "ws" and tpu.tech_node == "28nm"
    assert tpu.allowed_dataflows == ("ws",)  # weight stationary only: the mapper may not change it
    assert tpu.bw_gb_per_s == pytest.approx(tech.memory("ddr3").bw_gb_per_s) and round(tpu.bw_gb_per_s) == 34


def test_edge_and_hbm_examples_have_the_throughput_and_bandwidth_their_comments_give() -> None:
    edge = load_accelerator(CONFIGS / "edge-npu.toml")
    assert 2 * edge.peak_macs_per_s / 1e12 == pytest.approx(4.1, abs=0.05)
    lpddr4 = tech.memory("lpddr4")
    assert edge.bw_gb_per_s == pytest.approx(lpddr4.bw_gb_per_s / 4, abs=0.01)  # one of its four channels
    hbm = load_accelerator(CONFIGS / "hbm-datacenter.toml")
    assert hbm.peak_tmacs == pytest.approx(98.3, abs=0.1)
    assert hbm.bw_gb_per_s == 2 * tech.memory("hbm2").bw_gb_per_s and not math.isinf(hbm.bw_gb_per_s)


@pytest.mark.parametrize(
    "argv",
    [["config", "show", "configs/tpu-v1.toml"], ["fit", "--config", "configs/tpu-v1.toml"]],
    ids=["config-show", "fit"],
)
def test_the_walk_through_shows_what_the_commands_print(argv, capsys, monkeypatch) -> None:
    """docs/modeling-your-accelerator.md pastes these outputs; they must stay what accelsim prints."""
    from accelsim.cli.main import main

    monkeypatch.chdir(CONFIGS.parent)
    monkeypatch.setenv("COLUMNS", "100")
    assert main(argv) == 0
    out = capsys.readouterr().out
    doc = (CONFIGS.parent / "docs" / "modeling-your-accelerator.md").read_text()
    assert f"$ accelsim {' '.join(argv)}\n{out}" in doc


def test_edge_npu_comment_on_what_fits_is_true() -> None:
    """edge-npu.toml: 'MobileNetV2 fits from 4 bits down, not at 8'."""
    import workloads
    from accelsim.model.fit import fit_report

    rows, first = fit_report(workloads.load("mobilenet_v2"), load_accelerator(CONFIGS / "edge-npu.toml"), [8, 4, 2])
    assert first == 4 and [r.model_fits for r in rows] == [False, True, True]
