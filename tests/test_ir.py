"""The layer-graph IR: layer arithmetic worked by hand, graph validation, precision, JSON round trip."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.errors import InputError
from accelsim.ir import (
    DEFAULT_BITS,
    Add,
    Concat,
    Conv2d,
    Dense,
    Flatten,
    LayerGraph,
    MatMul,
    Pool,
    Precision,
    uniform_policy,
)


def test_conv_counts_by_hand() -> None:
    """ResNet50 conv1: 7x7/2, pad 3, 3->64 on 224x224 -> 112x112.

    MACs = 112*112 * 64 * 3*7*7 = 118,013,952; weights = 64*3*49 = 9,408; GEMM M=12544, N=64, K=147.
    """
    conv = Conv2d(
        name="conv1",
        in_shape=(1, 3, 224, 224),
        out_channels=64,
        kernel=(7, 7),
        stride=(2, 2),
        padding=(3, 3),
        batchnorm=True,
    )
    assert conv.out_shape == (1, 64, 112, 112)
    assert conv.macs == 118_013_952
    assert conv.weight_elems == 9_408
    assert conv.param_elems == 9_408 + 2 * 64
    view = conv.gemm()
    assert (view.m, view.n, view.k, view.groups) == (12544, 64, 147, 1)


def test_depthwise_is_groups_of_single_column_gemms() -> None:
    """3x3 depthwise on 32 channels of 112x112: 32 GEMMs of M=12544, N=1, K=9."""
    dw = Conv2d(name="dw", in_shape=(1, 32, 112, 112), out_channels=32, kernel=(3, 3), padding=(1, 1), groups=32)
    view = dw.gemm()
    assert (view.m, view.n, view.k, view.groups) == (12544, 1, 9, 32)
    assert dw.macs == 112 * 112 * 32 * 9
    assert dw.weight_elems == 32 * 9


def test_dilation_and_stride_shape() -> None:
    conv = Conv2d(
        name="c", in_shape=(2, 8, 17, 17), out_channels=4, kernel=(3, 3), stride=(2, 2), padding=(2, 2), dilation=(2, 2)
    )
    # (17 + 4 - 2*2 - 1) // 2 + 1 = 9
    assert conv.out_shape == (2, 4, 9, 9)


def test_dense_on_tokens_is_one_gemm() -> None:
    fc = Dense(name="q", in_shape=(2, 128, 768), out_features=768)
    assert fc.out_shape == (2, 128, 768)
    view = fc.gemm()
    assert (view.m, view.n, view.k) == (256, 768, 768)
    assert fc.param_elems == 768 * 768 + 768


def test_matmul_has_no_weights() -> None:
    mm = MatMul(name="scores", a_shape=(12, 128, 64), b_shape=(12, 64, 128))
    assert mm.out_shape == (12, 128, 128)
    assert mm.macs == 12 * 128 * 128 * 64
    assert mm.weight_elems == 0
    assert mm.in_elems == 2 * 12 * 128 * 64


def test_pool_concat_flatten_shapes() -> None:
    assert Pool(name="p", in_shape=(1, 64, 112, 112), kernel=(3, 3), stride=(2, 2), padding=(1, 1)).out_shape == (
        1,
        64,
        56,
        56,
    )
    cat = Concat(name="cat", in_shapes=((1, 8, 4, 4), (1, 24, 4, 4)))
    assert cat.out_shape == (1, 32, 4, 4)
    assert Flatten(name="f", in_shape=(1, 256, 6, 6)).out_shape == (1, 9216)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Conv2d(name="c", in_shape=(1, 3, 8, 8), out_channels=4, kernel=(9, 9)), "c.kernel"),
        (lambda: Conv2d(name="c", in_shape=(1, 3, 8, 8), out_channels=4, kernel=(3, 3), groups=2), "c.groups"),
        (lambda: Conv2d(name="c", in_shape=(1, 3, 8), out_channels=4, kernel=(3, 3)), "c.in_shape"),
        (lambda: Conv2d(name="c", in_shape=(1, 3, 8, 8), out_channels=0, kernel=(3, 3)), "c.out_channels"),
        (lambda: Dense(name="d", in_shape=(1, 4), out_features=2, act="tanhh"), "d.act"),
        (lambda: MatMul(name="m", a_shape=(1, 4, 5), b_shape=(1, 4, 5)), "m.b_shape"),
        (lambda: Precision(0, 8), "w_bits"),
        (lambda: Precision(8, 33), "a_bits"),
        (lambda: uniform_policy(4, first_last_bits=0), "first_last_bits"),
    ],
)
def test_bad_layers_name_the_field(build, field) -> None:
    with pytest.raises(InputError) as info:
        build()
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}=")


def _tiny() -> LayerGraph:
    g = LayerGraph("tiny")
    g.add(
        Conv2d(
            name="c1", in_shape=(1, 3, 8, 8), out_channels=4, kernel=(3, 3), padding=(1, 1), batchnorm=True, act="relu"
        )
    )
    g.add(
        Conv2d(name="c2", in_shape=(1, 4, 8, 8), out_channels=4, kernel=(3, 3), padding=(1, 1), batchnorm=True), ["c1"]
    )
    g.add(Add(name="add", shape=(1, 4, 8, 8), act="relu"), ["c1", "c2"])
    g.add(Pool(name="gap", in_shape=(1, 4, 8, 8), mode="avg", kernel=(8, 8), stride=(1, 1)), ["add"])
    g.add(Flatten(name="flat", in_shape=(1, 4, 1, 1)), ["gap"])
    g.add(Dense(name="fc", in_shape=(1, 4), out_features=10), ["flat"])
    return g


def test_graph_totals_and_order() -> None:
    g = _tiny()
    assert g.names() == ["c1", "c2", "add", "gap", "flat", "fc"]
    assert g.total_macs() == 64 * 4 * 27 + 64 * 4 * 36 + 40
    assert g.total_weights() == 4 * 27 + 4 * 36 + 40
    assert g.total_params() == g.total_weights() + 2 * 4 + 2 * 4 + 10
    assert g.input_layers() == ["c1"]
    assert g.output_layers() == ["fc"]
    assert g.consumers_of("c1") == ["c2", "add"]


def test_edge_shape_mismatch_is_rejected() -> None:
    g = LayerGraph("g")
    g.add(Conv2d(name="c1", in_shape=(1, 3, 8, 8), out_channels=4, kernel=(3, 3)))
    with pytest.raises(InputError, match=r"c2.inputs\[0\]='c1': produces shape \(1, 4, 6, 6\)"):
        g.add(Conv2d(name="c2", in_shape=(1, 4, 8, 8), out_channels=4, kernel=(3, 3)), ["c1"])
    with pytest.raises(InputError, match="is not a layer"):
        g.add(Conv2d(name="c3", in_shape=(1, 4, 6, 6), out_channels=4, kernel=(3, 3)), ["nope"])
    with pytest.raises(InputError, match="already a layer"):
        g.add(Conv2d(name="c1", in_shape=(1, 3, 8, 8), out_channels=4, kernel=(3, 3)))


def test_policy_sets_first_and_last_mac_layers() -> None:
    g = _tiny().with_policy(uniform_policy(4, first_last_bits=8))
    assert g.precision("c1") == Precision(8, 8)
    assert g.precision("c2") == Precision(4, 4)
    assert g.precision("fc") == Precision(8, 8)
    assert g.weight_bits() == 4 * 27 * 8 + 4 * 36 * 4 + 40 * 8
    assert g.weight_bytes() == (4 * 27 * 8 + 4 * 36 * 4 + 40 * 8) // 8 and isinstance(g.weight_bytes(), int)
    assert g.with_policy(uniform_policy(3, first_last_bits=None)).weight_bytes() == -(
        -(4 * 27 + 4 * 36 + 40) * 3 // 8
    )  # rounds up
    plain = _tiny().with_policy(uniform_policy(2, first_last_bits=None))
    assert {plain.precision(n) for n in plain.names()} == {Precision(2, 2)}
    # the original graph is untouched: policies return copies
    assert _tiny().precision("c2") == Precision(16, 16)


def test_output_bits_follow_the_widest_reader() -> None:
    g = _tiny()
    g.set_precision("c2", Precision(4, 4))
    g.set_precision("add", Precision(4, 2))
    assert g.output_bits("c1") == 4  # read by c2 (4) and add (2)
    assert g.activation_bytes("c1") == 4 * 64 * 4 / 8


def test_values_derived_from_a_graph_follow_its_changes() -> None:
    """`LayerGraph.memo` (liveness, output bits, GEMM views) forgets on add and set_precision."""
    from accelsim.model.liveness import liveness

    g = _tiny()
    before = (g.output_bits("c1"), liveness(g).peak_bits, g.gemm("c2"))
    assert liveness(g) is liveness(g)  # computed once
    g.set_precision("c2", Precision(4, 4))
    g.set_precision("add", Precision(4, 2))
    assert g.output_bits("c1") == 4 < before[0]
    assert liveness(g).peak_bits < before[1]
    g.set_precision("fc", Precision(4, 4))
    assert g.output_bits("fc") == 4  # a graph output keeps its own activation bits
    g.add(Dense(name="fc2", in_shape=(1, 10), out_features=3), ["fc"])
    assert g.output_bits("fc") == DEFAULT_BITS  # until a 16-bit reader is added
    assert g.gemm("c2") == before[2] and g.gemm("add") is None and g.gemm("fc2") is not None
    assert liveness(g).order[-1] == "fc2"
    copy = g.with_policy(uniform_policy(2, None))
    assert copy.output_bits("c1") == 2 and g.output_bits("c1") == 4


def test_json_round_trip_keeps_precision_and_metadata(tmp_path) -> None:
    g = _tiny().with_policy(uniform_policy(4))
    g.metadata["test_accuracy"] = 0.91
    path = tmp_path / "g.json"
    g.save(path)
    back = LayerGraph.load(path)
    assert back == g
    assert back.precision("c1") == Precision(8, 8)
    assert back.metadata == {"test_accuracy": 0.91}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(schema_version=99), "schema_version"),
        (lambda d: d["layers"][1].update(kernel=[3, "x"]), "layers[1].c2.kernel"),
        (lambda d: d["layers"][1].update(type="Conv3d"), "layers[1].type"),
        (lambda d: d["layers"][1].update(inputs=["ghost"]), "layers[1].inputs"),
        (lambda d: d["layers"][1].update(w_bits=0), "layers[1].w_bits"),
        (lambda d: d["layers"][1].update(colour="red"), "layers[1].colour"),
        (lambda d: d["layers"][1].pop("out_channels"), "layers[1].out_channels"),
        (lambda d: d["layers"][1].update(in_shape=[1, 4, 9, 9]), "layers[1].c2.inputs[0]"),
        (lambda d: d.update(layers=[]), "layers"),
    ],
)
def test_malformed_json_names_the_field(tmp_path, mutate, field) -> None:
    data = _tiny().to_dict()
    mutate(data)
    with pytest.raises(InputError) as info:
        LayerGraph.from_dict(json.loads(json.dumps(data)))
    assert info.value.field == field


def test_load_reports_bad_json_position(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"schema_version": 1,\n "layers": [}')
    with pytest.raises(InputError, match=r"line 2 col 13"):
        LayerGraph.load(path)


# --- property test: random valid chains/branches round-trip losslessly --------------------------


@st.composite
def graphs(draw) -> LayerGraph:
    n = draw(st.integers(1, 2))
    c = draw(st.integers(1, 8))
    hw = draw(st.integers(4, 12))
    g = LayerGraph(draw(st.text("abcxyz", min_size=1, max_size=6)))
    shape = (n, c, hw, hw)
    prev: list[str] = []
    for i in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["conv", "conv", "pool", "add"]))
        name = f"l{i}"
        if kind == "conv" or not prev:
            k = draw(st.integers(1, 3))
            groups = draw(st.sampled_from([1, shape[1]]))
            out_c = shape[1] * draw(st.integers(1, 3)) if groups > 1 else draw(st.integers(1, 8))
            layer = Conv2d(
                name=name,
                in_shape=shape,
                out_channels=out_c,
                kernel=(k, k),
                padding=(k // 2, k // 2),
                groups=groups,
                bias=draw(st.booleans()),
                batchnorm=draw(st.booleans()),
                act=draw(st.sampled_from(["none", "relu", "pact"])),
            )
        elif kind == "pool" and min(shape[2:]) >= 2:
            layer = Pool(name=name, in_shape=shape, mode=draw(st.sampled_from(["max", "avg"])))
        else:
            layer = Add(name=name, shape=shape)
            g.add(layer, [prev[-1], prev[-1]])
            g.set_precision(name, Precision(draw(st.integers(1, 16)), draw(st.integers(1, 16))))
            prev.append(name)
            continue
        g.add(layer, prev[-1:])
        if draw(st.booleans()):
            g.set_precision(name, Precision(draw(st.integers(1, 32)), draw(st.integers(1, 32))))
        shape = layer.out_shape
        prev.append(name)
    flat = Flatten(name="flat", in_shape=shape)
    g.add(flat, prev[-1:])
    g.add(Dense(name="fc", in_shape=flat.out_shape, out_features=draw(st.integers(1, 10))), ["flat"])
    g.metadata["seed"] = draw(st.integers(0, 10**6))
    return g


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_json_round_trip_is_lossless(g: LayerGraph) -> None:
    back = LayerGraph.from_dict(json.loads(g.to_json()))
    assert back == g
    assert back.to_json() == g.to_json()
    assert back.total_macs() == g.total_macs()
    assert [back.precision(n) for n in back.names()] == [g.precision(n) for n in g.names()]
