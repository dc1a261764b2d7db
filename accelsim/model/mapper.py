"""The mapper: each GEMM layer's dataflow, split (incl. K) and group packing, chosen by search.

``--mapper fixed`` (the default) keeps the closed-form mapping of `accelsim.model.memory` (the
design's dataflow, the split with the fewest slowest-core cycles, one group at a time), the one
that matches SCALE-Sim. ``--mapper search`` searches every layer's mapping space
(`accelsim.model.mapspace`) for the least `objective`:

1. **Context.** The fixed mapping's memory plan says, per layer, which operands are already on
   chip (resident activations, pinned weights) and how much streaming room a core gives the layer.
   A mapping is costed in that context, so a layer whose weights stay on chip is not charged for
   re-reading them. The context holds for a layer spread over the fixed split's cores, so the
   candidates use at least that many (a layer on fewer cores would keep its output on fewer
   cores, which can push activations off chip — a cost the per-layer estimate cannot see). (The plan is then rebuilt from the chosen mappings and the whole graph is
   evaluated by the same memory plan and event model as the fixed mapping: the search's estimate
   only ranks candidates.)
2. **Cost of a candidate**, from the pure functions the event model uses: compute cycles of the
   slowest core at the layer's precision (`mapspace.slowest_cycles`, K-split reduction included),
   off-chip bits at the room (`traffic.gemm_traffic`, which also takes the cheapest loop order and
   chunk sizes), on-chip-network bits (DRAM traffic plus a K split's reduce-scatter). Latency =
   ``max(compute, DRAM bits / bandwidth, network bits / network bandwidth)`` (the overlap the
   double-buffered event model achieves at best); energy = MACs + buffer accesses
   (`energy.gemm_access_bits`) + off-chip + network bits at the design's and memory's pJ/bit.
3. **Search.** Exhaustive over the candidates in a fixed order, with an exact bound for the
   latency objective (candidates sorted by compute cycles; none whose compute alone exceeds the
   best latency can win). Spaces above `MAX_CANDIDATES` keep the `MAX_CANDIDATES` with the
   fewest compute cycles (a deterministic pruning). Ties go to the earlier candidate in the fixed
   order, with the fixed mapping first, so the search never departs from it for nothing.
4. **Cache.** A layer's choice depends only on its shape, precisions, operand fetch modes, room,
   design and objective; it is cached on exactly that key, so repeated layers and sweeps over
   many design points reuse it (`cache_info`). A graph mapped before on the same design skips
   the context plan too (its layers, edges and precisions are the key).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import tech
from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator
from accelsim.ir.graph import LayerGraph
from accelsim.ir.layers import GemmView
from accelsim.model import energy, mapping, mapspace, traffic
from accelsim.model.layer_plan import _input_operands
from accelsim.model.liveness import gemm_operand_elems
from accelsim.model.mapspace import LayerMapping
from accelsim.model.memory import MemoryPlan, plan_memory
from accelsim.model.traffic import ON_CHIP, STREAM, Operand

MAPPERS = ("fixed", "search")
OBJECTIVES = ("latency", "energy", "edp")

#: Largest space searched exhaustively per layer. On a flexible (OS/WS/IS) array the zoo's largest
#: space, MobileNetV2's 960-channel depthwise layer with packing, has 282 candidates on 4 cores,
#: 735 on 16 and 1047 on 32: those keep the 600 with the fewest compute cycles.
MAX_CANDIDATES = 600


@dataclass(frozen=True, slots=True)
class MapperConfig:
    """Which mapper runs and what the run minimises: `objective` picks an even batch's micro-batch
    under both mappers (`accelsim.model.batching.choose`) and each layer's mapping under ``search``."""

    mapper: str = "fixed"
    objective: str = "latency"

    def __post_init__(self) -> None:
        if self.mapper not in MAPPERS:
            raise InputError("mapper", self.mapper, f"must be one of {', '.join(MAPPERS)}")
        if self.objective not in OBJECTIVES:
            raise InputError("objective", self.objective, f"must be one of {', '.join(OBJECTIVES)}")


