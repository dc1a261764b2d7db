"""Decoder LLMs: parameter counts pinned to the published ones, phases, KV cache, config loading."""

from __future__ import annotations

import json
from functools import cache

import pytest

import workloads
from accelsim.errors import InputError
from accelsim.io.inputs import load_workload
from accelsim.ir import Dense, LayerGraph, MatMul, uniform_policy
from accelsim.ir.vector_layers import (
    Embedding,
    KVCache,
    LayerNorm,
    RMSNorm,
    Rotary,
    Softmax,
)
from workloads.llm import Phase, llm, parse_phase
from workloads.llm_config import LLMConfig, from_hf_config

#: `model.num_parameters()` of the Hugging Face checkpoints (shared/reference/llm-configs.md).
PUBLISHED_PARAMS = {
    "gpt2": 124_439_808,
    "gpt2_medium": 354_823_168,
    "tinyllama_1_1b": 1_100_048_384,
    "opt_1_3b": 1_315_758_080,
    "llama2_7b": 6_738_415_616,
    "llama3_8b": 8_030_261_248,
}

#: Hugging Face config.json files of two of the zoo's models, abridged to the fields that set shapes.
GPT2_CONFIG = {
    "model_type": "gpt2",
    "n_layer": 12,
    "n_embd": 768,
    "n_head": 12,
    "n_inner": None,
    "n_positions": 1024,
    "vocab_size": 50257,
    "activation_function": "gelu_new",
    "layer_norm_epsilon": 1e-05,
}
LLAMA3_CONFIG = {
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "num_hidden_layers": 32,
    "vocab_size": 128256,
    "max_position_embeddings": 8192,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-05,
    "tie_word_embeddings": False,
    "rope_theta": 500000.0,
}


@cache
def built(name: str, phase: str = "") -> LayerGraph:
    return workloads.load(name, phase=phase or None)


def kinds(g: LayerGraph, cls: type) -> list:
    return [layer for layer in g.layers() if isinstance(layer, cls)]


def test_the_zoo_holds_the_llms() -> None:
    assert set(PUBLISHED_PARAMS) == set(workloads.LLM_ZOO) <= set(workloads.names())


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS))
def test_parameters_match_the_published_count(name: str) -> None:
    assert built(name).total_params() == PUBLISHED_PARAMS[name]


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS))
def test_parameters_do_not_depend_on_the_phase(name: str) -> None:
    prefill = workloads.load(name, batch=2, phase="prefill,prompt=16")
    assert prefill.total_params() == PUBLISHED_PARAMS[name]


def test_gpt2_decomposes_as_published() -> None:
    """wte 50257x768 (tied to the LM head) + wpe 1024x768 + 12 x 7,087,872 + ln_f 1,536."""
    g = built("gpt2")
    per_layer = sum(layer.param_elems for layer in g.layers() if layer.name.startswith("layers.3."))
    assert per_layer == 7_087_872
    assert g.layer("embed_tokens").param_elems == 0 and g.layer("embed_tokens").tied
    assert g.layer("lm_head").param_elems == 50257 * 768
    assert g.layer("embed_positions").param_elems == 1024 * 768
    assert g.layer("norm").param_elems == 2 * 768
    assert isinstance(g.layer("layers.0.input_norm"), LayerNorm)
    assert g.layer("layers.0.mlp.act").fn == "gelu"


def test_llama2_decomposes_as_published() -> None:
    g = built("llama2_7b")
    per_layer = 4 * 4096 * 4096 + 3 * 4096 * 11008 + 2 * 4096
    assert sum(layer.param_elems for layer in g.layers() if layer.name.startswith("layers.31.")) == per_layer
    assert 2 * 32000 * 4096 + 32 * per_layer + 4096 == PUBLISHED_PARAMS["llama2_7b"]
    assert isinstance(g.layer("layers.0.input_norm"), RMSNorm)
    assert isinstance(g.layer("layers.0.attn.q_rotary"), Rotary)
    assert not any(isinstance(layer, Dense) and layer.bias for layer in g.layers())


def test_gqa_shares_each_kv_head_among_its_query_group() -> None:
    """Llama-3-8B: 8 KV heads of 128 serve 32 query heads; k, v are 4096 x 1024."""
    g = built("llama3_8b", "decode,ctx=100")
    assert g.layer("layers.0.attn.k_proj").weight_elems == 4096 * 1024
    assert g.layer("layers.0.attn.q_proj").weight_elems == 4096 * 4096
    scores = g.layer("layers.0.attn.scores")
    assert (scores.a_shape, scores.b_shape) == ((8, 4, 128), (8, 128, 101))
    # the MACs are the plain multi-head count: heads x (ctx + 1) x head_dim per layer and matmul
    assert scores.macs == 32 * 101 * 128
    assert g.layer("layers.0.attn.v_cache").out_shape == (8, 101, 128)


