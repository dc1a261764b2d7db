"""ONNX initializers must hold what the graph needs (issue 15, class 7): a weight tensor whose
shape disagrees with the input is refused naming the node, the tensor and both shapes."""

from __future__ import annotations

import pytest

onnx = pytest.importorskip("onnx")

from test_onnx_import import Net, save, tensor  # noqa: E402

from accelsim.cli.main import main  # noqa: E402
from accelsim.errors import InputError  # noqa: E402
from accelsim.io.inputs import load_workload  # noqa: E402


def test_a_3_channel_kernel_on_a_4_channel_input_is_refused(tmp_path) -> None:
    net = Net()
    out = net.conv("x", "conv1", 3, 8, 3, pad=1)  # the file holds 8*3*3*3 = 216 weights
    path = save(net.model([tensor("x", [1, 4, 16, 16])], out), tmp_path)
    with pytest.raises(InputError, match=r"conv1.*weight conv1.w \(8, 3, 3, 3\).*expects \(8, 4, 3, 3\)"):
        load_workload(str(path))


def test_a_bias_of_the_wrong_length_is_refused(tmp_path) -> None:
    net = Net()
    w, b = net.init("c.w", (8, 3, 3, 3)), net.init("c.b", (5,))
    out = net.node("Conv", ["x", w, b], "c", kernel_shape=[3, 3])
    path = save(net.model([tensor("x", [1, 3, 8, 8])], out), tmp_path)
    with pytest.raises(InputError, match=r"bias c.b \(5,\).*must have shape \(8,\)"):
        load_workload(str(path))


def test_a_gemm_weight_with_the_wrong_inner_size_is_refused_in_one_cli_line(tmp_path, capsys) -> None:
    net = Net()
    w = net.init("fc.w", (30, 10))
    out = net.node("MatMul", ["x", w], "fc")
    path = save(net.model([tensor("x", [1, 20])], out), tmp_path)
    assert main(["layers", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fc.w (30, 10)" in err and "20 != 30" in err, err


def test_grouped_and_depthwise_weights_still_import(tmp_path) -> None:
    net = Net()
    w = net.init("dw.w", (8, 1, 3, 3))
    out = net.node("Conv", ["x", w], "dw", kernel_shape=[3, 3], group=8, pads=[1] * 4)
    graph = load_workload(str(save(net.model([tensor("x", [1, 8, 6, 6])], out), tmp_path)))
    assert graph.total_weights() == 8 * 9
