"""The paper figures: print resolution, and a roofline whose points respect their roofs."""

from __future__ import annotations

import math
import struct

import pytest

import workloads
from accelsim.cli.main import main
from accelsim.hardware.design import Accelerator, iso_area
from accelsim.model.fit import policy_for
from accelsim.model.sim import simulate
from accelsim.report.figures import roofline_points
from accelsim.report.plot import DPI


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("bw", [8.0, 64.0, math.inf])
def test_every_roofline_point_lies_under_both_roofs(bw) -> None:
    design = iso_area(Accelerator(bw_gb_per_s=bw), 8)
    result = simulate(workloads.load("resnet18").with_policy(policy_for(8, 8)), design)
    points = roofline_points(result)
    assert len(points) == sum(1 for layer in result.layers if layer.macs > 0)
    for p in points:
        roof = design.peak_tmacs if math.isinf(bw) else min(design.peak_tmacs, bw * 1e9 * p.intensity / 1e12)
        assert p.tmacs <= roof * (1 + 1e-9), p
    if bw == 8.0:  # a starved channel: some layer sits on the bandwidth roof, not under the compute roof
        assert any(math.isfinite(p.intensity) and p.tmacs > 0.5 * bw * 1e9 * p.intensity / 1e12 for p in points)


def test_run_and_sweep_write_print_resolution_figures(tmp_path, capsys) -> None:
    layers, roof, speed = tmp_path / "layers.png", tmp_path / "roof.png", tmp_path / "speed.png"
    argv = [
        "run",
        "--workload",
        "resnet20",
        "--bits",
        "4",
        "--plot",
        str(layers),
        "--roofline",
        str(roof),
        "--format",
        "json",
    ]
    assert main(argv) == 0
    assert (
        main(
            [
                "sweep",
                "--workload",
                "resnet20",
                "--bits",
                "16,4",
                "--bw",
                "64",
                "--no-store",
                "--jobs",
                "1",
                "--plot",
                str(speed),
                "--format",
                "csv",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert DPI >= 200
    for path in (layers, roof, speed):
        width, height = _png_size(path)
        assert width >= 6 * DPI and height >= 4 * DPI, (path.name, width, height)
    assert main(["run", "--workload", "resnet20", "--plot", str(tmp_path / "x.jpg")]) == 2  # before simulating
