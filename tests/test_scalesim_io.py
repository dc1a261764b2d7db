"""SCALE-Sim topology CSV import/export, the CLI commands around it, and `--workload x.csv`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from accelsim.cli.main import main
from accelsim.errors import InputError
from accelsim.io.inputs import load_workload
from accelsim.io.scalesim import read_topology, topology_problem, write_topology
from accelsim.ir import Conv2d, Dense, Flatten, LayerGraph, MatMul, Pool, Reshape

# SCALE-Sim v2's own sample topologies, copied into the repository (MIT; see the LICENSE beside them).
SAMPLES = Path(__file__).resolve().parent / "data" / "scalesim"


def sample(name: str) -> Path:
    path = SAMPLES / name
    assert path.is_file(), f"SCALE-Sim sample missing from the repository: {path}"
    return path


def scalesim_macs(h: int, w: int, r: int, s: int, c: int, k: int, stride: int) -> int:
    """SCALE-Sim's own count (topology_utils.topo_calc_hyperparams): ofmap = ceil((H - R + S) / S)."""
    ho = math.ceil((h - r + stride) / stride)
    wo = math.ceil((w - s + stride) / stride)
    return ho * wo * r * s * c * k


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


# --- SCALE-Sim's sample topologies (tests/data/scalesim) --------------------------------------------------------------


def test_resnet50_sample_with_extra_columns_and_an_empty_row() -> None:
    g = read_topology(sample("Resnet50.csv"))
    assert len(g) == 54 and g.name == "Resnet50"
    assert g.metadata["form"] == "conv"
    assert g.metadata["ignored_columns"] == 3
    assert g.metadata["ignored_column_names"] == ["Eh", "Ew", "e2"]
    conv1 = g.layer("Conv1")
    # 224 with 7x7 stride 2: SCALE-Sim rounds up to 110 outputs (the file's own Eh column says 110)
    assert conv1.out_shape == (1, 64, 110, 110)
    assert conv1.macs == 110 * 110 * 7 * 7 * 3 * 64 == scalesim_macs(224, 224, 7, 7, 3, 64, 2)
    assert g.layer("CB2a_2").macs == 54 * 54 * 3 * 3 * 64 * 64  # 56 with 3x3 stride 1, no padding
    assert g.layer("FC6").macs == 2048 * 1000
    assert g.total_macs() == 3_479_536_384
    # independent layers: every one reads the network input, no edges
    assert g.input_layers() == g.names() and g.graph.number_of_edges() == 0


def test_alexnet_sample_with_padded_cells() -> None:
    g = read_topology(sample("alexnet.csv"))
    assert g.names() == ["Conv1", "Conv2", "Conv3", "Conv4", "Conv5"]
    assert g.layer("Conv1").macs == 55 * 55 * 11 * 11 * 3 * 96 == scalesim_macs(224, 224, 11, 11, 3, 96, 4)
    assert g.layer("Conv2").macs == 23 * 23 * 5 * 5 * 96 * 256
    assert g.total_macs() == 805_118_496
    assert g.metadata["ignored_columns"] == 0


def test_gpt2_sample_is_gemm_form_with_crlf() -> None:
    g = read_topology(sample("gpt2.csv"))
    assert g.metadata["form"] == "gemm" and len(g) == 6
    qkt = g.layer("QKT")
    assert isinstance(qkt, Dense) and qkt.in_shape == (1024, 64) and qkt.out_features == 1024
    assert (qkt.gemm().m, qkt.gemm().n, qkt.gemm().k) == (1024, 1024, 64)
    assert g.layer("Linear1").macs == 1024 * 4800 * 1600
    assert g.total_macs() == 20_686_307_328


def test_mobilenet_sample_single_filter_rows_keep_scalesim_semantics() -> None:
    g = read_topology(sample("mobilenet.csv"))
    assert len(g) == 27 and g.total_macs() == 565_519_488
    conv2 = g.layer("Conv2")  # Channels=32, Num Filter=1: one filter over 32 channels, as SCALE-Sim runs it
    assert conv2.groups == 1 and conv2.out_channels == 1
    assert conv2.macs == 110 * 110 * 9 * 32 == scalesim_macs(112, 112, 3, 3, 32, 1, 1)
    dw = read_topology(sample("mobilenet.csv"), depthwise="num_filter_1")
    assert dw.total_macs() == g.total_macs()  # same MACs, different GEMM shape
    assert dw.layer("Conv2").groups == 32 and dw.layer("Conv2").gemm().k == 9
    assert sum(layer.groups > 1 for layer in dw.layers()) == 13


