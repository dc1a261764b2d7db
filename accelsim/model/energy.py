"""Energy per image and silicon area of a design point, from the technology model (`tech`).

`simulate` builds every `LayerResult` with its `layer_energy` and the `SimResult` with their sums
and the design's `area`, so a result carries the energy of the simulated batch and the chip's area
from the start; this module holds the model and its assumptions. Everything is
dynamic energy of the steady state (an image after the first): no leakage, no clock tree, no
control. Why: the tech data has no static-power figures, and leaving static energy out keeps
energy a function of the work done, independent of how long it took (so an unconstrained and a
64 GB/s run of the same design use the same energy).

Three parts, per layer, summed over the network:

MAC energy
    Every MAC a layer executes costs ``gang x E(mac_w_bits, mac_a_bits)`` (``tech.mac_energy_fj``):
    the energy of one operation of the design's MAC at the precision it is configured to
    (configurable) or built for (dedicated). A layer narrower than the MACs runs on the full MAC
    and costs the same (as it gains no speed); a wider layer uses `gang` MAC operations per MAC (the
    same factor that slows it down: ganged sub-word MACs, or bit-serial passes). Configurable MACs
    are charged like dedicated MACs of their configured precision, without reconfiguration overhead
    (optimistic for the configurable design).

SRAM access energy
    Bits read or written in the cores' on-chip memory, each at ``sram_read_energy_pj_per_bit`` (the
    tech data has read energy only; writes are assumed to cost the same). Counting, per core and
    per fold of the systolic array (SCALE-Sim's convention for SRAM reads, ISPASS 2020): every fold
    reads the operand panels it needs from the buffer once, and the GEMM's outputs are written once.
    With ``Sr' x Sc'`` folded over ``rf x cf`` folds (see `accelsim.model.mapping`):

    ====  =====================  =====================  =================================
    flow  A (activations) reads  B (weights) reads      outputs
    ====  =====================  =====================  =================================
    os    M x K x cf             K x N x rf             M x N written at the output bits
    ws    M x K x cf             K x N (stationary)     M x N x rf written, M x N x (rf-1) read
    is    M x K (stationary)     K x N x cf             as ws
    ====  =====================  =====================  =================================

    (ws/is accumulate partial sums through the buffer at accumulator width,
    ``tech.accumulator_bits``; the last write is at the output bits.) A's elements are the GEMM
    view's M x K (im2col: a 3x3 conv reads each input pixel up to 9 times, as the array does).
    Off-chip traffic passes through the buffer too: every byte read from DRAM is written into SRAM,
    every byte written to DRAM is read out of it. Pooling and Add read their inputs and write their
    output once; Flatten, Reshape and Concat are layout only (no access).

Off-chip energy
    Steady-state off-chip bytes x 8 x the external memory's ``energy_pj_per_bit``
    (``tech.memory(name)``; default LPDDR4, 8 pJ/bit). Exactly that product, per image.

On-chip network energy
    Bytes the network delivers (`accelsim.model.layer_plan`: DRAM transfers, multicast once, and core-to-core
    moves of activations) x 8 x the design's ``noc_pj_per_bit`` (default ``tech/noc.toml``).

Area (`area`): compute area = physical MAC units x their area ``tech.mac_area_um2`` at the
precision the hardware is built for, plus ``tech.sram_area_mm2`` of the total on-chip memory.
Dedicated MACs are built for the design precision, so units = MACs. Configurable MACs are base-
precision MACs split into sub-words (`accelsim.hardware.design.iso_area`), so units = MACs / sub-words per
unit, each of the base MAC's area: an iso-area design has the base's compute area, as intended.
Interconnect, control and I/O are not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import tech
from accelsim.hardware.design import Accelerator, mac_multiplier
from accelsim.model import mapping
from accelsim.model.memo import BoundedMemo

if TYPE_CHECKING:
    from accelsim.ir.graph import LayerGraph
    from accelsim.model.layer_plan import LayerPlan

#: External memory of the energy model unless told (PACT's 64 GB/s point is ~LPDDR4).
DEFAULT_MEMORY = "lpddr4"

#: Layers that only relabel data (no buffer access).
LAYOUT_ONLY = frozenset({"Flatten", "Reshape", "Concat"})

_FJ_PER_UJ = 1e9
_PJ_PER_UJ = 1e6


def memory_pj_per_bit(memory: str) -> float:
    """Off-chip energy per bit of the external memory preset `memory` (InputError if unknown)."""
    return tech.memory(memory).energy_pj_per_bit


def offchip_energy_uj(n_bytes: float, pj_per_bit: float) -> float:
    """Off-chip energy in µJ: exactly ``n_bytes * 8 * pj_per_bit / 1e6``."""
    return n_bytes * 8 * pj_per_bit / _PJ_PER_UJ


def mac_energy_fj(accel: Accelerator, gang: int) -> float:
    """Energy of one layer MAC on `accel`: `gang` operations of the design's MAC (see module doc)."""
    return gang * tech.load(accel.tech_node).mac_energy_fj(accel.mac_w_bits, accel.mac_a_bits)


