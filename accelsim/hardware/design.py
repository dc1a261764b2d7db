"""The accelerator description (`Accelerator`) and iso-area design points (`iso_area`).

An `Accelerator` is one design point of the PACT section 6 system: `cores` cores, each a systolic
array of `rows x cols` processing elements (PEs) with `lanes` MACs per PE and its own on-chip memory,
sharing one external-memory channel. The MACs are built for `mac_w_bits x mac_a_bits` operands.

`iso_area` answers "what does the same silicon look like at another precision": the compute area,
the total on-chip memory and the external bandwidth stay fixed, the MAC count changes. See
docs/model.md for every assumption and its source.

Units are in field names: ``clock_hz``, ``sram_bytes_per_core`` (decimal bytes: 1 MB = 1e6 bytes),
``bw_gb_per_s`` (1 GB/s = 1e9 bytes/s; ``inf`` = unconstrained).

Example
-------
>>> base = Accelerator()
>>> base.macs_per_cycle, round(base.peak_tmacs, 2)
(2048, 3.07)
>>> d4 = iso_area(base, 4)  # configurable MACs: 4x the MACs, placed as 4x the cores by default
>>> (d4.cores, d4.rows, d4.cols, d4.macs_per_cycle)
(16, 16, 32, 8192)
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tech
from accelsim.errors import InputError
from accelsim.ir.graph import check_bits

DATAFLOWS = ("os", "ws", "is")
MAC_MODES = ("configurable", "dedicated")
SCALES = ("array", "cores", "lanes")

#: Decimal megabyte: every "MB" in accelsim is 1e6 bytes (SRAM vendors and PACT's "16 MB" alike).
MB = 1_000_000

#: Iso-area arrays grow near-square: no side may exceed this many times the other (or the base's
#: own aspect ratio when that is larger), so a 7.34x target does not become a 13 x 289 strip.
MAX_ASPECT = 2.0


def _check_int(field: str, value: Any, lo: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < lo:
        raise InputError(field, value, f"must be an integer >= {lo}")
    return value


def _check_positive_float(field: str, value: Any, allow_inf: bool = False) -> float:
    rule = "must be a number > 0" + (" or inf" if allow_inf else "")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(field, value, rule)
    out = float(value)
    if math.isnan(out) or out <= 0 or (math.isinf(out) and not allow_inf):
        raise InputError(field, value, rule)
    return out


def _noc_default() -> Any:
    import tech  # the default on-chip network lives with the other sourced numbers

    return tech.noc()


def _canonical_node(value: Any) -> str:
    try:
        return tech.load(value).name
    except InputError as exc:
        raise InputError("tech_node", value, exc.rule) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Accelerator:
    """One multi-core systolic-array accelerator.

    Parameters
    ----------
    tech_node : str
        Technology node for the MAC area model (``tech.load``); default 14 nm (PACT section 6).
    clock_hz : float
        Array clock (Hz); 1.5 GHz = IBM's 14 nm AI core (Fleischer et al., VLSI 2018).
    cores : int
        Cores sharing the external channel; 4 (RaPiD is 4-core).
    rows, cols : int
        Systolic array per core, in PEs; 16 x 32 = the IBM AI core's PE array.
    lanes : int
        MACs per PE (a PE with L lanes is an L-wide dot-product unit along the reduction axis).
    sram_bytes_per_core : int
        On-chip memory per core in bytes (decimal: 4 MB = 4_000_000); 16 MB in total by default.
    bw_gb_per_s : float
        External bandwidth shared by all cores, GB/s (1e9 B/s); ``math.inf`` = unconstrained.
    dataflow : {"os", "ws", "is"}
        Output-, weight- or input-stationary (SCALE-Sim's three dataflows).
    mac_w_bits, mac_a_bits : int
        Operand precision the MACs are built for.
    mac_mode : {"configurable", "dedicated"}
        How a layer wider than the MACs runs: configurable MACs gang up (PEs combine), dedicated
        MACs decompose bit-serially. Narrower layers gain nothing.
    dram_efficiency : float
        Sustained over peak external bandwidth, in (0, 1]. 1.0 by default: PACT's 32/64 GB/s are
        peak figures; the memory presets carry measured efficiencies (``tech.memory(name).efficiency``).
    noc_gb_per_s : float
        Bandwidth the on-chip network delivers between cores and from the memory interface, GB/s
        (``inf`` = free); default the ring of ``tech/noc.toml``.
    noc_pj_per_bit : float
        Energy per bit the on-chip network moves; default from ``tech/noc.toml``.
    prefetch_layers : int
        Prefetch lookahead in layers: how far ahead of the earliest unfinished layer the memory
        controller may fetch later layers' DRAM operands into free SRAM (0 = no prefetch, layers
        load only when they start). Default 2, the smallest lookahead whose ResNet-50/VGG16/BERT
        results are within 1 % of an unbounded one (docs/model.md, "The event engine").

    Raises
    ------
    InputError
        A field breaks its rule; the message names the field and the value.
    """

    tech_node: str = "14nm"
    clock_hz: float = 1.5e9
    cores: int = 4
    rows: int = 16
    cols: int = 32
    lanes: int = 1
    sram_bytes_per_core: int = 4 * MB
    bw_gb_per_s: float = 64.0
    dataflow: str = "os"
    mac_w_bits: int = 16
    mac_a_bits: int = 16
    mac_mode: str = "configurable"
    dram_efficiency: float = 1.0
    noc_gb_per_s: float = field(default_factory=lambda: _noc_default().bw_gb_per_s)
    noc_pj_per_bit: float = field(default_factory=lambda: _noc_default().energy_pj_per_bit)
    prefetch_layers: int = 2

    def __post_init__(self) -> None:
        if not isinstance(self.tech_node, str) or not self.tech_node.strip():
            raise InputError("tech_node", self.tech_node, "must be a technology node name such as '14nm'")
        object.__setattr__(self, "tech_node", _canonical_node(self.tech_node))
        object.__setattr__(self, "clock_hz", _check_positive_float("clock_hz", self.clock_hz))
        for name in ("cores", "rows", "cols", "lanes", "sram_bytes_per_core"):
            _check_int(name, getattr(self, name))
        object.__setattr__(self, "bw_gb_per_s", _check_positive_float("bw_gb_per_s", self.bw_gb_per_s, True))
        if self.dataflow not in DATAFLOWS:
            raise InputError("dataflow", self.dataflow, f"must be one of {', '.join(DATAFLOWS)}")
        check_bits("mac_w_bits", self.mac_w_bits)
        check_bits("mac_a_bits", self.mac_a_bits)
        if self.mac_mode not in MAC_MODES:
            raise InputError("mac_mode", self.mac_mode, f"must be one of {', '.join(MAC_MODES)}")
        eff = _check_positive_float("dram_efficiency", self.dram_efficiency)
        if eff > 1:
            raise InputError("dram_efficiency", self.dram_efficiency, "must be a number in (0, 1]")
        object.__setattr__(self, "dram_efficiency", eff)
        object.__setattr__(self, "noc_gb_per_s", _check_positive_float("noc_gb_per_s", self.noc_gb_per_s, True))
        object.__setattr__(self, "noc_pj_per_bit", _check_positive_float("noc_pj_per_bit", self.noc_pj_per_bit))
        _check_int("prefetch_layers", self.prefetch_layers, lo=0)

    # --- derived quantities -------------------------------------------------------------------
    @property
    def mac_bits(self) -> int:
        """The wider MAC operand: what a precision-configurable MAC splits into sub-words."""
        return max(self.mac_w_bits, self.mac_a_bits)

    @property
    def macs_per_core(self) -> int:
        return self.rows * self.cols * self.lanes

    @property
    def macs_per_cycle(self) -> int:
        """Peak MACs per cycle of the whole chip at the design precision."""
        return self.cores * self.macs_per_core

    @property
    def peak_macs_per_s(self) -> float:
        return self.macs_per_cycle * self.clock_hz

    @property
    def peak_tmacs(self) -> float:
        """Peak throughput in TMAC/s (1e12 MAC/s) at the design precision."""
        return self.peak_macs_per_s / 1e12

    @property
    def sram_bytes_total(self) -> int:
        return self.cores * self.sram_bytes_per_core

    @property
    def bytes_per_cycle(self) -> float:
        """Sustained external bandwidth in bytes per clock cycle (peak x efficiency; inf when unconstrained)."""
        return self.bw_gb_per_s * self.dram_efficiency * 1e9 / self.clock_hz

    @property
    def noc_bytes_per_cycle(self) -> float:
        """On-chip network bandwidth in bytes per clock cycle (inf when free)."""
        return self.noc_gb_per_s * 1e9 / self.clock_hz

    def describe(self, *, with_bw: bool = True) -> str:
        """One line for plot titles and reports (`with_bw=False` when bandwidth is swept)."""
        bw = "inf" if math.isinf(self.bw_gb_per_s) else f"{self.bw_gb_per_s:g}"
        lanes = f"x{self.lanes} lanes" if self.lanes > 1 else ""
        return (
            f"{self.tech_node}, {self.clock_hz / 1e9:g} GHz, {self.cores} cores x {self.rows}x{self.cols}{lanes} "
            f"{self.mac_w_bits}x{self.mac_a_bits}b {self.mac_mode} MACs ({self.dataflow.upper()}), "
            f"{self.sram_bytes_total / MB:g} MB on chip" + (f", {bw} GB/s" if with_bw else "")
            + (f" at {self.dram_efficiency:.0%} sustained" if with_bw and self.dram_efficiency < 1 else "")
        )

    # --- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe fields; unconstrained bandwidth is the string ``"inf"``, never Infinity."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("bw_gb_per_s", "noc_gb_per_s"):
            if math.isinf(out[key]):
                out[key] = "inf"
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Any, *, base: Accelerator | None = None) -> Accelerator:
        """Build from a mapping; missing fields come from `base` (default: the default system).

        ``bw_gb_per_s`` may be a number or the string ``"inf"``; unknown keys are an error.
        """
        if not isinstance(data, dict):
            raise InputError("accelerator", type(data).__name__, "must be an object/table of fields")
        known = [f.name for f in fields(cls)]
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise InputError(str(key), value, f"is not an accelerator field ({', '.join(known)})")
            if key in ("bw_gb_per_s", "noc_gb_per_s") and isinstance(value, str):
                if value.strip().lower() not in ("inf", "infinity"):
                    raise InputError(key, value, "must be a number > 0 or inf")
                value = math.inf
            kwargs[key] = value
        return replace(base, **kwargs) if base is not None else cls(**kwargs)


def load_accelerator(path: str | Path, *, base: Accelerator | None = None) -> Accelerator:
    """Read an accelerator from a JSON (``.json``) or TOML (any other suffix) file.

    A TOML file may hold the fields at the top level or in an ``[accelerator]`` table. Errors name
    the file and, for bad JSON/TOML, the position.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError("config", str(path), f"cannot be read ({exc.strerror})") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            where = f"line {exc.lineno} col {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "encoding"
            raise InputError("config", str(path), f"is not valid JSON ({where}: {exc})") from None
    else:
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError("config", str(path), f"is not valid TOML ({exc})") from None
        if isinstance(data.get("accelerator"), dict) and len(data) == 1:
            data = data["accelerator"]
    return Accelerator.from_dict(data, base=base)


