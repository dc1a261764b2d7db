"""Per-layer compute cycles agree with SCALE-Sim v2/v3 for the os, ws and is dataflows.

The reference below is written from SCALE-Sim's source, not from `accelsim.model.mapping`: it rebuilds the
row counts of the three SRAM demand matrices SCALE-Sim generates per fold (one row = one cycle) in
`scalesim/compute/systolic_compute_{os,ws,is}.py`, and SCALE-Sim's conv -> (Sr, Sc, T) mapping and
output size from `scalesim/topology_utils.py`. docs/scalesim-accounting.md walks through both.

What is compared: our 1-core, unbounded-bandwidth per-layer `compute_cycles` against the number of
demand rows SCALE-Sim produces for the layer (its cycles with no memory stall). SCALE-Sim's
COMPUTE_REPORT "Total Cycles" column is the 0-based cycle stamp of the last row, one less.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from accelsim.hardware.design import Accelerator
from accelsim.io.scalesim import read_topology
from accelsim.model.sim import simulate

# SCALE-Sim v2's own sample topologies, copied into the repository (MIT; see the LICENSE beside them).
SAMPLES = Path(__file__).resolve().parent / "data" / "scalesim"
DATAFLOWS = ("os", "ws", "is")


# --- the reference, from SCALE-Sim's code --------------------------------------------------------
def _skewed(rows: int, cols: int) -> int:
    """Rows of SCALE-Sim's `skew_matrix` output: a rows x cols matrix becomes (rows + cols - 1) x cols."""
    return rows + cols - 1


def scalesim_fold_rows(dataflow: str, r: int, c: int, t: int) -> int:
    """Demand rows (cycles) of one fold, rebuilt from each `create_*_demand_mat` method.

    SCALE-Sim asserts its three demand matrices have the same number of rows; so does this.
    """
    if dataflow == "os":
        ifmap = _skewed(t + (c - 1), r)  # T rows + (arr_col - 1) gap rows, skewed over arr_row
        filt = _skewed(t + (r - 1), c)  # T rows + (arr_row - 1) gap rows, skewed over arr_col
        ofmap = _skewed((t - 1) + r, c)  # (T - 1) prefix + arr_row output rows, skewed over arr_col
    elif dataflow == "ws":
        ifmap = _skewed(r + t + (c - 1), r)  # arr_row weight-load prefix + T + (arr_col - 1), skewed
        filt = r + (r + c + t - 2)  # arr_row weight rows + (arr_row + arr_col + T - 2) gap, no skew
        ofmap = _skewed((2 * r - 1) + t, c)  # (2 arr_row - 1) prefix + T rows, skewed over arr_col
    elif dataflow == "is":
        ifmap = r + (r + c + t - 2)  # arr_row input rows + (arr_row + arr_col + T - 2) gap, no skew
        filt = _skewed(r + t + (c - 1), r)  # arr_row prefix + T + (arr_col - 1), skewed over arr_row
        ofmap = _skewed((2 * r - 1) + t, c)
    else:
        raise ValueError(dataflow)
    assert ifmap == filt == ofmap, (dataflow, ifmap, filt, ofmap)
    return ofmap


def scalesim_spatiotemporal(dataflow: str, ofmap_px: int, filters: int, window: int) -> tuple[int, int, int]:
    """(Sr, Sc, T): `topology_utils.calc_spatio_temporal_params` / the compute classes' `set_params`."""
    return {
        "os": (ofmap_px, filters, window),
        "ws": (window, filters, ofmap_px),
        "is": (window, ofmap_px, filters),
    }[dataflow]


def scalesim_layer_cycles(dataflow: str, r: int, c: int, ofmap_px: int, filters: int, window: int) -> int:
    sr, sc, t = scalesim_spatiotemporal(dataflow, ofmap_px, filters, window)
    folds = math.ceil(sr / r) * math.ceil(sc / c)  # row_fold * col_fold; partial folds are null-padded
    return folds * scalesim_fold_rows(dataflow, r, c, t)


