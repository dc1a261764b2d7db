"""What the event engine needs besides the layer plans: data dependencies and the prefetch plan.

Both are fixed before the run from the graph and the per-core memory plan, so the run itself is a
pure function of plain numbers (docs/model.md, "The event engine").

**Dependencies.** Core ``c`` may start layer ``l`` when every producer of ``l``'s inputs allows it:

* a producer whose output stays on chip *on the same cores in the same row partition*
  (`layer_plan.aligned`, and not a MatMul's second operand) is waited for on core ``c`` only: the
  rows core ``c`` reads are the rows core ``c`` wrote;
* any other producer (a partition change: the rows sit on other cores; or an output that went off
  chip and must be written before it is read) is waited for on all its cores — the only barriers
  left are the ones the data needs.

Each core runs its layers in the plan's (topological) order, one at a time.

**Prefetch.** With ``accel.prefetch_layers = L > 0``, a layer's operands that sit in DRAM — its
streamed weights and its spilled or network inputs, each counted once (a re-read pass is not
prefetched) — may be fetched while earlier layers run, into SRAM the memory plan leaves free.
Room is reserved statically, in layer order: layer ``j``'s prefetched bits occupy its cores from
step ``j - L`` (the earliest step its prefetch may start) to step ``j`` (where they are its operands;
there they may also use the layer's own streaming buffers). The fraction of ``j``'s prefetchable
bits that fits on every one of its cores at all those steps is the most that may be prefetched.
The first layer gets no room (it starts at time 0: its prefetch could never run), and spilled
activations count as taken (as in the memory plan's pin room), so the room only grows with SRAM.
Pinned weights are loaded once into their reserved slots, so in the first image their prefetch
needs no extra room. ``L = 0``: no prefetch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.ir.graph import LayerGraph
from accelsim.model.layer_plan import Plan, aligned
from accelsim.model.memory import MemoryPlan, live_per_core


@dataclass(frozen=True, slots=True)
class Prefetch:
    """Bits of one layer's reads that may be fetched ahead (``need`` = per-core SRAM for them)."""

    weight_bits: int  # available any time
    input_bits: int  # available once the producers' writes are done
    core_bits: int  # per-core SRAM the prefetched bits take (replicas included)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Per layer: producers waited for per core (local) or on every core (global), and prefetch."""

    local: tuple[tuple[int, ...], ...]
    wait_all: tuple[tuple[int, ...], ...]
    offchip_inputs: tuple[tuple[int, ...], ...]
    prefetch: tuple[Prefetch, ...]
    lookahead: int


def _dependencies(
    graph: LayerGraph, p: Plan
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]], list[tuple[int, ...]]]:
    index = {lp.name: i for i, lp in enumerate(p.layers)}
    local, wait_all, offchip = [], [], []
    for lp in p.layers:
        gemm = graph.gemm(lp.name) is not None
        loc, alls, off = [], [], []
        for i, src in enumerate(graph.inputs_of(lp.name)):
            j = index[src]
            src_plan = p.layers[j]
            if not p.residency.resident[src]:
                off.append(j)
                alls.append(j)
            elif (
                aligned(src_plan.split, lp.split)
                and not (gemm and i > 0)
                and src_plan.split.cores_used == lp.split.cores_used
            ):
                loc.append(j)
            else:
                alls.append(j)
        local.append(tuple(sorted(set(loc))))
        wait_all.append(tuple(sorted(set(alls))))
        offchip.append(tuple(sorted(set(off))))
    return local, wait_all, offchip


