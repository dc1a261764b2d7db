"""The fixed-mapping plan cache (`accelsim.model.mapper.fixed_plan`) keys a plan on the design less
its bandwidths: that is only right while the plan reads none of them. These tests would fail if a
planning rule started to depend on bandwidth, or if a cached plan leaked into another design."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from _random_points import random_points

from accelsim.errors import InputError
from accelsim.model import mapper, sim
from accelsim.model.layer_plan import plan
from accelsim.model.sim import simulate

POINTS = random_points(40, seed=18)


@pytest.mark.parametrize("point", POINTS, ids=lambda p: f"p{p.index}")
def test_plan_reads_no_bandwidth(point):
    """A fresh plan is the same at any bandwidth, efficiency, network bandwidth and network energy."""
    other = replace(
        point.accel,
        bw_gb_per_s=math.inf,
        dram_efficiency=0.37,
        noc_gb_per_s=3.0,
        noc_pj_per_bit=point.accel.noc_pj_per_bit * 2,
    )
    try:
        a = plan(point.graph, point.accel)
    except InputError:
        with pytest.raises(InputError):
            plan(point.graph, other)
        return
    b = plan(point.graph, other)
    assert replace(b, accel=point.accel) == a


def test_cached_plan_is_fresh_plan_with_its_own_design():
    mapper.cache_clear()
    checked = 0
    for point in POINTS:
        for bw in (point.accel.bw_gb_per_s, 0.5, 1000.0):
            accel = replace(point.accel, bw_gb_per_s=bw)
            try:
                fresh = plan(point.graph, accel)
            except InputError:
                continue
            cached = mapper.fixed_plan(point.graph, accel)
            assert cached == fresh  # accel included
            checked += 1
    assert checked > 60


def test_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(mapper, "_FIXED", mapper._PlanLRU(max_layers=12))
    for point in POINTS[:20]:
        try:
            mapper.fixed_plan(point.graph, point.accel)
        except InputError:
            pass
    held = mapper._FIXED
    assert held.layers == sum(len(p.layers) for p in held.plans.values())
    assert held.layers <= 12 or len(held.plans) == 1


def test_simulate_hit_equals_cold():
    """simulate on a design whose plan was cached at another bandwidth gives the cold result."""
    checked = 0
    for point in POINTS[:12]:
        mapper.cache_clear()
        try:
            simulate(point.graph, replace(point.accel, bw_gb_per_s=1000.0))  # fills the cache
        except InputError:
            continue
        hit = simulate(point.graph, point.accel)
        mapper.cache_clear()
        assert simulate(point.graph, point.accel) == hit
        checked += 1
    assert checked >= 6


def test_replicated_weight_bits_is_the_sum_of_the_slices():
    from accelsim.model.mapping import split_candidates
    from accelsim.model.memory import _replicated_weight_bits, weight_slices

    checked = 0
    for point in POINTS:
        g = point.graph
        for name in g.names():
            gemm = g.layer(name).gemm()
            if gemm is None:
                continue
            for cores in (1, 3, 4, 16):
                for split in split_candidates(gemm, cores):
                    assert _replicated_weight_bits(g, name, split) == sum(weight_slices(g, name, split))
                    checked += 1
    assert checked > 500


def test_micro_batch_chain_is_memoised_and_equal_to_a_fresh_one():
    """`batching.chain` reuses the smaller graphs of an equal graph; they equal freshly rebatched ones."""
    from accelsim.ir import uniform_policy
    from accelsim.model import batching

    point = next(p for p in POINTS if p.graph.layer(p.graph.names()[0]).input_shapes[0][0] == 1)
    g4 = batching.rebatch(point.graph, 1, 4)
    assert g4 is not None
    g4 = g4.with_policy(uniform_policy(point.bits, None))
    batching._CHAINS.clear()
    first = batching.chain(g4, 4)
    again = batching.chain(g4.with_policy(uniform_policy(point.bits, None)), 4)  # an equal graph, another object
    assert [g.to_dict() for g in again] == [g.to_dict() for g in first]
    assert again[0] is first[0] and again[-1] is not first[-1]  # shared halves, the caller's own graph last
    fresh = [batching.rebatch(g4, 4, 1), batching.rebatch(g4, 4, 2)]
    assert [g.to_dict() for g in first[:2]] == [g.to_dict() for g in fresh if g is not None]
    other = g4.with_policy(uniform_policy(2 if point.bits != 2 else 4, None))  # other bits: another chain
    assert batching.chain(other, 4)[0] is not first[0]


def _mixed_precision(graph, rng):
    """`graph` at random precisions: GEMM layers of one shape alike (so they still share their
    work), every other layer its own, so that alike layers read inputs stored at other widths (a
    producer's output is stored at its widest reader's bits)."""
    from accelsim.ir import Precision

    out = graph.copy()
    chosen = {}
    for name in out.names():
        key = out.gemm(name) or name
        if key not in chosen:
            chosen[key] = Precision(rng.choice([2, 4, 8, 16]), rng.choice([2, 4, 8, 16]))
        out.set_precision(name, chosen[key])
    return out


def test_layers_alike_share_their_rooms_and_traffic_exactly(monkeypatch):
    """A plan works out the split, rooms and traffic once for layers alike (`memory.room_signature`):
    the plan equals the one that works every layer out alone, on mixed precisions (ResNet-50's
    repeated blocks and 150 random points)."""
    import random

    import workloads
    from accelsim.hardware.design import Accelerator
    from accelsim.model import layer_plan, memory

    rng = random.Random(5)
    resnet = workloads.load("resnet50")
    cases = [(_mixed_precision(resnet, rng), Accelerator(sram_bytes=s)) for s in (512 * 1024, 2 * 2**20, 16 * 2**20)]
    cases += [(_mixed_precision(pt.graph, rng), pt.accel) for pt in random_points(150, seed=23)]
    shared = []
    for g, accel in cases:
        try:
            shared.append(plan(g, accel))
        except InputError:
            shared.append(None)
    assert len({memory.room_signature(resnet, n) for n in resnet.names() if resnet.gemm(n)}) < 54  # shared
    unique = iter(range(10**9))
    alone = {}

    def one_per_layer(graph, name):
        return alone.setdefault((id(graph), name), next(unique))

    monkeypatch.setattr(memory, "room_signature", one_per_layer)
    monkeypatch.setattr(layer_plan, "room_signature", one_per_layer)
    compared = 0
    for (g, accel), p in zip(cases, shared, strict=True):
        if p is None:
            with pytest.raises(InputError):
                plan(g, accel)
            continue
        assert plan(g, accel) == p
        compared += 1
    assert compared >= 100


def test_a_plan_shared_with_other_energies_gives_the_cold_result():
    """The plan keeps each layer's planned result fields and energies per off-chip and network
    energy per bit (`sim._planned_fields`): designs that share one plan at other bandwidths, network
    energies and external memories each get the result of a cold run; so do designs whose channel
    or network is unconstrained (the engine's set-up, `engine_setup.layout`, is kept on the plan too)."""
    checked = 0
    for point in POINTS[:10]:
        mapper.cache_clear()
        noc = point.accel.noc_pj_per_bit
        variants = [
            (replace(point.accel, bw_gb_per_s=bw, noc_pj_per_bit=noc * k), memory)
            for bw in (point.accel.bw_gb_per_s, 7.0)
            for k in (1.0, 3.0, 5.0)
            for memory in ("lpddr4", "hbm2")
        ]
        variants += [(replace(point.accel, bw_gb_per_s=math.inf), "lpddr4")]
        variants += [(replace(point.accel, bw_gb_per_s=3.0, noc_gb_per_s=n), "lpddr4") for n in (math.inf, 0.5)]
        try:
            warm = [simulate(point.graph, accel, memory=memory) for accel, memory in variants]
        except InputError:
            continue
        kept = mapper.fixed_plan(point.graph, point.accel).derived["layer fields"][1]
        assert 0 < len(kept) <= sim._ENERGY_VARIANTS < 6  # six energy pairs ran on this plan: bounded
        for (accel, memory), result in zip(variants, warm, strict=True):
            mapper.cache_clear()
            assert simulate(point.graph, accel, memory=memory) == result
        assert len({r.energy_per_image_uj for r in warm}) > 1
        checked += 1
    assert checked >= 5
