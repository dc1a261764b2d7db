"""The mapper: each GEMM layer's dataflow, split (incl. K), group packing, loop order and tile, by search.

``--mapper fixed`` (the default) keeps the closed-form mapping of `accelsim.model.memory` (the
design's dataflow, the split with the fewest slowest-core cycles, one group at a time, and the
loop order and chunk `accelsim.model.traffic` takes at the plan's room), the one that matches
SCALE-Sim. ``--mapper search`` searches every layer's mapping space (`accelsim.model.mapspace`,
`accelsim.model.tiling`) for the least `objective` (docs/mapper.md, "The search"):

1. **Context.** The fixed mapping's memory plan says, per layer, which operands are already on
   chip (resident activations, pinned weights), how much streaming room a core gives the layer
   and how its neighbours are split. A mapping is costed in that context, so a layer whose
   weights stay on chip is not charged for re-reading them. The context holds for a layer spread
   over the fixed split's cores, so the candidates use at least that many (a layer on fewer cores
   would keep its output on fewer cores, which can push activations off chip — a cost the
   per-layer estimate cannot see). The plan is then rebuilt from the chosen mappings and the
   whole graph is evaluated by the same memory plan and event model as the fixed mapping: the
   search's estimate only ranks candidates.
2. **Tiling.** Each (dataflow, split, pack) gets the fixed mapping's room (or its own minimal
   tile, never beyond its refetch-free room) and the tiling of fewest off-chip bits that fits it
   (`tiling.best_tiling`; a candidate keeping more weights per core than the fixed split is
   costed with its pinned weights streamed).
3. **Cost of a candidate**, from the pure functions the event model uses: compute cycles of the
   slowest core at the layer's precision (`mapspace.slowest_cycles`, K-split reduction included),
   the tiling's off-chip bits, on-chip-network bits (DRAM traffic, a K split's reduce-scatter, and
   on-chip inputs whose producer is split differently). Latency = ``max(compute, DRAM bits /
   bandwidth, network bits / network bandwidth)`` (the overlap the double-buffered event model
   achieves at best) plus, in series, the move of its on-chip output to readers it leaves
   unaligned; energy = MACs + buffer accesses (`energy.gemm_access_bits`) + off-chip + network
   bits at the design's and memory's pJ/bit.
4. **Search.** Exhaustive over the candidates in a fixed order, with an exact bound for the
   latency objective (candidates sorted by compute cycles; none whose compute alone exceeds the
   best latency can win). Spaces above `MAX_CANDIDATES` keep the `MAX_CANDIDATES` with the
   fewest compute cycles (a deterministic pruning). Ties go to the earlier candidate in the fixed
   order, with the fixed mapping first, so the search never departs from it for nothing.
5. **Cache.** A layer's choice depends only on its shape, precisions, operand fetch modes, room,
   neighbours' splits, design and objective; it is cached on exactly that key, so repeated layers
   and sweeps over many design points reuse it (`cache_info`). A graph mapped before on the same
   design skips the context plan too (its layers, edges and precisions are the key), and its
   layer plan is memoised (`mapped_plan`): a warm search is a lookup plus the event run.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, fields, replace
from typing import Any

import tech
from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator
from accelsim.ir.graph import LayerGraph
from accelsim.ir.layers import GemmView
from accelsim.model import energy, mapping, mapspace, tiling, traffic
from accelsim.model.layer_plan import Plan, _input_operands, aligned, plan
from accelsim.model.liveness import gemm_operand_elems
from accelsim.model.mapping import Split
from accelsim.model.mapspace import LayerMapping
from accelsim.model.memo import BoundedMemo
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
    room_bits: int  # the streaming room the fixed mapping's plan gives the layer
    macs: int
    fixed: LayerMapping  # the fixed mapper's choice: first in the search order
    # on-chip tensors whose core-to-core move depends on this layer's split (bits, the neighbour's
    # split in the context): its row-partitioned inputs and the readers of its output
    moves_in: tuple[tuple[int, Split], ...]
    moves_out: tuple[tuple[int, Split], ...]


#: Searched mappings by layer context and design (a few hundred bytes each).
_CACHE: BoundedMemo[tuple[Any, ...], LayerMapping] = BoundedMemo(65_536)
_STATS = {"hits": 0, "misses": 0}

#: Whole graphs already mapped (a sweep simulates the same graph on the same design at several
#: batch splits; a benchmark repeats it): the choices, without recomputing the context plan.
_GRAPHS: BoundedMemo[tuple[Any, ...], dict[str, LayerMapping]] = BoundedMemo(64)


#: Layer plans built from those choices: a warm search is a lookup here plus the event run.
_PLANS: BoundedMemo[tuple[Any, ...], Plan] = BoundedMemo(64)


#: Fixed-mapping plans by graph and design *less its bandwidths*: the plan (splits, memory plan,
#: cycles, traffic, network bits) reads none of these fields (they enter only the event run and the
#: energy; tests/test_plan_cache.py checks it), so a sweep over bandwidth plans each design once.
class _PlanLRU:
    """Plans by key, least recently used first, bounded by the layer plans held (a few KB each)."""

    def __init__(self, max_layers: int) -> None:
        self.plans: OrderedDict[tuple[Any, ...], Plan] = OrderedDict()
        self.max_layers = max_layers
        self.layers = 0

    def get(self, key: tuple[Any, ...]) -> Plan | None:
        found = self.plans.get(key)
        if found is not None:
            self.plans.move_to_end(key)
        return found

    def put(self, key: tuple[Any, ...], p: Plan) -> None:
        self.plans[key] = p
        self.layers += len(p.layers)
        while self.layers > self.max_layers and len(self.plans) > 1:
            self.layers -= len(self.plans.popitem(last=False)[1].layers)

    def clear(self) -> None:
        self.plans.clear()
        self.layers = 0


_FIXED = _PlanLRU(max_layers=20_000)
#: The `Accelerator` fields no fixed-mapping plan reads: its bandwidths and network energy.
UNPLANNED_FIELDS = frozenset({"bw_gb_per_s", "dram_efficiency", "noc_gb_per_s", "noc_pj_per_bit"})
#: The `Accelerator` fields a plan reads (all but `UNPLANNED_FIELDS`).
PLANNED_FIELDS = tuple(f.name for f in fields(Accelerator) if f.name not in UNPLANNED_FIELDS)


def cache_info() -> dict[str, int]:
    """Hits, misses and size of the per-layer mapping cache (this process)."""
    return {**_STATS, "size": len(_CACHE)}


def cache_clear() -> None:
    """Forget every cached choice (benchmarks measure a cold search with it)."""
    _CACHE.clear()
    _GRAPHS.clear()
    _PLANS.clear()
    _FIXED.clear()
    _STATS.update(hits=0, misses=0)


def map_graph(
    graph: LayerGraph, accel: Accelerator, config: MapperConfig, memory: str = energy.DEFAULT_MEMORY
) -> dict[str, LayerMapping] | None:
    """Every GEMM layer's mapping under `config` (None for the fixed mapper: the plan's own)."""
    if config.mapper == "fixed":
        return None
    pj = energy.memory_pj_per_bit(memory)
    key = (graph_key(graph), accel, config.objective, pj)
    known = _GRAPHS.get(key)
    if known is not None:  # the whole graph seen before: every layer's context and choice are the same
        _STATS["hits"] += len(known)
        return dict(known)
    mem = plan_memory(graph, accel)
    splits = {m.name: m.split for m in mem.layers}
    out = {}
    for step, name in enumerate(mem.liveness.order):
        if graph.gemm(name) is not None:
            out[name] = best_mapping(_context(graph, name, step, mem, splits), accel, config.objective, pj)
    return dict(_GRAPHS.put(key, out))


def mapped_plan(
    graph: LayerGraph, accel: Accelerator, config: MapperConfig, memory: str = energy.DEFAULT_MEMORY
) -> Plan:
    """`layer_plan.plan` of `graph` mapped under `config`; the search's plans are memoised on the
    same key as its choices (a plan is a pure function of the graph, design and mappings)."""
    if config.mapper == "fixed":
        return fixed_plan(graph, accel)
    key = (graph_key(graph), accel, config.objective, energy.memory_pj_per_bit(memory))
    known = _PLANS.get(key)
    if known is not None:
        _STATS["hits"] += sum(1 for lp in known.layers if lp.mapping is not None)
        return known
    return _PLANS.put(key, plan(graph, accel, map_graph(graph, accel, config, memory)))


def fixed_plan(graph: LayerGraph, accel: Accelerator) -> Plan:
    """`layer_plan.plan` of `graph` on `accel` with the fixed mapping, memoised on everything it
    reads (`_FIXED`): the same plan object for every bandwidth of one design, with `accel` its own."""
    key = (graph_key(graph), tuple(getattr(accel, name) for name in PLANNED_FIELDS))
    known = _FIXED.get(key)
    if known is not None:
        return known if known.accel is accel else known.with_accel(accel)
    found = plan(graph, accel, None)
    _FIXED.put(key, found)
    return found


def graph_key(graph: LayerGraph) -> tuple[Any, ...]:
    """Everything of a graph its layers' contexts depend on: layers (frozen), edges, precisions.

    The layers' part is worked out once per graph (`LayerGraph.memo`) with its hash kept: a sweep
    looks a plan up by it at every point, and a tuple hashes every layer's fields again each time."""
    return (graph.name, graph.metadata.get("batch"), graph.memo(graph_key, lambda: _HashedKey(_layers_key(graph))))


