"""The memory plan's two ablation switches (`Accelerator.pooled_sram`, `all_or_nothing_weights`):
default off, validated, and each doing what docs/model.md section 6 says — on hand-checkable
ResNet-50 numbers and as properties over random graphs and designs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_sim import accels, graphs

import workloads
from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator, iso_area
from accelsim.ir import uniform_policy
from accelsim.model.fit import policy_for
from accelsim.model.layer_plan import plan
from accelsim.model.memory import plan_memory

PROPERTY = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _resnet50(bits: int):
    return workloads.load("resnet50").with_policy(policy_for(bits, 8))


def test_switches_are_off_by_default_checked_and_not_config_keys():
    a = Accelerator()
    assert (a.pooled_sram, a.all_or_nothing_weights) == (False, False)
    assert "pooled_sram" not in a.to_dict() and "all_or_nothing_weights" not in a.to_dict()
    for name in ("pooled_sram", "all_or_nothing_weights"):
        with pytest.raises(InputError) as err:
            Accelerator(**{name: 1})
        assert err.value.field == name
    described = replace(a, pooled_sram=True, all_or_nothing_weights=True).describe()
    assert "pooled SRAM" in described and "all-or-nothing weights" in described
    assert iso_area(replace(a, pooled_sram=True), 4).pooled_sram  # iso-area designs keep the switch


def test_pooled_sram_holds_resnet50s_4bit_weights_once():
    """16 x 1 MB per core keep 12.50 of the 13.78 MB (the M-split layers replicate their slices);
    one pooled 16 MB holds every weight once."""
    g = _resnet50(4)
    design = iso_area(Accelerator(), 4)
    per_core = plan_memory(g, design)
    pooled = plan_memory(g, replace(design, pooled_sram=True))
    assert per_core.pinned_weight_bits < per_core.weight_bits
    assert pooled.pinned_weight_bits == pooled.weight_bits == per_core.weight_bits
    # the per-core view is an even share of the pool, within each core's share of the SRAM
    assert len(set(pooled.pinned_per_core)) == 1
    assert pooled.pinned_per_core[0] * design.cores >= pooled.weight_bits
    assert all(occ <= pooled.capacity_bits for row in pooled.occupancy for occ in row)


def test_all_or_nothing_pins_every_weight_or_none_on_resnet50():
    """Per core at 4 bits 1.28 MB do not fit, so nothing is pinned; pooled, every weight is."""
    design = iso_area(Accelerator(), 4)
    for pooled, expect_all in ((False, False), (True, True)):
        mem = plan_memory(_resnet50(4), replace(design, pooled_sram=pooled, all_or_nothing_weights=True))
        assert mem.pinned_weight_bits == (mem.weight_bits if expect_all else 0)
        assert all(occ <= mem.capacity_bits for row in mem.occupancy for occ in row)


@PROPERTY
@given(graphs(), accels, st.sampled_from([2, 4, 8, 16]), st.booleans())
def test_all_or_nothing_is_the_partial_plan_when_everything_fits_else_nothing(graph, accel, bits, pooled):
    g = graph.with_policy(uniform_policy(bits, None))
    base = replace(accel, pooled_sram=pooled)
    try:
        partial = plan_memory(g, base)
    except InputError:
        return
    whole = plan_memory(g, replace(base, all_or_nothing_weights=True))
    weighted = [lm.name for lm in partial.layers if lm.weight_bits]
    if all(lm.pinned for lm in partial.layers if lm.weight_bits):
        assert [lm.pinned for lm in whole.layers] == [lm.pinned for lm in partial.layers]
        assert whole.occupancy == partial.occupancy
    else:
        assert weighted and not any(lm.pinned for lm in whole.layers)
        assert whole.pinned_weight_bits == 0 and set(whole.pinned_per_core) == {0}


@PROPERTY
@given(graphs(), accels, st.sampled_from([2, 4, 8, 16]))
def test_pooled_plan_fits_the_pool_and_moves_nothing_between_cores(graph, accel, bits):
    """Pooled: every core's share of the pool's occupancy is within its share of the SRAM, every
    used core streams through at least its minimal tile, weights are held once, and the on-chip
    network carries only the DRAM transfers."""
    g = graph.with_policy(uniform_policy(bits, None))
    pooled = replace(accel, pooled_sram=True)
    try:
        p = plan(g, pooled)
    except InputError:
        return
    mem = p.residency
    assert all(occ <= mem.capacity_bits for row in mem.occupancy for occ in row)
    assert all(lm.budget_bits >= lm.reserve_bits for lm in mem.layers if lm.cores_used)
    assert mem.pinned_per_core[0] * accel.cores >= mem.pinned_weight_bits
    assert all(lp.noc_bits == lp.traffic.total_bits for lp in p.layers)


@PROPERTY
@given(graphs(), accels, st.sampled_from([2, 4, 8, 16]))
def test_one_core_pooled_is_the_per_core_plan(graph, accel, bits):
    """With one core the pool is that core's SRAM: the switch must change nothing."""
    g = graph.with_policy(uniform_policy(bits, None))
    one = replace(accel, cores=1)
    try:
        per_core = plan(g, one)
    except InputError:
        return
    pooled = plan(g, replace(one, pooled_sram=True))
    assert pooled.layers == per_core.layers
    assert pooled.residency == per_core.residency


def test_pooled_kv_cache_is_held_once_and_reported_as_an_even_share():
    """GPT-2 decode: per core each core keeps a quarter of the cache; pooled, the pool keeps it whole
    and each core's view is a quarter (rounded up), with every occupancy within its share."""
    from accelsim.model.kv_cache import kv_cache_bits

    graph = workloads.load("gpt2", phase="decode,ctx=128")
    per_core = plan(graph, Accelerator()).residency
    pooled = plan(graph, Accelerator(pooled_sram=True)).residency
    assert per_core.kv_share_bits == pooled.kv_share_bits == -(-kv_cache_bits(graph) // 4) > 0
    assert all(bits <= pooled.capacity_bits for row in pooled.occupancy for bits in row)