def test_sample_csvs_load_through_load_workload_with_a_batch() -> None:
    g = load_workload(str(sample("alexnet.csv")), batch=4)
    assert g.layer("Conv1").in_shape == (4, 3, 224, 224)
    assert g.total_macs() == 4 * 805_118_496
    gemm = load_workload(str(sample("gpt2.csv")), batch=2)
    assert gemm.layer("QKT").in_shape == (2, 1024, 64) and gemm.total_macs() == 2 * 20_686_307_328


# --- hand-written files with each quirk ----------------------------------------------------------

CONV = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"


@pytest.mark.parametrize(
    "text",
    [
        CONV + "c1,8,8,3,3,4,16,1,\nc2,6,6,1,1,16,8,1,\n",  # trailing commas
        CONV.replace(",\n", "\n") + "c1,8,8,3,3,4,16,1\nc2,6,6,1,1,16,8,1\n",  # no trailing comma
        CONV.upper() + "  c1 ,  8, 8 , 3,3, 4 ,16 , 1 ,\n c2,6,6,1,1,16,8,1,",  # case, spaces, no final newline
        CONV + ",,,,,,,,\n\nc1,8,8,3,3,4,16,1,\n   \nc2,6,6,1,1,16,8,1,\n",  # empty rows
        (CONV + "c1,8,8,3,3,4,16,1,\nc2,6,6,1,1,16,8,1,\n").replace("\n", "\r\n"),  # CRLF
        "\ufeff" + CONV + "c1,8,8,3,3,4,16,1,\nc2,6,6,1,1,16,8,1,\n",  # UTF-8 BOM
    ],
    ids=["trailing-comma", "no-trailing-comma", "case-and-spaces", "empty-rows", "crlf", "bom"],
)
def test_conv_quirks_all_read_the_same(tmp_path, text) -> None:
    g = read_topology(write(tmp_path, "net.csv", text))
    assert g.names() == ["c1", "c2"]
    assert g.layer("c1").out_shape == (1, 16, 6, 6) and g.layer("c1").macs == 36 * 9 * 4 * 16
    assert g.layer("c2").macs == 36 * 16 * 8
    assert g.metadata["ignored_columns"] == 0


def test_extra_columns_are_ignored_and_counted(tmp_path) -> None:
    text = CONV.rstrip(",\n") + ",,, Eh, Sparsity,\nc1,8,8,3,3,4,16,1,,,6,2:4,\nc2,6,6,1,1,16,8,1,,,,,\n"
    g = read_topology(write(tmp_path, "x.csv", text))
    assert g.metadata["ignored_columns"] == 2
    assert g.metadata["ignored_column_names"] == ["Eh", "Sparsity"]
    assert g.total_macs() == 36 * 9 * 4 * 16 + 36 * 16 * 8


def test_columns_are_found_by_name_in_any_order(tmp_path) -> None:
    text = (
        "Num Filter, layer name, channels, strides, filter width, filter height, ifmap width, ifmap height\n"
        "16,c1,4,1,3,3,8,8\n"
    )
    g = read_topology(write(tmp_path, "x.csv", text))
    assert g.layer("c1").out_shape == (1, 16, 6, 6)


def test_unrecognised_header_falls_back_to_scalesim_positions(tmp_path) -> None:
    text = "name, H, W, R, S, C, K, stride,\nc1,8,8,3,3,4,16,1,\n"
    g = read_topology(write(tmp_path, "x.csv", text))
    assert g.layer("c1").macs == 36 * 9 * 4 * 16
    assert "by position" in g.metadata["notes"][0]


