"""The discrete-event model: plan every layer, then run the plan as events.

`simulate(graph, accel)` first *plans* every layer (`accelsim.model.layer_plan`: the per-core memory
plan of `accelsim.model.memory`, splits, per-core compute cycles, off-chip traffic, on-chip-network
bits), derives the data dependencies and the prefetch reservation (`accelsim.model.schedule`), then
*runs* it on simpy (`accelsim.model.engine`): cores are processes that start a layer as soon as its
data allows, the external channel and the on-chip network are shared resources with a fixed
arbitration policy (demand loads, then stores, then prefetch), and later layers' DRAM operands are
prefetched into free SRAM up to ``accel.prefetch_layers`` layers ahead. Between events every rate is
constant and each layer's steady state advances in closed form, so no result depends on an internal
granularity constant.

A layer's reported span is how far it moves the run's frontier (the latest end so far in the plan's
order), so spans add up to the run's time even where layers overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator
from accelsim.ir.graph import LayerGraph
from accelsim.model import batching, engine, mapping
from accelsim.model.energy import (
    DEFAULT_MEMORY,
    area,
    layer_access_bits,
    layer_energy,
    memory_name,
    memory_pj_per_bit,
)
from accelsim.model.layer_plan import LayerPlan, Plan, graph_batch, plan
from accelsim.model.mapper import MapperConfig, mapped_plan
from accelsim.model.memo import BoundedMemo
from accelsim.model.results import LayerResult, SimResult, bound_of
from accelsim.model.schedule import schedule_of


@dataclass(frozen=True, slots=True)
class Runs:
    """The steady-state and first-image runs of one plan (cycles), with their events."""

    steady: engine.Outcome
    first: engine.Outcome
    compute_cycles: float
    events: int


def run_plan(graph: LayerGraph, p: Plan, *, trace: bool = False, segments: int = 1) -> Runs:
    """Run a plan: the steady state, and the first image when pinned weights make it differ.

    `trace` records the timeline of the steady-state run; `segments` is the granularity knob of
    `accelsim.model.engine.run` (tests only).
    """
    sched = schedule_of(graph, p)
    steady = engine.run(p, sched, trace=trace, segments=segments)
    events = steady.events
    first = steady
    if p.memo("first differs", lambda: any(lp.first_traffic != lp.traffic for lp in p.layers)):
        first = engine.run(p, schedule_of(graph, p, first=True), first=True, segments=segments)
        events += first.events
    return Runs(steady, first, p.memo("compute_only", lambda: engine.compute_only(p, sched), sched), events)


def timeline(
    graph: LayerGraph, accel: Accelerator, mapper: MapperConfig | None = None, memory: str = DEFAULT_MEMORY
) -> engine.Trace:
    """The steady-state run of the whole batch with its trace (`accelsim run --timeline`), mapped by `mapper`."""
    p = mapped_plan(graph, accel, mapper if mapper is not None else MapperConfig(), memory)
    _check_representable(p)
    trace = run_plan(graph, p, trace=True).steady.trace
    assert trace is not None
    return trace


#: Most cycles a run may take: beyond 2**53 a float no longer counts whole cycles exactly, so
#: compute cycles added to transfer time would be rounded away.
MAX_CYCLES = 2.0**53


def _check_representable(p: Plan) -> None:
    """InputError when a bandwidth this small (for the clock) would take a run past `MAX_CYCLES`.

    Such values pass the accelerator's checks (any bandwidth > 0) but the engine cannot count the
    time exactly: this turns a silently rounded (or overflowing) run into a clear message.
    """
    accel = p.accel
    if math.isinf(accel.bytes_per_cycle):
        return  # unconstrained memory system: the engine frees the network too
    dram_bits, noc_bits = p.memo(  # the plan's, the same at every bandwidth (`Plan.memo`)
        "channel bits",
        lambda: (
            sum(max(lp.traffic.total_bits, lp.first_traffic.total_bits) for lp in p.layers),
            sum(lp.noc_bits for lp in p.layers),
        ),
    )
    channels = (
        ("bw_gb_per_s", accel.bw_gb_per_s, accel.bytes_per_cycle * 8, dram_bits),
        ("noc_gb_per_s", accel.noc_gb_per_s, accel.noc_bytes_per_cycle * 8, noc_bits),
    )
    for name, value, bits_per_cycle, bits in channels:
        if bits and math.isfinite(bits_per_cycle) and (bits_per_cycle <= 0 or not bits / bits_per_cycle < MAX_CYCLES):
            raise InputError(
                name,
                value,
                f"is too small for clock_hz={accel.clock_hz!r}: the run would take more than 2**53 cycles, past "
                "what the engine counts exactly",
            )


def simulate(
    graph: LayerGraph,
    accel: Accelerator | None = None,
    *,
    memory: str = DEFAULT_MEMORY,
    micro_batching: bool = True,
    mapper: MapperConfig | None = None,
    built_bits: tuple[int, int] | None = None,
) -> SimResult:
    """Simulate one batch of `graph` on `accel` (default: the default 16-bit system).

    An even batch runs whole or as back-to-back micro-batches (halves, quarters, ...): the one of
    least ``mapper.objective`` per image (`accelsim.model.batching`; the result's `micro_batch`
    says which).

    Parameters
    ----------
    graph : LayerGraph
        The network with its per-layer precision (`graph.with_policy(...)`).
    accel : Accelerator, optional
        The design point.
    memory : str
        External memory preset (``tech.memory``) that prices off-chip bytes in the energy model
        (`accelsim.model.energy`); it does not change timing (the bandwidth is ``accel.bw_gb_per_s``
        times ``accel.dram_efficiency``).
    micro_batching : bool
        Let an even batch run as micro-batches (default). False runs the batch whole: the
        fixed-batch plan, whose traffic does not depend on the bandwidth.
    mapper : MapperConfig, optional
        How layers are mapped (`accelsim.model.mapper`): the fixed mapping (default) or a search
        for the least latency, energy or EDP per layer. Its objective also picks the micro-batch.
    built_bits : (int, int), optional
        (w, a) precision the design's MACs are built for, i.e. of the base an iso-area design is
        sized from (`accelsim.model.energy.area`); only the result's area depends on it (default:
        the design's own MAC precision).

    Returns
    -------
    SimResult
        Steady-state and first-image times, per-layer breakdown, off-chip and on-chip-network
        bytes, fit flags, energy per image, chip area.

    Raises
    ------
    InputError
        A core's memory cannot hold one layer's minimal streaming tile; unknown `memory`.

    Examples
    --------
    >>> import math, workloads
    >>> from accelsim.hardware.design import Accelerator
    >>> g = workloads.load("resnet18")
    >>> r = simulate(g, Accelerator(bw_gb_per_s=math.inf))
    >>> r.cycles == sum(layer.compute_cycles for layer in r.layers)
    True
    """
    accel = accel if accel is not None else Accelerator()
    memory_pj_per_bit(memory)  # an unknown preset fails before the simulation, not after
    batch = graph_batch(graph) if isinstance(graph, LayerGraph) else 1
    mapper = mapper if mapper is not None else MapperConfig()
    if not micro_batching or not batching.splits(batch):
        return _simulate_whole(graph, accel, memory, mapper, built_bits)
    return _simulate_micro_batched(graph, batch, accel, memory, mapper, built_bits)


def _simulate_micro_batched(
    graph: LayerGraph,
    batch: int,
    accel: Accelerator,
    memory: str,
    mapper: MapperConfig,
    built_bits: tuple[int, int] | None,
) -> SimResult:
    """An even batch: every micro-batch of `batching.chain` run whole, the least objective chosen."""
    smallest, *larger = batching.chain(graph, batch)
    runs: list[SimResult | None] = [_simulate_whole(smallest, accel, memory, mapper, built_bits)]  # must fit
    for micro in larger:
        try:
            runs.append(_simulate_whole(micro, accel, memory, mapper, built_bits))
        except InputError:
            runs.append(None)
    chosen = batching.choose(runs, mapper.objective)
    return batching.repeat(chosen, batch // chosen.batch) if chosen.batch < batch else chosen


def _simulate_whole(
    graph: LayerGraph, accel: Accelerator, memory: str, mapper: MapperConfig, built_bits: tuple[int, int] | None
) -> SimResult:
    p = mapped_plan(graph, accel, mapper, memory)
    _check_representable(p)
    runs = run_plan(graph, p)
    ends = runs.steady.ends
    pj_per_bit = memory_pj_per_bit(memory)
    fields, energy = _planned_fields(graph, p, pj_per_bit)
    bpc = accel.bytes_per_cycle * 8
    layers = [
        _layer_result(lp, fixed, ends[i] - (ends[i - 1] if i else 0.0), bpc)
        for i, (lp, fixed) in enumerate(zip(p.layers, fields, strict=True))
    ]
    total = runs.steady.makespan
    cost = area(accel, built_bits=built_bits)
    return SimResult(
        **_plan_summary(p),
        **energy,
        workload=graph.name,
        batch=p.batch,
        accelerator=accel,
        layers=tuple(layers),
        cycles=total,
        first_cycles=runs.first.makespan,
        compute_cycles=round(runs.compute_cycles),  # whole cycles: sums and maxima of integer core cycles
        stall_cycles=total - runs.compute_cycles,
        events=runs.events,
        memory=memory_name(memory),
        offchip_pj_per_bit=pj_per_bit,
        compute_area_mm2=cost.compute_mm2,
        sram_area_mm2=cost.sram_mm2,
    )


def _plan_summary(p: Plan) -> dict[str, Any]:
    """The `SimResult` fields the plan alone gives (bytes, residency), kept on the plan (`Plan.memo`):
    a sweep asks for them at every bandwidth of one design."""

    def summary() -> dict[str, Any]:
        mem = p.residency
        return {
            "macs": sum(lp.macs for lp in p.layers),
            "read_bytes": sum(lp.traffic.read_bits for lp in p.layers) / 8,
            "write_bytes": sum(lp.traffic.write_bits for lp in p.layers) / 8,
            "first_read_bytes": sum(lp.first_traffic.read_bits for lp in p.layers) / 8,
            "weights_resident": mem.weights_resident,
            "activations_resident": mem.activations_resident,
            "weight_bytes": mem.weight_bits / 8,
            "peak_live_bytes": mem.liveness.peak_bits / 8,
            "peak_onchip_bytes": mem.peak_onchip_bits / 8,
            "pinned_weight_bytes": mem.pinned_weight_bits / 8,
            "noc_bytes": sum(lp.noc_bits for lp in p.layers) / 8,
        }

    return p.memo("summary", summary)


def _planned_fields(graph: LayerGraph, p: Plan, pj_per_bit: float) -> tuple[tuple[dict[str, Any], ...], dict[str, Any]]:
    """Each layer's `LayerResult` fields that no bandwidth changes (all but its span, stalls, bound
    and transfer cycles: its plan and energy), and the energies they add up to, kept on the plan
    (`Plan.memo`) per off-chip and network energy per bit, the only energy inputs a plan's designs
    differ in: at most `_ENERGY_VARIANTS` of them per plan (a loop over network energies would
    otherwise grow a cached plan without bound)."""
    by_energy: BoundedMemo[tuple[float, float], tuple[tuple[dict[str, Any], ...], dict[str, Any]]]
    by_energy = p.memo("layer fields", lambda: BoundedMemo(_ENERGY_VARIANTS))
    key = (pj_per_bit, p.accel.noc_pj_per_bit)
    known = by_energy.get(key)
    if known is not None:
        return known
    accel = p.accel
    out = tuple(
        _planned_layer(graph, lp, accel, pj_per_bit, access)
        for lp, access in zip(p.layers, _access_bits(graph, p), strict=True)
    )
    energy = {name: math.fsum(f[name] for f in out) for name in ("mac_energy_uj", "sram_energy_uj", "noc_energy_uj")}
    return by_energy.put(key, (out, energy))


#: Energy variants (off-chip and network pJ/bit) whose layer fields a plan keeps (`_planned_fields`).
_ENERGY_VARIANTS = 4


def _access_bits(graph: LayerGraph, p: Plan) -> tuple[int, ...]:
    """Each layer's on-chip buffer bits (`layer_access_bits`), memoised on the plan (`Plan.memo`):
    they read the layers and the design's array, never its bandwidth."""
    return p.memo("access", lambda: tuple(layer_access_bits(graph, lp, p.accel) for lp in p.layers))


