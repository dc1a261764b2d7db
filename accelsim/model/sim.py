"""The discrete-event model: cores and one shared external-memory channel on simpy.

`simulate(graph, accel)` first *plans* every layer with the pure functions of `accelsim.model.mapping`
and the residency rules of `accelsim.model.fit` (split across cores, per-core compute cycles, off-chip
traffic), then *runs* the plan as a simpy process network at tile granularity:

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

Tiles are coarse on purpose: at most `TILE_CAP` per core and layer (a DES tile groups as many
physical tiles as needed), so a ResNet-50 design point costs a few thousand events (simpy takes
~1-7 us per event on a small machine).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import simpy

from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator
from accelsim.ir.graph import LayerGraph
from accelsim.model import mapping
from accelsim.model.energy import DEFAULT_MEMORY, annotate, memory_pj_per_bit
from accelsim.model.fit import Residency, gemm_operand_elems, residency
from accelsim.model.mapping import ON_CHIP, ONCE, STREAM, Operand, Split, Traffic
from accelsim.model.results import LayerResult, SimResult

#: DES time units per clock cycle. Simulated time is an integer (compute cycles are whole; a transfer
#: is rounded up to the next millionth of a cycle), so sums over layers are exact and an unconstrained
#: run equals its compute-only time bit for bit; rounding up keeps time monotone in bandwidth.
UNITS_PER_CYCLE = 1_000_000

#: Most DES tiles per core and layer. Eight keeps the exposed first load of a layer at <= 1/8 of
#: its traffic while ResNet-50 stays under ~10k simpy events per design point.
TILE_CAP = 8


@dataclass(frozen=True, slots=True)
class LayerPlan:
    """One layer, ready to simulate: per-core compute cycles and the layer's off-chip bits."""

    name: str
    kind: str
    macs: int
    w_bits: int
    a_bits: int
    out_bits: int
    split: Split
    gang: int
    core_cycles: tuple[int, ...]  # one entry per core; 0 = idle
    tiles: int
    traffic: Traffic  # steady state
    first_traffic: Traffic  # first image (weights of a resident model fetched once)
    output_on_chip: bool
    live_bits: int

    @property
    def compute_cycles(self) -> int:
        return max(self.core_cycles, default=0)


@dataclass(frozen=True, slots=True)
class Plan:
    graph_name: str
    batch: int
    accel: Accelerator
    layers: tuple[LayerPlan, ...]
    residency: Residency


def _batch(graph: LayerGraph) -> int:
    """Images per run: ``metadata["batch"]`` (the zoo sets it), else the leading axis of the input."""
    batch = graph.metadata.get("batch")
    if isinstance(batch, int) and not isinstance(batch, bool) and batch > 0:
        return batch
    names = graph.names()
    return graph.layer(names[0]).input_shapes[0][0] if names else 1


def _input_operands(graph: LayerGraph, name: str, res: Residency) -> list[Operand]:
    """Every tensor `name` reads, at the bits it is stored at, on chip or not."""
    layer = graph.layer(name)
    producers = graph.inputs_of(name)
    if not producers:
        elems = math.prod(layer.input_shapes[0])
        return [Operand(elems, graph.precision(name).a_bits, STREAM)]
    out = []
    for src, shape in zip(producers, layer.input_shapes):
        fetch = ON_CHIP if res.resident[src] else STREAM
        out.append(Operand(math.prod(shape), graph.output_bits(src), fetch))
    return out


def _budget(accel: Accelerator, res: Residency, step: int, min_tile_bits: int) -> int:
    """Streaming bits per core at `step`: the memory the live activations (and resident weights)
    leave free, shared by the cores; at least two minimal tiles, at most the core's memory."""
    used = res.liveness.live_bits[step] + (res.weight_bits if res.weights_resident else 0)
    free = (res.capacity_bits - used) // accel.cores
    return min(accel.sram_bytes_per_core * 8, max(2 * min_tile_bits, free))