def scalesim_conv_cycles(dataflow: str, r: int, c: int, row: list[int], name: str) -> int:
    """One conv-form row: ofmap = ceil((H - R + S) / S) (`topo_calc_hyperparams`); a name containing
    'DP' is split into `Channels` one-channel layers (`load_arrays_conv`), reported one by one."""
    h, w, fh, fw, ch, nf, s = row
    ofmap_px = math.ceil((h - fh + s) / s) * math.ceil((w - fw + s) / s)
    if "DP" in name:
        return ch * scalesim_layer_cycles(dataflow, r, c, ofmap_px, nf, fh * fw * 1)
    return scalesim_layer_cycles(dataflow, r, c, ofmap_px, nf, fh * fw * ch)


def scalesim_gemm_cycles(dataflow: str, r: int, c: int, m: int, n: int, k: int) -> int:
    """A GEMM row is the conv [M, K, 1, K, 1, N, 1] (`load_arrays_gemm`): M ofmap px, N filters, K window."""
    return scalesim_conv_cycles(dataflow, r, c, [m, k, 1, k, 1, n, 1], "gemm")


def parse_topology(path: Path) -> list[tuple[str, list[int], str]]:
    """(name, values, form) rows of a topology file, read the way SCALE-Sim reads its columns.

    SCALE-Sim drops the last field of each row and takes the columns by position; rows whose cells
    are all blank (the ResNet-50 sample has one) are skipped, as are extra columns.
    """
    lines = [ln for ln in path.read_text().splitlines() if ln.strip().strip(",").strip()]
    header = [cell.strip().upper() for cell in lines[0].split(",")]
    gemm = header[1:4] == ["M", "N", "K"]
    out = []
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.split(",")]
        if gemm:
            out.append((cells[0], [int(x) for x in cells[1:4]], "gemm"))
        else:
            out.append((cells[0], [int(x) for x in cells[1:8]], "conv"))
    return out


def reference_cycles(path: Path, dataflow: str, r: int, c: int) -> list[tuple[str, int]]:
    out = []
    for name, values, kind in parse_topology(path):
        if kind == "gemm":
            out.append((name, scalesim_gemm_cycles(dataflow, r, c, *values)))
        else:
            out.append((name, scalesim_conv_cycles(dataflow, r, c, values, name)))
    return out


# --- our side -----------------------------------------------------------------------------------
def simulated_cycles(path: Path, dataflow: str, r: int, c: int) -> list[tuple[str, int]]:
    """Per-MAC-layer compute cycles of a topology on one r x c core with unbounded bandwidth."""
    accel = Accelerator(cores=1, rows=r, cols=c, dataflow=dataflow, bw_gb_per_s=math.inf, sram_bytes=10**9)
    result = simulate(read_topology(path), accel)
    out = []
    for layer in result.layers:
        if layer.macs:
            assert layer.cycles == layer.compute_cycles  # unbounded bandwidth: no stall
            out.append((layer.name.split("~")[0], layer.compute_cycles))
    return out


# --- hand-computed layers -------------------------------------------------------------------------
HAND_CSV = """Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1, 224, 224, 7, 7, 3, 64, 2,
CB2a_2, 56, 56, 3, 3, 64, 64, 1,
"""

# Both rows of SCALE-Sim's Resnet50.csv on a 32 x 32 array.
# Conv1: ofmap ceil((224 - 7 + 2) / 2) = 110 -> 12,100 px; window 7*7*3 = 147; 64 filters.
# CB2a_2: ofmap ceil((56 - 3 + 1) / 1) = 54 -> 2,916 px; window 3*3*64 = 576; 64 filters.
HAND = {
    # os: Sr = px, Sc = filters, T = window; folds of R + C + T - 2
    ("os", "Conv1"): 379 * 2 * (32 + 32 + 147 - 2),  # ceil(12100/32) = 379, ceil(64/32) = 2: 758 x 209 = 158,422
    ("os", "CB2a_2"): 92 * 2 * (32 + 32 + 576 - 2),  # ceil(2916/32) = 92: 184 x 638 = 117,392
    # ws: Sr = window, Sc = filters, T = px; folds of 2R + C + T - 2
    ("ws", "Conv1"): 5 * 2 * (64 + 32 + 12100 - 2),  # ceil(147/32) = 5: 10 x 12,194 = 121,940
    ("ws", "CB2a_2"): 18 * 2 * (64 + 32 + 2916 - 2),  # ceil(576/32) = 18: 36 x 3,010 = 108,360
    # is: Sr = window, Sc = px, T = filters; folds of 2R + C + T - 2
    ("is", "Conv1"): 5 * 379 * (64 + 32 + 64 - 2),  # 1,895 x 158 = 299,410
    ("is", "CB2a_2"): 18 * 92 * (64 + 32 + 64 - 2),  # 1,656 x 158 = 261,648
}