def _planned_layer(
    graph: LayerGraph, lp: LayerPlan, accel: Accelerator, pj_per_bit: float, access: int
) -> dict[str, Any]:
    energy = layer_energy(graph, lp, accel, pj_per_bit, access)
    return {
        "name": lp.name,
        "kind": lp.kind,
        "macs": lp.macs,
        "w_bits": lp.w_bits,
        "a_bits": lp.a_bits,
        "out_bits": lp.out_bits,
        "split": lp.split.as_tuple(),
        "gang": lp.gang,
        "tiles": lp.tiles,
        "compute_cycles": lp.compute_cycles,
        "array_utilization": mapping.utilization(lp.macs, accel.macs_per_cycle, lp.compute_cycles),
        "read_bytes": lp.traffic.read_bits / 8,
        "write_bytes": lp.traffic.write_bits / 8,
        "refetch": lp.traffic.refetch,
        "output_on_chip": lp.output_on_chip,
        "live_bytes": lp.live_bits / 8,
        "order": lp.traffic.order,
        "weights_pinned": lp.weights_pinned,
        "noc_bytes": lp.noc_bits / 8,
        "sram_access_bits": energy.sram_access_bits,
        "mac_energy_uj": energy.mac_energy_uj,
        "sram_energy_uj": energy.sram_energy_uj,
        "offchip_energy_uj": energy.offchip_energy_uj,
        "noc_energy_uj": energy.noc_energy_uj,
        "dataflow": lp.mapping.dataflow if lp.mapping is not None else "",
        "k_split": lp.split.k,
        "pack": lp.mapping.pack if lp.mapping is not None else 1,
        "mapping": lp.mapping.label if lp.mapping is not None else "",
    }


def _layer_result(lp: LayerPlan, planned: dict[str, Any], span: float, bpc: float) -> LayerResult:
    """A layer's result: its planned fields (`_planned_fields`) with the run's `span` (cycles) and
    the channel's `bpc` (bits per cycle)."""
    compute = lp.compute_cycles
    return LayerResult(
        **planned,
        transfer_cycles=lp.traffic.total_bits / bpc if math.isfinite(bpc) else 0.0,
        cycles=span,
        stall_cycles=span - compute,
        bound=bound_of(span, compute),
    )


__all__ = ["LayerPlan", "Plan", "Runs", "plan", "run_plan", "simulate", "timeline"]
