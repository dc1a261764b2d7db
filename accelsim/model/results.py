"""Result records of a simulation: frozen, plain-typed, JSON-safe through `as_dict`.

Times are in clock cycles of the accelerator (floats: transfers take fractional cycles) and in
seconds; sizes in decimal bytes (MB = 1e6 B). "Steady state" is an image after the first, when a
model that fits on chip has its weights loaded already; for a model that does not fit, the first
image and the steady state are the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from accelsim.hardware.design import MB, Accelerator
from accelsim.model.energy import offchip_energy_uj

#: Stall share of a span at or below which it is compute-bound, and at or above which it is
#: memory-bound; in between it is "balanced". A tenth: stalls below it are within what the model's
#: own granularity exposes (a layer's first tile load); a half: the arrays wait longer than they work.
COMPUTE_BOUND_STALL = 0.1
MEMORY_BOUND_STALL = 0.5


def bound_of(cycles: float, compute_cycles: float) -> str:
    """ "compute", "balanced" or "memory" from the stalled share of a span ("none": empty span).

    The rule reads the simulated span, not a comparison of two totals, so a run that stalls a
    third of its time is "balanced", never "compute".
    """
    if cycles <= 0:
        return "none"
    stall = (cycles - compute_cycles) / cycles
    if stall <= COMPUTE_BOUND_STALL:
        return "compute"
    return "memory" if stall >= MEMORY_BOUND_STALL else "balanced"


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerResult:
    """One layer of one simulated batch (steady state).

    compute_cycles : int
        The slowest core's compute-only cycles (SCALE-Sim formula, fill and drain included).
    transfer_cycles : float
        The layer's off-chip bytes at the full external bandwidth (0 when unconstrained).
    cycles : float
        Simulated span of the layer, barrier to barrier (>= both of the above).
    stall_cycles : float
        ``cycles - compute_cycles``: time the slowest core is not computing.
    bound : str
        `bound_of(cycles, compute_cycles)`: "compute" (stalled <= 10 % of the span), "memory"
        (>= 50 %), "balanced" in between, "none" for an empty span.
    array_utilization : float
        MACs / (design peak MACs per cycle x compute_cycles): how busy the arrays are while the
        layer computes, counting idle cores and narrower/wider-than-MAC effects.
    split : tuple[int, int, int]
        Cores along (groups, M, N).
    gang : int
        Slowdown from running wider than the MACs (PEs per MAC, or bit-serial passes).
    refetch : int
        Reads of the re-streamed operand (1 = every operand read once).
    order : str
        Loop order of the traffic model: "b" weights stay, "a" inputs stay, "k" K split with
        partial sums on chip (`accelsim.model.traffic.gemm_traffic`); a searched tiling may also
        name "bk"/"ak" (OS: one operand's full-K panel stays, `accelsim.model.tiling`).
    weights_pinned : bool
        The layer's weights stay on chip (per-core memory plan, `accelsim.model.memory`).
    noc_bytes : float
        Bytes the on-chip network delivers for the layer (DRAM transfers and core-to-core moves).
    sram_access_bits : int
        Bits read and written in the on-chip buffers (array accesses, DRAM fills and drains).
    dataflow, k_split, pack, mapping : str, int, int, str
        The layer's mapping (`accelsim.model.mapspace`): dataflow, cores along K, groups packed on
        the array at once, and all of it as one label (``os g1m4n1k1``); empty / 1 for layers
        without MACs.
    mac_energy_uj, sram_energy_uj, offchip_energy_uj, noc_energy_uj : float
        Dynamic energy of the layer's MACs, buffer accesses, off-chip and on-chip-network transfers for the batch
        (µJ). The model and its assumptions: `accelsim.model.energy`.
    """

    name: str
    kind: str
    macs: int
    w_bits: int
    a_bits: int
    out_bits: int
    split: tuple[int, int, int]
    gang: int
    tiles: int
    compute_cycles: int
    transfer_cycles: float
    cycles: float
    stall_cycles: float
    bound: str
    array_utilization: float
    read_bytes: float
    write_bytes: float
    refetch: int
    output_on_chip: bool
    live_bytes: float
    order: str = "b"
    weights_pinned: bool = False
    noc_bytes: float = 0.0
    sram_access_bits: int
    mac_energy_uj: float
    sram_energy_uj: float
    offchip_energy_uj: float
    noc_energy_uj: float
    dataflow: str = ""
    k_split: int = 1
    pack: int = 1
    mapping: str = ""

    @property
    def offchip_bytes(self) -> float:
        return self.read_bytes + self.write_bytes

    @property
    def energy_uj(self) -> float:
        return self.mac_energy_uj + self.sram_energy_uj + self.offchip_energy_uj + self.noc_energy_uj

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["split"] = list(self.split)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class SimResult:
    """A simulated network on one accelerator.

    The per-image fields (`seconds_per_image`, `offchip_bytes_per_image`, ...) are steady state,
    which is what sweeps compare; `first_image_seconds` is the latency of the first batch,
    including loading the weights of a model that stays on chip.

    Energy (`accelsim.model.energy`, computed by `simulate` as it builds the record): `mac_energy_uj`
    and `sram_energy_uj` are per batch, `memory` names the external memory whose
    `offchip_pj_per_bit` prices the off-chip bytes; `energy_per_image_uj` and the
    ``*_energy_per_image_uj`` properties are per image.

    Area (`accelsim.model.energy.area`): `compute_area_mm2` (MAC units at the precision the
    hardware is built for, which `simulate`'s ``built_bits`` names) + `sram_area_mm2` =
    `area_mm2`, the silicon the design point spends; it depends on the design, not on the run.
    """

    workload: str
    batch: int
    accelerator: Accelerator
    layers: tuple[LayerResult, ...]
    macs: int
    cycles: float
    first_cycles: float
    compute_cycles: int
    stall_cycles: float
    read_bytes: float
    write_bytes: float
    first_read_bytes: float
    weights_resident: bool
    activations_resident: bool
    weight_bytes: float
    peak_live_bytes: float
    peak_onchip_bytes: float
    events: int
    pinned_weight_bytes: float = 0.0
    noc_bytes: float = 0.0
    micro_batch: int = 0  # images per pass when the batch ran as back-to-back micro-batches (0: whole)
    memory: str
    offchip_pj_per_bit: float
    mac_energy_uj: float
    sram_energy_uj: float
    noc_energy_uj: float
    compute_area_mm2: float
    sram_area_mm2: float

    # --- per image ---------------------------------------------------------------------------
    @property
    def seconds(self) -> float:
        """Steady-state seconds per batch."""
        return self.cycles / self.accelerator.clock_hz

    @property
    def seconds_per_image(self) -> float:
        return self.seconds / self.batch

    @property
    def first_image_seconds(self) -> float:
        """Latency of the first batch (weights of a resident model loaded on the way)."""
        return self.first_cycles / self.accelerator.clock_hz

    @property
    def images_per_s(self) -> float:
        return self.batch / self.seconds if self.cycles > 0 else math.inf

    @property
    def offchip_bytes(self) -> float:
        return self.read_bytes + self.write_bytes

    @property
    def offchip_bytes_per_image(self) -> float:
        return self.offchip_bytes / self.batch

    # --- energy (dynamic, steady state; see accelsim.model.energy) -----------------------------------
    @property
    def offchip_energy_uj(self) -> float:
        """Off-chip energy of the batch: bytes x 8 x pJ/bit."""
        return offchip_energy_uj(self.offchip_bytes, self.offchip_pj_per_bit)

    @property
    def mac_energy_per_image_uj(self) -> float:
        return self.mac_energy_uj / self.batch

    @property
    def sram_energy_per_image_uj(self) -> float:
        return self.sram_energy_uj / self.batch

    @property
    def offchip_energy_per_image_uj(self) -> float:
        """Exactly ``offchip_bytes_per_image * 8 * offchip_pj_per_bit / 1e6``."""
        return offchip_energy_uj(self.offchip_bytes_per_image, self.offchip_pj_per_bit)

    @property
    def noc_energy_per_image_uj(self) -> float:
        return self.noc_energy_uj / self.batch

    @property
    def noc_bytes_per_image(self) -> float:
        return self.noc_bytes / self.batch

    @property
    def energy_per_image_uj(self) -> float:
        """MAC + SRAM + off-chip + on-chip-network energy per image (µJ)."""
        return (
            self.mac_energy_per_image_uj
            + self.sram_energy_per_image_uj
            + self.offchip_energy_per_image_uj
            + self.noc_energy_per_image_uj
        )

    def energy_breakdown(self) -> dict[str, float]:
        """Per-image energy and its parts, µJ, under the names sweep rows use."""
        return {
            "energy_per_image_uj": self.energy_per_image_uj,
            "mac_energy_per_image_uj": self.mac_energy_per_image_uj,
            "sram_energy_per_image_uj": self.sram_energy_per_image_uj,
            "offchip_energy_per_image_uj": self.offchip_energy_per_image_uj,
            "noc_energy_per_image_uj": self.noc_energy_per_image_uj,
        }

    @property
    def area_mm2(self) -> float:
        """Compute + SRAM area (mm²): `accelsim.model.energy.Area.total_mm2`."""
        return self.compute_area_mm2 + self.sram_area_mm2

    def area_breakdown(self) -> dict[str, float]:
        """Chip area and its parts, mm², under the names sweep rows use."""
        return {
            "area_mm2": self.area_mm2,
            "compute_area_mm2": self.compute_area_mm2,
            "sram_area_mm2": self.sram_area_mm2,
        }

    @property
    def utilization(self) -> float:
        """MACs / (design peak x simulated cycles): stalls included."""
        return self.macs / (self.accelerator.macs_per_cycle * self.cycles) if self.cycles > 0 else 0.0

    @property
    def memory_bound_fraction(self) -> float:
        """Share of the simulated time spent in memory-bound layers (stalled >= half their span)."""
        slow = sum(layer.cycles for layer in self.layers if layer.bound == "memory")
        return slow / self.cycles if self.cycles > 0 else 0.0

    @property
    def stall_fraction(self) -> float:
        """Share of the simulated time the slowest cores wait for memory."""
        return self.stall_cycles / self.cycles if self.cycles > 0 else 0.0

    @property
    def bound(self) -> str:
        """`bound_of` the whole run: compute (stalled <= 10 %), memory (>= 50 %), else balanced."""
        return bound_of(self.cycles, self.compute_cycles)

    def layer(self, name: str) -> LayerResult:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def totals(self) -> dict[str, Any]:
        """Run-level numbers as one flat, JSON-safe dict (decimal MB, seconds, µJ, mm²)."""
        return {
            "workload": self.workload,
            "batch": self.batch,
            "peak_tmacs": self.accelerator.peak_tmacs,
            "seconds_per_image": self.seconds_per_image,
            "first_image_seconds": self.first_image_seconds,
            "images_per_s": self.images_per_s,
            "cycles": self.cycles,
            "compute_cycles": self.compute_cycles,
            "stall_cycles": self.stall_cycles,
            "utilization": self.utilization,
            "bound": self.bound,
            "memory_bound_fraction": self.memory_bound_fraction,
            "offchip_read_mb": self.read_bytes / MB,
            "offchip_write_mb": self.write_bytes / MB,
            "offchip_mb_per_image": self.offchip_bytes_per_image / MB,
            "first_image_read_mb": self.first_read_bytes / MB,
            "noc_mb_per_image": self.noc_bytes_per_image / MB,
            "weights_mb": self.weight_bytes / MB,
            "pinned_weights_mb": self.pinned_weight_bytes / MB,
            "micro_batch": self.micro_batch or self.batch,
            "peak_live_mb": self.peak_live_bytes / MB,
            "peak_onchip_mb": self.peak_onchip_bytes / MB,
            "weights_fit": self.weights_resident,
            "activations_fit": self.activations_resident,
            "events": self.events,
            **self.energy_breakdown(),
            "memory": self.memory,
            **self.area_breakdown(),
        }

    def as_dict(self) -> dict[str, Any]:
        """Everything, JSON-safe: accelerator fields, totals and per-layer rows."""
        return {
            "accelerator": self.accelerator.to_dict(),
            "totals": self.totals(),
            "layers": [layer.as_dict() for layer in self.layers],
        }


__all__ = ["COMPUTE_BOUND_STALL", "MEMORY_BOUND_STALL", "LayerResult", "SimResult", "bound_of"]
