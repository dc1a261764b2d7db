"""The event engine (accelsim.model.engine): converged granularity, prefetch, arbitration, invariants."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workloads
from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator, iso_area
from accelsim.ir import uniform_policy
from accelsim.model.fit import policy_for
from accelsim.model.sim import plan, run_plan, simulate
from tests._random_points import random_points
from tests.test_sim import EXACT, PREFETCH_SRAM_BOUND, _sim, accels, graphs

#: 4,000-80,000 B of SRAM *per core* (`tests.test_sim.accels` draws that range in all, down to
#: 1,000 B per core).
engine_accels = st.builds(
    lambda a, per_core: replace(a, sram_bytes=per_core * a.cores), accels, st.integers(4_000, 80_000)
)

MANY = settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize(("net", "bits", "bw"), [("resnet50", 16, 64.0), ("resnet50", 4, 32.0), ("vgg16", 8, 64.0)])
def test_granularity_changes_results_by_under_a_tenth_of_a_percent(net, bits, bw):
    """Forcing an event every 1/8 and 1/64 of each layer's body moves the run by < 0.1 %."""
    g = workloads.load(net).with_policy(policy_for(bits, 8))
    p = plan(g, iso_area(Accelerator(bw_gb_per_s=bw), bits))
    base = run_plan(g, p)
    for segments in (8, 64):
        finer = run_plan(g, p, segments=segments)
        assert finer.steady.events > base.steady.events  # the knob really adds events
        for a, b in ((base.steady.makespan, finer.steady.makespan), (base.first.makespan, finer.first.makespan)):
            assert abs(b - a) <= 1e-3 * a


def test_prefetch_zero_prefetches_nothing_and_prefetch_helps_resnet50_at_16_bits():
    g = workloads.load("resnet50").with_policy(policy_for(16, 8))
    d = iso_area(Accelerator(bw_gb_per_s=64.0), 16)
    p0 = plan(g, replace(d, prefetch_layers=0))
    none = run_plan(g, p0)
    assert none.steady.prefetched_bits == 0
    some = run_plan(g, plan(g, d))
    assert some.steady.prefetched_bits > 0
    assert some.steady.makespan < none.steady.makespan


def test_prefetched_run_is_deterministic_bit_for_bit():
    g = workloads.load("resnet50").with_policy(policy_for(4, 8))
    d = iso_area(Accelerator(bw_gb_per_s=32.0), 4)
    assert simulate(g, d) == simulate(g, d)


def test_monotone_in_bandwidth_and_sram_over_1000_fixed_random_points():
    """Issue 11, property 3, over 1,000 fixed random points (`tests/_random_points.py`, the census of
    bench/monotonicity_census.py): less bandwidth never makes a run faster, steady state or first
    image, prefetch on or off; less SRAM never does without prefetch; with prefetch, less SRAM may
    (pinned weights take room the static prefetch reservation had, docs/model.md section 12), rarely
    and by at most PREFETCH_SRAM_BOUND."""
    bandwidth, sram, gains = 0, 0, []
    for pt in random_points(500, seed=11) + random_points(500, seed=12, sram_per_core=False):
        more = _sim(pt.graph, pt.accel, micro_batching=False)
        if more is None:
            continue
        slow = simulate(
            pt.graph, replace(pt.accel, bw_gb_per_s=pt.accel.bw_gb_per_s * pt.bw_factor), micro_batching=False
        )
        assert slow.cycles >= more.cycles * (1 - EXACT), pt.index
        assert slow.first_cycles >= more.first_cycles * (1 - EXACT), pt.index
        bandwidth += 1
        small = _sim(
            pt.graph,
            replace(pt.accel, sram_bytes=max(pt.accel.cores, int(pt.accel.sram_bytes * pt.sram_factor))),
            micro_batching=False,
        )
        if small is None:
            continue
        sram += 1
        for field in ("cycles", "first_cycles"):
            gain = 1 - getattr(small, field) / getattr(more, field)
            if pt.accel.prefetch_layers == 0:
                assert gain <= EXACT, (pt.index, field)
            elif gain > EXACT:
                gains.append(gain)
    assert bandwidth >= 990 and sram >= 950  # the sample really ran
    assert max(gains, default=0.0) <= PREFETCH_SRAM_BOUND
    assert len(gains) <= 0.005 * sram  # rare: 6 in 10,000 pairs in the census


