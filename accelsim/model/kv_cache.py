"""Where the KV cache lives during one inference step, and what it costs to move.

The KV cache is state that outlives a step: every decode step reads all of it and appends one
token's keys and values. Rule (issue 13), applied by the memory plan (`accelsim.model.memory`): it
stays on chip when an equal share of the whole cache (after this step's append, at `kv_bits`) fits
on every core in the pin room, before any weight is pinned (per byte, a pinned weight and a resident
cache byte save the same traffic per step; the cache goes first because it must live somewhere);
otherwise it lives off chip, each step streams the cached part in (the attention MatMuls read it)
and writes only the appended rows out. A resident cache, like pinned weights, costs no off-chip
traffic in the steady state.
"""

from __future__ import annotations

from typing import Any

from accelsim.ir.graph import LayerGraph
from accelsim.ir.vector_layers import KVCache


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


def kv_share_bits(graph: LayerGraph, cores: int) -> int:
    """Bits of the whole cache each core holds when it stays on chip (an equal share per core)."""
    return -(-kv_cache_bits(graph) // cores)


def place(graph: LayerGraph, pin_room: list[int], resident: dict[str, bool], tensors: Any) -> tuple[list[int], int]:
    """Keep the KV cache on chip when an equal share fits in every core's pin room.

    Marks every cache tensor in `resident` (all on chip or all off) and returns the pin room left
    for weights and the cache bits each core keeps (0 when it streams).
    """
    share = kv_share_bits(graph, len(pin_room))
    on_chip = share > 0 and all(share <= room for room in pin_room)
    resident.update({t.name: on_chip for t in tensors if t.kv_cache})
    kept = share if on_chip else 0
    return [room - kept for room in pin_room], kept


__all__ = [
    "is_kv_cache",
    "kv_append_bits",
    "kv_append_bits_of",
    "kv_cache_bits",
    "kv_layers",
    "kv_read_bits",
    "kv_share_bits",
    "place",
]
