"""ONNX import: small models built in code with `onnx.helper` (no downloads), checked against the IR."""

from __future__ import annotations

import json
import sys

import pytest

from accelsim.cli.main import main
from accelsim.errors import InputError
from accelsim.io.inputs import load_workload
from accelsim.ir import Add, Conv2d, Dense, Flatten, LayerGraph, MatMul, Pool, Reshape
from accelsim.ir.vector_layers import LayerNorm, Softmax

onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from accelsim.io.onnx_import import import_onnx  # noqa: E402

OPSET = 17


class Net:
    """A tiny ONNX graph builder: nodes, zero-filled initializers, typed inputs/outputs."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.inits: list = []
        self.n = 0

    def init(self, name: str, shape: tuple[int, ...], value: float = 0.0) -> str:
        self.inits.append(numpy_helper.from_array(np.full(shape, value, dtype=np.float32), name))
        return name

    def ints(self, name: str, values: list[int]) -> str:
        self.inits.append(numpy_helper.from_array(np.array(values, dtype=np.int64), name))
        return name

    def node(self, op: str, inputs: list[str], name: str | None = None, **attrs) -> str:
        self.n += 1
        name = name or f"{op.lower()}{self.n}"
        out = f"{name}_out"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def conv(self, x: str, name: str, c_in: int, c_out: int, k: int, stride: int = 1, pad: int = 0, **attrs) -> str:
        w = self.init(f"{name}.w", (c_out, c_in, k, k))
        return self.node("Conv", [x, w], name, kernel_shape=[k, k], strides=[stride] * 2, pads=[pad] * 4, **attrs)

    def bn(self, x: str, name: str, c: int) -> str:
        params = [self.init(f"{name}.{p}", (c,), 1.0) for p in ("scale", "bias", "mean", "var")]
        return self.node("BatchNormalization", [x, *params], name)

    def model(self, inputs: list, output: str) -> object:
        graph = helper.make_graph(
            self.nodes, "net", inputs, [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)], self.inits
        )
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def tensor(name: str, shape: list) -> object:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def save(model, tmp_path, name: str = "model.onnx"):
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


# --- conv-bn-relu-pool-fc ------------------------------------------------------------------------


def cnn_model():
    net = Net()
    x = net.conv("x", "conv1", 3, 8, 3, pad=1)
    x = net.bn(x, "bn1", 8)
    x = net.node("Relu", [x], "relu1")
    x = net.node("MaxPool", [x], "pool1", kernel_shape=[2, 2], strides=[2, 2])
    x = net.node("Reshape", [x, net.ints("shape", [1, -1])], "reshape")
    w = net.init("fc.w", (10, 8 * 8 * 8))
    b = net.init("fc.b", (10,))
    x = net.node("Gemm", [x, w, b], "fc", transB=1)
    x = net.node("Sigmoid", [x], "sigmoid")
    return net.model([tensor("x", [1, 3, 16, 16])], x)


def test_conv_bn_relu_pool_fc(tmp_path) -> None:
    g = load_workload(str(save(cnn_model(), tmp_path)))
    conv = g.layer("conv1")
    assert isinstance(conv, Conv2d)
    assert conv.in_shape == (1, 3, 16, 16) and conv.padding == (1, 1) and conv.out_channels == 8
    assert conv.batchnorm and conv.act == "relu" and not conv.bias  # BN and ReLU folded into the conv
    assert isinstance(g.layer("pool1"), Pool) and g.layer("pool1").out_shape == (1, 8, 8, 8)
    # the Reshape to (1, 512) becomes an explicit Flatten so the edge shapes stay exact
    flat = g.layer(g.inputs_of("fc")[0])
    assert isinstance(flat, Flatten) and flat.in_shape == (1, 8, 8, 8)
    fc = g.layer("fc")
    assert isinstance(fc, Dense) and fc.in_shape == (1, 512) and fc.out_features == 10 and fc.bias
    assert g.total_macs() == 16 * 16 * 8 * 27 + 512 * 10
    assert len(g) == 4
    assert g.metadata["skipped_ops"] == {"Sigmoid": ["sigmoid"]}
    assert g.metadata["passthrough_ops"] == {"Reshape": 1}
    assert g.metadata["source"] == "onnx" and g.metadata["batch"] == 1


# --- GEMM / MatMul ---------------------------------------------------------------------------------


def gemm_model(dynamic: bool = False):
    net = Net()
    # x1 (N, 8, 16) @ W (16, 32) + b: a Dense with a folded bias
    q = net.node("MatMul", ["x1", net.init("wq", (16, 32))], "q")
    q = net.node("Add", [q, net.init("bq", (32,))], "q_bias")
    # x2 (N, 32, 16) @ W (16, 8): another Dense
    k = net.node("MatMul", ["x2", net.init("wk", (16, 8))], "k")
    # two activations: a MatMul
    s = net.node("MatMul", [q, k], "scores")
    s = net.node("Softmax", [s], "softmax", axis=-1)
    s = net.node("Tanh", [s], "tanh")
    # 2-D Gemm on a (dynamic-batch) input
    y = net.node("Gemm", ["x3", net.init("wy", (20, 64))], "fc", transB=1)
    batch = "N" if dynamic else 1
    inputs = [tensor("x1", [batch, 8, 16]), tensor("x2", [batch, 32, 16]), tensor("x3", [batch, 64])]
    model = net.model(inputs, s)
    model.graph.output.append(helper.make_tensor_value_info(y, TensorProto.FLOAT, None))
    return model


def test_gemm_and_matmul(tmp_path) -> None:
    g = load_workload(str(save(gemm_model(), tmp_path)))
    q, k, fc = g.layer("q"), g.layer("k"), g.layer("fc")
    assert isinstance(q, Dense) and q.in_shape == (1, 8, 16) and q.out_features == 32 and q.bias
    assert isinstance(k, Dense) and k.in_shape == (1, 32, 16) and k.out_features == 8 and not k.bias
    scores = g.layer("scores")
    assert isinstance(scores, MatMul) and scores.a_shape == (1, 8, 32) and scores.b_shape == (1, 32, 8)
    assert g.inputs_of("scores") == ("q", "k") and scores.act == "none"
    softmax = g.layer("softmax")  # a vector layer of its own, as in the zoo's transformers
    assert isinstance(softmax, Softmax) and softmax.shape == (1, 8, 8) and g.inputs_of("softmax") == ("scores",)
    assert isinstance(fc, Dense) and fc.in_shape == (1, 64) and fc.out_features == 20
    assert g.total_macs() == 8 * 16 * 32 + 32 * 16 * 8 + 8 * 32 * 8 + 64 * 20
    assert g.metadata["skipped_ops"] == {"Tanh": ["tanh"]}


def test_dynamic_dims_are_pinned_and_noted() -> None:
    g = import_onnx(gemm_model(dynamic=True), batch=3)
    assert g.layer("fc").in_shape == (3, 64) and g.layer("scores").a_shape == (3, 8, 32)
    assert g.metadata["batch"] == 3
    assert any(p.startswith("x1[0] N -> 3") for p in g.metadata["pinned_dims"])
    with pytest.raises(InputError, match="fixes its own batch"):
        import_onnx(gemm_model(dynamic=False), batch=2)


def test_matmul_on_head_split_inserts_reshapes() -> None:
    """q (1, 16, 32) -> Reshape (1, 16, 4, 8) -> Transpose (1, 4, 16, 8): a (4, 16, 8) operand."""
    net = Net()
    q = net.node("MatMul", ["x", net.init("wq", (32, 32))], "q")
    k = net.node("MatMul", ["x", net.init("wk", (32, 32))], "k")
    net.ints("heads", [1, 16, 4, 8])
    qh = net.node("Transpose", [net.node("Reshape", [q, "heads"], "q_split")], "q_t", perm=[0, 2, 1, 3])
    kh = net.node("Transpose", [net.node("Reshape", [k, "heads"], "k_split")], "k_t", perm=[0, 2, 3, 1])
    s = net.node("MatMul", [qh, kh], "scores")
    g = import_onnx(net.model([tensor("x", [1, 16, 32])], s))
    scores = g.layer("scores")
    assert scores.a_shape == (4, 16, 8) and scores.b_shape == (4, 8, 16)
    a, b = (g.layer(n) for n in g.inputs_of("scores"))
    assert isinstance(a, Reshape) and a.in_shape == (1, 16, 32) and a.out_shape == (4, 16, 8)
    assert isinstance(b, Reshape) and b.out_shape == (4, 8, 16)
    assert g.total_macs() == 2 * 16 * 32 * 32 + 4 * 16 * 16 * 8


# --- ResNet-like: imported MACs equal the same network built with the IR -------------------------


def resnet_onnx():
    net = Net()

    def unit(x, name, c_in, c_out, k, stride, pad, relu=True):
        x = net.bn(net.conv(x, name, c_in, c_out, k, stride, pad), f"{name}.bn", c_out)
        return net.node("Relu", [x], f"{name}.relu") if relu else x

    x = unit("x", "stem", 3, 16, 3, 1, 1)
    # basic block 1: identity shortcut
    y = unit(unit(x, "b1.conv1", 16, 16, 3, 1, 1), "b1.conv2", 16, 16, 3, 1, 1, relu=False)
    x = net.node("Relu", [net.node("Add", [y, x], "b1.add")], "b1.relu")
    # basic block 2: stride 2 with a 1x1 projection shortcut
    y = unit(unit(x, "b2.conv1", 16, 32, 3, 2, 1), "b2.conv2", 32, 32, 3, 1, 1, relu=False)
    sc = unit(x, "b2.proj", 16, 32, 1, 2, 0, relu=False)
    x = net.node("Relu", [net.node("Add", [y, sc], "b2.add")], "b2.relu")
    x = net.node("GlobalAveragePool", [x], "gap")
    x = net.node("Flatten", [x], "flat")
    x = net.node("Gemm", [x, net.init("fc.w", (10, 32)), net.init("fc.b", (10,))], "fc", transB=1)
    return net.model([tensor("x", [1, 3, 16, 16])], x)


def resnet_ir() -> LayerGraph:
    g = LayerGraph("resnet_ir")

    def conv(name, src, shape, c_out, k, stride, pad, act="relu"):
        layer = Conv2d(
            name=name,
            in_shape=shape,
            out_channels=c_out,
            kernel=(k, k),
            stride=(stride, stride),
            padding=(pad, pad),
            batchnorm=True,
            act=act,
        )
        return g.add(layer, [src] if src else [])

    conv("stem", None, (1, 3, 16, 16), 16, 3, 1, 1)
    conv("b1.conv1", "stem", (1, 16, 16, 16), 16, 3, 1, 1)
    conv("b1.conv2", "b1.conv1", (1, 16, 16, 16), 16, 3, 1, 1, act="none")
    g.add(Add(name="b1.add", shape=(1, 16, 16, 16), act="relu"), ["b1.conv2", "stem"])
    conv("b2.conv1", "b1.add", (1, 16, 16, 16), 32, 3, 2, 1)
    conv("b2.conv2", "b2.conv1", (1, 32, 8, 8), 32, 3, 1, 1, act="none")
    conv("b2.proj", "b1.add", (1, 16, 16, 16), 32, 1, 2, 0, act="none")
    g.add(Add(name="b2.add", shape=(1, 32, 8, 8), act="relu"), ["b2.conv2", "b2.proj"])
    g.add(Pool(name="gap", in_shape=(1, 32, 8, 8), mode="avg", kernel=(8, 8), stride=(8, 8)), ["b2.add"])
    g.add(Flatten(name="flat", in_shape=(1, 32, 1, 1)), ["gap"])
    g.add(Dense(name="fc", in_shape=(1, 32), out_features=10), ["flat"])
    return g


def test_resnet_like_model_matches_the_ir_network(tmp_path) -> None:
    imported = load_workload(str(save(resnet_onnx(), tmp_path, "resnet.onnx")))
    direct = resnet_ir()
    assert imported.total_macs() == direct.total_macs()
    assert imported.total_weights() == direct.total_weights()
    assert imported.names() == direct.names()
    for name in direct.names():
        assert imported.layer(name) == direct.layer(name), name
        assert imported.inputs_of(name) == direct.inputs_of(name), name
    assert imported.metadata["skipped_ops"] == {}


# --- errors and edge cases -------------------------------------------------------------------------


def test_mac_op_without_a_layer_raises_naming_the_node() -> None:
    net = Net()
    y = net.node("ConvTranspose", ["x", net.init("w", (4, 2, 3, 3))], "up1", kernel_shape=[3, 3])
    with pytest.raises(InputError, match=r"node up1 \(ConvTranspose\).*carries MACs"):
        import_onnx(net.model([tensor("x", [1, 4, 8, 8])], y))


def test_asymmetric_and_same_padding_keep_onnx_output_size() -> None:
    net = Net()
    w = net.init("w", (4, 3, 3, 3))
    y = net.node("Conv", ["x", w], "same", kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
    y = net.node("MaxPool", [y], "pool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    g = import_onnx(net.model([tensor("x", [1, 3, 16, 16])], y))
    assert g.layer("same").out_shape == (1, 4, 8, 8)
    assert g.layer("pool").out_shape == (1, 4, 4, 4)  # ceil_mode: 3.5 -> 4


def test_add_reading_the_network_input_gets_an_identity_layer() -> None:
    net = Net()
    y = net.conv("x", "c", 4, 4, 3, pad=1)
    y = net.node("Add", [y, "x"], "res")
    g = import_onnx(net.model([tensor("x", [1, 4, 8, 8])], y))
    assert g.inputs_of("res") == ("c", "x")
    assert isinstance(g.layer("x"), Reshape) and g.layer("x").out_shape == (1, 4, 8, 8)


def test_reduce_mean_gap_clip_relu6_and_a_broadcast_mul() -> None:
    """MobileNet/SE-style export: Clip(0, 6), x * sigmoid(gap(x)) (skipped), ReduceMean as the pool."""
    net = Net()
    y = net.conv("x", "c", 3, 8, 3, pad=1)
    y = net.node("Clip", [y, net.init("lo", (), 0.0), net.init("hi", (), 6.0)], "relu6")
    gate = net.node("Sigmoid", [net.node("GlobalAveragePool", [y], "se_pool")], "se_gate")
    y = net.node("Mul", [gate, y], "se_scale")  # broadcast: the output reads like y, not like the gate
    y = net.node("ReduceMean", [y], "gap", axes=[2, 3], keepdims=0)
    y = net.node("Gemm", [y, net.init("w", (8, 4))], "fc")
    g = import_onnx(net.model([tensor("x", [1, 3, 8, 8])], y))
    assert g.layer("c").act == "relu6"
    gap = g.layer("gap")
    assert isinstance(gap, Pool) and gap.in_shape == (1, 8, 8, 8) and gap.out_shape == (1, 8, 1, 1)
    assert g.inputs_of("gap") == ("c",)
    assert isinstance(g.layer(g.inputs_of("fc")[0]), Flatten)  # keepdims=0: (1, 8) from (1, 8, 1, 1)
    assert g.metadata["skipped_ops"] == {"Sigmoid": ["se_gate"], "Mul": ["se_scale"]}


def test_a_skipped_op_that_changes_the_size_is_reported_at_the_consumer() -> None:
    net = Net()
    y = net.conv("x", "c1", 3, 4, 3)
    y = net.node("Pad", [y, net.ints("pads", [0, 0, 1, 1, 0, 0, 1, 1])], "pad")
    y = net.node("Add", [y, y], "twice")
    with pytest.raises(InputError, match=r"node twice \(Add\).*comes from c1 of shape \(1, 4, 6, 6\) through Pad"):
        import_onnx(net.model([tensor("x", [1, 3, 8, 8])], y))


def test_missing_onnx_names_the_extra(monkeypatch) -> None:
    from accelsim.io import onnx_import

    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(InputError, match=r"pip install 'accelsim\[onnx\]'"):
        onnx_import.import_onnx("whatever.onnx")


def test_not_an_onnx_file(tmp_path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00not protobuf at all\xff" * 3)
    with pytest.raises(InputError, match="is not a readable ONNX model"):
        load_workload(str(bad))


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_import_writes_json_and_notes_skipped_ops(tmp_path, capsys) -> None:
    src = save(cnn_model(), tmp_path, "cnn.onnx")
    out = tmp_path / "cnn.json"
    assert main(["import", str(src), "-o", str(out), "--format", "json"]) == 0
    captured = capsys.readouterr()
    row = json.loads(captured.out)[0]
    assert row["layers"] == 4 and row["macs"] == 16 * 16 * 8 * 27 + 512 * 10
    assert captured.err.strip().splitlines() == ["accelsim: note: skipped 1 ops without MACs: Sigmoid x1"]
    assert LayerGraph.load(out) == load_workload(str(src))


def test_cli_layers_reads_onnx_and_bad_models_exit_2(tmp_path, capsys) -> None:
    src = save(resnet_onnx(), tmp_path, "r.onnx")
    assert main(["layers", str(src), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sum(r["macs"] for r in rows) == resnet_ir().total_macs()
    net = Net()
    y = net.node("ConvTranspose", ["x", net.init("w", (4, 2, 3, 3))], "up1", kernel_shape=[3, 3])
    bad = save(net.model([tensor("x", [1, 4, 8, 8])], y), tmp_path, "bad.onnx")
    assert main(["import", str(bad), "-o", str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert "node up1 (ConvTranspose)" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad.json").exists()


def test_the_graph_is_named_after_the_model_unless_the_exporter_wrote_a_generic_name(tmp_path) -> None:
    model = cnn_model()
    assert load_workload(str(save(model, tmp_path, "weights-v3.onnx"))).name == "net"  # the model's own name
    model.graph.name = "main_graph"  # what torch.onnx.export writes for every model
    assert load_workload(str(save(model, tmp_path, "weights-v3.onnx"))).name == "weights-v3"


# --- shape-only files: weights as external data, left out ----------------------------------------


def test_shape_only_file_with_external_weights_left_out(tmp_path) -> None:
    """Weights saved as external data whose file is then deleted: shapes import, values are never read."""
    from onnx.external_data_helper import convert_model_to_external_data

    model = cnn_model()
    reference = import_onnx(model, name="model")
    # exporters keep small tensors (shape constants) inline: 64 B here, 1 KiB by onnx's default
    convert_model_to_external_data(model, all_tensors_to_one_file=True, location="weights.data", size_threshold=64)
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    (tmp_path / "weights.data").unlink()
    g = load_workload(str(path))
    assert g.total_macs() == reference.total_macs() and g.total_params() == reference.total_params()
    assert [layer.to_dict() for layer in g.layers()] == [layer.to_dict() for layer in reference.layers()]
    external = [t for t in model.graph.initializer if t.data_location == TensorProto.EXTERNAL]
    assert g.metadata["external_initializers"] == len(external) > 0
    assert "external_initializers" not in reference.metadata


def test_layer_normalization_and_softmax_become_vector_layers() -> None:
    """A pre-norm projection: LayerNormalization(x) @ W, then Softmax over the last axis."""
    net = Net()
    h = net.node("LayerNormalization", ["x", net.init("ln.g", (16,), 1.0), net.init("ln.b", (16,))], "ln", axis=-1)
    y = net.node("MatMul", [h, net.init("w", (16, 16))], "proj")
    y = net.node("Softmax", [y], "probs", axis=-1)
    g = import_onnx(net.model([tensor("x", [1, 8, 16])], y), name="block")
    ln, probs = g.layer("ln"), g.layer("probs")
    assert isinstance(ln, LayerNorm) and ln.shape == (1, 8, 16) and ln.bias and ln.param_elems == 32
    assert isinstance(probs, Softmax) and g.inputs_of("probs") == ("proj",)
    assert g.inputs_of("proj") == ("ln",)
    assert g.total_params() == 16 * 16 + 32 and g.metadata["skipped_ops"] == {}
