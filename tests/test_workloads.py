"""The workload zoo: each network pinned to its published MAC and parameter counts, plus the
registry's contract (names, batch scaling, determinism, JSON round trip, input errors)."""

from __future__ import annotations

import json
from functools import cache

import pytest

import workloads
from accelsim.errors import InputError
from accelsim.ir import Add, Conv2d, Dense, LayerGraph, MatMul
from accelsim.ir.vector_layers import Activation, LayerNorm, Softmax

ALL = workloads.names()


@cache
def built(name: str, batch: int = 1) -> LayerGraph:
    """Each network is built once per batch for the whole module (tests only read it)."""
    return workloads.load(name, batch)


def kinds(g: LayerGraph, cls: type) -> list:
    return [layer for layer in g.layers() if isinstance(layer, cls)]


# --- published counts ------------------------------------------------------------------------

#: name -> (MACs, params, weights) as this zoo computes them at batch 1; exact regression pins.
PINNED = {
    "alexnet": (714_188_480, 61_100_840, 61_090_496),
    "alexnet_dorefa": (1_937_082_368, 60_981_224, 60_961_280),
    "bert_base": (11_173_625_856, 108_891_648, 84_934_656),
    "mobilenet_v2": (300_774_272, 3_504_872, 3_469_760),
    "resnet18": (1_814_073_344, 11_689_512, 11_678_912),
    "resnet20": (40_813_184, 272_474, 270_896),
    "resnet50": (4_089_184_256, 25_557_032, 25_502_912),
    "svhn": (41_735_424, 2_082_378, 2_080_272),
    "vgg16": (15_470_264_320, 138_357_544, 138_344_128),
    # decoder LLMs at their default phase (decode, half the positions cached); MACs = weights (one
    # token) + 2 x layers x heads x (ctx + 1) x head_dim of attention, e.g. Llama-2-7B:
    # 6,607,077,376 + 2 x 32 x 32 x 2049 x 128 = 7,144,210,432. Published parameter counts: test_llm.py.
    "gpt2": (132_987_648, 124_439_808, 123_532_032),
    "gpt2_medium": (378_668_032, 354_823_168, 353_453_056),
    "llama2_7b": (7_144_210_432, 6_738_415_616, 6_607_077_376),
    "llama3_8b": (8_578_662_400, 8_030_261_248, 7_504_658_432),
    "opt_1_3b": (1_411_678_208, 1_315_758_080, 1_310_916_608),
    "tinyllama_1_1b": (1_126_785_024, 1_100_048_384, 1_034_420_224),
}


def test_every_network_is_pinned() -> None:
    assert sorted(PINNED) == ALL


@pytest.mark.parametrize("name", ALL)
def test_counts_pinned(name: str) -> None:
    g = built(name)
    assert (g.total_macs(), g.total_params(), g.total_weights()) == PINNED[name]


def test_resnet50_v15_matches_torchvision_exactly() -> None:
    """torchvision ResNet-50 (v1.5): 4,089,184,256 MACs; 25,557,032 params."""
    g = built("resnet50")
    assert g.total_macs() == 4_089_184_256
    assert g.total_params() == 25_557_032
    assert g.total_weights() == 25_502_912
    assert len(kinds(g, Conv2d)) == 53 and len(kinds(g, Dense)) == 1
    # v1.5: the stride sits on the 3x3, not on the first 1x1 (v1 would give 3,857,973,248 MACs).
    assert g.layer("layer2.0.conv1").stride == (1, 1)
    assert g.layer("layer2.0.conv2").stride == (2, 2)
    assert g.layer("layer1.0.downsample").out_shape == (1, 256, 56, 56)
    assert "layer1.1.downsample" not in g


@pytest.mark.parametrize(
    ("name", "params", "macs"),
    [
        ("resnet18", 11_689_512, 1.81e9),  # torchvision: 11,689,512 params, 1.81 GFLOPS (MACs)
        ("vgg16", 138_357_544, 15.47e9),  # torchvision: 138,357,544 params, 15.47 GFLOPS
        ("mobilenet_v2", 3_504_872, 300e6),  # torchvision: 3,504,872 params; paper Table 4: 300M MACs
        ("alexnet", 61_100_840, 0.71e9),  # torchvision: 61,100,840 params, 0.71 GFLOPS
    ],
)
def test_torchvision_published_counts(name: str, params: int, macs: float) -> None:
    g = built(name)
    assert g.total_params() == params
    assert g.total_macs() == pytest.approx(macs, rel=0.01)


