"""Technology data for accelsim: MAC area/energy vs precision, SRAM density, clocks, DRAM presets.

Why a separate package: the numbers (and their sources) change independently of the simulator, so
they live in TOML files next to this code (one per node plus `memories.toml`), each number carrying
its unit, basis (published / derived / estimate) and source. This package only reads them and
evaluates the small closed-form models; it holds no simulation logic.

Typical use::

    import tech
    node = tech.load()                  # 14 nm default (PACT's node)
    node.density_gain(4, 4)             # 7.34 more 4x4 MACs than 16x16 MACs in the same area
    tech.memory("lpddr4").bw_gb_per_s   # 68.3
"""

from __future__ import annotations

from accelsim.errors import InputError
from tech._checks import check_bits, check_count
from tech._data import (
    build_node,
    memory_presets,
    noc_presets,
    node_names,
    provenance_problems,
    read_raw,
)
from tech.model import ExternalMemory, OnChipNetwork, TechNode

#: PACT section 6 evaluates 14 nm CMOS, so every model defaults to it.
DEFAULT_NODE = "14nm"


def names() -> list[str]:
    """Names of the available technology nodes, largest feature size first (e.g. "45nm" ... "7nm")."""
    return list(node_names())


def _canonical_node(node: object) -> str:
    """Map "14nm", "14 nm", "14NM" or "14" to the packaged name, or raise InputError listing the known ones."""
    if isinstance(node, str):
        key = node.strip().lower().replace(" ", "")
        if key.isdigit():
            key += "nm"
        if key in node_names():
            return key
    raise InputError("node", node, f"unknown technology node; known: {', '.join(node_names())}")


def load(node: str = DEFAULT_NODE) -> TechNode:
    """Return the (cached, immutable) TechNode for `node`; why cached: sweeps call this per design point."""
    return build_node(_canonical_node(node))


def sources(node: str = DEFAULT_NODE) -> dict[str, str]:
    """Map each quantity of `node` to "basis: source", so reports can cite where a number came from."""
    doc = read_raw(f"{_canonical_node(node)}.toml")
    return {
        key: f"{value['basis']}: {value['source']}"
        for key, value in doc.items()
        if isinstance(value, dict) and "source" in value
    }


def memory_names() -> list[str]:
    """Names of the external memory presets in `memories.toml`, in file order."""
    return [preset.name for preset in memory_presets()]


def memory(name: str) -> ExternalMemory:
    """Return the external memory preset `name` (case-insensitive), or raise InputError listing the known ones."""
    if isinstance(name, str):
        key = name.strip().lower()
        for preset in memory_presets():
            if preset.name == key:
                return preset
    raise InputError("memory", name, f"unknown external memory; known: {', '.join(memory_names())}")


#: The on-chip network of the default system (noc.toml).
DEFAULT_NOC = "ring"


def noc(name: str = DEFAULT_NOC) -> OnChipNetwork:
    """Return the on-chip network preset `name` (noc.toml), or raise InputError listing the known ones."""
    for preset in noc_presets():
        if isinstance(name, str) and preset.name == name.strip().lower():
            return preset
    raise InputError("noc", name, f"unknown on-chip network; known: {', '.join(p.name for p in noc_presets())}")


def mac_area(bw: int, ba: int, node: str = DEFAULT_NODE) -> float:
    """Area (um^2) of one dedicated bw x ba MAC at `node`; see TechNode.mac_area_um2."""
    return load(node).mac_area_um2(bw, ba)


def mac_energy(bw: int, ba: int, node: str = DEFAULT_NODE) -> float:
    """Energy (fJ) of one bw x ba MAC at `node`; see TechNode.mac_energy_fj."""
    return load(node).mac_energy_fj(bw, ba)


def sram_area(n_bytes: float, node: str = DEFAULT_NODE) -> float:
    """Area (mm^2) of `n_bytes` of on-chip SRAM at `node`; see TechNode.sram_area_mm2."""
    return load(node).sram_area_mm2(n_bytes)


def density_gain(bw: int, ba: int, node: str = DEFAULT_NODE) -> float:
    """Iso-area MAC-count multiplier of bw x ba over 16x16 at `node`; see TechNode.density_gain."""
    return load(node).density_gain(bw, ba)


def accumulator_bits(bw: int, ba: int, k: int) -> int:
    """Accumulator width for an exact integer dot product of length `k`: bw + ba + ceil(log2 k).

    Why: each product needs bw + ba bits and summing k of them can grow the magnitude by a factor k,
    i.e. ceil(log2 k) more bits (ResNet-50's 3x3x512 layer, k = 4608, needs +13). Uses integer
    arithmetic, so no floating-point rounding at powers of two.
    """
    bw_bits = check_bits("bw", bw)
    ba_bits = check_bits("ba", ba)
    length = check_count("k", k)
    return bw_bits + ba_bits + (length - 1).bit_length()


__all__ = [
    "DEFAULT_NOC",
    "DEFAULT_NODE",
    "ExternalMemory",
    "OnChipNetwork",
    "TechNode",
    "accumulator_bits",
    "density_gain",
    "load",
    "mac_area",
    "mac_energy",
    "memory",
    "memory_names",
    "names",
    "noc",
    "provenance_problems",
    "sources",
    "sram_area",
]
