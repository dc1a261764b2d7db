"""LLM figures of one simulated inference step: tokens/s, time to first token, where the bytes go.

A decode step makes one token per sequence, so tokens/s = batch / step time; a prefill step's time
is the time to first token (TTFT: the whole prompt, then the first token's logits). The off-chip
bytes of a step are split into
- weights: every streamed weight once (weights pinned on chip by the memory plan cost nothing),
- KV cache: the cached keys/values read back plus this step's appended ones (0 when on chip),
- activations and overhead: the rest (activation spills, operands re-read because a tile did not fit).

The back-of-envelope bound is the memory roofline of decode: at batch 1 every weight and the whole
KV cache not kept on chip cross the memory interface once per token, so tokens/s <= sustained
bandwidth / (streamed weight + KV bytes).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from accelsim.ir.graph import LayerGraph
from accelsim.model import kv_cache
from accelsim.model.results import SimResult


@dataclass(frozen=True, slots=True, kw_only=True)
class LLMStep:
    """One simulated step of a decoder LLM (bytes are per step, for the whole batch)."""

    workload: str
    phase: str
    batch: int
    ctx: int
    tokens: int
    seconds: float
    tokens_per_s: float
    ttft_s: float | None
    weight_bytes: float
    kv_bytes: float
    other_bytes: float
    weights_on_chip: bool
    pinned_weight_bytes: float
    kv_on_chip: bool
    roofline_tokens_per_s: float
    compute_bound_tokens_per_s: float

    @property
    def offchip_bytes(self) -> float:
        return self.weight_bytes + self.kv_bytes + self.other_bytes

    @property
    def roofline_ratio(self) -> float:
        """Simulated tokens/s over the bytes/bandwidth bound (<= 1; 1 = no overhead)."""
        return self.tokens_per_s / self.roofline_tokens_per_s if math.isfinite(self.roofline_tokens_per_s) else math.nan

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["offchip_bytes"] = self.offchip_bytes
        out["roofline_ratio"] = self.roofline_ratio
        return out


def llm_step(graph: LayerGraph, result: SimResult) -> LLMStep:
    """The LLM figures of `result`, the simulation of one phase graph built by `workloads.llm`."""
    meta = graph.metadata
    if meta.get("phase") not in ("prefill", "decode"):
        raise ValueError(f"{graph.name} is not an LLM phase graph (no metadata['phase'])")
    by_name = {layer.name: layer for layer in result.layers}
    kv_names = kv_cache.kv_layers(graph)
    kv_on_chip = bool(kv_names) and all(by_name[n].output_on_chip for n in kv_names)
    weights = 0.0 if result.weights_resident else graph.weight_bytes() - result.pinned_weight_bytes  # streamed
    kv = 0.0 if kv_on_chip else (kv_cache.kv_read_bits(graph) + kv_cache.kv_append_bits(graph)) / 8
    offchip = result.read_bytes + result.write_bytes
    seconds = result.cycles / result.accelerator.clock_hz
    batch, tokens = int(meta["batch"]), int(meta["tokens"])
    made = batch * tokens  # tokens this step computes
    bandwidth = result.accelerator.bw_gb_per_s * result.accelerator.dram_efficiency * 1e9  # sustained
    step_bytes = weights + kv
    roofline = made * bandwidth / step_bytes if step_bytes and math.isfinite(bandwidth) else math.inf
    compute_s = result.compute_cycles / result.accelerator.clock_hz
    return LLMStep(
        workload=graph.name,
        phase=meta["phase"],
        batch=batch,
        ctx=int(meta.get("ctx", 0)),
        tokens=tokens,
        seconds=seconds,
        tokens_per_s=made / seconds,
        ttft_s=seconds if meta["phase"] == "prefill" else None,  # steady state: weights loaded at model load
        weight_bytes=weights,
        kv_bytes=kv,
        other_bytes=offchip - weights - kv,
        weights_on_chip=result.weights_resident,
        pinned_weight_bytes=result.pinned_weight_bytes,
        kv_on_chip=kv_on_chip,
        roofline_tokens_per_s=roofline,
        compute_bound_tokens_per_s=made / compute_s if compute_s else math.inf,
    )


__all__ = ["LLMStep", "llm_step"]
