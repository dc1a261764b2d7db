"""One design point: build its (base, iso-area) designs and simulate it, as a pure function of a
`DesignPoint` (or of its plain dict, which is what crosses to pool workers and into the store).

`evaluate_point` is module-level and takes and returns plain data, so the same code runs inline,
on a process pool or on a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accelsim.explore.design_point import DesignPoint
from accelsim.explore.registry import base_graph, policy_graph, register_graphs
from accelsim.explore.store_codec import reference_point  # (re-exported: the reference rule, by the store's keys)
from accelsim.hardware.design import MB, Accelerator
from accelsim.ir.bits_spec import parse_bits_token
from accelsim.ir.graph import AS_TRAINED
from accelsim.model.llm_metrics import llm_step
from accelsim.model.sim import simulate


def as_point(point: DesignPoint | Mapping[str, Any]) -> DesignPoint:
    """`point` as a `DesignPoint` (a dict from the store or a worker's queue is checked on the way)."""
    return point if isinstance(point, DesignPoint) else DesignPoint.from_dict(dict(point))


def design_of(point: DesignPoint | Mapping[str, Any]) -> tuple[Accelerator, Accelerator]:
    """(base, iso-area design) of a sweep point; InputError for a combination that cannot be built."""
    p = as_point(point)
    return p.base(), p.design()


def _edge_bits(bits: int | str, first_last_bits: int | None) -> int:
    """Weight bits the first and last MAC layers run at."""
    w = parse_bits_token(bits).w_bits
    return w if first_last_bits is None else max(w, first_last_bits)


def _llm_fields(graph: Any, result: Any) -> dict[str, Any]:
    """tokens/s and where the bytes go, for an LLM phase graph (nothing for other networks)."""
    if graph.metadata.get("phase") not in ("prefill", "decode"):
        return {}
    step = llm_step(graph, result)
    return {"tokens_per_s": step.tokens_per_s, "kv_mb": step.kv_bytes / MB, "kv_on_chip": step.kv_on_chip}


def evaluate_point(point: DesignPoint | Mapping[str, Any]) -> dict[str, Any]:
    """Simulate one sweep point (a `DesignPoint`, or its dict as it crosses a process boundary);
    returns plain JSON values.

    Pure: the result depends on the point alone (the graph is found by the hash the point carries),
    nothing is written. InputError when the design cannot be built or a tile does not fit.
    """
    p = as_point(point)
    body: int | str  # the body precision the design is sized for (a token such as w4a16 stays a label)
    base = p.base()
    if p.bits == AS_TRAINED:
        # the trained per-layer bits, a float layer at the base's precision (fixed-point MACs only);
        # the iso-area design is the one for the network's body precision
        graph = base_graph(p.workload, p.batch, p.workload_sha256).capped(p.base_w_bits, p.base_a_bits)
        body, edges = graph.body_bits(), graph.edge_bits()
        design = p.design(body, base)
    else:
        design = p.design(base=base)
        graph = policy_graph(p.workload, p.batch, p.workload_sha256, p.bits, p.first_last_bits)
        body, edges = p.bits, _edge_bits(p.bits, p.first_last_bits)
    r = simulate(
        graph, design, memory=p.memory, mapper=p.mapper_config(), built_bits=(base.mac_w_bits, base.mac_a_bits)
    )
    return {
        **_llm_fields(graph, r),
        "network": graph.name,
        "body_bits_run": body,
        "first_last_bits_run": edges,
        "design_cores": design.cores,
        "design_array": f"{design.rows}x{design.cols}",
        "design_lanes": design.lanes,
        "macs_per_cycle": design.macs_per_cycle,
        "peak_tmacs": design.peak_tmacs,
        "seconds_per_image": r.seconds_per_image,
        "first_image_seconds": r.first_image_seconds,
        "utilization": r.utilization,
        "stall_fraction": r.stall_fraction,
        "memory_bound_fraction": r.memory_bound_fraction,
        "bound": r.bound,
        "offchip_mb": r.offchip_bytes_per_image / MB,
        "noc_mb": r.noc_bytes_per_image / MB,
        "weights_fit": r.weights_resident,
        "activations_fit": r.activations_resident,
        "pinned_mb": r.pinned_weight_bytes / MB,
        **r.energy_breakdown(),
        **r.area_breakdown(),
    }


def evaluate_point_with(graphs: Mapping[str, str], point: Mapping[str, Any]) -> dict[str, Any]:
    """`evaluate_point` after registering `graphs` (sha256 -> JSON): for executors on other machines."""
    register_graphs(graphs)
    return evaluate_point(point)


__all__ = ["as_point", "design_of", "evaluate_point", "evaluate_point_with", "reference_point"]