@dataclass(frozen=True, slots=True)
class _Layer:
    """Everything a layer's choice depends on: the cache key."""

    gemm: GemmView
    a: Operand
    b: Operand
    out: Operand
    w_bits: int
    a_bits: int
    budget_bits: int
    macs: int
    fixed: LayerMapping  # the fixed mapper's choice: first in the search order


_CACHE: dict[tuple[Any, ...], LayerMapping] = {}
_STATS = {"hits": 0, "misses": 0}

#: Whole graphs already mapped (a sweep simulates the same graph on the same design at several
#: batch splits; a benchmark repeats it): the choices, without recomputing the context plan.
_GRAPHS: dict[tuple[Any, ...], dict[str, LayerMapping]] = {}
_GRAPHS_MAX = 64


def cache_info() -> dict[str, int]:
    """Hits, misses and size of the per-layer mapping cache (this process)."""
    return {**_STATS, "size": len(_CACHE)}


def cache_clear() -> None:
    """Forget every cached choice (benchmarks measure a cold search with it)."""
    _CACHE.clear()
    _GRAPHS.clear()
    _STATS.update(hits=0, misses=0)


def map_graph(
    graph: LayerGraph, accel: Accelerator, config: MapperConfig, memory: str = energy.DEFAULT_MEMORY
) -> dict[str, LayerMapping] | None:
    """Every GEMM layer's mapping under `config` (None for the fixed mapper: the plan's own)."""
    if config.mapper == "fixed":
        return None
    pj = energy.memory_pj_per_bit(memory)
    key = (_graph_key(graph), accel, config.objective, pj)
    known = _GRAPHS.get(key)
    if known is not None:  # the whole graph seen before: every layer's context and choice are the same
        _STATS["hits"] += len(known)
        return dict(known)
    mem = plan_memory(graph, accel)
    out = {}
    for step, name in enumerate(mem.liveness.order):
        if graph.layer(name).gemm() is not None:
            out[name] = best_mapping(_context(graph, name, step, mem), accel, config.objective, pj)
    if len(_GRAPHS) >= _GRAPHS_MAX:
        _GRAPHS.clear()
    _GRAPHS[key] = out
    return dict(out)


def _graph_key(graph: LayerGraph) -> tuple[Any, ...]:
    """Everything of a graph its layers' contexts depend on: layers (frozen), edges, precisions."""
    return (graph.name, graph.metadata.get("batch")) + tuple(
        (name, graph.layer(name), tuple(graph.inputs_of(name)), graph.precision(name)) for name in graph.names()
    )


def _context(graph: LayerGraph, name: str, step: int, mem: MemoryPlan) -> _Layer:
    layer = graph.layer(name)
    gemm = layer.gemm()
    assert gemm is not None
    p = graph.precision(name)
    lm = mem.layers[step]
    inputs = _input_operands(graph, name, mem)
    _, b_elems, b_bits = gemm_operand_elems(graph, name)
    b = Operand(b_elems, b_bits, ON_CHIP if lm.pinned else STREAM) if layer.weight_elems else inputs[1]
    out = Operand(layer.out_elems, graph.output_bits(name), ON_CHIP if mem.resident[name] else STREAM)
    assert lm.mapping is not None  # a GEMM layer's memory record carries its (fixed) mapping
    return _Layer(gemm, inputs[0], b, out, p.w_bits, p.a_bits, lm.budget_bits, layer.macs, lm.mapping)


def best_mapping(layer: _Layer, accel: Accelerator, objective: str, memory_pj_per_bit: float) -> LayerMapping:
    """The mapping of least `objective` for one layer in its context (cached)."""
    key = (layer, accel, objective, memory_pj_per_bit)
    hit = _CACHE.get(key)
    if hit is not None:
        _STATS["hits"] += 1
        return hit
    _STATS["misses"] += 1
    choice = _search(layer, accel, objective, memory_pj_per_bit)
    _CACHE[key] = choice
    return choice


