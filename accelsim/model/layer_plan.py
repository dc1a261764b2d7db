"""Layer plans: every layer's split, per-core cycles, off-chip traffic and on-chip-network bits.

`plan(graph, accel)` applies the per-core memory plan (`accelsim.model.memory`) to each layer with the
pure functions of `accelsim.model.mapping`; `accelsim.model.sim` then runs the plans as events.

On-chip network traffic (docs/model.md, "On-chip network"): every bit a core receives from or
sends to anywhere but its own SRAM crosses the network once:

* DRAM reads and writes pass through the memory interface's network port. A slice that several
  cores need (a weight slice shared by the cores splitting M, an input row block shared by the
  cores splitting N) is *multicast*: the ring carries it once past every core that keeps a copy,
  so it is counted once — a capability the default ring has, costed like any other bit.
* An on-chip activation stays on the cores that produced it. A consumer with the same partition
  (same split along groups and M, no N split on either side) reads its rows locally (a conv's halo
  rows are ignored, as in the footprint); any other consumer, and every reader of a MatMul's second
  operand, receives the tensor over the network, each piece once (multicast), except the
  ``1/cores`` share that is already local.

With `Accelerator.pooled_sram` (an ablation switch) every core reads one shared SRAM, so only the
DRAM transfers cross the network: core-to-core moves and K-split reductions are free.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from accelsim.hardware.design import Accelerator
from accelsim.ir.graph import LayerGraph
from accelsim.model import kv_cache, mapping, mapspace, tiling, traffic, vector_unit
from accelsim.model.liveness import gemm_operand_elems
from accelsim.model.mapping import Split
from accelsim.model.mapspace import LayerMapping, packed_gemm, reduction_bits
from accelsim.model.memory import MemoryPlan, plan_memory, room_signature
from accelsim.model.traffic import ON_CHIP, ONCE, STREAM, Operand, Traffic

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class LayerPlan:
    """One layer, ready to simulate: per-core compute cycles, off-chip bits and network bits."""

    name: str
    kind: str
    macs: int
    w_bits: int
    a_bits: int
    out_bits: int
    split: Split
    gang: int
    core_cycles: tuple[int, ...]  # one entry per core; 0 = idle
    tiles: int  # physical tiles per core: a GEMM's folds (groups x row x column), a row for other layers
    traffic: Traffic  # steady state
    first_traffic: Traffic  # first image (pinned weights fetched once)
    output_on_chip: bool
    live_bits: int
    noc_bits: int = 0  # steady state, bits the on-chip network delivers
    weights_pinned: bool = False
    mapping: LayerMapping | None = None  # a GEMM layer's dataflow, split and packing
    reduce_bits: int = 0  # a K split's partial sums reduced over the on-chip network

    @property
    def compute_cycles(self) -> int:
        return max(self.core_cycles, default=0)


@dataclass(frozen=True, slots=True)
class Plan:
    graph_name: str
    batch: int
    accel: Accelerator
    layers: tuple[LayerPlan, ...]
    residency: MemoryPlan
    #: Values derived from the plan that no bandwidth changes (`memo`), shared by the copies
    #: `with_accel` makes of it for other bandwidths of the same design.
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def with_accel(self, accel: Accelerator) -> Plan:
        """This plan for `accel`, a design it plans the same (another bandwidth): the same layers,
        memory plan and derived values (`dataclasses.replace` costs ~5x more, once per sweep point)."""
        return Plan(self.graph_name, self.batch, accel, self.layers, self.residency, self.derived)

    def memo(self, key: Hashable, compute: Callable[[], _T], *inputs: object) -> _T:
        """`compute()` kept under `key` in `derived` (schedules, lockstep classes, buffer access bits,
        the compute-only time): worked out once per design, not at every bandwidth. Used only while
        it was derived from these very layers, memory plan and `inputs` (compared by identity);
        `derived` is shared only by `with_accel` copies, which plan the same, so no key names the design."""
        deps = (self.layers, self.residency, *inputs)
        known = self.derived.get(key)
        if known is not None and all(map(operator.is_, known[0], deps)):  # (one key, one set of inputs)
            return known[1]
        value = compute()
        self.derived[key] = (deps, value)
        return value


#: A plan's layer traffic (steady, first image, K-split reduction bits) by what it depends on.
_Seen = dict[tuple[Any, ...], tuple[Traffic, Traffic, int]]


def graph_batch(graph: LayerGraph) -> int:
    """Images per run: ``metadata["batch"]`` (the zoo sets it), else the leading axis of the input."""
    batch = graph.metadata.get("batch")
    if isinstance(batch, int) and not isinstance(batch, bool) and batch > 0:
        return batch
    names = graph.names()
    return graph.layer(names[0]).input_shapes[0][0] if names else 1


def _input_operands(graph: LayerGraph, name: str, mem: MemoryPlan) -> list[Operand]:
    """Every tensor `name` reads, at the bits it is stored at, on chip or not."""
    layer = graph.layer(name)
    producers = graph.inputs_of(name)
    if not producers:
        elems = math.prod(layer.input_shapes[0])
        return [Operand(elems, graph.precision(name).a_bits, STREAM)]
    return [
        Operand(math.prod(shape), graph.output_bits(src), ON_CHIP if mem.resident[src] else STREAM)
        for src, shape in zip(producers, layer.input_shapes, strict=True)
    ]


def aligned(producer: Split, consumer: Split) -> bool:
    """Same row partition on both sides: a consumer core finds its input rows in its own SRAM."""
    return producer == consumer and producer.n == 1


def moved_bits(graph: LayerGraph, name: str, mem: MemoryPlan, splits: dict[str, Split], cores: int) -> int:
    """Core-to-core bits layer `name` needs: its on-chip inputs that sit on other cores.

    Only a row-partitioned input can be local: a GEMM's second operand (a MatMul's B) is needed
    whole by every core of its group, so it always crosses the network (multicast, once).
    """
    gemm = graph.gemm(name) is not None
    out = 0
    for i, (src, op) in enumerate(zip(graph.inputs_of(name), _input_operands(graph, name, mem), strict=False)):
        if op.fetch == ON_CHIP and ((gemm and i > 0) or not aligned(splits[src], splits[name])):
            out += op.total_bits - -(-op.total_bits // cores)
    return out


def _plan_gemm(
    graph: LayerGraph, name: str, step: int, accel: Accelerator, mem: MemoryPlan, moved: int | None, seen: _Seen
) -> LayerPlan:
    """`moved`: its core-to-core bits (`moved_bits`; None: a pooled SRAM moves nothing, reductions
    included). `seen`: the traffic of the plan's earlier layers by what it depends on."""
    layer = graph.layer(name)
    gemm = graph.gemm(name)
    assert gemm is not None
    lm = mem.layers[step]
    p = graph.precision(name)
    out_bits = graph.output_bits(name)
    inputs = _input_operands(graph, name, mem)
    a = inputs[0]
    _, b_elems, b_bits = gemm_operand_elems(graph, name)
    if layer.weight_elems:
        b = Operand(b_elems, b_bits, ON_CHIP if lm.pinned else STREAM)
    else:  # MatMul: the second operand is an activation
        b = inputs[1]
    out = Operand(layer.out_elems, out_bits, ON_CHIP if mem.resident[name] else STREAM)
    split = lm.split
    choice = lm.mapping if lm.mapping is not None else LayerMapping(accel.dataflow, split)
    flow, pg = choice.dataflow, packed_gemm(gemm, choice.pack)
    # a layer like an earlier one (`memory.room_signature`) reading the same operands in the same
    # room has the same traffic (its inputs' stored bits may differ: a wider reader of the producer)
    key = (room_signature(graph, name), choice, lm.budget_bits, lm.pinned, tuple(inputs), out.fetch)
    known = seen.get(key)
    if known is None:
        fp = traffic.footprint(pg, split, accel, a, b, out_bits, flow)
        steady = _traffic(fp, a, b, out, lm.budget_bits, choice)
        first = steady
        if lm.pinned:
            once = Operand(b.elems, b.bits, ONCE)
            first = _traffic(
                traffic.footprint(pg, split, accel, a, once, out_bits, flow), a, once, out, lm.budget_bits, choice
            )
        known = seen[key] = (steady, first, reduction_bits(gemm, choice, fp.acc_bits))
    steady, first, reduce = known
    view = mapping.array_view(accel, p.w_bits, p.a_bits)
    if choice.pack == 1 and split.k == 1:
        cycles = mapping.core_cycles(gemm, split, view, flow)
    else:
        cycles = mapspace.core_cycles(gemm, choice, view)
    g_c, m_c, n_c = (-(-pg.groups // split.groups), -(-pg.m // split.m), -(-pg.n // split.n))
    row_folds, col_folds = mapping.folds(m_c, n_c, -(-pg.k // split.k), mapping.array_view(accel), flow)
    return LayerPlan(
        name=name,
        kind=layer.kind,
        macs=layer.macs,
        w_bits=p.w_bits,
        a_bits=p.a_bits,
        out_bits=out_bits,
        split=split,
        gang=view.gang,
        core_cycles=cycles + (0,) * (accel.cores - len(cycles)),
        tiles=g_c * row_folds * col_folds,
        traffic=steady,
        first_traffic=first,
        output_on_chip=out.fetch == ON_CHIP,
        live_bits=mem.liveness.live_bits[step],
        weights_pinned=lm.pinned,
        mapping=choice,
        reduce_bits=reduce,
        noc_bits=steady.total_bits + (0 if moved is None else moved + reduce),
    )


def _traffic(
    fp: traffic.TileFootprint, a: Operand, b: Operand, out: Operand, budget_bits: int, choice: LayerMapping
) -> Traffic:
    """The mapper's tiling when it chose one (the plan gave it exactly its room), else the closed form."""
    if choice.tiling is not None:
        return tiling.tiled_traffic(fp, a, b, out, choice.tiling)
    return traffic.gemm_traffic(fp, a, b, out, budget_bits)


def _plan_other(
    graph: LayerGraph, name: str, step: int, accel: Accelerator, mem: MemoryPlan, moved: int | None
) -> LayerPlan:
    """Layers without MACs: pooling runs on the output stage; Add is fused into its producer's
    output stage, Flatten and Concat are layout only (0 cycles); vector layers (softmax, norms,
    activations, rotary) run on the core's vector unit (`accelsim.model.vector_unit`). All move their
    data like any other layer when it is off chip; a KV cache writes only its appended rows."""
    layer = graph.layer(name)
    p = graph.precision(name)
    out_bits = graph.output_bits(name)
    reads = traffic.total_read_bits(_input_operands(graph, name, mem))
    reads += 0 if mem.weights_resident else layer.side_read_elems * p.w_bits  # norm gains, embedding rows
    on_chip = mem.resident[name]
    stored = kv_cache.kv_append_bits_of(layer, p) if kv_cache.is_kv_cache(layer) else layer.out_elems * out_bits
    writes = 0 if on_chip else stored
    per_core = mapping.vector_cycles(layer.in_elems, accel, accel.cores) if layer.kind == "Pool" else 0
    per_core = per_core or vector_unit.layer_cycles(layer, vector_unit.design_vector_unit(accel), accel.cores)
    steady = Traffic(reads, writes)
    return LayerPlan(
        name=name,
        kind=layer.kind,
        macs=0,
        w_bits=p.w_bits,
        a_bits=p.a_bits,
        out_bits=out_bits,
        split=mem.layers[step].split,
        gang=1,
        core_cycles=(per_core,) * accel.cores,
        tiles=max(1, math.prod(layer.out_shape[:-1]) // max(1, accel.cores)),  # streamed row by row
        traffic=steady,
        first_traffic=steady,
        output_on_chip=on_chip,
        live_bits=mem.liveness.live_bits[step],
        noc_bits=steady.total_bits + (moved or 0),
    )


def plan(graph: LayerGraph, accel: Accelerator, mappings: dict[str, LayerMapping] | None = None) -> Plan:
    """Plan every layer of `graph` on `accel` (no simulation): splits, cycles, traffic, network bits.

    `mappings` are the mapper's per-layer choices (`accelsim.model.mapper.map_graph`); None = the
    fixed mapping (the design's dataflow, the closed-form split, one group at a time).
    Raises InputError when a core's memory cannot hold one layer's minimal streaming tile.
    """
    if not isinstance(graph, LayerGraph):
        raise TypeError(f"graph must be a LayerGraph, not {type(graph).__name__}")
    mem = plan_memory(graph, accel, mappings)
    splits = {lm.name: lm.split for lm in mem.layers}
    layers = []
    seen: _Seen = {}
    for step, name in enumerate(mem.liveness.order):
        # a pooled SRAM moves nothing between cores (the ablation's premise)
        moved = None if accel.pooled_sram else moved_bits(graph, name, mem, splits, accel.cores)
        if graph.gemm(name) is not None:
            layers.append(_plan_gemm(graph, name, step, accel, mem, moved, seen))
        else:
            layers.append(_plan_other(graph, name, step, accel, mem, moved))
    layers = vector_unit.overlap_with_producers(graph, layers)
    return Plan(graph.name, graph_batch(graph), accel, tuple(layers), mem)


__all__ = ["LayerPlan", "Plan", "aligned", "graph_batch", "moved_bits", "plan"]