def test_resnet20_is_the_cifar_net_of_the_paper() -> None:
    """He et al. Table 6: 20 layers, 0.27M params; option B adds two 1x1 projections (+2,752)."""
    g = built("resnet20")
    assert g.total_params() == pytest.approx(0.27e6, rel=0.02)
    assert g.total_macs() == pytest.approx(41e6, rel=0.01)
    convs = kinds(g, Conv2d)
    assert len(convs) == 19 + 2  # 6n+1 convs (n=3) + 2 projection shortcuts
    assert [c.name for c in convs if c.name.endswith("downsample")] == ["layer2.0.downsample", "layer3.0.downsample"]
    assert g.layer("fc").out_shape == (1, 10)
    option_a = g.total_params() - sum(c.param_elems for c in convs if c.name.endswith("downsample"))
    assert option_a == 269_722


def test_svhn_is_seven_convs_and_one_fc_on_40x40() -> None:
    """PACT appendix B / tensorpack svhn-digit-dorefa.py: 40 -> 36 -> 18 -> 9 -> 7 -> 7 -> 5 -> 1."""
    g = built("svhn")
    convs = kinds(g, Conv2d)
    assert [c.name for c in convs] == [f"conv{i}" for i in range(7)]
    assert [c.out_shape[2] for c in convs] == [36, 18, 18, 7, 7, 5, 1]
    assert [c.out_channels for c in convs] == [48, 64, 64, 128, 128, 128, 512]
    assert [layer.name for layer in kinds(g, Dense)] == ["fc1"]
    assert convs[0].bias and not convs[0].batchnorm
    assert all(c.batchnorm and not c.bias for c in convs[1:])


def test_alexnet_dorefa_is_the_two_tower_bn_variant() -> None:
    g = built("alexnet_dorefa")
    assert [c.groups for c in kinds(g, Conv2d)] == [1, 2, 1, 2, 2]
    assert [c.batchnorm for c in kinds(g, Conv2d)] == [False, True, True, True, True]
    assert g.layer("flatten").out_shape == (1, 256 * 6 * 6)
    assert [(d.bias, d.batchnorm) for d in kinds(g, Dense)] == [(False, True), (False, True), (True, False)]


def test_bert_base_encoder_counts() -> None:
    """85,054,464 = 12 x (4 x (768^2 + 768) + 2 x 768 x 3072 + 3072 + 768 + 2 LayerNorms x 1,536)."""
    g = built("bert_base")
    per_layer = 4 * (768 * 768 + 768) + (768 * 3072 + 3072) + (3072 * 768 + 768) + 2 * 2 * 768
    assert per_layer == 7_087_872
    encoder = sum(layer.param_elems for layer in g.layers() if layer.name.startswith("layer"))
    assert encoder == 12 * per_layer == 85_054_464
    dense_macs = 12 * 128 * (4 * 768 * 768 + 2 * 768 * 3072)
    assert sum(layer.macs for layer in kinds(g, Dense)) == dense_macs == 10_871_635_968
    attention = sum(layer.macs for layer in kinds(g, MatMul))
    assert attention == 2 * 12 * 128 * 128 * 768 == 301_989_888
    assert g.total_macs() == dense_macs + attention == 11_173_625_856
    embeddings = g.total_params() - encoder
    assert embeddings == (30522 + 512 + 2) * 768 + 2 * 768 == 23_837_184
    # Embeddings + encoder + pooler (768^2 + 768) is BERT-base's well-known 109,482,240.
    assert g.total_params() + 768 * 768 + 768 == 109_482_240
    assert all(
        layer.in_shape == (1, 128, 768) for layer in kinds(g, Dense) if layer.name.endswith(("query", "key", "value"))
    )
    # the vector operations are layers: softmax on the scores, GELU, three LayerNorms a layer with the embeddings'
    assert (
        isinstance(g.layer("layer3.intermediate.gelu"), Activation) and g.layer("layer3.intermediate.gelu").fn == "gelu"
    )
    assert g.inputs_of("layer5.attention.softmax") == ("layer5.attention.scores",)
    assert len(kinds(g, Softmax)) == 12 and len(kinds(g, LayerNorm)) == 2 * 12 + 1
    assert not any(layer.batchnorm for layer in kinds(g, Dense))
    # scores (12, 128, 64) @ (12, 64, 128) -> softmax -> context (12, 128, 128) @ (12, 128, 64), per layer
    scores = g.layer("layer5.attention.scores")
    assert (scores.a_shape, scores.b_shape) == ((12, 128, 64), (12, 64, 128))
    assert len(kinds(g, MatMul)) == 24
    assert g.inputs_of("layer0.attention.add") == ("layer0.attention.output", "embeddings.LayerNorm")
    assert g.output_layers() == ["layer11.output.LayerNorm"]