def _search(layer: _Layer, accel: Accelerator, objective: str, pj: float) -> LayerMapping:
    view = mapping.array_view(accel, layer.w_bits, layer.a_bits)
    # The context (which tensors stay on chip, each core's share of them) holds for a layer spread
    # over the fixed split's cores; a candidate leaving some of them idle would keep its output on
    # fewer cores, which the context does not cost, so candidates use at least as many cores.
    need = layer.fixed.split.cores_used
    space = tuple(lm for lm in mapspace.candidates(layer.gemm, accel) if lm.split.cores_used >= need)
    if layer.fixed in space:
        space = (layer.fixed,) + tuple(lm for lm in space if lm != layer.fixed)
    cycles = [mapspace.slowest_cycles(layer.gemm, lm, view) for lm in space]
    order = sorted(range(len(space)), key=lambda i: (cycles[i], i))[:MAX_CANDIDATES]
    best: tuple[tuple[float, ...], LayerMapping] | None = None
    for i in order:
        if best is not None and objective == "latency" and cycles[i] > best[0][0]:
            break  # latency >= compute: no later candidate can win
        cost = _cost(layer, space[i], cycles[i], accel, pj)
        if cost is None:
            continue
        score = _score(cost, objective) + (i,)
        if best is None or score < best[0]:
            best = (score, space[i])
    if best is None:  # no mapping fits a tile: the memory plan raises the error with the layer's name
        return space[0]
    return best[1]


def _cost(layer: _Layer, lm: LayerMapping, cycles: int, accel: Accelerator, pj: float) -> tuple[float, float] | None:
    """(latency cycles, energy pJ) of one candidate, or None when its minimal tile does not fit."""
    pg = mapspace.packed_gemm(layer.gemm, lm.pack)
    fp = traffic.footprint(pg, lm.split, accel, layer.a, layer.b, layer.out.bits, lm.dataflow)
    budget = max(layer.budget_bits, traffic.tile_need_bits(fp))
    if traffic.tile_need_bits(fp) > accel.sram_bytes_per_core * 8:
        return None
    t = traffic.gemm_traffic(fp, layer.a, layer.b, layer.out, budget)
    noc = t.total_bits + mapspace.reduction_bits(layer.gemm, lm, fp.acc_bits)
    dram_bpc, noc_bpc = accel.bytes_per_cycle * 8, accel.noc_bytes_per_cycle * 8
    latency = float(cycles)
    if math.isfinite(dram_bpc):
        latency = max(latency, t.total_bits / dram_bpc)
        if math.isfinite(noc_bpc):
            latency = max(latency, noc / noc_bpc)
    access = energy.gemm_access_bits(
        layer.gemm,
        lm.split.as_tuple() + (lm.split.k,),
        accel,
        layer.w_bits,
        layer.a_bits,
        layer.b.bits,
        layer.out.bits,
        lm.dataflow,
        lm.pack,
    )
    node = tech.load(accel.tech_node)
    gang = mapping.array_view(accel, layer.w_bits, layer.a_bits).gang
    pj_total = (
        layer.macs * energy.mac_energy_fj(accel, gang) / 1000
        + access * node.sram_read_energy_pj_per_bit
        + t.total_bits * pj
        + noc * accel.noc_pj_per_bit
    )
    return latency, pj_total


def _score(cost: tuple[float, float], objective: str) -> tuple[float, ...]:
    latency, pj = cost
    if objective == "latency":
        return (latency, pj)
    if objective == "energy":
        return (pj, latency)
    return (latency * pj, latency)


__all__ = [
    "MAPPERS",
    "MAX_CANDIDATES",
    "OBJECTIVES",
    "MapperConfig",
    "best_mapping",
    "cache_clear",
    "cache_info",
    "map_graph",
]
