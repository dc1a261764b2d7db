"""Decoder-only LLM shapes as a frozen config, from a plain dict or a Hugging Face ``config.json``.

`LLMConfig` holds what the layer graph needs: hidden size, heads, KV heads (grouped-query attention
when fewer than heads), layers, FFN size, gated FFN or not, vocabulary, positions, tied embeddings,
norm and position kinds, linear biases. `from_hf_config` reads the field names of the three
Hugging Face families the zoo uses (``gpt2``, ``opt``, ``llama``-style); any other ``model_type``
with Llama's field names (Mistral, Qwen2 without biases...) is read the Llama way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from accelsim.errors import InputError

NORMS = ("layernorm", "rmsnorm")
POSITIONS = ("learned", "rope")
FFN_ACTS = ("gelu", "silu", "relu")


def _positive(field: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InputError(field, value, "must be a positive integer")
    return value


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InputError(field, value, f"must be one of {', '.join(allowed)}")
    return value


def _flag(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InputError(field, value, "must be true or false")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class LLMConfig:
    """Shapes of a decoder-only transformer (pre-norm, as GPT-2, OPT and Llama all are).

    `kv_heads < heads` is grouped-query attention (Ainslie et al. 2023): k and v projections are
    hidden x (kv_heads x head_dim). `gated_ffn` is Llama's SwiGLU (gate, up, down, no bias);
    otherwise fc1 -> act -> fc2. `position_offset` is OPT's learned-position table offset (2).
    """

    name: str
    hidden: int
    heads: int
    layers: int
    ffn: int
    vocab: int
    max_positions: int
    kv_heads: int | None = None
    gated_ffn: bool = False
    act: str = "gelu"
    norm: str = "layernorm"
    positions: str = "learned"
    tied_embeddings: bool = True
    bias: bool = True
    position_offset: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InputError("name", self.name, "must be a non-empty string")
        for field in ("hidden", "heads", "layers", "ffn", "vocab", "max_positions"):
            _positive(field, getattr(self, field))
        if self.kv_heads is None:
            object.__setattr__(self, "kv_heads", self.heads)
        _positive("kv_heads", self.kv_heads)
        if self.hidden % self.heads:
            raise InputError("heads", self.heads, f"must divide hidden ({self.hidden})")
        if self.heads % self.kv_heads:  # type: ignore[operator]
            raise InputError("kv_heads", self.kv_heads, f"must divide heads ({self.heads})")
        _choice("act", self.act, FFN_ACTS)
        _choice("norm", self.norm, NORMS)
        _choice("positions", self.positions, POSITIONS)
        for field in ("gated_ffn", "tied_embeddings", "bias"):
            _flag(field, getattr(self, field))
        if (
            not isinstance(self.position_offset, int)
            or isinstance(self.position_offset, bool)
            or self.position_offset < 0
        ):
            raise InputError("position_offset", self.position_offset, "must be an int >= 0")

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim  # type: ignore[operator]

    def kv_bytes_per_token(self, kv_bits: int) -> float:
        """KV cache bytes one token of context adds: 2 (K and V) x layers x kv_dim x kv_bits / 8."""
        return 2 * self.layers * self.kv_dim * kv_bits / 8

    @classmethod
    def from_dict(cls, data: Any) -> LLMConfig:
        """A config from its field names; unknown keys are an InputError naming them."""
        if not isinstance(data, Mapping):
            raise InputError("llm config", type(data).__name__, "must be an object")
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise InputError(f"llm config.{key}", data[key], f"is not a field ({', '.join(sorted(known))})")
        for f in ("name", "hidden", "heads", "layers", "ffn", "vocab", "max_positions"):
            if f not in data:
                raise InputError(f"llm config.{f}", None, "is required")
        return cls(**data)


def _need(data: Mapping[str, Any], *keys: str) -> Any:
    """The first of `keys` present in a Hugging Face config (families name one field differently)."""
    for key in keys:
        if key in data and data[key] is not None:
            return data[key]
    raise InputError(f"config.json.{keys[0]}", None, "is required")


def from_hf_config(data: Mapping[str, Any], name: str | None = None) -> LLMConfig:
    """Read a Hugging Face ``config.json`` dict (gpt2, opt, or Llama-style field names)."""
    if not isinstance(data, Mapping):
        raise InputError("config.json", type(data).__name__, "must be a JSON object")
    model_type = str(data.get("model_type", "llama"))
    label = name or str(data.get("_name_or_path") or model_type)
    if model_type == "gpt2":
        return _gpt2_config(data, label)
    if model_type == "opt":
        return _opt_config(data, label)
    return _llama_config(data, label, model_type)


def _gpt2_config(data: Mapping[str, Any], label: str) -> LLMConfig:
    hidden = _need(data, "n_embd", "hidden_size")
    act = "gelu" if str(data.get("activation_function", "gelu_new")).startswith("gelu") else "relu"
    return LLMConfig(
        name=label,
        hidden=hidden,
        heads=_need(data, "n_head", "num_attention_heads"),
        layers=_need(data, "n_layer", "num_hidden_layers"),
        ffn=data.get("n_inner") or 4 * hidden,
        vocab=_need(data, "vocab_size"),
        max_positions=_need(data, "n_positions", "max_position_embeddings"),
        act=act,
        source="Hugging Face config.json (gpt2)",
    )


def _opt_config(data: Mapping[str, Any], label: str) -> LLMConfig:
    if data.get("word_embed_proj_dim", data.get("hidden_size")) != data.get("hidden_size"):
        raise InputError(
            "config.json.word_embed_proj_dim",
            data.get("word_embed_proj_dim"),
            "must equal hidden_size (no project_in/out)",
        )
    if data.get("do_layer_norm_before", True) is not True:
        raise InputError(
            "config.json.do_layer_norm_before", data.get("do_layer_norm_before"), "must be true (pre-norm)"
        )
    return LLMConfig(
        name=label,
        hidden=_need(data, "hidden_size"),
        heads=_need(data, "num_attention_heads"),
        layers=_need(data, "num_hidden_layers"),
        ffn=_need(data, "ffn_dim"),
        vocab=_need(data, "vocab_size"),
        max_positions=_need(data, "max_position_embeddings"),
        act=_choice("config.json.activation_function", data.get("activation_function", "relu"), FFN_ACTS),
        bias=bool(data.get("enable_bias", True)),
        tied_embeddings=bool(data.get("tie_word_embeddings", True)),
        position_offset=2,
        source="Hugging Face config.json (opt)",
    )


def _llama_config(data: Mapping[str, Any], label: str, model_type: str) -> LLMConfig:
    heads = _need(data, "num_attention_heads")
    return LLMConfig(
        name=label,
        hidden=_need(data, "hidden_size"),
        heads=heads,
        kv_heads=data.get("num_key_value_heads") or heads,
        layers=_need(data, "num_hidden_layers"),
        ffn=_need(data, "intermediate_size"),
        vocab=_need(data, "vocab_size"),
        max_positions=_need(data, "max_position_embeddings"),
        gated_ffn=True,
        act=_choice("config.json.hidden_act", data.get("hidden_act", "silu"), FFN_ACTS),
        norm="rmsnorm",
        positions="rope",
        tied_embeddings=bool(data.get("tie_word_embeddings", False)),
        bias=bool(data.get("attention_bias", False)),
        source=f"Hugging Face config.json ({model_type})",
    )


#: What the Llama-style zoo entries share (their config.json: gated SiLU FFN, RMSNorm, RoPE, untied
#: embeddings, no biases); GPT-2/OPT entries keep the `LLMConfig` defaults.
_LLAMA_FAMILY: dict[str, Any] = {
    "gated_ffn": True,
    "act": "silu",
    "norm": "rmsnorm",
    "positions": "rope",
    "tied_embeddings": False,
    "bias": False,
}

#: The zoo's decoder LLMs, shapes from each model's published ``config.json`` (Hugging Face hub).
ZOO: dict[str, LLMConfig] = {
    cfg.name: cfg
    for cfg in (
        # openai-community/gpt2 config.json: n_layer 12, n_embd 768, n_head 12, n_positions 1024,
        # vocab_size 50257, activation_function gelu_new; Radford et al. 2019 (GPT-2), 124M.
        LLMConfig(
            name="gpt2",
            hidden=768,
            heads=12,
            layers=12,
            ffn=3072,
            vocab=50257,
            max_positions=1024,
            source="openai-community/gpt2 config.json; Radford et al. 2019",
        ),
        # openai-community/gpt2-medium config.json: n_layer 24, n_embd 1024, n_head 16.
        LLMConfig(
            name="gpt2_medium",
            hidden=1024,
            heads=16,
            layers=24,
            ffn=4096,
            vocab=50257,
            max_positions=1024,
            source="openai-community/gpt2-medium config.json",
        ),
        # facebook/opt-1.3b config.json: hidden_size 2048, num_attention_heads 32, num_hidden_layers 24,
        # ffn_dim 8192, vocab_size 50272, max_position_embeddings 2048, relu, enable_bias; Zhang et al. 2022.
        LLMConfig(
            name="opt_1_3b",
            hidden=2048,
            heads=32,
            layers=24,
            ffn=8192,
            vocab=50272,
            max_positions=2048,
            act="relu",
            position_offset=2,
            source="facebook/opt-1.3b config.json; Zhang et al. 2022 (OPT)",
        ),
        # TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json: hidden_size 2048, intermediate_size 5632,
        # num_attention_heads 32, num_key_value_heads 4, num_hidden_layers 22, vocab_size 32000, 2048 positions.
        LLMConfig(
            name="tinyllama_1_1b",
            hidden=2048,
            heads=32,
            kv_heads=4,
            layers=22,
            ffn=5632,
            vocab=32000,
            max_positions=2048,
            **_LLAMA_FAMILY,
            source="TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json; Zhang et al. 2024",
        ),
        # meta-llama/Llama-2-7b-hf config.json: hidden_size 4096, intermediate_size 11008, 32 heads,
        # 32 KV heads, 32 layers, vocab_size 32000, max_position_embeddings 4096; Touvron et al. 2023.
        LLMConfig(
            name="llama2_7b",
            hidden=4096,
            heads=32,
            layers=32,
            ffn=11008,
            vocab=32000,
            max_positions=4096,
            **_LLAMA_FAMILY,
            source="meta-llama/Llama-2-7b-hf config.json; Touvron et al. 2023 (Llama 2)",
        ),
        # meta-llama/Meta-Llama-3-8B config.json: hidden_size 4096, intermediate_size 14336, 32 heads,
        # num_key_value_heads 8, 32 layers, vocab_size 128256, max_position_embeddings 8192.
        LLMConfig(
            name="llama3_8b",
            hidden=4096,
            heads=32,
            kv_heads=8,
            layers=32,
            ffn=14336,
            vocab=128256,
            max_positions=8192,
            **_LLAMA_FAMILY,
            source="meta-llama/Meta-Llama-3-8B config.json; Llama 3 model card",
        ),
    )
}

__all__ = ["ZOO", "LLMConfig", "from_hf_config"]
