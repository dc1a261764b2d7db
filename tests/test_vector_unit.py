"""The per-core vector unit: cycles from operation counts, sourced defaults, overlap with the array."""

from __future__ import annotations

import math

import pytest

from accelsim.errors import InputError
from accelsim.ir.vector_layers import Activation, Embedding, KVCache, LayerNorm, Softmax
from accelsim.model.vector_unit import (
    VectorUnit,
    default_vector_unit,
    exposed_cycles,
    layer_cycles,
)


def test_default_is_one_lane_per_array_column() -> None:
    """tech/vector.toml: one lane per output column, one operation per lane per cycle."""
    unit = default_vector_unit(32)
    assert unit.lanes == 32 and unit.rate("softmax") == 1.0
    assert default_vector_unit(32, mac_lanes=2).lanes == 64


def test_cycles_by_hand() -> None:
    """GPT-2 prefill of 128 tokens, one layer's softmax: 12 x 128 x 128 elements x 6 ops on 16 cores of 32 lanes."""
    soft = Softmax(name="s", shape=(12, 128, 128))
    unit = VectorUnit(lanes=32)
    assert layer_cycles(soft, unit, cores=16) == 12 * 128 * 128 * 6 // 16 // 32 == 2304
    # a fused pipeline retiring 6 softmax operations a cycle is 6x faster
    assert layer_cycles(soft, VectorUnit(lanes=32, per_op={"softmax": 6.0}), 16) == 384
    # the work is split evenly and rounded up per core
    assert (
        layer_cycles(LayerNorm(name="ln", shape=(1, 1, 768)), unit, 16) == math.ceil(math.ceil(768 * 7 / 16) / 32) == 11
    )


def test_data_movement_layers_cost_no_vector_cycles() -> None:
    unit = VectorUnit(lanes=32)
    assert layer_cycles(Embedding(name="e", in_shape=(1, 1), vocab=10, dim=8), unit, 4) == 0
    assert layer_cycles(KVCache(name="k", in_shape=(1, 1, 8), past=5, heads=2), unit, 4) == 0


def test_pointwise_work_hides_under_its_gemm_reductions_do_not() -> None:
    gelu = Activation(name="g", shape=(1, 128, 3072), fn="gelu")
    soft = Softmax(name="s", shape=(12, 128, 128))
    assert exposed_cycles(gelu, 500, producer_gemm_cycles=2000) == 0
    assert exposed_cycles(gelu, 500, producer_gemm_cycles=200) == 300
    assert exposed_cycles(gelu, 500, producer_gemm_cycles=None) == 500
    assert exposed_cycles(soft, 500, producer_gemm_cycles=2000) == 500


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lanes": 0}, "vector_lanes"),
        ({"lanes": 4, "ops_per_cycle": 0}, "vector_ops_per_cycle"),
        ({"lanes": 4, "per_op": {"gelu": -1}}, "gelu"),
    ],
)
def test_bad_units_name_the_field(kwargs, field) -> None:
    with pytest.raises(InputError) as info:
        VectorUnit(**kwargs)
    assert info.value.field == field


def test_vector_data_is_sourced() -> None:
    import tech

    raw = tech.read_raw("vector.toml")
    assert tech.provenance_problems(raw) == []
    assert {key for key, value in raw.items() if isinstance(value, dict)} == {"lanes_per_column", "ops_per_lane_cycle"}
    assert all(len(raw[key]["source"]) > 100 for key in ("lanes_per_column", "ops_per_lane_cycle"))
