"""The discrete-event model: cores and one shared external-memory channel on simpy.

`simulate(graph, accel)` first *plans* every layer (`accelsim.model.layer_plan`: the per-core memory plan of
`accelsim.model.memory`, splits, per-core compute cycles, off-chip traffic, on-chip-network bits), then
*runs* the plan as a simpy process network at tile granularity:

* each core is a process that walks the layers; per tile it waits for the tile's load, computes
  (a timeout of the tile's analytical cycles), and hands the tile's outputs to the store;
* one channel process moves every load and store over the external memory, one transfer at a
  time at the full bandwidth, so cores contend for it; with ``bw_gb_per_s = inf`` there is no
  channel and transfers take no time;
* double buffering: tile i+1 loads while tile i computes and tile i-1 stores (two input and two
  output buffers per core);
* a layer-by-layer barrier across cores: a layer starts when every core finished the previous one
  (no cross-layer prefetch). This is the dependency order of the graph's topological order.

The channel serves transfers in a fixed round-robin order (round r: the loads of tile r of every
core, then the stores of tile r-1), a TDM-style arbiter. Why fixed: every completion time is then
a max-plus expression of the durations, so simulated time can only grow when bandwidth falls or
traffic rises (no scheduling anomalies), and results are bit-identical run to run.

The on-chip network (`accel.noc_gb_per_s`) carries the layer's DRAM transfers and core-to-core
moves beside the channel: a layer's span is at least its network bits over the network bandwidth.
With ``bw_gb_per_s = inf`` the whole memory system is unconstrained (channel and network), so an
unconstrained run is exactly its compute-only time.

Tiles are coarse on purpose: at most `TILE_CAP` per core and layer (a DES tile groups as many
physical tiles as needed), so a ResNet-50 design point costs a few thousand events (simpy takes
~1-7 us per event on a small machine).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import simpy

from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator
from accelsim.ir.graph import LayerGraph
from accelsim.model import batching, mapping
from accelsim.model.energy import DEFAULT_MEMORY, annotate, memory_pj_per_bit
from accelsim.model.layer_plan import TILE_CAP, LayerPlan, Plan, graph_batch, plan
from accelsim.model.mapper import MapperConfig, map_graph
from accelsim.model.results import LayerResult, SimResult, bound_of

#: DES time units per clock cycle. Simulated time is an integer (compute cycles are whole; a transfer
#: is rounded up to the next millionth of a cycle), so sums over layers are exact and an unconstrained
#: run equals its compute-only time bit for bit; rounding up keeps time monotone in bandwidth.
UNITS_PER_CYCLE = 1_000_000


# --- the discrete-event run --------------------------------------------------------------------
class _Environment(simpy.Environment):
    """simpy's environment, counting every event it schedules (the cost unit of a DES)."""

    def __init__(self) -> None:
        super().__init__()
        self.scheduled = 0

    def schedule(self, event, priority=simpy.core.NORMAL, delay=0):  # type: ignore[no-untyped-def]
        self.scheduled += 1
        super().schedule(event, priority, delay)


class _Work:
    """One core's tiles in one layer, with the events that order them."""

    __slots__ = ("compute", "load", "store", "load_done", "compute_done", "store_done")

    def __init__(self, env: simpy.Environment, compute: list[int], load: int, store: int) -> None:
        n = len(compute)
        self.compute = compute
        self.load = load
        self.store = store
        self.load_done = [env.event() for _ in range(n)] if load > 0 else None
        self.compute_done = [env.event() for _ in range(n)] if load > 0 or store > 0 else None
        self.store_done = [env.event() for _ in range(n)] if store > 0 else None


class _Run:
    """State shared by the core, channel and driver processes of one simulation."""

    def __init__(self, env: simpy.Environment, accel: Accelerator, layers: Sequence[LayerPlan], first: bool) -> None:
        self.env = env
        self.accel = accel
        self.layers = layers
        self.first = first
        self.bits_per_cycle = accel.bytes_per_cycle * 8
        self.go = [env.event() for _ in layers]
        self.done = [env.event() for _ in layers]
        self.arrived = 0
        self.work: list[_Work | None] = []
        self.order: list[tuple[int, simpy.Event | None, simpy.Event]] = []
        self.spans: list[int] = []

    # the layer's work, built when it starts so only one layer's events exist at a time
    def stage(self, lp: LayerPlan) -> None:
        env, traffic = self.env, (lp.first_traffic if self.first else lp.traffic)
        active = range(lp.split.cores_used)
        moving = math.isfinite(self.bits_per_cycle) and traffic.total_bits > 0
        n = lp.tiles if moving else 1
        share = len(active) * n * self.bits_per_cycle
        load = math.ceil(traffic.read_bits * UNITS_PER_CYCLE / share) if moving else 0
        store = math.ceil(traffic.write_bits * UNITS_PER_CYCLE / share) if moving else 0
        self.work = [None] * len(lp.core_cycles)
        for c in active:
            compute = [cycles * UNITS_PER_CYCLE for cycles in mapping.balanced_parts(lp.core_cycles[c], n)]
            self.work[c] = _Work(env, compute, load, store)
        self.order = []
        if not moving:
            return
        for r in range(n + 1):  # round r: loads of tile r, then stores of tile r-1
            if r < n and load > 0:
                for c in active:
                    w = self.work[c]
                    self.order.append((load, w.compute_done[r - 2] if r >= 2 else None, w.load_done[r]))
            if r >= 1 and store > 0:
                for c in active:
                    w = self.work[c]
                    self.order.append((store, w.compute_done[r - 1], w.store_done[r - 1]))

    def arrive(self, li: int) -> None:
        self.arrived += 1
        if self.arrived == self.accel.cores + 1:  # every core and the channel
            self.arrived = 0
            self.done[li].succeed()