def test_stride_height_and_width_columns(tmp_path) -> None:
    text = (
        "Layer name,IFMAP height,IFMAP width,Filter height,Filter width,Channels,Num filter,Stride height,"
        "Stride width,\nc,9,9,3,3,2,4,2,1,\n"
    )
    g = read_topology(write(tmp_path, "x.csv", text))
    assert g.layer("c").stride == (2, 1) and g.layer("c").out_shape == (1, 4, 4, 7)


def test_gemm_form_with_spaces_and_sparsity_column(tmp_path) -> None:
    text = " layer , m , n , k , Sparsity,\nfc1, 16, 32, 64, 1:1,\n\nfc2,4,8,32,\n"
    g = read_topology(write(tmp_path, "g.csv", text))
    fc1 = g.layer("fc1")
    assert isinstance(fc1, Dense) and fc1.in_shape == (16, 64) and fc1.out_features == 32
    assert fc1.macs == 16 * 32 * 64
    assert g.metadata["ignored_columns"] == 1


def test_dp_rows_are_depthwise_as_in_scalesim(tmp_path) -> None:
    """SCALE-Sim v2 splits a row named *DP* into Channels one-channel layers of Num Filter filters."""
    g = read_topology(write(tmp_path, "x.csv", CONV + "Conv_DP1,10,10,3,3,8,2,1,\n"))
    layer = g.layer("Conv_DP1")
    assert layer.groups == 8 and layer.out_channels == 16
    assert layer.macs == 8 * scalesim_macs(10, 10, 3, 3, 1, 2, 1)


def test_duplicate_names_are_renamed_and_recorded(tmp_path) -> None:
    g = read_topology(write(tmp_path, "x.csv", CONV + "c,8,8,3,3,4,16,1,\nc,8,8,3,3,4,16,1,\n"))
    assert g.names() == ["c", "c~2"] and g.metadata["renamed_layers"] == {"c~2": "c"}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "c1,8,8,3,3,4,16,1,\nc2,8,8,3,3,4,16,1,\nc3,8,8,3,3,4,16,x,\n",
            "bad.csv row 4 Strides='x': must be a positive integer",
        ),
        ("c1,8,8,3,3,4,0,1,\n", "bad.csv row 2 Num Filter='0': must be a positive integer"),
        ("c1,8,8,3,3,4,16,\n", "bad.csv row 2 Strides='': must be a positive integer"),
        ("c1,8,8.5,3,3,4,16,1,\n", "bad.csv row 2 IFMAP Width='8.5'"),
        ("c1,2,8,3,3,4,16,1,\n", "bad.csv row 2 Filter Height=3: is larger than IFMAP Height 2"),
        (" ,8,8,3,3,4,16,1,\n", "bad.csv row 2 Layer name='': must be a non-empty layer name"),
        ("\n\nc1,8,8,3,3,-4,16,1,\n", "bad.csv row 4 Channels='-4'"),
    ],
)
def test_malformed_rows_name_file_row_and_column(tmp_path, body, needle) -> None:
    with pytest.raises(InputError) as info:
        read_topology(write(tmp_path, "bad.csv", CONV + body))
    assert needle in str(info.value)


def test_malformed_header_and_empty_files(tmp_path) -> None:
    with pytest.raises(InputError, match=r"bad.csv row 1=.*not a SCALE-Sim topology header"):
        read_topology(write(tmp_path, "bad.csv", "a,b,c\n1,2,3\n"))
    with pytest.raises(InputError, match="empty topology"):
        read_topology(write(tmp_path, "empty.csv", "\n , ,\n"))
    with pytest.raises(InputError, match="no layer rows"):
        read_topology(write(tmp_path, "hdr.csv", CONV))
    with pytest.raises(InputError, match="depthwise="):
        read_topology(write(tmp_path, "ok.csv", CONV + "c,8,8,3,3,4,16,1,\n"), depthwise="maybe")


# --- writing and round trips ---------------------------------------------------------------------


