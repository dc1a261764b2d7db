"""Planning a sweep: the full axis spec and every point (grid, then the reference points off it), validated
before any work starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accelsim.errors import InputError
from accelsim.explore.grid import Axis, SweepSpec, canonical_axis, expand
from accelsim.explore.model_hash import graph_sha256
from accelsim.explore.point import reference_point
from accelsim.explore.registry import load_graph
from accelsim.explore.store import canonical_json
from accelsim.hardware.design import SCALES, Accelerator, default_scale
from accelsim.ir.checks import check_bits
from accelsim.ir.graph import LayerGraph
from accelsim.model.energy import DEFAULT_MEMORY, memory_pj_per_bit
from accelsim.model.mapper import MapperConfig

#: Axes every sweep has; a spec that leaves one out gets this default, placed before its own axes.
DEFAULT_AXES: dict[str, tuple[Any, ...]] = {
    "workload": ("resnet50",),
    "bits": (16, 8, 4, 2),
    "bw_gb_per_s": ("32", "64", "inf"),
}


def full_spec(spec: SweepSpec | Mapping[str, Any] | None) -> SweepSpec:
    """`spec` (or a mapping of axis -> values) with the default workload, bits and bw axes it lacks,
    put in front in that order."""
    if spec is None:
        spec = SweepSpec(tuple(Axis.parse(n, v) for n, v in DEFAULT_AXES.items()))
    elif not isinstance(spec, SweepSpec):
        spec = SweepSpec.from_mapping({canonical_axis(k): v for k, v in spec.items()})
    missing = [Axis.parse(n, v) for n, v in DEFAULT_AXES.items() if n not in spec.names]
    return SweepSpec(tuple(missing) + spec.axes) if missing else spec


@dataclass(frozen=True, slots=True)
class GridPlan:
    """A validated sweep before it runs: its axes, every point (the grid, then the reference points
    not on it) and the workload graphs by hash."""

    spec: SweepSpec
    points: list[dict[str, Any]]  # the grid, then reference points not on it
    grid_size: int
    graphs: dict[str, LayerGraph]  # sha -> graph
    shas: dict[tuple[str, int], str]


def plan_points(
    spec: SweepSpec | Mapping[str, Any] | None,
    *,
    base: Accelerator | None = None,
    scale: str | None = None,
    first_last_bits: int | None = 8,
    memory: str = DEFAULT_MEMORY,
    graphs: Mapping[str, LayerGraph] | None = None,
    mapper: MapperConfig | None = None,
) -> GridPlan:
    """Validate everything a sweep needs and build its points (no simulation).

    Each point holds every input of its result: the axis values, the fixed settings (scale,
    first/last bits, external memory, the base's node, clock, lanes, dataflow, MAC precision and
    on-chip network and dataflows), the mapper and its objective, and the workload graph's hash. Loading a workload or reading a config fails here, before any
    work starts.
    """
    spec = full_spec(spec)
    base = base if base is not None else Accelerator()
    if not isinstance(base, Accelerator):
        raise InputError("base", base, "must be an Accelerator")
    if scale is not None and scale not in SCALES:
        raise InputError("scale", scale, f"must be one of {', '.join(SCALES)}")
    if first_last_bits is not None:
        check_bits("first_last_bits", first_last_bits)
    memory_pj_per_bit(memory)
    memory = memory.strip().lower()
    mapper = mapper if mapper is not None else MapperConfig()
    if not isinstance(mapper, MapperConfig):
        raise InputError("mapper", mapper, "must be a MapperConfig")
    graphs = dict(graphs or {})
    for label, g in graphs.items():
        if not isinstance(g, LayerGraph):
            raise InputError("graphs", label, "must map workload names to LayerGraph objects")

    workload_axis = spec.axis("workload").values
    batch_axis = spec.axis("batch").values if "batch" in spec.names else (1,)
    by_sha: dict[str, LayerGraph] = {}
    shas: dict[tuple[str, int], str] = {}
    for w in workload_axis:
        for b in batch_axis:
            if w in graphs:
                if b != 1:
                    raise InputError("batch", b, f"applies to zoo workloads only; the graph {w!r} fixes its own batch")
                g = graphs[w]
            else:
                g = load_graph(w, b)
            sha = graph_sha256(g)
            by_sha.setdefault(sha, g)
            shas[(w, b)] = sha

    fixed = {
        "workload": None,
        "bits": None,
        "bw_gb_per_s": None,
        "sram_bytes": base.sram_bytes_total,
        "cores": base.cores,
        "array": (base.rows, base.cols),
        "batch": 1,
        "mode": "configurable",
        "dram_efficiency": base.dram_efficiency,
    }
    points = []
    for values in expand(spec):
        p = {**fixed, **values}
        p["scale"] = scale if scale is not None else default_scale(p["mode"])
        p["first_last_bits"] = first_last_bits
        p["memory"] = memory
        p["tech_node"] = base.tech_node
        p["clock_hz"] = base.clock_hz
        p["lanes"] = base.lanes
        p["dataflow"] = base.dataflow
        p["dataflows"] = list(base.dataflows)
        p["mapper"] = mapper.mapper
        p["objective"] = mapper.objective if mapper.mapper != "fixed" else "latency"  # fixed ignores it: one key
        p["base_w_bits"] = base.mac_w_bits
        p["base_a_bits"] = base.mac_a_bits
        p["noc_gb_per_s"] = base.noc_gb_per_s
        p["noc_pj_per_bit"] = base.noc_pj_per_bit
        p["workload_sha256"] = shas[(p["workload"], p["batch"])]
        points.append(p)
    seen = {canonical_json(p) for p in points}
    extra = []
    for p in points:
        ref = reference_point(p)
        text = canonical_json(ref)
        if text not in seen:
            seen.add(text)
            extra.append(ref)
    return GridPlan(spec, points + extra, len(points), by_sha, shas)


__all__ = ["DEFAULT_AXES", "GridPlan", "full_spec", "plan_points"]