# --- the graphs themselves -------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_graph_is_connected_with_one_output(name: str) -> None:
    g = built(name)
    assert len(g.output_layers()) == 1
    roots = g.input_layers()
    assert g.names()[0] in roots
    # only the first layers read the network input: the rest are reached from them
    if name == "bert_base":
        assert roots == ["embeddings.word", "embeddings.position", "embeddings.token_type"]
    elif name in workloads.LLM_ZOO:  # token ids feed the token table and, with learned positions, the position table
        assert roots == ["embed_tokens", "embed_positions"][: 1 + (workloads.LLM_ZOO[name].positions == "learned")]
    else:
        assert len(roots) == 1


@pytest.mark.parametrize("name", ALL)
def test_batch_scales_macs_not_params(name: str) -> None:
    one, four = built(name, 1), built(name, 4)
    assert four.total_macs() == 4 * one.total_macs()
    assert four.total_params() == one.total_params()
    assert four.total_weights() == one.total_weights()
    # attention heads ride in the leading axis: (N * heads, S, 64)
    heads = workloads.LLM_ZOO[name].kv_heads if name in workloads.LLM_ZOO else 12
    headed = ("Reshape", "MatMul", "Softmax", "KVCache")
    assert all(
        layer.out_shape[0] == 4 or layer.out_shape[0] == 4 * heads and layer.kind in headed for layer in four.layers()
    )
    assert four.metadata["batch"] == 4
    assert four.names() == one.names()


@pytest.mark.parametrize("name", ALL)
def test_json_round_trip(name: str) -> None:
    g = built(name)
    assert LayerGraph.from_dict(g.to_dict()) == g
    assert LayerGraph.from_dict(json.loads(g.to_json())) == g


@pytest.mark.parametrize("name", ALL)
def test_build_is_deterministic(name: str) -> None:
    assert workloads.load(name).to_json() == built(name).to_json()


def test_batchnorm_and_bias_flags_follow_the_reference() -> None:
    for name in ("resnet18", "resnet50", "mobilenet_v2"):
        convs = kinds(built(name), Conv2d)
        assert all(c.batchnorm and not c.bias for c in convs), name
    for name in ("vgg16", "alexnet"):
        convs = kinds(built(name), Conv2d)
        assert all(c.bias and not c.batchnorm for c in convs), name


def test_layer_names_are_readable() -> None:
    r50 = built("resnet50")
    for name in (
        "conv1",
        "maxpool",
        "layer1.0.conv1",
        "layer1.0.downsample",
        "layer4.2.conv3",
        "layer4.2.add",
        "avgpool",
        "fc",
    ):
        assert name in r50
    mnv2 = built("mobilenet_v2")
    assert "features.1.expand" not in mnv2  # t = 1: no expansion conv
    assert mnv2.layer("features.2.dw").groups == 96
    assert isinstance(mnv2.layer("features.3.add"), Add)
    assert [f"conv{s}_{i}" in built("vgg16") for s, i in ((1, 1), (5, 3))] == [True, True]


def test_mobilenet_v2_structure() -> None:
    g = built("mobilenet_v2")
    assert len([c for c in kinds(g, Conv2d) if c.groups > 1]) == 17
    assert len(kinds(g, Add)) == 10
    assert g.layer("features.18").out_shape == (1, 1280, 7, 7)


# --- the registry ----------------------------------------------------------------------------


def test_names() -> None:
    assert ALL == sorted(ALL)
    for name in ("resnet50", "resnet18", "alexnet", "resnet20", "svhn", "vgg16", "mobilenet_v2", "bert_base"):
        assert name in ALL


def test_names_are_matched_loosely() -> None:
    assert workloads.load("ResNet-50".replace("-", "")) == built("resnet50")
    assert workloads.load("mobilenet-v2") == built("mobilenet_v2")


@pytest.mark.parametrize("bad", ["resnet51", "", 50, None])
def test_unknown_name_is_an_input_error(bad: object) -> None:
    with pytest.raises(InputError) as info:
        workloads.load(bad)  # type: ignore[arg-type]
    assert info.value.field == "workload"
    assert info.value.value == bad
    assert "resnet50" in info.value.rule and "bert_base" in info.value.rule
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2"])
def test_bad_batch_is_an_input_error(bad: object) -> None:
    with pytest.raises(InputError) as info:
        workloads.load("resnet18", bad)  # type: ignore[arg-type]
    assert info.value.field == "batch"
    assert info.value.value == bad
