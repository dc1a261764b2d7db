"""Vector layers of the IR (counts by hand, JSON round trip, bad fields) and bit-width tokens."""

from __future__ import annotations

import pytest

from accelsim.errors import InputError
from accelsim.ir import LayerGraph, Precision
from accelsim.ir.bits_spec import BitsSpec, parse_bits_token
from accelsim.ir.layer_registry import layer_from_dict, layer_types
from accelsim.ir.vector_layers import (
    VECTOR_LAYERS,
    Activation,
    Embedding,
    KVCache,
    LayerNorm,
    Mul,
    RMSNorm,
    Rotary,
    Softmax,
)

EXAMPLES = [
    Softmax(name="sm", shape=(12, 128, 128)),
    LayerNorm(name="ln", shape=(1, 128, 768)),
    LayerNorm(name="ln_nobias", shape=(1, 128, 768), bias=False),
    RMSNorm(name="rms", shape=(2, 1, 4096)),
    Activation(name="gelu", shape=(1, 128, 3072), fn="gelu"),
    Activation(name="silu", shape=(1, 1, 11008), fn="silu"),
    Mul(name="mul", shape=(1, 1, 11008)),
    Rotary(name="rope", shape=(1, 7, 4096), head_dim=128),
    Embedding(name="wte", in_shape=(2, 5), vocab=50257, dim=768, tied=True),
    KVCache(name="kc", in_shape=(2, 1, 1024), past=99, heads=8, transpose=True),
]


@pytest.mark.parametrize("layer", EXAMPLES, ids=lambda layer: layer.name)
def test_json_round_trip(layer) -> None:
    assert layer_from_dict(layer.to_dict(), "layers[0]") == layer


def test_every_vector_kind_is_registered() -> None:
    assert {cls.kind for cls in VECTOR_LAYERS} <= set(layer_types())
    assert {type(layer) for layer in EXAMPLES} == set(VECTOR_LAYERS)


def test_counts_by_hand() -> None:
    ln, rms = EXAMPLES[1], EXAMPLES[3]
    assert ln.elems == 128 * 768 and ln.ops == 7 * 128 * 768 and ln.param_elems == 2 * 768
    assert EXAMPLES[2].param_elems == 768
    assert rms.ops == 4 * 2 * 4096 and rms.param_elems == rms.side_read_elems == 4096
    assert EXAMPLES[4].ops == 9 * 128 * 3072 and EXAMPLES[5].ops == 3 * 11008
    mul = EXAMPLES[6]
    assert mul.input_shapes == ((1, 1, 11008),) * 2 and mul.ops == 11008 and mul.macs == 0
    rope = EXAMPLES[7]
    assert rope.ops == 3 * 7 * 4096 and rope.side_read_elems == 2 * 7 * 128  # cos and sin rows
    emb = EXAMPLES[8]
    assert emb.out_shape == (2, 5, 768) and emb.param_elems == 0 and emb.side_read_elems == 2 * 5 * 768
    assert Embedding(name="wpe", in_shape=(1, 1), vocab=1024, dim=768).param_elems == 1024 * 768
    kc = EXAMPLES[9]
    assert kc.out_shape == (16, 128, 100)  # (N x heads, head_dim, past + 1): keys transposed
    assert kc.cached_elems == 2 * 99 * 1024 and kc.appended_elems == 2 * 1024
    assert KVCache(name="vc", in_shape=(2, 1, 1024), past=99, heads=8).out_shape == (16, 100, 128)
    assert all(layer.gemm() is None and layer.weight_elems == 0 for layer in EXAMPLES)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Softmax(name="s", shape=(5,)), "s.shape"),
        (lambda: Activation(name="a", shape=(1, 4), fn="tanh"), "a.fn"),
        (lambda: Mul(name="m", shape=(1, 4), n_inputs=1), "m.n_inputs"),
        (lambda: Rotary(name="r", shape=(1, 2, 10), head_dim=4), "r.head_dim"),
        (lambda: Rotary(name="r", shape=(1, 2, 9), head_dim=3), "r.head_dim"),
        (lambda: Embedding(name="e", in_shape=(1, 2, 3), vocab=5, dim=4), "e.in_shape"),
        (lambda: Embedding(name="e", in_shape=(1, 2), vocab=0, dim=4), "e.vocab"),
        (lambda: KVCache(name="k", in_shape=(1, 1, 10), past=-1, heads=2), "k.past"),
        (lambda: KVCache(name="k", in_shape=(1, 1, 10), past=0, heads=3), "k.heads"),
    ],
)
def test_bad_fields_are_named(build, field) -> None:
    with pytest.raises(InputError) as info:
        build()
    assert info.value.field == field