def small_cnn(batch: int = 1) -> LayerGraph:
    """Padded, strided convs (one whose padded size the stride does not divide), a pool, and a classifier."""
    g = LayerGraph("small_cnn")
    g.add(
        Conv2d(name="conv1", in_shape=(batch, 3, 32, 32), out_channels=8, kernel=(7, 7), stride=(2, 2), padding=(3, 3))
    )
    g.add(
        Conv2d(name="conv2", in_shape=(batch, 8, 16, 16), out_channels=16, kernel=(3, 3), padding=(1, 1), act="relu"),
        ["conv1"],
    )
    g.add(Conv2d(name="down", in_shape=(batch, 16, 16, 16), out_channels=16, kernel=(1, 1), stride=(2, 2)), ["conv2"])
    g.add(Pool(name="gap", in_shape=(batch, 16, 8, 8), mode="avg", kernel=(8, 8), stride=(8, 8)), ["down"])
    g.add(Flatten(name="flat", in_shape=(batch, 16, 1, 1)), ["gap"])
    g.add(Dense(name="fc", in_shape=(batch, 16), out_features=10), ["flat"])
    return g


def test_conv_round_trip_is_lossless_for_mac_layers(tmp_path) -> None:
    g = small_cnn()
    out = tmp_path / "t.csv"
    done = write_topology(g, out)
    assert done.form == "conv" and done.layers == ("conv1", "conv2", "down", "fc") and done.macs == g.total_macs()
    lines = out.read_text().splitlines()
    assert (
        lines[0] == "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"
    )
    # 32 + 2*3 = 38, but no window reaches row 38: (16 - 1) * 2 + 7 = 37, else SCALE-Sim would round up to 17
    assert lines[1] == "conv1, 37, 37, 7, 7, 3, 8, 2,"
    assert lines[2] == "conv2, 18, 18, 3, 3, 8, 16, 1,"
    assert lines[3] == "down, 15, 15, 1, 1, 16, 16, 2,"
    assert lines[4] == "fc, 1, 1, 1, 1, 16, 10, 1,"
    assert all(line.endswith(",") for line in lines)  # SCALE-Sim drops each row's last field
    back = read_topology(out)
    mac_layers = [layer for layer in g.layers() if layer.macs]
    assert back.names() == [layer.name for layer in mac_layers]
    for layer in mac_layers:
        read = back.layer(layer.name)
        assert read.gemm() == layer.gemm() and read.macs == layer.macs and read.weight_elems == layer.weight_elems
        if isinstance(layer, Conv2d):
            assert read.out_shape == layer.out_shape and read.kernel == layer.kernel and read.stride == layer.stride
    assert back.metadata.get("rounded_up_rows") is None  # the writer trims what SCALE-Sim would round up
    # and the written file means the same to SCALE-Sim's formula
    for line, layer in zip(lines[1:], mac_layers, strict=True):
        h, w, r, s, c, k, stride = (int(v) for v in line.rstrip(",").split(",")[1:])
        assert scalesim_macs(h, w, r, s, c, k, stride) == layer.macs


@pytest.mark.parametrize("name", ["Resnet50.csv", "alexnet.csv", "mobilenet.csv", "gpt2.csv"])
def test_sample_files_survive_read_write_read(tmp_path, name) -> None:
    first = read_topology(sample(name))
    write_topology(first, tmp_path / name)
    again = read_topology(tmp_path / name)
    assert again.names() == first.names()
    assert [layer.gemm() for layer in again.layers()] == [layer.gemm() for layer in first.layers()]
    assert [layer.out_shape for layer in again.layers()] == [layer.out_shape for layer in first.layers()]


def test_round_trip_with_a_batch(tmp_path) -> None:
    g = small_cnn(batch=4)
    write_topology(g, tmp_path / "t.csv")
    back = read_topology(tmp_path / "t.csv", batch=4)
    assert back.total_macs() == sum(layer.macs for layer in g.layers())
    assert back.layer("conv2").out_shape == g.layer("conv2").out_shape


def transformer_block() -> LayerGraph:
    g = LayerGraph("attn")
    g.add(Dense(name="q", in_shape=(1, 16, 32), out_features=32))
    g.add(Dense(name="k", in_shape=(1, 16, 32), out_features=32))
    g.add(Reshape(name="q_heads", in_shape=(1, 16, 32), to_shape=(4, 16, 8)), ["q"])
    g.add(Reshape(name="k_heads", in_shape=(1, 16, 32), to_shape=(4, 8, 16)), ["k"])
    g.add(MatMul(name="scores", a_shape=(4, 16, 8), b_shape=(4, 8, 16), act="softmax"), ["q_heads", "k_heads"])
    g.add(Dense(name="proj", in_shape=(64, 32), out_features=48))
    return g


