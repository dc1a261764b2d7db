"""One design point: build its (base, iso-area) designs and simulate it, as a pure function of a dict.

`evaluate_point` is module-level and takes and returns plain data, so the same code runs inline,
on a process pool or on a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accelsim.errors import InputError
from accelsim.explore.registry import policy_graph, register_graphs
from accelsim.hardware.design import MB, Accelerator, iso_area
from accelsim.model.energy import area
from accelsim.model.mapper import MapperConfig
from accelsim.model.sim import simulate


def design_of(point: Mapping[str, Any]) -> tuple[Accelerator, Accelerator]:
    """(base, iso-area design) of a sweep point; InputError for a combination that cannot be built."""
    rows, cols = point["array"]
    cores, sram = point["cores"], point["sram_bytes"]
    if sram // cores < 1:
        raise InputError("sram_bytes", sram, f"leaves less than one byte per core for {cores} cores")
    base = Accelerator(
        tech_node=point["tech_node"],
        clock_hz=point["clock_hz"],
        cores=cores,
        rows=rows,
        cols=cols,
        lanes=point["lanes"],
        sram_bytes_per_core=sram // cores,
        bw_gb_per_s=point["bw_gb_per_s"],
        dataflow=point["dataflow"],
        dataflows=tuple(point.get("dataflows", ())),
        mac_w_bits=point["base_w_bits"],
        mac_a_bits=point["base_a_bits"],
        mac_mode=point["mode"],
        dram_efficiency=point["dram_efficiency"],
        noc_gb_per_s=point["noc_gb_per_s"],
        noc_pj_per_bit=point["noc_pj_per_bit"],
    )
    return base, iso_area(base, point["bits"], point["mode"], point["scale"])


def evaluate_point(point: Mapping[str, Any]) -> dict[str, Any]:
    """Simulate one sweep point (a plain dict, see `plan_points`); returns plain JSON values.

    Pure: the result depends on the point alone (the graph is found by the hash the point carries),
    nothing is written. InputError when the design cannot be built or a tile does not fit.
    """
    base, design = design_of(point)
    graph = policy_graph(point["workload"], point["batch"], point["workload_sha256"], point["bits"], point["first_last_bits"])
    mapper = MapperConfig(point.get("mapper", "fixed"), point.get("objective", "latency"))
    r = simulate(graph, design, memory=point["memory"], mapper=mapper)
    cost = area(design, built_bits=(base.mac_w_bits, base.mac_a_bits))
    flb = point["first_last_bits"]
    return {
        "network": graph.name,
        "first_last_bits_run": point["bits"] if flb is None else max(point["bits"], flb),
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
        "area_mm2": cost.total_mm2,
        "compute_area_mm2": cost.compute_mm2,
        "sram_area_mm2": cost.sram_mm2,
    }


def evaluate_point_with(graphs: Mapping[str, str], point: Mapping[str, Any]) -> dict[str, Any]:
    """`evaluate_point` after registering `graphs` (sha256 -> JSON): for executors on other machines."""
    register_graphs(graphs)
    return evaluate_point(point)


def reference_point(point: Mapping[str, Any]) -> dict[str, Any]:
    """The point a speedup is measured against: base precision, every other value the same."""
    return {**point, "bits": point["base_w_bits"]}


__all__ = ["design_of", "evaluate_point", "evaluate_point_with", "reference_point"]