def _driver(run: _Run):  # type: ignore[no-untyped-def]
    env = run.env
    for li, lp in enumerate(run.layers):
        start = env.now
        run.stage(lp)
        run.go[li].succeed()
        yield run.done[li]
        run.spans.append(env.now - start)


def _core(run: _Run, c: int):  # type: ignore[no-untyped-def]
    env = run.env
    for li in range(len(run.layers)):
        yield run.go[li]
        w = run.work[c]
        if w is not None:
            if w.compute_done is None:  # nothing to move: one timeout for the whole layer
                yield env.timeout(sum(w.compute))
            else:
                for i, units in enumerate(w.compute):
                    if w.load_done is not None:
                        yield w.load_done[i]
                    if w.store_done is not None and i >= 2:
                        yield w.store_done[i - 2]
                    yield env.timeout(units)
                    w.compute_done[i].succeed()
                if w.store_done is not None:
                    yield w.store_done[-1]
        run.arrive(li)


def _channel(run: _Run):  # type: ignore[no-untyped-def]
    env = run.env
    for li in range(len(run.layers)):
        yield run.go[li]
        for duration, after, done in run.order:
            if after is not None:
                yield after
            yield env.timeout(duration)
            done.succeed()
        run.arrive(li)


def run_plan(p: Plan, *, first: bool = False) -> tuple[list[int], int]:
    """Simulate a plan; returns the span of every layer (in `UNITS_PER_CYCLE` units) and the events.

    `first` runs the first image of a model whose weights stay on chip (weights fetched once).
    """
    env = _Environment()
    run = _Run(env, p.accel, p.layers, first)
    env.process(_driver(run))
    for c in range(p.accel.cores):
        env.process(_core(run, c))
    env.process(_channel(run))
    env.run()
    if len(run.spans) != len(p.layers):  # a dependency was never met: a bug, not bad input
        raise RuntimeError(f"simulation stalled after {len(run.spans)} of {len(p.layers)} layers")
    return run.spans, env.scheduled


def _check_representable(p: Plan) -> None:
    """InputError when a bandwidth this small (for the clock) would take a transfer past a float's range.

    Such values pass the accelerator's checks (any bandwidth > 0) but the DES cannot represent the
    time: this turns what would be an OverflowError deep in the run into a clear message.
    """
    accel = p.accel
    bpc = accel.bytes_per_cycle * 8
    if math.isinf(bpc):
        return
    most = max((max(lp.traffic.total_bits, lp.first_traffic.total_bits) for lp in p.layers), default=0)
    if most and (bpc <= 0 or not math.isfinite(most * UNITS_PER_CYCLE / bpc)):
        raise InputError(
            "bw_gb_per_s", accel.bw_gb_per_s,
            f"is too small for clock_hz={accel.clock_hz!r}: a transfer would take longer than the simulator can represent",
        )


def simulate(
    graph: LayerGraph,
    accel: Accelerator | None = None,
    *,
    memory: str = DEFAULT_MEMORY,
    micro_batching: bool = True,
    mapper: MapperConfig | None = None,
) -> SimResult:
    """Simulate one batch of `graph` on `accel` (default: the default 16-bit system).

    An even batch runs whole, or as two back-to-back halves when that is faster per image
    (`accelsim.model.batching`; the result's `micro_batch` says which).

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
        Let an even batch run as two halves when that is faster (default). False runs the batch
        whole: the fixed-batch plan, whose traffic does not depend on the bandwidth.
    mapper : MapperConfig, optional
        How layers are mapped (`accelsim.model.mapper`): the fixed mapping (default) or a search
        for the least latency, energy or EDP per layer.

    Returns
    -------
    SimResult
        Steady-state and first-image times, per-layer breakdown, off-chip and on-chip-network
        bytes, fit flags, energy per image.

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
    half = batching.rebatch(graph, batch, batch // 2) if micro_batching and batch % 2 == 0 else None
    mapper = mapper if mapper is not None else MapperConfig()
    if half is None:
        return _simulate_whole(graph, accel, memory, mapper)
    halves = batching.repeat(simulate(half, accel, memory=memory, mapper=mapper), 2)
    try:
        whole = _simulate_whole(graph, accel, memory, mapper)
    except InputError:
        return halves
    return whole if batching.no_worse(whole, halves) else halves


def _noc_units(lp: LayerPlan, accel: Accelerator) -> int:
    """DES units the on-chip network needs for the layer's bits (0 when it or DRAM is unconstrained)."""
    bpc = accel.noc_bytes_per_cycle * 8
    if not (math.isfinite(bpc) and math.isfinite(accel.bytes_per_cycle)) or lp.noc_bits == 0:
        return 0
    return math.ceil(lp.noc_bits * UNITS_PER_CYCLE / bpc)