def test_hand_numbers_are_what_the_comments_say() -> None:
    assert [HAND[(d, n)] for d in DATAFLOWS for n in ("Conv1", "CB2a_2")] == [
        158_422,
        117_392,
        121_940,
        108_360,
        299_410,
        261_648,
    ]


@pytest.mark.parametrize("dataflow", DATAFLOWS)
def test_hand_computed_layers(tmp_path: Path, dataflow: str) -> None:
    path = tmp_path / "hand.csv"
    path.write_text(HAND_CSV)
    expected = [(name, HAND[(dataflow, name)]) for name in ("Conv1", "CB2a_2")]
    assert reference_cycles(path, dataflow, 32, 32) == expected
    assert simulated_cycles(path, dataflow, 32, 32) == expected


def test_fold_rows_by_hand() -> None:
    """One fold on a 4 x 8 array with T = 10: os 4 + 8 + 10 - 2 = 20; ws and is 2*4 + 8 + 10 - 2 = 24."""
    assert [scalesim_fold_rows(d, 4, 8, 10) for d in DATAFLOWS] == [20, 24, 24]


@pytest.mark.parametrize("dataflow", DATAFLOWS)
def test_depthwise_and_gemm_rows(tmp_path: Path, dataflow: str) -> None:
    """A 'DP' row is Channels one-channel layers; a GEMM row is the conv [M, K, 1, K, 1, N, 1]."""
    conv = tmp_path / "dw.csv"
    conv.write_text(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
        "Conv2DP, 114, 114, 3, 3, 32, 1, 1,\n"  # 32 layers of 112*112 px, 1 filter, window 9
        "Conv3, 112, 112, 1, 1, 32, 64, 1,\n"
    )
    gemm = tmp_path / "mm.csv"
    gemm.write_text("Layer, M, N, K,\nQKT, 128, 128, 64,\nproj, 100, 768, 768,\n")
    for path in (conv, gemm):
        for r, c in ((16, 32), (8, 8)):
            assert simulated_cycles(path, dataflow, r, c) == reference_cycles(path, dataflow, r, c)
    # the depthwise row by hand on 8 x 8, os: 32 x ceil(12544/8) x 1 folds of 8 + 8 + 9 - 2 = 23 cycles
    if dataflow == "os":
        assert reference_cycles(conv, "os", 8, 8)[0] == ("Conv2DP", 32 * 1568 * 23)


# --- every layer of SCALE-Sim's sample topologies (tests/data/scalesim) -----------------------------------------------
def sample_topologies() -> list[Path]:
    return sorted(SAMPLES.glob("*.csv"))


@pytest.mark.parametrize("dataflow", DATAFLOWS)
@pytest.mark.parametrize(("rows", "cols"), [(32, 32), (16, 32)])
def test_every_layer_of_the_sample_topologies(dataflow: str, rows: int, cols: int) -> None:
    paths = sample_topologies()
    assert len(paths) == 4, f"expected SCALE-Sim's four sample topologies in {SAMPLES}"
    checked = 0
    for path in paths:
        expected = reference_cycles(path, dataflow, rows, cols)
        got = simulated_cycles(path, dataflow, rows, cols)
        assert [n for n, _ in got] == [n for n, _ in expected], path.name
        mismatched = [(n, g, e) for (n, g), (_, e) in zip(got, expected, strict=True) if g != e]
        assert not mismatched, f"{path.name} {dataflow} {rows}x{cols}: (layer, ours, SCALE-Sim) {mismatched[:5]}"
        checked += len(got)
    assert checked >= 90  # Resnet50 54 + AlexNet 5 + MobileNet 27 + GPT-2 6 rows
