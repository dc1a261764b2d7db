"""Decoder-only LLMs as layer graphs of one inference phase: `llm(config, phase)`.

A phase is what one forward pass does (Pope et al. 2022, "Efficiently Scaling Transformer
Inference", section 2):
- ``prefill``: the whole prompt of P tokens at once; writes P tokens of KV cache; its time is the
  time to first token.
- ``decode``: one new token per sequence that attends to C cached tokens; reads every weight and the
  whole KV cache once per step, so at batch 1 it is bound by memory bandwidth.

Each transformer layer (pre-norm, as GPT-2, OPT and Llama all are), names after Hugging Face's modules:
norm -> q, k, v projections -> [rotary on q, k] -> K and V caches -> scores (MatMul) -> Softmax ->
context (MatMul) -> o projection -> residual Add -> norm -> FFN (fc1 -> act -> fc2, or gate/up ->
SiLU(gate) x up -> down) -> residual Add. Then the final norm and the LM head.

Modelling choices, each exact in MACs and parameters against the published models:
- Grouped-query attention: the `heads / kv_heads` query heads sharing a KV head are stacked along
  the scores' M axis, (N x kv_heads, group x T, head_dim) @ K^T, as GQA kernels compute it.
- Prefill scores cover the whole P x P square (no causal-mask savings), as dense kernels compute
  them; the LM head runs on every prompt position, as Hugging Face's forward does.
- Tied embeddings: the LM head owns the table (it reads all of it every step); the token lookup is
  marked tied and reads only the N x T rows it looks up.
- Dropout is the identity at inference and left out; GPT-2's fused c_attn is three projections
  with the same parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accelsim.errors import InputError
from accelsim.ir import LayerGraph
from accelsim.ir.vector_layers import Activation, LayerNorm, RMSNorm, Rotary, Softmax
from workloads._builder import Builder
from workloads.llm_config import LLMConfig

PHASES = ("prefill", "decode")


@dataclass(frozen=True, slots=True)
class Phase:
    """One inference step: `prefill` of a `prompt`-token prompt, or `decode` of one token over `ctx`
    cached tokens; `batch` sequences at once."""

    kind: str = "decode"
    ctx: int = 0
    prompt: int = 0
    batch: int = 1

    def __post_init__(self) -> None:
        if self.kind not in PHASES:
            raise InputError("phase", self.kind, f"must be one of {', '.join(PHASES)}")
        for field in ("ctx", "prompt"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InputError(field, value, "must be an integer >= 0")
        if not isinstance(self.batch, int) or isinstance(self.batch, bool) or self.batch < 1:
            raise InputError("batch", self.batch, "must be a positive integer")
        if self.kind == "prefill" and self.prompt < 1:
            raise InputError("prompt", self.prompt, "must be >= 1 for prefill")

    @property
    def tokens(self) -> int:
        """Tokens per sequence this step computes."""
        return self.prompt if self.kind == "prefill" else 1

    @property
    def past(self) -> int:
        """Tokens already in the KV cache when the step starts."""
        return 0 if self.kind == "prefill" else self.ctx

    @property
    def label(self) -> str:
        size = f"prompt={self.prompt}" if self.kind == "prefill" else f"ctx={self.ctx}"
        return f"{self.kind},{size},batch={self.batch}"


def default_phase(config: LLMConfig, batch: int = 1) -> Phase:
    """The zoo's default step: decode with half the model's positions cached."""
    return Phase("decode", ctx=config.max_positions // 2, batch=batch)


def parse_phase(text: str, config: LLMConfig, batch: int | None = None) -> Phase:
    """``decode,ctx=2048,batch=1`` or ``prefill,prompt=512`` -> Phase (defaults from `default_phase`).

    `batch` (a --batch option) must agree with a ``batch=`` in the text when both are given.
    """
    parts = [p.strip() for p in text.split(",") if p.strip()]
    fields: dict[str, Any] = {"kind": "decode"}
    if parts and "=" not in parts[0]:
        fields["kind"] = parts.pop(0)
    for part in parts:
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in ("ctx", "prompt", "batch") or not value.strip().isdigit():
            raise InputError("workload phase", part, "must be key=integer with key ctx, prompt or batch")
        fields[key] = int(value)
    if batch is not None and batch != 1:
        if "batch" in fields and fields["batch"] != batch:
            raise InputError("batch", batch, f"disagrees with batch={fields['batch']} in the workload")
        fields["batch"] = batch
    if fields["kind"] == "decode":
        fields.setdefault("ctx", default_phase(config).ctx)
        if "prompt" in fields:
            raise InputError("workload phase", f"prompt={fields['prompt']}", "applies to prefill; decode takes ctx")
    elif fields.get("ctx"):
        raise InputError("workload phase", f"ctx={fields['ctx']}", "applies to decode; prefill takes prompt")
    return Phase(**fields)


def llm(config: LLMConfig | Mapping[str, Any], phase: Phase | None = None) -> LayerGraph:
    """The layer graph of one `phase` of a decoder LLM given by `config` (an LLMConfig or its dict)."""
    cfg = config if isinstance(config, LLMConfig) else LLMConfig.from_dict(config)
    ph = default_phase(cfg) if phase is None else phase
    if ph.past + ph.tokens > cfg.max_positions:
        raise InputError(
            "ctx" if ph.kind == "decode" else "prompt",
            ph.past + ph.tokens - 1 if ph.kind == "decode" else ph.prompt,
            f"{cfg.name} holds at most {cfg.max_positions} positions",
        )
    n, t = ph.batch, ph.tokens
    size = f"prompt={ph.prompt}" if ph.kind == "prefill" else f"ctx={ph.ctx}"
    b = Builder(
        f"{cfg.name}:{ph.kind},{size}",  # named as a workload spec, so results say which step it is
        (n, t),
        source=cfg.source,
        dataset="text",
        model=cfg.name,
        phase=ph.kind,
        ctx=ph.past,
        tokens=t,
        hidden=cfg.hidden,
        heads=cfg.heads,
        kv_heads=cfg.kv_heads,
        layers=cfg.layers,
        ffn=cfg.ffn,
        vocab=cfg.vocab,
    )
    x = b.embedding("embed_tokens", cfg.vocab, cfg.hidden, tied=cfg.tied_embeddings)
    if cfg.positions == "learned":
        pos = b.embedding("embed_positions", cfg.max_positions + cfg.position_offset, cfg.hidden)
        x = b.add("embed_add", [x, pos])
    for i in range(cfg.layers):
        x = _block(b, cfg, ph, f"layers.{i}", x)
    x = _norm(b, cfg, "norm", x)
    b.dense("lm_head", x, cfg.vocab, bias=False)
    return b.graph


def _norm(b: Builder, cfg: LLMConfig, name: str, src: str) -> str:
    if cfg.norm == "rmsnorm":
        return b.vector(RMSNorm, name, src)
    return b.vector(LayerNorm, name, src)


def _block(b: Builder, cfg: LLMConfig, ph: Phase, p: str, x: str) -> str:
    """One pre-norm decoder layer reading `x`; returns its output (the second residual Add)."""
    n, t, dh, kvh = ph.batch, ph.tokens, cfg.head_dim, cfg.kv_heads
    group = cfg.heads // kvh  # type: ignore[operator]
    h = _norm(b, cfg, f"{p}.input_norm", x)
    q = b.dense(f"{p}.attn.q_proj", h, cfg.hidden, bias=cfg.bias)
    k = b.dense(f"{p}.attn.k_proj", h, cfg.kv_dim, bias=cfg.bias)
    v = b.dense(f"{p}.attn.v_proj", h, cfg.kv_dim, bias=cfg.bias)
    if cfg.positions == "rope":
        q = b.vector(Rotary, f"{p}.attn.q_rotary", q, head_dim=dh)
        k = b.vector(Rotary, f"{p}.attn.k_rotary", k, head_dim=dh)
    keys = b.kv_cache(f"{p}.attn.k_cache", k, ph.past, kvh, transpose=True)  # type: ignore[arg-type]
    values = b.kv_cache(f"{p}.attn.v_cache", v, ph.past, kvh)  # type: ignore[arg-type]
    qh = b.reshape(f"{p}.attn.q_heads", q, (n * kvh, group * t, dh))  # type: ignore[operator]
    scores = b.matmul(f"{p}.attn.scores", qh, keys)
    probs = b.vector(Softmax, f"{p}.attn.softmax", scores)
    context = b.matmul(f"{p}.attn.context", probs, values)
    merged = b.reshape(f"{p}.attn.merge_heads", context, (n, t, cfg.hidden))
    o = b.dense(f"{p}.attn.o_proj", merged, cfg.hidden, bias=cfg.bias)
    x = b.add(f"{p}.attn.add", [o, x])
    h = _norm(b, cfg, f"{p}.post_attention_norm", x)
    if cfg.gated_ffn:
        gate = b.dense(f"{p}.mlp.gate_proj", h, cfg.ffn, bias=cfg.bias)
        up = b.dense(f"{p}.mlp.up_proj", h, cfg.ffn, bias=cfg.bias)
        gate = b.vector(Activation, f"{p}.mlp.act", gate, fn=cfg.act)
        h = b.mul(f"{p}.mlp.gate_mul", [gate, up])
        down = b.dense(f"{p}.mlp.down_proj", h, cfg.hidden, bias=cfg.bias)
    else:
        h = b.dense(f"{p}.mlp.fc1", h, cfg.ffn, bias=cfg.bias)
        h = b.vector(Activation, f"{p}.mlp.act", h, fn=cfg.act)
        down = b.dense(f"{p}.mlp.fc2", h, cfg.hidden, bias=cfg.bias)
    return b.add(f"{p}.mlp.add", [down, x])


__all__ = ["PHASES", "Phase", "default_phase", "llm", "parse_phase"]
