"""Documented limits (docs/limits.md): sizes beyond any real chip and oversized grids are refused
before any work, in one line, and each limit can be raised."""

from __future__ import annotations

import io
import itertools
import time
from contextlib import redirect_stderr, redirect_stdout

import pytest

from accelsim.cli.main import main
from accelsim.errors import InputError
from accelsim.explore.grid import MAX_POINTS, SweepSpec, check_grid_size, expand, iter_points
from accelsim.hardware.design import DESIGN_LIMITS, Accelerator


def run_cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = main(list(argv))
    return code, err.getvalue()


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("cores = 1000000000\n", "cores=1000000000"),
        ('array = "4096x16"\n', "array=4096"),
        ("lanes = 100000\n", "lanes=100000"),
        ('cores = 1000\nsram = "1TB"\n', "sram=1000000000000"),  # the TOTAL on-chip memory is limited
        ('clock = "50GHz"\n', "clock=50000000000.0"),
        ("bw = 1e9\n", "bw=1000000000.0"),
    ],
)
def test_configs_beyond_any_real_chip_are_refused_at_once(tmp_path, text, field) -> None:
    path = tmp_path / "big.toml"
    path.write_text(text)
    start = time.monotonic()
    code, err = run_cli("run", "--config", str(path))
    assert time.monotonic() - start < 20  # refused before simulating (cores=1e9 used to hang)
    assert code == 2 and err.count("\n") == 1 and field in err and "docs/limits.md" in err, err


@pytest.mark.parametrize(
    "argv",
    [
        ["--cores", "1000000", "--sram", "1TB"],
        ["--cores", "4,20000"],
        ["--sram", "65GB"],
        ["--array", "16x2048"],
        ["--bw", "32,1e7"],
    ],
)
def test_sweep_axes_beyond_the_limits_are_refused_while_parsing(argv) -> None:
    code, err = run_cli("sweep", "--no-store", "-q", *argv)
    assert code == 2 and err.count("\n") == 1 and "beyond any real chip" in err, err


def test_a_limit_is_raised_by_its_environment_variable(monkeypatch) -> None:
    with pytest.raises(InputError, match="ACCELSIM_MAX_CORES"):
        Accelerator(cores=20_000, sram_bytes=20_000_000)
    monkeypatch.setenv("ACCELSIM_MAX_CORES", "32768")
    assert Accelerator(cores=20_000, sram_bytes=20_000_000).cores == 20_000
    monkeypatch.setenv("ACCELSIM_MAX_CORES", "many")
    with pytest.raises(InputError, match="ACCELSIM_MAX_CORES='many'"):
        Accelerator()


def test_the_limits_admit_every_shipped_chip_size_and_the_default() -> None:
    Accelerator()  # the default system
    top = Accelerator(cores=1472, rows=256, cols=256, sram_bytes=1472 * 600_000, clock_hz=2e9, bw_gb_per_s=8000)
    assert top.cores <= DESIGN_LIMITS["cores"]


@pytest.mark.parametrize("flag", ["--bits", "--bw", "--cores", "--sram"])
@pytest.mark.parametrize("value", ["8,,4", "8,4,", ",8"])
def test_empty_list_items_are_refused_not_skipped(flag, value) -> None:
    code, err = run_cli("sweep", "--no-store", "-q", flag, value)
    assert code == 2 and "has an empty value between commas" in err and err.count("\n") == 1, err


def test_grid_size_is_checked_without_expanding_and_points_stream_lazily() -> None:
    big = SweepSpec.from_mapping(
        {
            "bits": ",".join(map(str, range(1, 33))),
            "cores": ",".join(map(str, range(1, 2001))),
            "batch": ",".join(map(str, range(1, 1251))),
        }
    )  # 80 million points
    assert big.size == 80_000_000 > MAX_POINTS
    with pytest.raises(InputError, match="80,000,000 points.*--max-points"):
        check_grid_size(big)
    assert check_grid_size(big, max_points=10**8) == 80_000_000
    first = list(itertools.islice(iter_points(big), 3))  # no 80-million-entry list is built
    assert first == [{"bits": 1, "cores": 1, "batch": b} for b in (1, 2, 3)]
    small = SweepSpec.from_mapping({"bits": "8,4", "bw": "32,inf"})
    assert list(iter_points(small)) == expand(small)