@lru_cache(maxsize=65536)  # the mapper costs the same layer on many candidates, a sweep on many points
def gemm_access_bits(
    gemm: mapping.GemmView,
    split: tuple[int, ...],
    accel: Accelerator,
    w_bits: int,
    a_bits: int,
    b_bits: int,
    out_bits: int,
    dataflow: str | None = None,
    pack: int = 1,
) -> int:
    """On-chip buffer bits one GEMM layer reads and writes on all cores (counting in the module doc).

    `split` is the layer's cores along (groups, M, N[, K]) as simulated; the fold counts use the
    array the layer sees at its precision (`mapping.array_view`), as its compute cycles do.
    `dataflow` (default the design's) and `pack` are the layer's mapping (`accelsim.model.mapspace`):
    packed groups read only their real weights (the block-diagonal zeros are generated, not
    stored). A K split's partial sums are written by each slice and read back once to reduce.
    """
    view = mapping.array_view(accel, w_bits, a_bits)
    flow = dataflow or accel.dataflow
    ks = split[3] if len(split) > 3 else 1
    pg = mapping.GemmView(gemm.m, gemm.n * pack, gemm.k * pack, gemm.groups // pack) if pack > 1 else gemm
    psum_bits = tech.accumulator_bits(w_bits, a_bits, gemm.k)
    total = 0
    for g in mapping.balanced_parts(pg.groups, split[0]):
        for m in mapping.balanced_parts(pg.m, split[1]):
            for n in mapping.balanced_parts(pg.n, split[2]):
                for k in mapping.balanced_parts(pg.k, ks):
                    if g == 0 or m == 0 or n == 0 or k == 0:
                        continue
                    total += g * _fold_access_bits(m, n, k, view, flow, pack, (a_bits, b_bits, out_bits, psum_bits), ks)
    return total


def _fold_access_bits(
    m: int, n: int, k: int, view: mapping.ArrayView, flow: str, pack: int, bits: tuple[int, int, int, int], ks: int
) -> int:
    """Buffer bits of one core's M x N x K GEMM (one group or pack), per the module doc's table."""
    a_bits, b_bits, out_bits, psum_bits = bits
    rf, cf = mapping.folds(m, n, k, view, flow)
    real_b = k * n // pack  # block-diagonal: only 1/pack of the packed B is data
    if flow == "os":
        a, b, out = m * k * cf, real_b * rf, m * n * out_bits
    elif flow == "ws":
        a, b = m * k * cf, real_b
        out = m * n * out_bits + (2 * rf - 2) * m * n * psum_bits
    else:  # "is"
        a, b = m * k, real_b * cf
        out = m * n * out_bits + (2 * rf - 2) * m * n * psum_bits
    if ks > 1:  # partial sums written at accumulator width and read back once by the reduction;
        out += 2 * m * n * psum_bits - m * n * out_bits + m * n * out_bits // ks  # 1/ks of the outputs is this core's
    return a * a_bits + b * b_bits + out


def layer_access_bits(graph: LayerGraph, lp: LayerPlan, accel: Accelerator) -> int:
    """On-chip buffer bits of one planned layer: array accesses plus DRAM fills and drains."""
    node = graph.layer(lp.name)
    gemm = graph.gemm(lp.name)
    if gemm is not None:
        b_bits = lp.w_bits if node.weight_elems else lp.a_bits
        split = (*lp.split.as_tuple(), lp.split.k)
        flow = lp.mapping.dataflow if lp.mapping is not None else ""
        pack = lp.mapping.pack if lp.mapping is not None else 1
        bits = gemm_access_bits(gemm, split, accel, lp.w_bits, lp.a_bits, b_bits, lp.out_bits, flow or None, pack)
    elif node.kind in LAYOUT_ONLY:
        bits = 0
    else:  # Pool, Add: read the inputs, write the output
        bits = node.in_elems * lp.a_bits + node.out_elems * lp.out_bits
    offchip_bits = round(8 * (lp.traffic.read_bits / 8 + lp.traffic.write_bits / 8))
    return bits + offchip_bits


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerEnergy:
    """Dynamic energy of one layer for its batch (µJ), and the buffer bits behind its SRAM part."""

    sram_access_bits: int
    mac_energy_uj: float
    sram_energy_uj: float
    offchip_energy_uj: float
    noc_energy_uj: float


def layer_energy(
    graph: LayerGraph, lp: LayerPlan, accel: Accelerator, offchip_pj_per_bit: float, access: int
) -> LayerEnergy:
    """The energy of planned layer `lp` (see the module doc), off-chip bytes at `offchip_pj_per_bit`.

    `accelsim.model.sim` calls it while it builds each `LayerResult`, so a result carries its energy
    from the start; `access`: the layer's `layer_access_bits` (memoised on the plan by the caller).
    """
    sram_pj = tech.load(accel.tech_node).sram_read_energy_pj_per_bit
    return LayerEnergy(
        sram_access_bits=access,
        mac_energy_uj=lp.macs * mac_energy_fj(accel, lp.gang) / _FJ_PER_UJ,
        sram_energy_uj=access * sram_pj / _PJ_PER_UJ,
        offchip_energy_uj=offchip_energy_uj(lp.traffic.read_bits / 8 + lp.traffic.write_bits / 8, offchip_pj_per_bit),
        noc_energy_uj=offchip_energy_uj(lp.noc_bits / 8, accel.noc_pj_per_bit),
    )


def memory_name(memory: str) -> str:
    """The canonical name of the external memory preset `memory` (InputError if unknown)."""
    return tech.memory(memory).name


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    """Silicon area of a design point in mm² (MACs and SRAM macros only)."""

    compute_mm2: float
    sram_mm2: float

    @property
    def total_mm2(self) -> float:
        return self.compute_mm2 + self.sram_mm2


#: Areas by everything `area` reads of a design (a sweep asks for the same chip at every
#: bandwidth); cleared when full, so it stays small.
_AREAS: BoundedMemo[tuple[object, ...], Area] = BoundedMemo(4096)


def area(design: Accelerator, *, built_bits: tuple[int, int] | None = None) -> Area:
    """Compute + SRAM area of `design` (see the module doc).

    built_bits : (w, a) precision of the hardware MAC of a configurable design, i.e. the base it
        is iso-area to (default: the design's own MAC precision, one unit per MAC). Ignored for
        dedicated MACs, which are built for the design precision.
    """
    built = None if built_bits is None else tuple(built_bits)
    key = (
        design.tech_node,
        design.mac_w_bits,
        design.mac_a_bits,
        design.mac_mode,
        design.macs_per_cycle,
        design.sram_bytes,
        built,
    )
    known = _AREAS.get(key)
    return known if known is not None else _AREAS.put(key, _area(design, built_bits))


def _area(design: Accelerator, built_bits: tuple[int, int] | None) -> Area:
    node = tech.load(design.tech_node)
    w, a = design.mac_w_bits, design.mac_a_bits
    units: float = design.macs_per_cycle
    if design.mac_mode == "configurable" and built_bits is not None and tuple(built_bits) != (w, a):
        base = replace(design, mac_w_bits=built_bits[0], mac_a_bits=built_bits[1])
        units = design.macs_per_cycle / mac_multiplier(base, w, a, "configurable")
        w, a = built_bits
    compute = units * node.mac_area_um2(w, a) / 1e6
    return Area(compute_mm2=compute, sram_mm2=node.sram_area_mm2(design.sram_bytes))


__all__ = [
    "DEFAULT_MEMORY",
    "Area",
    "LayerEnergy",
    "area",
    "gemm_access_bits",
    "layer_access_bits",
    "layer_energy",
    "mac_energy_fj",
    "memory_name",
    "memory_pj_per_bit",
    "offchip_energy_uj",
]
