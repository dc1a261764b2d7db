"""The sweep's row record (`SweepRow`), built once from a stored point record, and the labels a failed
point is reported with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from accelsim.explore.grid import SweepSpec
from accelsim.hardware.bandwidth import bw_label


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepRow:
    """One design point of a sweep (all energies and traffic per image, steady state).

    workload : the network's name (the graph's, e.g. ``tiny`` for ``tiny.json``).
    bits / first_last_bits : precision of the body / of the first and last MAC layers as run; bits
        ``as-trained`` ran the graph's own per-layer bits (`body_bits` is then its body precision,
        which sized the iso-area design).
    bw : the bandwidth label as given ("32", "64", "inf"); `bw_gb_per_s` is its value.
    sram_bytes, cores, array, batch, mode, scale, dram_efficiency : the point's other axes (base
        design values; dram_efficiency = sustained / peak external bandwidth).
    design_cores, design_array, design_lanes, macs_per_cycle : the iso-area design that ran.
    speedup : base-precision time per image / this time per image, same values of every other
        axis; None when that reference point failed.
    peak_ratio : this design's peak MAC/s / the reference design's.
    efficiency : speedup / peak_ratio (1 = the ideal iso-area gain); None without a speedup.
    stall_fraction : share of the time the slowest cores wait for memory.
    memory_bound_fraction : share of the time in layers stalled at least half their span.
    bound : `accelsim.model.results.bound_of` the run: "compute" (stalled <= 10 %), "memory"
        (>= 50 %), "balanced" in between.
    offchip_mb : steady-state off-chip traffic per image, decimal MB.
    noc_mb : bytes per image the on-chip network delivers (DRAM transfers and core-to-core moves).
    weights_fit / activations_fit : every weight stays on chip (loaded once) / every
        intermediate activation stays on chip.
    pinned_mb : weights kept on chip by partial residency, counted once (`accelsim.model.memory`).
    energy_per_image_uj and its parts (mac, sram, offchip, noc) : `accelsim.model.energy`; `memory` names
        the external memory preset pricing the off-chip bytes.
    area_mm2 = compute_area_mm2 + sram_area_mm2 : the simulated result's (`accelsim.model.energy.area`).
    key : the point's key in the result store.
    tokens_per_s, kv_mb, kv_on_chip : LLM steps only (`accelsim.model.llm_metrics`): tokens made per
        second, KV-cache off-chip MB per step, and whether the KV cache stays on chip; None otherwise.
    """

    workload: str
    bits: int | str
    body_bits: int | str
    first_last_bits: int
    bw: str
    bw_gb_per_s: float
    mode: str
    scale: str
    macs_per_cycle: int
    peak_tmacs: float
    seconds_per_image: float
    first_image_seconds: float
    speedup: float | None
    peak_ratio: float
    efficiency: float | None
    utilization: float
    stall_fraction: float
    memory_bound_fraction: float
    bound: str
    offchip_mb: float
    noc_mb: float
    weights_fit: bool
    activations_fit: bool
    pinned_mb: float
    energy_per_image_uj: float
    mac_energy_per_image_uj: float
    sram_energy_per_image_uj: float
    offchip_energy_per_image_uj: float
    noc_energy_per_image_uj: float
    memory: str
    area_mm2: float
    compute_area_mm2: float
    sram_area_mm2: float
    sram_bytes: int
    cores: int
    array: str
    batch: int
    dram_efficiency: float
    design_cores: int
    design_array: str
    design_lanes: int
    key: str
    tokens_per_s: float | None = None
    kv_mb: float | None = None
    kv_on_chip: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe fields in declaration order; the bandwidth value is left out (see `bw`)."""
        return {name: getattr(self, name) for name in ROW_COLUMNS}


#: `SweepRow.as_dict`'s keys, in order (a sweep's output makes one dict per row).
ROW_COLUMNS = tuple(f.name for f in fields(SweepRow) if f.name != "bw_gb_per_s")


