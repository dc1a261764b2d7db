"""`accelsim config show FILE`: the effective design a config file gives, and what follows from it.

A config file sets some keys and inherits the rest from the default system; this view prints all
of them (marking the inherited ones) in the file's own vocabulary, then the derived quantities an
architect checks first: peak throughput, on-chip memory per core, silicon area from the
technology model, and the ridge point (MACs per off-chip byte above which a layer can be
compute-bound).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from accelsim.hardware.design import Accelerator

#: What each key means, printed beside its value.
MEANINGS = {
    "tech": "technology node (tech/<node>.toml)",
    "clock": "array clock",
    "cores": "cores sharing the external memory",
    "array": "PEs per core (rows x columns)",
    "lanes": "MACs per PE",
    "sram": "total on-chip memory (MB 1e6 B, MiB 2^20 B)",
    "bw": "external GB/s, shared by the cores",
    "dataflow": "output / weight / input stationary",
    "dataflows": "dataflows --mapper search may choose ([]: dataflow)",
    "mac_bits": "operand bits of the MACs (WxA if mixed)",
    "mode": "configurable (sub-word) or dedicated MACs",
    "efficiency": "sustained / peak external bandwidth",
    "noc_bw": "on-chip network GB/s between cores",
    "noc_pj_per_bit": "on-chip network energy, pJ per bit",
    "vector_lanes": "vector-unit lanes per core (0: tech/vector.toml)",
    "vector_ops_per_cycle": "vector-unit operations per lane per cycle",
    "prefetch_layers": "lookahead in layers for DRAM prefetch (0: none)",
}


def config_rows(accel: Accelerator, given: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per config key (value, whether the file set it, meaning), then derived quantities."""
    from accelsim.model.energy import area
    from accelsim.model.vector_unit import design_vector_unit

    given = given or {}
    rows: list[dict[str, Any]] = []
    for key, value in accel.to_dict().items():
        text = (",".join(value) or "[]") if isinstance(value, list) else str(value)  # dataflows: os,ws,is
        rows.append(
            {"key": key, "value": text, "from": "file" if key in given else "default", "meaning": MEANINGS.get(key, "")}
        )
    cost = area(accel)
    vector = design_vector_unit(accel)
    ops_per_s = 2 * accel.peak_macs_per_s
    bw = accel.bw_gb_per_s
    ridge = "none" if math.isinf(bw) else f"{accel.peak_macs_per_s / (bw * 1e9):,.0f} MAC/B"
    derived = [
        ("MACs", f"{accel.macs_per_cycle:,}", f"{accel.cores} x {accel.rows}x{accel.cols} PEs x {accel.lanes} lanes"),
        (
            "peak",
            f"{ops_per_s / 1e12:.3g} TOPS",
            f"{accel.peak_tmacs:.3g} TMAC/s at {accel.mac_w_bits}x{accel.mac_a_bits} bits",
        ),
        ("sram/core", f"{accel.sram_bytes_per_core / 1e6:.4g} MB", f"{accel.sram_bytes_per_core:,} bytes"),
        (
            "vector/core",
            f"{vector.lanes:,} lanes",
            f"x {vector.ops_per_cycle:g} ops/cycle: softmax, norms, activations",
        ),
        ("area", f"{cost.total_mm2:.3g} mm2", f"MACs {cost.compute_mm2:.3g} + SRAM {cost.sram_mm2:.3g} (cells only)"),
        ("ridge", ridge, "MACs per off-chip byte to be compute-bound"),
    ]
    rows.extend({"key": k, "value": v, "from": "derived", "meaning": m} for k, v, m in derived)
    return rows


__all__ = ["MEANINGS", "config_rows"]