def test_gemm_round_trip_keeps_dense_and_matmul(tmp_path) -> None:
    g = transformer_block()
    done = write_topology(g, tmp_path / "g.csv")  # only Dense/MatMul MAC layers: GEMM form
    assert done.form == "gemm"
    lines = (tmp_path / "g.csv").read_text().splitlines()
    assert lines[0] == "Layer, M, N, K,"
    assert lines[1] == "q, 16, 32, 32,"
    assert lines[3:7] == [f"scores#{i}, 16, 16, 8," for i in range(4)]  # one row per head
    back = read_topology(tmp_path / "g.csv")
    scores = back.layer("scores")
    assert isinstance(scores, MatMul) and scores.a_shape == (4, 16, 8) and scores.b_shape == (4, 8, 16)
    assert back.inputs_of("scores") == ("scores/A", "scores/B")
    assert back.layer("proj").in_shape == (64, 32)
    for name in ("q", "k", "scores", "proj"):
        assert back.layer(name).gemm() == g.layer(name).gemm()
    assert back.total_macs() == g.total_macs()


def test_gemm_form_of_a_cnn(tmp_path) -> None:
    g = small_cnn(batch=2)
    write_topology(g, tmp_path / "g.csv", form="gemm")
    back = read_topology(tmp_path / "g.csv")
    assert all(isinstance(layer, Dense) for layer in back.layers())
    assert [back.layer(n).gemm() for n in back.names()] == [g.layer(n).gemm() for n in back.names()]