def _layers_key(graph: LayerGraph) -> tuple[Any, ...]:
    return tuple(
        (name, graph.layer(name), tuple(graph.inputs_of(name)), graph.precision(name)) for name in graph.names()
    )


class _HashedKey:
    """A tuple key with its hash worked out once (equal keys of two graphs still compare equal)."""

    __slots__ = ("_hash", "value")

    def __init__(self, value: tuple[Any, ...]) -> None:
        self.value, self._hash = value, hash(value)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _HashedKey) and (
            other is self or (other._hash == self._hash and other.value == self.value)
        )


def _context(graph: LayerGraph, name: str, step: int, mem: MemoryPlan, splits: dict[str, Split]) -> _Layer:
    """Layer `name` in its context: operands, room, fixed mapping and moves (`splits`: every layer's split)."""
    layer = graph.layer(name)
    gemm = graph.gemm(name)
    assert gemm is not None
    p = graph.precision(name)
    lm = mem.layers[step]
    inputs = _input_operands(graph, name, mem)
    _, b_elems, b_bits = gemm_operand_elems(graph, name)
    b = Operand(b_elems, b_bits, ON_CHIP if lm.pinned else STREAM) if layer.weight_elems else inputs[1]
    out = Operand(layer.out_elems, graph.output_bits(name), ON_CHIP if mem.resident[name] else STREAM)
    assert lm.mapping is not None  # a GEMM layer's memory record carries its (fixed) mapping
    src = graph.inputs_of(name)
    moves_in = ((inputs[0].total_bits, splits[src[0]]),) if src and inputs[0].fetch == ON_CHIP else ()
    moves_out: tuple[tuple[int, Split], ...] = ()
    if out.fetch == ON_CHIP:  # readers that find their rows locally only when aligned (`layer_plan.moved_bits`)
        readers = [c for c in graph.consumers_of(name) if graph.gemm(c) is None or graph.inputs_of(c)[0] == name]
        moves_out = tuple((out.total_bits, splits[c]) for c in readers)
    return _Layer(
        gemm,
        inputs[0],
        b,
        out,
        p.w_bits,
        p.a_bits,
        lm.budget_bits,
        layer.macs,
        lm.mapping,
        moves_in,
        moves_out,
    )