def test_decode_reads_the_cache_prefill_writes_it() -> None:
    decode = built("llama2_7b", "decode,ctx=2048")
    cache_layers = kinds(decode, KVCache)
    assert len(cache_layers) == 64
    # KV bytes per token of context at 16 bits: 2 x 32 x 32 x 128 x 2 B = 524,288 B
    cached_bits = sum(layer.cached_elems for layer in cache_layers) * 16
    assert cached_bits / 8 == 2048 * 524_288
    assert workloads.LLM_ZOO["llama2_7b"].kv_bytes_per_token(16) == 524_288
    prefill = built("llama2_7b", "prefill,prompt=512")
    assert all(layer.cached_elems == 0 and layer.appended_elems == 512 * 4096 for layer in kinds(prefill, KVCache))
    assert prefill.layer("layers.0.attn.scores").out_shape == (32, 512, 512)


def test_decode_macs_are_weights_plus_attention() -> None:
    """One token: every weight once, plus 2 x heads x (ctx + 1) x head_dim attention MACs per layer."""
    g = built("llama2_7b", "decode,ctx=1000")
    assert g.total_macs() == g.total_weights() + 32 * 2 * 32 * 1001 * 128
    assert sum(layer.macs for layer in kinds(g, MatMul)) == 32 * 2 * 32 * 1001 * 128


def test_batch_scales_activation_work_not_weights() -> None:
    one = built("tinyllama_1_1b", "decode,ctx=64")
    four = workloads.load("tinyllama_1_1b", batch=4, phase="decode,ctx=64")
    assert four.total_macs() == 4 * one.total_macs()
    assert four.total_weights() == one.total_weights()
    assert four.layer("layers.0.attn.k_cache").cached_elems == 4 * one.layer("layers.0.attn.k_cache").cached_elems


def test_kv_bits_set_the_cache_storage_only() -> None:
    from accelsim.ir.bits_spec import parse_bits_token

    g = built("llama2_7b", "decode,ctx=128").with_policy(parse_bits_token("w4a16kv8").policy())
    assert g.output_bits("layers.0.attn.k_cache") == 8
    assert g.precision("layers.0.attn.q_proj").w_bits == 4
    assert g.output_bits("layers.0.attn.q_proj") == 16
    assert g.weight_bytes() == g.total_weights() * 4 / 8
    again = LayerGraph.from_dict(json.loads(g.to_json()))
    assert again == g and again.precision("layers.0.attn.v_cache").kv_bits == 8


def test_vector_ops_are_in_the_graph() -> None:
    g = built("gpt2", "prefill,prompt=128")
    soft = g.layer("layers.0.attn.softmax")
    assert isinstance(soft, Softmax) and soft.elems == 12 * 128 * 128 and soft.ops == 6 * soft.elems
    assert len(kinds(g, LayerNorm)) == 2 * 12 + 1
    assert [e.name for e in kinds(g, Embedding)] == ["embed_tokens", "embed_positions"]
    assert g.layer("embed_tokens").side_read_elems == 128 * 768  # only the looked-up rows


# --- phases and specs -------------------------------------------------------------------------


def test_phase_spec_parsing() -> None:
    cfg = workloads.LLM_ZOO["llama2_7b"]
    assert parse_phase("decode,ctx=2048,batch=1", cfg) == Phase("decode", ctx=2048, batch=1)
    assert parse_phase("prefill,prompt=512", cfg, batch=4) == Phase("prefill", prompt=512, batch=4)
    assert parse_phase("", cfg) == Phase("decode", ctx=2048)  # half of 4096 positions
    assert parse_phase("ctx=7", cfg) == Phase("decode", ctx=7)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ("decode,ctx=x", "workload phase"),
        ("decode,context=8", "workload phase"),
        ("train", "phase"),
        ("prefill", "prompt"),
        ("decode,prompt=5", "workload phase"),
        ("prefill,ctx=5,prompt=3", "workload phase"),
        ("decode,ctx=4096", "ctx"),
        ("decode,batch=0", "batch"),
    ],
)
def test_bad_phase_specs_name_the_field(spec: str, field: str) -> None:
    with pytest.raises(InputError) as info:
        workloads.load("llama2_7b", phase=spec)
    assert info.value.field == field