# --- iso-area design points ---------------------------------------------------------------------
def mac_multiplier(base: Accelerator, w_bits: int, a_bits: int, mode: str) -> float:
    """How many `w_bits x a_bits` MACs fit in the area of one of `base`'s MACs.

    configurable: the base MAC splits into ``floor(base_bits / bits)`` sub-word MACs (PACT's
    precision-configurable MAC: 2x at 8, 4x at 4, 8x at 2 bits from 16), using the wider operand;
    a wider design gangs ``ceil(bits / base_bits)`` base MACs per MAC.
    dedicated: the area ratio ``A(base) / A(w, a)`` from the technology model (14 nm: 3.0x at 8x8,
    7.34x at 4x4, 14x at 2x2).
    """
    check_bits("bits", w_bits)
    check_bits("a_bits", a_bits)
    if mode == "configurable":
        have, want = base.mac_bits, max(w_bits, a_bits)
        return float(have // want) if want <= have else 1.0 / math.ceil(want / have)
    if mode == "dedicated":
        node = tech.load(base.tech_node)
        return node.density_gain(w_bits, a_bits) / node.density_gain(base.mac_w_bits, base.mac_a_bits)
    raise InputError("mode", mode, f"must be one of {', '.join(MAC_MODES)}")


def _count(base_count: int, multiplier: float, what: str = "array") -> int:
    # The epsilon keeps exact products (2048 * 4.0) from flooring one short after float rounding,
    # while never rounding a genuinely fractional count up (that would exceed the base area).
    count = math.floor(base_count * multiplier + 1e-9)
    if count < 1:
        raise InputError("scale", what, f"leaves less than one unit at iso-area (x{multiplier:.3g}); use scale='array'")
    return count


def grow_array(rows: int, cols: int, target: int) -> tuple[int, int]:
    """The near-square array of at most `target` PEs that keeps the orientation of `rows x cols`.

    Maximises rows*cols <= target with an aspect ratio of at most max(2, the base's); ties go to the
    squarer shape, then to the base's orientation (cols >= rows for 16x32). Powers of two reproduce
    the doubling sequence 16x32 -> 32x32 -> 32x64 -> 64x64.

    >>> grow_array(16, 32, 4 * 512), grow_array(16, 32, 8 * 512), grow_array(16, 32, 3 * 512)
    ((32, 64), (64, 64), (32, 48))
    """
    if target == rows * cols:
        return rows, cols
    aspect = max(MAX_ASPECT, max(rows, cols) / min(rows, cols))
    wide = cols >= rows
    best: tuple[int, int, int, int] | None = None  # (-area, |r-c|, orientation penalty, r)
    for r in range(1, math.isqrt(int(target * aspect)) + 1):
        c = min(target // r, math.floor(aspect * r))
        if c < 1 or r > aspect * c:
            continue
        key = (-(r * c), abs(r - c), int((c >= r) != wide), r)
        if best is None or key < best:
            best = key
    if best is None:  # target < 1 cannot happen (counts are floored at 1); keep a 1x1 array
        return 1, 1
    r = best[3]
    c = -best[0] // r
    return r, c


def default_scale(mode: str) -> str:
    """Where iso-area MACs go unless told: configurable sub-word MACs act as more base-shaped
    arrays ("cores"); dedicated MACs have non-integer multipliers (3.0x, 7.34x) that only a grown
    array can use without wasting area ("array"). Reasons in docs/model.md section 2."""
    return "cores" if mode == "configurable" else "array"


def iso_area(
    base: Accelerator,
    bits: int,
    mode: str = "configurable",
    scale: str | None = None,
    a_bits: int | None = None,
) -> Accelerator:
    """The design point at `bits` with `base`'s compute area, on-chip memory and bandwidth.

    Parameters
    ----------
    base : Accelerator
        The reference design (normally the 16-bit default system).
    bits : int
        Weight precision of the new MACs (and activation precision unless `a_bits` is given).
    mode : {"configurable", "dedicated"}
        MAC count from sub-word splitting (peak ~ 16/bits) or from the technology area model
        (``tech.density_gain``). Never exceeds the base area: counts are floored.
    scale : {"array", "cores", "lanes"}, optional
        Default `default_scale(mode)`. Where the extra MACs go: a bigger near-square array per core, more cores (each with the base
        array; the total memory is re-divided), or more MACs per PE.
    a_bits : int, optional
        Activation precision for mixed designs (the wider operand sets the configurable count).

    Returns
    -------
    Accelerator
        With ``mac_w_bits=bits``, ``mac_a_bits=a_bits or bits`` and ``mac_mode=mode``.

    Examples
    --------
    >>> base = Accelerator()
    >>> [iso_area(base, b).macs_per_cycle for b in (16, 8, 4, 2)]
    [2048, 4096, 8192, 16384]
    >>> iso_area(base, 4, scale="cores").cores, iso_area(base, 4, scale="lanes").lanes
    (16, 4)
    """
    w = check_bits("bits", bits)
    a = check_bits("a_bits", a_bits if a_bits is not None else bits)
    if scale is None:
        scale = default_scale(mode)
    if scale not in SCALES:
        raise InputError("scale", scale, f"must be one of {', '.join(SCALES)}")
    multiplier = mac_multiplier(base, w, a, mode)
    common = {"mac_w_bits": w, "mac_a_bits": a, "mac_mode": mode}
    if scale == "array":
        rows, cols = grow_array(base.rows, base.cols, _count(base.rows * base.cols, multiplier))
        return replace(base, rows=rows, cols=cols, **common)
    if scale == "cores":
        cores = _count(base.cores, multiplier, "cores")
        # Same total on-chip memory, re-divided; a remainder of < cores bytes is dropped.
        return replace(base, cores=cores, sram_bytes_per_core=max(1, base.sram_bytes_total // cores), **common)
    return replace(base, lanes=_count(base.lanes, multiplier, "lanes"), **common)


__all__ = [
    "Accelerator",
    "DATAFLOWS",
    "MAC_MODES",
    "MB",
    "SCALES",
    "default_scale",
    "grow_array",
    "iso_area",
    "load_accelerator",
    "mac_multiplier",
]