def _moved(moves: tuple[tuple[int, Split], ...], split: Split, cores: int) -> int:
    """Bits of `moves` that cross the network when this layer runs on `split` (all but the local share)."""
    return sum(bits - -(-bits // cores) for bits, other in moves if not aligned(other, split))


def best_mapping(layer: _Layer, accel: Accelerator, objective: str, memory_pj_per_bit: float) -> LayerMapping:
    """The mapping of least `objective` for one layer in its context (cached)."""
    key = (layer, accel, objective, memory_pj_per_bit)
    hit = _CACHE.get(key)
    if hit is not None:
        _STATS["hits"] += 1
        return hit
    _STATS["misses"] += 1
    return _CACHE.put(key, _search(layer, accel, objective, memory_pj_per_bit))


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
    fixed_b = _fixed_b_slice(layer, accel)
    for i in order:
        if best is not None and objective == "latency" and cycles[i] > best[0][0]:
            break  # latency >= compute: no later candidate can win
        costed = _cost(layer, space[i], cycles[i], accel, pj, fixed_b)
        if costed is None:
            continue
        cost, tiled = costed
        score = _score(cost, objective) + (i,)
        if best is None or score < best[0]:
            best = (score, tiled)
    if best is None:  # no mapping fits a tile: the memory plan raises the error with the layer's name
        return space[0]
    return best[1]


def _cost(
    layer: _Layer, lm: LayerMapping, cycles: int, accel: Accelerator, pj: float, fixed_b: int
) -> tuple[tuple[float, float], LayerMapping] | None:
    """((latency cycles, energy pJ), `lm` with its best tiling), or None when no tiling fits
    (`fixed_b`: `_fixed_b_slice` of the layer, the same for every candidate)."""
    pg = mapspace.packed_gemm(layer.gemm, lm.pack)
    fp = traffic.footprint(pg, lm.split, accel, layer.a, layer.b, layer.out.bits, lm.dataflow)
    need = traffic.tile_need_bits(fp)
    if need > accel.sram_bytes_per_core * 8:
        return None
    # the fixed mapping's room (the context's: pinning and prefetch were sized around it), or the
    # candidate's minimal tile if larger, and never beyond where more room saves no traffic
    want = traffic.refetch_free_bits(fp, tiling.streamed(layer.a), tiling.streamed(layer.b), Operand(0, layer.out.bits))
    b = layer.b
    if b.fetch == ON_CHIP and fp.b_slice > fixed_b:
        b = tiling.streamed(b)  # pinned for the fixed split's slices: more per core may no longer fit
    found = tiling.best_tiling(fp, layer.a, b, layer.out, max(need, min(want, layer.room_bits)))
    if found is None:
        return None
    tiled, t, _ = found
    noc = t.total_bits + mapspace.reduction_bits(layer.gemm, lm, fp.acc_bits)
    noc += _moved(layer.moves_in, lm.split, accel.cores)
    # the readers' moves run in their own steps (after this layer): charged in series, at worst
    out_moves = _moved(layer.moves_out, lm.split, accel.cores)
    dram_bpc, noc_bpc = accel.bytes_per_cycle * 8, accel.noc_bytes_per_cycle * 8
    latency = float(cycles)
    if math.isfinite(dram_bpc):  # an infinite DRAM bandwidth is an unconstrained memory system: the
        latency = max(latency, t.total_bits / dram_bpc)  # network is free too (`accelsim.model.engine`)
        if math.isfinite(noc_bpc):
            latency = max(latency, noc / noc_bpc) + out_moves / noc_bpc
    noc += out_moves
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
    return (latency, pj_total), replace(lm, tiling=tiled)


def _fixed_b_slice(layer: _Layer, accel: Accelerator) -> int:
    """B elements the fixed mapping keeps per core (the slices the context's pinning was sized for)."""
    fixed = layer.fixed
    pg = mapspace.packed_gemm(layer.gemm, fixed.pack)
    return traffic.footprint(pg, fixed.split, accel, layer.a, layer.b, layer.out.bits, fixed.dataflow).b_slice


def _score(cost: tuple[float, float], objective: str) -> tuple[float, ...]:
    latency, pj = cost
    if objective == "latency":
        return (latency, pj)
    if objective == "energy":
        return (pj, latency)
    return (latency * pj, latency)


__all__ = [
    "MAPPERS",
    "PLANNED_FIELDS",
    "UNPLANNED_FIELDS",
    "MAX_CANDIDATES",
    "OBJECTIVES",
    "MapperConfig",
    "best_mapping",
    "cache_clear",
    "cache_info",
    "fixed_plan",
    "graph_key",
    "map_graph",
    "mapped_plan",
]