def test_batch_option_and_spec_must_agree() -> None:
    with pytest.raises(InputError, match="disagrees"):
        load_workload("gpt2:decode,ctx=8,batch=2", batch=3)
    assert load_workload("gpt2:decode,ctx=8,batch=2").metadata["batch"] == 2
    assert load_workload("gpt2:decode,ctx=8", batch=3).metadata["batch"] == 3


def test_workload_resolver_takes_llm_specs() -> None:
    g = load_workload("Llama2-7B:decode,ctx=2048,batch=1")
    assert g.metadata["phase"] == "decode" and g.metadata["ctx"] == 2048
    assert g == built("llama2_7b", "decode,ctx=2048")
    with pytest.raises(InputError, match="phases apply to the LLMs"):
        load_workload("resnet50:decode")


# --- configs ----------------------------------------------------------------------------------


def test_hf_configs_give_the_zoo_models(tmp_path) -> None:
    assert from_hf_config(GPT2_CONFIG, "gpt2") == workloads.LLM_ZOO["gpt2"].__class__(
        **{**_fields(workloads.LLM_ZOO["gpt2"]), "source": "Hugging Face config.json (gpt2)"}
    )
    folder = tmp_path / "Meta-Llama-3-8B"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(LLAMA3_CONFIG))
    g = load_workload(f"{folder / 'config.json'}:decode,ctx=100")
    assert g.name == "Meta-Llama-3-8B:decode,ctx=100" and g.metadata["model"] == "Meta-Llama-3-8B"
    assert g.total_params() == PUBLISHED_PARAMS["llama3_8b"]
    assert g.total_macs() == built("llama3_8b", "decode,ctx=100").total_macs()


def _fields(cfg: LLMConfig) -> dict:
    return {f: getattr(cfg, f) for f in cfg.__dataclass_fields__}


def test_a_user_config_dict_builds_a_model() -> None:
    """A model the zoo lacks, from its config alone: Mistral-7B (32 layers, 4096, GQA 8, FFN 14336)."""
    mistral = {
        "name": "mistral_7b",
        "hidden": 4096,
        "heads": 32,
        "kv_heads": 8,
        "layers": 32,
        "ffn": 14336,
        "vocab": 32000,
        "max_positions": 32768,
        "gated_ffn": True,
        "act": "silu",
        "norm": "rmsnorm",
        "positions": "rope",
        "tied_embeddings": False,
        "bias": False,
    }
    # Mistral-7B-v0.1's published count (mistralai/Mistral-7B-v0.1): 7,241,732,096 parameters
    assert llm(mistral, Phase("decode", ctx=10)).total_params() == 7_241_732_096


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"heads": 5}, "heads"),
        ({"kv_heads": 5}, "kv_heads"),
        ({"norm": "batchnorm"}, "norm"),
        ({"hidden": 0}, "hidden"),
        ({"tied_embeddings": "yes"}, "tied_embeddings"),
        ({"rope": True}, "llm config.rope"),
    ],
)
def test_bad_configs_name_the_field(change: dict, field: str) -> None:
    base = _fields(workloads.LLM_ZOO["gpt2"])
    with pytest.raises(InputError) as info:
        LLMConfig.from_dict({**base, **change})
    assert info.value.field == field


def test_bad_hf_config_file_is_one_line(tmp_path) -> None:
    bad = tmp_path / "config.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="is not valid JSON"):
        load_workload(str(bad))
    missing = tmp_path / "other" / "config.json"
    with pytest.raises(InputError, match="no zoo LLM|neither a zoo LLM"):
        load_workload(f"{missing}:decode")


def test_policy_keeps_embeddings_out_of_the_edge_layers() -> None:
    """PACT's first/last rule picks the first and last MAC layers: q_proj of layer 0 and the LM head."""
    g = built("gpt2").with_policy(uniform_policy(4, 8))
    assert g.precision("layers.0.attn.q_proj").w_bits == 8 and g.precision("lm_head").w_bits == 8
    assert g.precision("layers.0.attn.k_proj").w_bits == 4


def test_cli_lists_the_llms_with_their_published_parameters(capsys) -> None:
    from accelsim.cli import main

    assert main(["workloads", "--format", "json"]) == 0
    rows = {row["workload"]: row for row in json.loads(capsys.readouterr().out)}
    for name, params in PUBLISHED_PARAMS.items():
        assert rows[name]["params_m"] == params / 1e6
        assert rows[name]["phase"].startswith("decode ctx=")
    assert rows["resnet50"]["phase"] == ""