def test_unwritable_layers_raise_naming_the_layer_or_are_skipped(tmp_path) -> None:
    g = LayerGraph("dw")
    g.add(Conv2d(name="pw", in_shape=(1, 8, 8, 8), out_channels=16, kernel=(1, 1)))
    g.add(Conv2d(name="dw", in_shape=(1, 16, 8, 8), out_channels=16, kernel=(3, 3), groups=16), ["pw"])
    with pytest.raises(InputError, match=r"^dw='Conv2d': .*depthwise convolution \(groups=16\)"):
        write_topology(g, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    done = write_topology(g, tmp_path / "x.csv", skip_unsupported=True)
    assert done.layers == ("pw",) and set(done.skipped) == {"dw"} and done.skipped_macs == g.layer("dw").macs
    assert topology_problem(MatMul(name="m", a_shape=(1, 2, 3), b_shape=(1, 3, 4)), "conv") is not None
    assert topology_problem(MatMul(name="m", a_shape=(1, 2, 3), b_shape=(1, 3, 4)), "gemm") is None
    assert "DP" in topology_problem(
        Conv2d(name="blockDP", in_shape=(1, 1, 3, 3), out_channels=1, kernel=(1, 1)), "conv"
    )
    assert "comma" in topology_problem(Dense(name="a,b", in_shape=(1, 3), out_features=2), "gemm")
    only_pool = LayerGraph("p")
    only_pool.add(Pool(name="p", in_shape=(1, 1, 4, 4)))
    with pytest.raises(InputError, match="has no layer"):
        write_topology(only_pool, tmp_path / "p.csv")


def test_write_is_atomic_and_replaces(tmp_path) -> None:
    out = tmp_path / "t.csv"
    out.write_text("old")
    write_topology(small_cnn(), out)
    assert out.read_text().startswith("Layer name")
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_export_topology_of_a_json_file(tmp_path, capsys) -> None:
    src = tmp_path / "cnn.json"
    small_cnn().save(src)
    out = tmp_path / "cnn.csv"
    assert main(["export-topology", str(src), str(out), "--format", "json"]) == 0
    captured = capsys.readouterr()
    row = json.loads(captured.out)[0]
    assert row["layers"] == 4 and row["macs"] == small_cnn().total_macs() and row["form"] == "conv"
    assert captured.err == ""
    assert read_topology(out).total_macs() == small_cnn().total_macs()


def test_cli_export_reports_skipped_layers_on_one_stderr_line(tmp_path, capsys) -> None:
    src = tmp_path / "attn.json"
    transformer_block().save(src)
    assert main(["export-topology", str(src), str(tmp_path / "a.csv")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "skipped 1 layers" in err[0] and "scores" in err[0] and "--gemm" in err[0]
    assert main(["export-topology", str(src), str(tmp_path / "b.csv"), "--gemm"]) == 0
    assert capsys.readouterr().err == ""
    assert read_topology(tmp_path / "b.csv").total_macs() == transformer_block().total_macs()


def test_cli_export_of_a_zoo_network(tmp_path, capsys) -> None:
    workloads = pytest.importorskip("workloads")
    if "mobilenet_v2" not in workloads.names():
        pytest.skip("mobilenet_v2 not in the zoo")
    out = tmp_path / "m.csv"
    assert main(["export-topology", "mobilenet_v2", str(out), "--format", "json"]) == 0
    captured = capsys.readouterr()
    zoo = workloads.load("mobilenet_v2")
    depthwise = [layer for layer in zoo.layers() if isinstance(layer, Conv2d) and layer.groups > 1]
    assert f"skipped {len(depthwise)} layers" in captured.err and "depthwise convolution" in captured.err
    assert read_topology(out).total_macs() == zoo.total_macs() - sum(layer.macs for layer in depthwise)


def test_workload_csv_works_in_other_commands(capsys) -> None:
    assert main(["layers", str(sample("alexnet.csv")), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["Conv1", "Conv2", "Conv3", "Conv4", "Conv5"]
    assert rows[0]["macs"] == 55 * 55 * 11 * 11 * 3 * 96


def test_cli_import_a_topology_to_json(tmp_path, capsys) -> None:
    src = write(tmp_path, "net.csv", CONV.rstrip(",\n") + ", Eh,\nc1,8,8,3,3,4,16,1,6,\n")
    out = tmp_path / "net.json"
    assert main(["import", str(src), "-o", str(out), "--batch", "2"]) == 0
    captured = capsys.readouterr()
    assert "ignored 1 extra columns: Eh" in captured.err
    g = LayerGraph.load(out)
    assert g.layer("c1").in_shape == (2, 4, 8, 8) and g.metadata["source"] == "scalesim"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["layers", "{bad}"], "bad.csv row 3 Strides='x': must be a positive integer"),
        (["layers", "{missing}"], "no such file"),
        (["export-topology", "{bad}", "{out}"], "bad.csv row 3 Strides='x'"),
        (["import", "{bad}", "-o", "{out}"], "bad.csv row 3"),
        (["import", "{txt}", "-o", "{out}"], "must be an ONNX model (.onnx) or a SCALE-Sim topology (.csv)"),
        (["import", "{ok}", "-o", "{out}", "--depthwise", "nope"], "depthwise='nope'"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, needle) -> None:
    paths = {
        "bad": write(tmp_path, "bad.csv", CONV + "c1,8,8,3,3,4,16,1,\nc2,8,8,3,3,4,16,x,\n"),
        "ok": write(tmp_path, "ok.csv", CONV + "c1,8,8,3,3,4,16,1,\n"),
        "txt": write(tmp_path, "model.txt", "hello"),
        "missing": tmp_path / "missing.csv",
        "out": tmp_path / "out.csv",
    }
    assert main([a.format(**{k: str(v) for k, v in paths.items()}) for a in argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("name", ["Resnet50.csv", "alexnet.csv", "gpt2.csv", "mobilenet.csv"])
@pytest.mark.parametrize("bits", [16, 8, 4, 2])
def test_every_shared_topology_runs_on_the_default_system(name, bits):
    """Issue 10: with K-split no layer of SCALE-Sim's topology set is refused on the default system
    (its iso-area design at each precision)."""
    from accelsim.hardware.design import Accelerator, iso_area
    from accelsim.ir import uniform_policy
    from accelsim.model.sim import simulate

    graph = read_topology(sample(name)).with_policy(uniform_policy(bits, None))
    r = simulate(graph, iso_area(Accelerator(), bits))
    assert r.cycles >= r.compute_cycles > 0
