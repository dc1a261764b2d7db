"""Immutable records for one technology node and one external memory.

Why frozen dataclasses: a node is shared (cached) by every caller, so nobody may mutate it, and
being hashable lets sweep code use nodes as dict keys. The formulas live here, next to the
coefficients, so the simulator never re-implements the area/energy model.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.errors import InputError
from tech._checks import check_bits, check_bytes, check_non_negative, check_positive

#: Reference precision for density gains: PACT Fig. 6(b) normalises to 16-bit weights and activations.
REFERENCE_BITS = 16

#: Bits per megabit as used for SRAM densities (decimal, matching the Mbit/mm^2 in the literature).
BITS_PER_MBIT = 1_000_000


def _bilinear(coeffs: tuple[float, float, float], bw: int, ba: int) -> float:
    """Evaluate a*bw*ba + b*(bw+ba) + c: multiplier array ~ bw*ba, adders/registers ~ bw+ba, control ~ c."""
    a, b, c = coeffs
    return a * bw * ba + b * (bw + ba) + c


def _check_coeffs(field: str, coeffs: tuple[float, float, float]) -> tuple[float, float, float]:
    """Validate model coefficients: exactly three, non-negative, with a positive bilinear term."""
    if not isinstance(coeffs, tuple) or len(coeffs) != 3:
        raise InputError(field, coeffs, "must be a tuple of three numbers (a, b, c)")
    a, b, c = (check_non_negative(f"{field}[{i}]", x) for i, x in enumerate(coeffs))
    check_positive(f"{field}[0]", a)
    return (a, b, c)


@dataclass(frozen=True, slots=True, kw_only=True)
class TechNode:
    """Area, energy and clock data for one CMOS node.

    Why these fields only: PACT's study needs (1) how many MACs fit in a fixed area at each precision,
    (2) how much SRAM fits, (3) the clock and energies to turn counts into time and joules. Everything
    else (array shapes, mapping, bandwidth sharing) is simulation logic and lives in `accelsim`.
    """

    name: str
    node_nm: float
    clock_hz: float
    mac_area_coeffs_um2: tuple[float, float, float]
    mac_energy_coeffs_fj: tuple[float, float, float]
    sram_density_mbit_per_mm2: float
    sram_read_energy_pj_per_bit: float

    def __post_init__(self) -> None:
        """Reject impossible data early, so a bad custom node fails at load, not mid-sweep."""
        for field in (
            "node_nm",
            "clock_hz",
            "sram_density_mbit_per_mm2",
            "sram_read_energy_pj_per_bit",
        ):
            object.__setattr__(self, field, check_positive(field, getattr(self, field)))
        object.__setattr__(self, "mac_area_coeffs_um2", _check_coeffs("mac_area_coeffs_um2", self.mac_area_coeffs_um2))
        object.__setattr__(
            self,
            "mac_energy_coeffs_fj",
            _check_coeffs("mac_energy_coeffs_fj", self.mac_energy_coeffs_fj),
        )

    def mac_area_um2(self, bw: int, ba: int) -> float:
        """Synthesis-level area of one dedicated bw x ba MAC (um^2).

        Why bilinear: the multiplier array grows with bw*ba while adders, accumulator and operand
        registers grow with bw+ba; the fit reproduces Bit Fusion's synthesized PEs within 0.3 %.
        """
        return _bilinear(self.mac_area_coeffs_um2, check_bits("bw", bw), check_bits("ba", ba))

    def mac_energy_fj(self, bw: int, ba: int) -> float:
        """Dynamic energy of one bw x ba MAC operation (fJ), same functional form as the area."""
        return _bilinear(self.mac_energy_coeffs_fj, check_bits("bw", bw), check_bits("ba", ba))

    def sram_area_mm2(self, n_bytes: float) -> float:
        """Macro area (mm^2) needed to hold `n_bytes` of on-chip SRAM at this node's density."""
        bits = 8.0 * check_bytes("n_bytes", n_bytes)
        return bits / (self.sram_density_mbit_per_mm2 * BITS_PER_MBIT)

    def density_gain(self, bw: int, ba: int) -> float:
        """Iso-area MAC-count multiplier over 16x16: A(16,16) / A(bw, ba).

        Why: PACT compares precisions at equal silicon area, so this is the factor by which the MAC
        count (and peak throughput of dedicated MACs) grows when precision drops.
        """
        return self.mac_area_um2(REFERENCE_BITS, REFERENCE_BITS) / self.mac_area_um2(bw, ba)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalMemory:
    """One off-chip memory interface: peak bandwidth and transfer energy.

    Why separate from TechNode: DRAM type is chosen independently of the logic node, and PACT's
    study varies external bandwidth while holding the chip fixed.
    """

    name: str
    bw_gb_per_s: float
    energy_pj_per_bit: float
    source: str
    description: str = ""
    efficiency: float = 1.0  # sustained / peak bandwidth

    def __post_init__(self) -> None:
        """Reject non-positive bandwidth or energy, which would make time/energy results meaningless."""
        for field in ("bw_gb_per_s", "energy_pj_per_bit", "efficiency"):
            object.__setattr__(self, field, check_positive(field, getattr(self, field)))
        if self.efficiency > 1:
            raise InputError("efficiency", self.efficiency, "must be <= 1 (sustained over peak bandwidth)")


@dataclass(frozen=True, slots=True, kw_only=True)
class OnChipNetwork:
    """The network between cores: delivered bandwidth and energy per bit moved between cores."""

    name: str
    bw_gb_per_s: float
    energy_pj_per_bit: float
    source: str

    def __post_init__(self) -> None:
        for field in ("bw_gb_per_s", "energy_pj_per_bit"):
            object.__setattr__(self, field, check_positive(field, getattr(self, field)))


__all__ = ["BITS_PER_MBIT", "REFERENCE_BITS", "ExternalMemory", "OnChipNetwork", "TechNode"]
