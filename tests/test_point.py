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


def test_the_record_carries_exactly_what_the_planned_points_carry() -> None:
    plan = plan_points({"workload": "resnet18", "bits": "8,4", "bw": "32,inf", "sram": "8MB"})
    for planned in plan.points:
        point = DesignPoint.from_dict(dict(planned))
        assert point.to_dict() == {k: list(v) if k == "array" else v for k, v in planned.items()}
        assert canonical_json(point.to_dict()) == canonical_json(planned)  # same store key
        assert point.design() == design_of(planned)[1] and point.base() == design_of(planned)[0]


def test_of_a_base_and_its_reference() -> None:
    base = Accelerator(cores=2, rows=8, cols=8, bw_gb_per_s=math.inf)
    p = DesignPoint.of(base, workload="tiny", bits=4)
    assert p.base() == base and p.design() == iso_area(base, 4) and p.scale == "cores"
    assert p.reference() == DesignPoint.of(base, workload="tiny", bits=16)
    assert json.loads(p.to_json())["bw_gb_per_s"] == "inf"
    assert DesignPoint.from_dict(json.loads(p.to_json())) == p
    assert copy.deepcopy(p) == p  # deepcopy goes through __reduce_ex__, as process pools do and hash(p) == hash(DesignPoint.of(base, workload="tiny", bits=4))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"bits": 0}, "bits"), ({"mode": "fast"}, "mode"), ({"scale": "chips"}, "scale"), ({"first_last_bits": 40}, "first_last_bits")],
)
def test_bad_fields_are_named(kwargs, field) -> None:
    with pytest.raises(InputError) as info:
        DesignPoint(**{"workload": "w", "bits": 4, "bw_gb_per_s": 64.0, **kwargs})
    assert info.value.field == field
    with pytest.raises(InputError, match="colour"):
        DesignPoint.from_dict({"workload": "w", "bits": 4, "bw_gb_per_s": 64.0, "colour": "red"})
