"""Where the KV cache lives during one inference step, and what it costs to move.

The KV cache is state that outlives a step: every decode step reads all of it and appends one
token's keys and values. Rule (issue 13): it stays on chip when the whole cache (after this step's
append, at `kv_bits`) fits next to the resident weights and the step's other live activations;
otherwise it lives off chip, each step streams the cached part in (the attention MatMuls read it)
and writes only the appended rows out. A resident cache, like resident weights, costs no off-chip
traffic in the steady state.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from accelsim.ir.graph import LayerGraph
from accelsim.ir.vector_layers import KVCache
from accelsim.model.fit import Residency


def is_kv_cache(layer: Any) -> bool:
    return getattr(layer, "op", None) == "kv_cache"


def _cache(graph: LayerGraph, name: str) -> KVCache:
    layer = graph.layer(name)
    assert isinstance(layer, KVCache)
    return layer


def kv_layers(graph: LayerGraph) -> list[str]:
    return [name for name in graph.names() if is_kv_cache(graph.layer(name))]


def kv_cache_bits(graph: LayerGraph) -> int:
    """The whole cache after this step (cached + appended tokens), at each cache's kv_bits."""
    return sum(graph.layer(n).out_elems * graph.precision(n).kv_bits for n in kv_layers(graph))


def kv_read_bits(graph: LayerGraph) -> int:
    """The cached part a step must read back (0 in prefill)."""
    return sum(_cache(graph, n).cached_elems * graph.precision(n).kv_bits for n in kv_layers(graph))


def kv_append_bits(graph: LayerGraph) -> int:
    """The keys and values this step appends."""
    return sum(_cache(graph, n).appended_elems * graph.precision(n).kv_bits for n in kv_layers(graph))


def kv_append_bits_of(layer: Any, precision: Any) -> int:
    """Bits one cache layer appends this step (what it writes when the cache is off chip)."""
    return int(layer.appended_elems * precision.kv_bits)


def _peak_without(res: Residency, names: set[str]) -> int:
    """Peak over the step of live activations (leaving out the tensors in `names`) plus the
    streaming buffers each layer reserves (`Residency.reserve_bits`)."""
    live = res.liveness
    delta = [0] * (len(live.order) + 1)
    for t in live.tensors:
        if t.name not in names:
            delta[t.start] += t.bits
            delta[t.end + 1] -= t.bits
    peak = running = 0
    for step, d in enumerate(delta[:-1]):
        running += d
        peak = max(peak, running + res.reserve_bits[step])
    return peak


def kv_on_chip(graph: LayerGraph, res: Residency) -> bool:
    """Does the whole KV cache fit next to resident weights and the other live activations?"""
    names = set(kv_layers(graph))
    if not names:
        return False
    weights = res.weight_bits if res.weights_resident else 0
    return kv_cache_bits(graph) + weights + _peak_without(res, names) <= res.capacity_bits


def place_kv_cache(graph: LayerGraph, res: Residency) -> Residency:
    """`res` with every KV cache on chip or off chip as a whole, by `kv_on_chip`."""
    names = kv_layers(graph)
    if not names:
        return res
    on_chip = kv_on_chip(graph, res)
    resident = dict(res.resident)
    for name in names:
        resident[name] = on_chip
    return replace(res, resident=resident)


__all__ = ["is_kv_cache", "kv_append_bits", "kv_append_bits_of", "kv_cache_bits", "kv_layers", "kv_on_chip", "kv_read_bits", "place_kv_cache"]