def _simulate_whole(graph: LayerGraph, accel: Accelerator, memory: str, mapper: MapperConfig) -> SimResult:
    p = plan(graph, accel, map_graph(graph, accel, mapper, memory))
    _check_representable(p)
    spans, events = run_plan(p)
    first_spans = list(spans)
    # Layers are separated by barriers, so a layer's span depends on that layer alone: the first
    # image re-runs only the layers whose first-image traffic differs (pinned weights loading).
    differ = [i for i, lp in enumerate(p.layers) if lp.first_traffic != lp.traffic]
    if differ:
        sub = replace(p, layers=tuple(p.layers[i] for i in differ))
        sub_spans, more = run_plan(sub, first=True)
        events += more
        for i, units in zip(differ, sub_spans):
            first_spans[i] = units
    # The network runs beside the channel and the arrays: a layer ends no earlier than its last bit.
    spans = [max(units, _noc_units(lp, accel)) for lp, units in zip(p.layers, spans)]
    first_spans = [max(units, _noc_units(lp, accel)) for lp, units in zip(p.layers, first_spans)]
    layers = [_layer_result(lp, units, accel) for lp, units in zip(p.layers, spans)]
    mem = p.residency
    total = sum(spans) / UNITS_PER_CYCLE
    compute_total = sum(lp.compute_cycles for lp in p.layers)
    result = SimResult(
        workload=graph.name,
        batch=p.batch,
        accelerator=accel,
        layers=tuple(layers),
        macs=sum(lp.macs for lp in p.layers),
        cycles=total,
        first_cycles=sum(first_spans) / UNITS_PER_CYCLE,
        compute_cycles=compute_total,
        stall_cycles=(sum(spans) - compute_total * UNITS_PER_CYCLE) / UNITS_PER_CYCLE,
        read_bytes=sum(lp.traffic.read_bits for lp in p.layers) / 8,
        write_bytes=sum(lp.traffic.write_bits for lp in p.layers) / 8,
        first_read_bytes=sum(lp.first_traffic.read_bits for lp in p.layers) / 8,
        weights_resident=mem.weights_resident,
        activations_resident=mem.activations_resident,
        weight_bytes=mem.weight_bits / 8,
        peak_live_bytes=mem.liveness.peak_bits / 8,
        peak_onchip_bytes=mem.peak_onchip_bits / 8,
        events=events,
        pinned_weight_bytes=mem.pinned_weight_bits / 8,
        noc_bytes=sum(lp.noc_bits for lp in p.layers) / 8,
    )
    return annotate(graph, result, memory)


def _layer_result(lp: LayerPlan, units: int, accel: Accelerator) -> LayerResult:
    bpc = accel.bytes_per_cycle * 8
    compute = lp.compute_cycles
    span = units / UNITS_PER_CYCLE
    return LayerResult(
        name=lp.name,
        kind=lp.kind,
        macs=lp.macs,
        w_bits=lp.w_bits,
        a_bits=lp.a_bits,
        out_bits=lp.out_bits,
        split=lp.split.as_tuple(),
        gang=lp.gang,
        tiles=lp.tiles,
        compute_cycles=compute,
        transfer_cycles=lp.traffic.total_bits / bpc if math.isfinite(bpc) else 0.0,
        cycles=span,
        stall_cycles=(units - compute * UNITS_PER_CYCLE) / UNITS_PER_CYCLE,
        bound=bound_of(span, compute),
        array_utilization=mapping.utilization(lp.macs, accel.macs_per_cycle, compute),
        read_bytes=lp.traffic.read_bits / 8,
        write_bytes=lp.traffic.write_bits / 8,
        refetch=lp.traffic.refetch,
        output_on_chip=lp.output_on_chip,
        live_bytes=lp.live_bits / 8,
        order=lp.traffic.order,
        weights_pinned=lp.weights_pinned,
        noc_bytes=lp.noc_bits / 8,
        dataflow=lp.mapping.dataflow if lp.mapping is not None else "",
        k_split=lp.split.k,
        pack=lp.mapping.pack if lp.mapping is not None else 1,
        mapping=lp.mapping.label if lp.mapping is not None else "",
    )


__all__ = ["LayerPlan", "Plan", "TILE_CAP", "UNITS_PER_CYCLE", "plan", "run_plan", "simulate"]