@MANY
@given(graphs(), engine_accels, st.sampled_from([2, 4, 8, 16]), st.integers(1, 3))
def test_infinite_bandwidth_is_compute_only_with_prefetch(graph, accel, bits, lookahead):
    g = graph.with_policy(uniform_policy(bits, None))
    free = _sim(g, replace(accel, bw_gb_per_s=math.inf, prefetch_layers=lookahead), micro_batching=False)
    if free is None:
        return
    assert free.cycles == free.compute_cycles and free.stall_cycles == 0


def test_run_timeline_draws_a_png_and_its_trace_is_consistent(tmp_path, capsys):
    from accelsim.cli.main import main
    from accelsim.model.sim import timeline

    out = tmp_path / "t.png"
    assert main(["run", "--workload", "resnet18", "--bits", "4", "--bw", "64", "--timeline", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    g = workloads.load("resnet18").with_policy(policy_for(16, 8))  # weights stream at 16 bits: prefetch runs
    d = Accelerator(bw_gb_per_s=64.0)
    trace = timeline(g, d)
    result = simulate(g, d, micro_batching=False)
    assert max(end for *_, end in trace.compute) <= result.cycles * (1 + 1e-12)
    assert all(max(held) <= trace.capacity_bits for _, held in trace.sram)  # prefetch never overfills SRAM
    bw = d.bytes_per_cycle * 8
    assert all(dem + st + pre <= bw * (1 + 1e-9) for _, dem, st, pre in trace.channel)
    assert any(pre > 0 for *_, pre in trace.channel)


def test_run_timeline_bad_suffix_is_one_line_and_exit_2(tmp_path, capsys):
    from accelsim.cli.main import main

    assert main(["run", "--workload", "resnet18", "--timeline", str(tmp_path / "t.bmp")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "plot" in err[0]
    assert not (tmp_path / "t.bmp").exists()


def test_run_timeline_unwritable_place_is_one_line_before_any_work(tmp_path, capsys):
    from accelsim.cli.main import main

    blocker = tmp_path / "file"
    blocker.write_text("x")
    target = blocker / "t.png"  # its parent is a regular file
    assert main(["run", "--workload", "resnet18", "--timeline", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "timeline=" in err[0] and "not a directory" in err[0]


def test_lockstep_classes_give_every_core_the_times_of_its_own_process():
    """One task per class of identical cores (the default) against one process per core: the same
    layer ends to float rounding, over 400 fixed random points (cores of unequal work make several
    classes) and ResNet-50 (four identical cores: one class, a quarter of the tasks)."""
    from accelsim.model import engine, engine_setup
    from accelsim.model.schedule import schedule_of

    cases = [(pt.graph, pt.accel) for pt in random_points(400, seed=21)]
    cases.append((workloads.load("resnet50").with_policy(policy_for(16, 8)), Accelerator(bw_gb_per_s=64.0)))
    several, ran = 0, 0
    for g, accel in cases:
        try:
            p = plan(g, accel)
        except InputError:
            continue
        ran += 1
        several += len(engine_setup.lockstep_classes(p)) not in (1, accel.cores)
        for first in (False, True):
            sched = schedule_of(g, p, first=first)
            grouped = engine.run(p, sched, first=first)
            alone = engine.run(p, sched, first=first, lockstep=False)
            assert grouped.events <= alone.events
            for a, b in zip(grouped.ends, alone.ends, strict=True):
                assert abs(a - b) <= 1e-9 * max(1.0, b)
    assert ran >= 300 and several >= 10  # the sample really mixes classes
    assert len(engine_setup.lockstep_classes(p)) == 1  # ResNet-50: one class of four cores, a quarter of the tasks


def test_one_body_fast_path_gives_the_shared_allocation_bit_for_bit(monkeypatch):
    """`_Engine._allocate_one_body` spells out `_allocate_shared` for one computing class: the runs
    are the same floats with the general allocation forced, over 200 fixed random points."""
    from accelsim.model import engine

    cases = [pt for pt in random_points(200, seed=31)]
    fast = []
    for pt in cases:
        try:
            fast.append(run_plan(pt.graph, plan(pt.graph, pt.accel)))
        except InputError:
            fast.append(None)
    monkeypatch.setattr(engine._Engine, "_allocate_one_body", lambda self, t: self._allocate_shared([t]))
    compared = 0
    for pt, runs in zip(cases, fast, strict=True):
        if runs is not None:
            general = run_plan(pt.graph, plan(pt.graph, pt.accel))
            assert (general.steady.ends, general.first.ends) == (runs.steady.ends, runs.first.ends), pt.index
            compared += 1
    assert compared >= 150