def _plan_gemm(graph: LayerGraph, name: str, step: int, accel: Accelerator, res: Residency) -> LayerPlan:
    layer = graph.layer(name)
    gemm = layer.gemm()
    assert gemm is not None
    p = graph.precision(name)
    out_bits = graph.output_bits(name)
    inputs = _input_operands(graph, name, res)
    a = inputs[0]
    a_elems, b_elems, b_bits = gemm_operand_elems(graph, name)
    if layer.weight_elems:
        b = Operand(b_elems, b_bits, ON_CHIP if res.weights_resident else STREAM)
    else:  # MatMul: the second operand is an activation
        b = inputs[1]
    out = Operand(layer.out_elems, out_bits, ON_CHIP if res.resident[name] else STREAM)

    def traffic_for(split: Split, b_op: Operand = b) -> Traffic:
        fp = mapping.footprint(gemm, split, accel, a, b_op, out_bits)
        return mapping.gemm_traffic(fp, a, b_op, out, _budget(accel, res, step, fp.min_tile_bits))

    split = mapping.choose_split(gemm, accel, lambda s: traffic_for(s).total_bits)
    mapping.check_tile_fits(accel, name, mapping.footprint(gemm, split, accel, a, b, out_bits))
    traffic = traffic_for(split)
    first = traffic_for(split, Operand(b.elems, b.bits, ONCE)) if b.fetch == ON_CHIP and layer.weight_elems else traffic
    view = mapping.array_view(accel, p.w_bits, p.a_bits)
    cycles = mapping.core_cycles(gemm, split, view, accel.dataflow)
    g_c, m_c, n_c = (-(-gemm.groups // split.groups), -(-gemm.m // split.m), -(-gemm.n // split.n))
    row_folds, col_folds = mapping.folds(m_c, n_c, gemm.k, mapping.array_view(accel), accel.dataflow)
    tiles = min(TILE_CAP, g_c * row_folds * col_folds)
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
        tiles=tiles,
        traffic=traffic,
        first_traffic=first,
        output_on_chip=out.fetch == ON_CHIP,
        live_bits=res.liveness.live_bits[step],
    )


def _plan_other(graph: LayerGraph, name: str, step: int, accel: Accelerator, res: Residency) -> LayerPlan:
    """Layers without MACs: pooling runs on the output stage; Add is fused into its producer's
    output stage, Flatten and Concat are layout only (0 cycles). All move their data like any
    other layer when it is off chip."""
    layer = graph.layer(name)
    p = graph.precision(name)
    out_bits = graph.output_bits(name)
    reads = mapping.total_read_bits(_input_operands(graph, name, res))
    on_chip = res.resident[name]
    writes = 0 if on_chip else layer.out_elems * out_bits
    per_core = mapping.vector_cycles(layer.in_elems, accel, accel.cores) if layer.kind == "Pool" else 0
    traffic = Traffic(reads, writes)
    return LayerPlan(
        name=name,
        kind=layer.kind,
        macs=0,
        w_bits=p.w_bits,
        a_bits=p.a_bits,
        out_bits=out_bits,
        split=Split(1, accel.cores, 1),
        gang=1,
        core_cycles=(per_core,) * accel.cores,
        tiles=TILE_CAP if traffic.total_bits else 1,
        traffic=traffic,
        first_traffic=traffic,
        output_on_chip=on_chip,
        live_bits=res.liveness.live_bits[step],
    )


def plan(graph: LayerGraph, accel: Accelerator) -> Plan:
    """Plan every layer of `graph` on `accel` (no simulation): splits, cycles, traffic.

    Raises InputError when a core's memory cannot hold one double-buffered tile of some layer.
    """
    if not isinstance(graph, LayerGraph):
        raise TypeError(f"graph must be a LayerGraph, not {type(graph).__name__}")
    res = residency(graph, accel)
    layers = []
    for step, name in enumerate(res.liveness.order):
        if graph.layer(name).gemm() is not None:
            layers.append(_plan_gemm(graph, name, step, accel, res))
        else:
            layers.append(_plan_other(graph, name, step, accel, res))
    return Plan(graph.name, _batch(graph), accel, tuple(layers), res)


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


def simulate(graph: LayerGraph, accel: Accelerator | None = None, *, memory: str = DEFAULT_MEMORY) -> SimResult:
    """Simulate one batch of `graph` on `accel` (default: the default 16-bit system).

    Parameters
    ----------
    graph : LayerGraph
        The network with its per-layer precision (`graph.with_policy(...)`).
    accel : Accelerator, optional
        The design point.
    memory : str
        External memory preset (``tech.memory``) that prices off-chip bytes in the energy model
        (`accelsim.model.energy`); it does not change timing (the bandwidth is ``accel.bw_gb_per_s``).

    Returns
    -------
    SimResult
        Steady-state and first-image times, per-layer breakdown, off-chip bytes, fit flags,
        energy per image.

    Raises
    ------
    InputError
        A core's memory cannot hold one double-buffered tile of some layer; unknown `memory`.

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
    p = plan(graph, accel)
    _check_representable(p)
    spans, events = run_plan(p)
    first_spans = spans
    if any(lp.first_traffic != lp.traffic for lp in p.layers):
        first_spans, more = run_plan(p, first=True)
        events += more
    bpc = accel.bytes_per_cycle * 8
    layers = []
    for lp, units in zip(p.layers, spans):
        span = units / UNITS_PER_CYCLE
        transfer = lp.traffic.total_bits / bpc if math.isfinite(bpc) else 0.0
        compute = lp.compute_cycles
        bound = "memory" if transfer > compute else ("compute" if compute > 0 else "none")
        layers.append(
            LayerResult(
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
                transfer_cycles=transfer,
                cycles=span,
                stall_cycles=(units - compute * UNITS_PER_CYCLE) / UNITS_PER_CYCLE,
                bound=bound,
                array_utilization=mapping.utilization(lp.macs, accel.macs_per_cycle, compute),
                read_bytes=lp.traffic.read_bits / 8,
                write_bytes=lp.traffic.write_bits / 8,
                refetch=lp.traffic.refetch,
                output_on_chip=lp.output_on_chip,
                live_bytes=lp.live_bits / 8,
            )
        )
    res = p.residency
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
        weights_resident=res.weights_resident,
        activations_resident=res.activations_resident,
        weight_bytes=res.weight_bits / 8,
        peak_live_bytes=res.liveness.peak_bits / 8,
        peak_onchip_bytes=res.peak_onchip_bits / 8,
        events=events,
    )
    return annotate(graph, result, memory)


__all__ = ["LayerPlan", "Plan", "TILE_CAP", "UNITS_PER_CYCLE", "plan", "run_plan", "simulate"]
