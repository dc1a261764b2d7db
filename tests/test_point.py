"""DesignPoint: the frozen record a sweep point travels as; its dict is the store key's input."""

from __future__ import annotations

import copy
import json
import math

import pytest

from accelsim.errors import InputError
from accelsim.explore.design_point import DesignPoint
from accelsim.explore.plan import plan_points
from accelsim.explore.point import design_of
from accelsim.explore.store import canonical_json
from accelsim.hardware.design import Accelerator, iso_area


def test_planned_points_are_records_whose_json_is_the_old_store_key_plus_the_vector_unit_and_the_mapper() -> None:
    plan = plan_points({"workload": "resnet18", "bits": "8,4", "bw": "32,inf", "sram": "8MB"})
    assert all(isinstance(p, DesignPoint) for p in plan.points)
    assert [p.bits for p in plan.points] == [8, 8, 4, 4, 16, 16]  # the grid, then its 16-bit references
    first = plan.points[0]
    # the 21 keys a planned point carried as a dict before the record existed (main's plan after
    # issue 10 added dram_efficiency and the on-chip network), plus the base's vector unit
    legacy = {
        "workload": "resnet18",
        "bits": 8,
        "bw_gb_per_s": 32.0,
        "sram_bytes": 8_000_000,
        "cores": 4,
        "array": (16, 32),
        "batch": 1,
        "mode": "configurable",
        "scale": "cores",
        "first_last_bits": 8,
        "memory": "lpddr4",
        "tech_node": "14nm",
        "clock_hz": 1.5e9,
        "lanes": 1,
        "dataflow": "os",
        "base_w_bits": 16,
        "base_a_bits": 16,
        "dram_efficiency": 1.0,
        "noc_gb_per_s": 192.0,
        "noc_pj_per_bit": 0.1,
        "vector_lanes": 0,
        "vector_ops_per_cycle": 1.0,  # issue 13's vector unit: a base's lanes reach the result
        "prefetch_layers": 2,  # issue 11's event-engine lookahead: a base's prefetch reaches the result
        "dataflows": [],
        "mapper": "fixed",
        "objective": "latency",  # issue 12's mapper: its choice reaches the result
        "workload_sha256": first.workload_sha256,
    }
    assert canonical_json(first.to_dict()) == canonical_json(legacy)
    for point in plan.points:
        assert DesignPoint.from_dict(point.to_dict()) == point
        assert design_of(point.to_dict()) == (point.base(), point.design())  # dicts from the store still work


def test_of_a_base_and_its_reference() -> None:
    base = Accelerator(cores=2, rows=8, cols=8, bw_gb_per_s=math.inf)
    p = DesignPoint.of(base, workload="tiny", bits=4)
    assert p.base() == base and p.design() == iso_area(base, 4) and p.scale == "cores"
    assert p.reference() == DesignPoint.of(base, workload="tiny", bits=16)
    assert json.loads(p.to_json())["bw_gb_per_s"] == "inf"
    assert DesignPoint.from_dict(json.loads(p.to_json())) == p
    assert copy.deepcopy(p) == p  # deepcopy goes through __reduce_ex__, as process pools do
    assert hash(p) == hash(DesignPoint.of(base, workload="tiny", bits=4))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bits": 0}, "bits"),
        ({"mode": "fast"}, "mode"),
        ({"scale": "chips"}, "scale"),
        ({"first_last_bits": 40}, "first_last_bits"),
    ],
)
def test_bad_fields_are_named(kwargs, field) -> None:
    with pytest.raises(InputError) as info:
        DesignPoint(**{"workload": "w", "bits": 4, "bw_gb_per_s": 64.0, **kwargs})
    assert info.value.field == field
    with pytest.raises(InputError, match="colour"):
        DesignPoint.from_dict({"workload": "w", "bits": 4, "bw_gb_per_s": 64.0, "colour": "red"})