def test_unknown_type_lists_the_vector_kinds() -> None:
    with pytest.raises(InputError) as info:
        layer_from_dict({"type": "Gelu", "name": "g"}, "layers[2]")
    assert info.value.field == "layers[2].type" and "Softmax" in info.value.rule and "KVCache" in info.value.rule


def test_graph_with_vector_layers_round_trips_with_kv_bits() -> None:
    g = LayerGraph("tiny_attention")
    g.add(Embedding(name="wte", in_shape=(1, 1), vocab=10, dim=8))
    g.add(KVCache(name="kc", in_shape=(1, 1, 8), past=3, heads=2), ["wte"])
    g.add(Softmax(name="sm", shape=(2, 4, 4)), ["kc"])
    g.set_precision("kc", Precision(16, 16, 4))
    assert g.output_bits("kc") == 4  # the cache is stored at kv_bits, not at its reader's a_bits
    data = g.to_dict()
    assert data["layers"][1]["kv_bits"] == 4 and "kv_bits" not in data["layers"][0]
    assert LayerGraph.from_dict(data) == g


# --- bit-width tokens --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "spec", "label"),
    [
        ("4", BitsSpec(4, 4, 4), "4"),
        (8, BitsSpec(8, 8, 8), "8"),
        ("w4a16", BitsSpec(4, 16, 16), "w4a16"),
        (" W8A8 ", BitsSpec(8, 8, 8), "8"),
        ("w4a4", BitsSpec(4, 4, 4), "4"),
        ("w2a16", BitsSpec(2, 16, 16), "w2a16"),
        ("w4a16kv8", BitsSpec(4, 16, 8), "w4a16kv8"),
    ],
)
def test_bits_tokens(token, spec: BitsSpec, label: str) -> None:
    assert parse_bits_token(token) == spec
    assert spec.label == label and parse_bits_token(label) == spec


@pytest.mark.parametrize("token", ["w4", "a16", "w4a16x", "4.5", "", "w0a16", "w4a33", "w4a16kv0", True, None, 4.0])
def test_bad_bits_tokens_are_one_line_errors(token) -> None:
    with pytest.raises(InputError) as info:
        parse_bits_token(token)
    assert info.value.field == "bits" and info.value.value == token
    assert "\n" not in str(info.value)


def test_bits_spec_policy_is_weight_only_for_w4a16() -> None:
    policy = parse_bits_token("w4a16").policy(first_last_bits=None)
    assert (policy.bits, policy.a_bits, policy.kv_bits) == (4, 16, 16)


def test_weight_only_edges_keep_wide_activations() -> None:
    """PACT's 8-bit first/last layers raise the weights of a w4a16 network, never lower its activations."""
    import workloads
    from accelsim.ir.bits_spec import token_policy

    g = workloads.load("gpt2", phase="decode,ctx=8").with_policy(token_policy("w4a16", 8))
    assert g.precision("layers.0.attn.q_proj") == Precision(8, 16)
    assert g.precision("lm_head") == Precision(8, 16)
    assert g.precision("layers.0.attn.k_proj") == Precision(4, 16)
    assert g.output_bits("layers.0.attn.k_cache") == 16