def _prefetchable(graph: LayerGraph, p: Plan, step: int, first: bool) -> tuple[int, int, int]:
    """(weight bits, input bits, per-core SRAM bits for all of them) of layer `step`'s DRAM operands."""
    lp = p.layers[step]
    lm = p.residency.layers[step]
    layer = graph.layer(lp.name)
    traffic = lp.first_traffic if first else lp.traffic
    split = lp.split
    weights = lm.weight_bits if lm.weight_bits and (not lm.pinned or first) else 0
    weight_core = 0 if lm.pinned else max(lm.slice_bits, default=0)
    producers = graph.inputs_of(lp.name)
    if producers:
        inputs = [
            graph.layer(src).out_elems * graph.output_bits(src) for src in producers if not p.residency.resident[src]
        ]
    else:
        inputs = [math.prod(layer.input_shapes[0]) * graph.precision(lp.name).a_bits]
    input_bits = sum(inputs)
    rows = split.groups * split.m if graph.gemm(lp.name) is not None else max(1, split.cores_used)
    input_core = -(-input_bits // rows)
    # never more than the layer actually reads, weights first (they are available earliest)
    weights = min(weights, traffic.read_bits)
    input_bits = min(input_bits, traffic.read_bits - weights)
    if weights == 0:
        weight_core = 0
    if input_bits == 0:
        input_core = 0
    return weights, input_bits, weight_core + input_core


def _spilled_per_core(mem: MemoryPlan, steps: int, cores: int) -> list[list[int]]:
    """Bits of the spilled activations each core would hold at each step were they on chip.

    Prefetch room counts them as taken (as the memory plan's pin room does), so that the room only
    grows with SRAM: a tensor that more SRAM keeps on chip does not take room prefetch had.
    """
    spilled = set(mem.spilled)
    return live_per_core(mem.liveness, mem.owners, steps, cores, lambda t: t.name in spilled)


def schedule(graph: LayerGraph, p: Plan, *, first: bool = False) -> Schedule:
    """Dependencies and the static prefetch reservation (module docstring) for one run."""
    local, wait_all, offchip = _dependencies(graph, p)
    lookahead = p.accel.prefetch_layers
    mem = p.residency
    steps = len(p.layers)
    cores = p.accel.cores
    spilled = _spilled_per_core(mem, steps, cores)
    free = [[mem.capacity_bits - mem.occupancy[s][c] - spilled[s][c] for c in range(cores)] for s in range(steps)]
    buffers = [
        [mem.occupancy[s][c] - mem.pinned_per_core[c] - mem.live_per_core[s][c] for c in range(cores)]
        for s in range(steps)
    ]
    out = []
    for j in range(steps):
        # the first layer starts at time 0, before any prefetch could run: room reserved for it
        # would only be taken from later layers
        weights, inputs, need = _prefetchable(graph, p, j, first) if lookahead > 0 and j > 0 else (0, 0, 0)
        if weights + inputs == 0 or need == 0:
            out.append(Prefetch(weights if need == 0 and lookahead > 0 else 0, 0, 0))
            continue
        used = p.layers[j].split.cores_used
        window = range(max(0, j - lookahead), j + 1)
        room = min(free[s][c] + (buffers[s][c] if s == j else 0) for s in window for c in range(used))
        frac = min(1.0, max(0, room) / need)
        take = math.floor(frac * need)
        if take <= 0:
            out.append(Prefetch(0, 0, 0))
            continue
        for s in window:
            for c in range(used):
                if s == j:  # the layer's own buffers first, then free room
                    spill = max(0, take - buffers[s][c])
                    buffers[s][c] = max(0, buffers[s][c] - take)
                    free[s][c] -= spill
                else:
                    free[s][c] -= take
        out.append(Prefetch(math.floor(weights * frac), math.floor(inputs * frac), take))
    return Schedule(tuple(local), tuple(wait_all), tuple(offchip), tuple(out), lookahead)


def schedule_of(graph: LayerGraph, p: Plan, *, first: bool = False) -> Schedule:
    """`schedule`, memoised on the plan (`Plan.memo`): it reads no bandwidth (`graph` must be the
    plan's, as for `schedule`)."""
    return p.memo(("schedule", first), lambda: schedule(graph, p, first=first))


__all__ = ["Prefetch", "Schedule", "schedule", "schedule_of"]