@dataclass(frozen=True, slots=True)
class GridRun:
    """What `run_grid` returns: the finished rows and the points that failed, both in grid order.

    failures : ``(labels, message)`` per failed point; labels are the user's axis values (a failed
        reference point that is not on the grid is listed with ``bits`` marked as reference).
    from_store, simulated : distinct design points (grid and references) taken from the result
        store and simulated in this run; the CLI says both, so a reused result is never silent.
    """

    spec: SweepSpec
    rows: tuple[SweepRow, ...]
    failures: tuple[tuple[dict[str, str], str], ...]
    size: int
    from_store: int = 0
    simulated: int = 0
    notes: tuple[str, ...] = ()  # e.g. a trained graph re-quantized by numeric bits


def row_from_record(rec: Mapping[str, Any], extra: Mapping[str, Any], bw: str | None = None) -> SweepRow:
    """A `SweepRow` from a store record (params + result) and its relative metrics (`assemble.metrics_against`)."""
    p, r = rec["params"], rec["result"]
    return SweepRow(
        workload=r["network"],
        bits=p["bits"],
        body_bits=r.get("body_bits_run", p["bits"]),
        first_last_bits=r["first_last_bits_run"],
        bw=bw if bw is not None else bw_label(p["bw_gb_per_s"]),
        bw_gb_per_s=p["bw_gb_per_s"],
        mode=p["mode"],
        scale=p["scale"],
        macs_per_cycle=r["macs_per_cycle"],
        peak_tmacs=r["peak_tmacs"],
        seconds_per_image=r["seconds_per_image"],
        first_image_seconds=r["first_image_seconds"],
        speedup=extra["speedup"],
        peak_ratio=extra["peak_ratio"],
        efficiency=extra["efficiency"],
        utilization=r["utilization"],
        stall_fraction=r["stall_fraction"],
        memory_bound_fraction=r["memory_bound_fraction"],
        bound=r["bound"],
        offchip_mb=r["offchip_mb"],
        noc_mb=r["noc_mb"],
        weights_fit=r["weights_fit"],
        activations_fit=r["activations_fit"],
        pinned_mb=r["pinned_mb"],
        energy_per_image_uj=r["energy_per_image_uj"],
        mac_energy_per_image_uj=r["mac_energy_per_image_uj"],
        sram_energy_per_image_uj=r["sram_energy_per_image_uj"],
        offchip_energy_per_image_uj=r["offchip_energy_per_image_uj"],
        noc_energy_per_image_uj=r["noc_energy_per_image_uj"],
        memory=p["memory"],
        area_mm2=r["area_mm2"],
        compute_area_mm2=r["compute_area_mm2"],
        sram_area_mm2=r["sram_area_mm2"],
        sram_bytes=p["sram_bytes"],
        cores=p["cores"],
        array="x".join(str(v) for v in p["array"]),
        batch=p["batch"],
        dram_efficiency=p["dram_efficiency"],
        design_cores=r["design_cores"],
        design_array=r["design_array"],
        design_lanes=r["design_lanes"],
        key=rec["key"],
        tokens_per_s=r.get("tokens_per_s"),
        kv_mb=r.get("kv_mb"),
        kv_on_chip=r.get("kv_on_chip"),
    )


def describe_labels(labels: Mapping[str, str]) -> str:
    """``bits=4, bw=inf, sram=8MB``: a point as the user wrote it (short axis names)."""
    short = {v: k for k, v in {"bw": "bw_gb_per_s", "sram": "sram_bytes", "efficiency": "dram_efficiency"}.items()}
    return ", ".join(f"{short.get(k, k)}={v}" for k, v in labels.items())


def strip_error_type(message: str) -> str:
    """``"InputError: bits=3: ..."`` -> ``"bits=3: ..."`` (stored errors carry the exception type)."""
    head, sep, rest = message.partition(": ")
    return rest if sep and head.isidentifier() and head.endswith("Error") else message


__all__ = ["ROW_COLUMNS", "GridRun", "SweepRow", "describe_labels", "row_from_record", "strip_error_type"]
