"""The accelerator description (`Accelerator`) and iso-area design points (`iso_area`).

An `Accelerator` is one design point of the PACT section 6 system: `cores` cores, each a systolic
array of `rows x cols` processing elements (PEs) with `lanes` MACs per PE and its own on-chip memory,
sharing one external-memory channel. The MACs are built for `mac_w_bits x mac_a_bits` operands.

`iso_area` answers "what does the same silicon look like at another precision": the compute area,
the total on-chip memory and the external bandwidth stay fixed, the MAC count changes. See
docs/model.md for every assumption and its source.

Units are in field names: ``clock_hz``, ``sram_bytes`` (total on-chip memory, decimal bytes: 1 MB =
1e6 bytes; each core gets an equal share), ``bw_gb_per_s`` (1 GB/s = 1e9 bytes/s; ``inf`` =
unconstrained). Config files and flags use the short names of `accelsim.ir.units` (``sram = "16MB"``,
``array = "16x32"``, ``bw = 64``); `Accelerator.from_dict` reads them and `to_dict` writes them.

Example
-------
>>> base = Accelerator()
>>> base.macs_per_cycle, round(base.peak_tmacs, 2)
(2048, 3.07)
>>> d4 = iso_area(base, 4)
>>> (d4.cores, d4.rows, d4.cols, d4.macs_per_cycle)
(16, 16, 32, 8192)
>>> Accelerator.from_dict({"cores": 1, "array": "256x256", "sram": "28MiB", "bw": 34}).sram_bytes_per_core
29360128
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tech
from accelsim.errors import InputError
from accelsim.hardware import DATAFLOWS, MAC_MODES, SCALES  # noqa: E402  (re-exported: the one definition)
from accelsim.ir.checks import check_bits
from accelsim.ir.units import (
    MB,
    format_array,
    format_bw,
    format_clock,
    format_mac_bits,
    format_size,
    parse_array,
    parse_bw,
    parse_clock,
    parse_int,
    parse_mac_bits,
    parse_size,
)

#: Iso-area arrays grow near-square: no side may exceed this many times the other (or the base's
#: own aspect ratio when that is larger), so a 7.34x target does not become a 13 x 289 strip.
MAX_ASPECT = 2.0


def _spaced(size: str) -> str:
    """'16MB' -> '16 MB' for prose."""
    number = size.rstrip("KMGTiB")
    return f"{number} {size[len(number) :]}"


#: Design sizes beyond any real chip of the kind modelled (cores with their own systolic array and
#: SRAM sharing one external channel), refused before any work: simulation time grows linearly with
#: cores (measured: resnet50, 4,096 cores, 2 design points, 108 s, ~13 ms per core per point), so
#: `cores = 1000000000` would never end.
#: Sources and how to raise each: docs/limits.md. `ACCELSIM_MAX_<NAME>` (e.g. ACCELSIM_MAX_CORES)
#: replaces a limit for one run.
DESIGN_LIMITS: dict[str, float] = {
    "cores": 16_384,  # Graphcore GC200: 1,472 tiles; Tesla D1: 354 cores (docs/limits.md)
    "array_side": 1_024,  # rows or cols; TPU v1's 256 x 256 is the largest shipped systolic array
    "lanes": 256,  # MACs per PE (dot-product width)
    "sram_total_bytes": 64e9,  # on-chip memory of the whole chip; Cerebras WSE-3 has 44 GB
    "clock_hz": 10e9,  # no digital accelerator clocks above ~2 GHz; CPUs peak near 6 GHz
    "bw_gb_per_s": 100_000.0,  # finite external bandwidth; HBM3e stacks give ~8,000 GB/s per chip
}


def design_limit(name: str) -> float:
    """`DESIGN_LIMITS[name]`, or ACCELSIM_MAX_<NAME> from the environment when set."""
    import os

    env = f"ACCELSIM_MAX_{name.upper()}"
    raw = os.environ.get(env)
    if raw is None:
        return DESIGN_LIMITS[name]
    try:
        value = float(raw)
    except ValueError:
        raise InputError(env, raw, "must be a number") from None
    if not value > 0:
        raise InputError(env, raw, "must be a number > 0")
    return value


def _check_limit(field: str, value: float, name: str) -> None:
    limit = design_limit(name)
    if value > limit:
        raise InputError(
            field,
            value,
            f"exceeds {limit:,.0f}, beyond any real chip (docs/limits.md; ACCELSIM_MAX_{name.upper()} raises it)",
        )


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
    sram_bytes : int
        Total on-chip memory in bytes (decimal: 16 MB = 16_000_000), split evenly over the cores
        (`sram_bytes_per_core`; a remainder of fewer than `cores` bytes is unused).
    bw_gb_per_s : float
        External bandwidth shared by all cores, GB/s (1e9 B/s); ``math.inf`` = unconstrained.
    dataflow : {"os", "ws", "is"}
        Output-, weight- or input-stationary (SCALE-Sim's three dataflows): the one the fixed
        mapping (``--mapper fixed``, SCALE-Sim's model) uses.
    dataflows : tuple of {"os", "ws", "is"}
        Dataflows the array supports, for the mapper's search (``--mapper search``). Empty (default)
        = `dataflow` only, a fixed-dataflow array; several = a flexible array (e.g. Eyeriss v2-like
        reconfigurable PEs). Must include `dataflow`. A TPU-like array is weight-stationary only:
        ``dataflow="ws", dataflows=("ws",)``.
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
    vector_lanes : int
        SIMD lanes of each core's vector unit (softmax, norms, activations: `accelsim.model.vector_unit`);
        0 = the sourced default of ``tech/vector.toml``, one lane per array column and MAC lane.
    vector_ops_per_cycle : float
        Elementary operations each vector lane retires per cycle (``tech/vector.toml``: 1).
    prefetch_layers : int
        Prefetch lookahead in layers: how far ahead of the earliest unfinished layer the memory
        controller may fetch later layers' DRAM operands into free SRAM (0 = no prefetch, layers
        load only when they start). Default 2, the smallest lookahead whose ResNet-50/VGG16/BERT
        results are within 1 % of an unbounded one (docs/model.md, "The event engine").
    pooled_sram : bool
        Ablation switch, not a config key (`accelsim reproduce`'s ablation table): True = one SRAM of
        `sram_bytes` shared by every core, core-to-core traffic free, as the model before issue 10;
        False (default) = each core owns `sram_bytes_per_core` (docs/model.md, "Ablation switches").
    all_or_nothing_weights : bool
        Ablation switch, not a config key: True = every weight is pinned when all of them fit, else
        every weight streams, as the model before issue 10; False (default) = partial residency.

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
    sram_bytes: int = 16 * MB
    bw_gb_per_s: float = 64.0
    dataflow: str = "os"
    dataflows: tuple[str, ...] = ()
    mac_w_bits: int = 16
    mac_a_bits: int = 16
    mac_mode: str = "configurable"
    dram_efficiency: float = 1.0
    noc_gb_per_s: float = field(default_factory=lambda: _noc_default().bw_gb_per_s)
    noc_pj_per_bit: float = field(default_factory=lambda: _noc_default().energy_pj_per_bit)
    vector_lanes: int = 0
    vector_ops_per_cycle: float = 1.0
    prefetch_layers: int = 2
    pooled_sram: bool = False
    all_or_nothing_weights: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.tech_node, str) or not self.tech_node.strip():
            raise InputError("tech_node", self.tech_node, "must be a technology node name such as '14nm'")
        object.__setattr__(self, "tech_node", _canonical_node(self.tech_node))
        object.__setattr__(self, "clock_hz", _check_positive_float("clock_hz", self.clock_hz))
        for name in ("cores", "rows", "cols", "lanes", "sram_bytes"):
            _check_int(name, getattr(self, name))
        _check_limit("cores", self.cores, "cores")  # before the per-core share: a billion cores is the error
        if self.sram_bytes < self.cores:
            raise InputError(
                "sram_bytes", self.sram_bytes, f"leaves less than one byte per core for {self.cores} cores"
            )
        object.__setattr__(self, "bw_gb_per_s", _check_positive_float("bw_gb_per_s", self.bw_gb_per_s, True))
        if self.dataflow not in DATAFLOWS:
            raise InputError("dataflow", self.dataflow, f"must be one of {', '.join(DATAFLOWS)}")
        flows = self.dataflows
        if isinstance(flows, str) or not isinstance(flows, (tuple, list)) or any(f not in DATAFLOWS for f in flows):
            raise InputError("dataflows", flows, f"must be a list of dataflows from {', '.join(DATAFLOWS)}")
        object.__setattr__(self, "dataflows", tuple(dict.fromkeys(flows)))
        if self.dataflows and self.dataflow not in self.dataflows:
            raise InputError("dataflows", list(flows), f"must include dataflow {self.dataflow!r} (the fixed mapping's)")
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
        _check_int("vector_lanes", self.vector_lanes, lo=0)
        object.__setattr__(
            self, "vector_ops_per_cycle", _check_positive_float("vector_ops_per_cycle", self.vector_ops_per_cycle)
        )
        _check_int("prefetch_layers", self.prefetch_layers, lo=0)
        for name in ("pooled_sram", "all_or_nothing_weights"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(name, getattr(self, name), "must be true or false")
        self._check_limits()

    def _check_limits(self) -> None:
        _check_limit("rows", self.rows, "array_side")
        _check_limit("cols", self.cols, "array_side")
        _check_limit("lanes", self.lanes, "lanes")
        _check_limit("sram_bytes", self.sram_bytes, "sram_total_bytes")  # the total on-chip memory
        _check_limit("clock_hz", self.clock_hz, "clock_hz")
        if not math.isinf(self.bw_gb_per_s):
            _check_limit("bw_gb_per_s", self.bw_gb_per_s, "bw_gb_per_s")

    # --- derived quantities -------------------------------------------------------------------
    @property
    def allowed_dataflows(self) -> tuple[str, ...]:
        """The dataflows the mapper may choose from: `dataflows`, or `dataflow` alone."""
        return self.dataflows or (self.dataflow,)

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
    def sram_bytes_per_core(self) -> int:
        """Each core's equal share of the on-chip memory."""
        return self.sram_bytes // self.cores

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
            f"{self.tech_node}, {self.clock_hz / 1e9:g} GHz, {self.cores} core{'s' if self.cores != 1 else ''} x "
            f"{self.rows}x{self.cols}{lanes} "
            f"{self.mac_w_bits}x{self.mac_a_bits}b {self.mac_mode} MACs "
            f"({'/'.join(f.upper() for f in self.allowed_dataflows)}), "
            f"{_spaced(format_size(self.sram_bytes))} on chip"
            + (f", {bw} GB/s" if with_bw else "")
            + (f" at {self.dram_efficiency:.0%} sustained" if with_bw and self.dram_efficiency < 1 else "")
            + (", pooled SRAM" if self.pooled_sram else "")
            + (", all-or-nothing weights" if self.all_or_nothing_weights else "")
        )

    # --- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The config-file form (`CONFIG_KEYS` order): ``{"tech": "14nm", "sram": "16MB", "bw": 64.0, ...}``.

        JSON-safe and exact: `from_dict` of it gives this accelerator back; unconstrained bandwidth
        is the string ``"inf"``, never Infinity. The two ablation switches (`pooled_sram`,
        `all_or_nothing_weights`) are not config keys and are left out.
        """
        return {
            "tech": self.tech_node,
            "clock": format_clock(self.clock_hz),
            "cores": self.cores,
            "array": format_array(self.rows, self.cols),
            "lanes": self.lanes,
            "sram": format_size(self.sram_bytes),
            "bw": format_bw(self.bw_gb_per_s),
            "dataflow": self.dataflow,
            "dataflows": list(self.dataflows),
            "mac_bits": format_mac_bits(self.mac_w_bits, self.mac_a_bits),
            "mode": self.mac_mode,
            "efficiency": self.dram_efficiency,
            "noc_bw": format_bw(self.noc_gb_per_s),
            "noc_pj_per_bit": self.noc_pj_per_bit,
            "vector_lanes": self.vector_lanes,
            "vector_ops_per_cycle": self.vector_ops_per_cycle,
            "prefetch_layers": self.prefetch_layers,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Any, *, base: Accelerator | None = None) -> Accelerator:
        """Build from config keys (`CONFIG_KEYS`); missing keys come from `base` (default: the default system).

        Unknown keys are an error; a key of the old format names its replacement.
        """
        if not isinstance(data, dict):
            raise InputError("accelerator", type(data).__name__, "must be an object/table of fields")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in RENAMED_KEYS:
                raise InputError(str(key), value, f"is no longer a config key: {RENAMED_KEYS[key]}")
            if key not in CONFIG_KEYS:
                raise InputError(str(key), value, f"is not an accelerator key ({', '.join(CONFIG_KEYS)})")
            kwargs.update(CONFIG_KEYS[key](value))
        try:
            return replace(base if base is not None else cls(), **kwargs)
        except InputError as exc:  # name the key the user wrote, not the field behind it
            raise InputError(FIELD_KEYS.get(exc.field, exc.field), exc.value, exc.rule) from None


def _mac_bits(value: Any) -> dict[str, int]:
    w, a = parse_mac_bits(value)
    return {"mac_w_bits": w, "mac_a_bits": a}


def _array(value: Any) -> dict[str, int]:
    rows, cols = parse_array(value)
    return {"rows": rows, "cols": cols}


#: Config-file key (= command-line flag) -> the `Accelerator` fields it sets. One vocabulary:
#: `sram` is the total on-chip memory here, on `--sram` and on the sweep axis alike.
CONFIG_KEYS: dict[str, Any] = {
    "tech": lambda v: {"tech_node": v},
    "clock": lambda v: {"clock_hz": parse_clock(v)},
    "cores": lambda v: {"cores": parse_int("cores", v)},
    "array": _array,
    "lanes": lambda v: {"lanes": parse_int("lanes", v)},
    "sram": lambda v: {"sram_bytes": parse_size("sram", v)},
    "bw": lambda v: {"bw_gb_per_s": parse_bw(v)},
    "dataflow": lambda v: {"dataflow": v},
    "dataflows": lambda v: {"dataflows": v},  # the mapper's choices (a list); [] = `dataflow` only
    "mac_bits": _mac_bits,
    "mode": lambda v: {"mac_mode": v},
    "efficiency": lambda v: {"dram_efficiency": v},
    "noc_bw": lambda v: {"noc_gb_per_s": parse_bw(v, "noc_bw")},
    "noc_pj_per_bit": lambda v: {"noc_pj_per_bit": v},
    "vector_lanes": lambda v: {"vector_lanes": v},  # 0 = the sourced default of tech/vector.toml
    "vector_ops_per_cycle": lambda v: {"vector_ops_per_cycle": v},
    "prefetch_layers": lambda v: {"prefetch_layers": v},  # event engine lookahead; 0 = no cross-layer prefetch
}

#: Accelerator field -> the config key that sets it (for error messages).
FIELD_KEYS: dict[str, str] = {
    "tech_node": "tech",
    "clock_hz": "clock",
    "rows": "array",
    "cols": "array",
    "sram_bytes": "sram",
    "bw_gb_per_s": "bw",
    "mac_w_bits": "mac_bits",
    "mac_a_bits": "mac_bits",
    "mac_mode": "mode",
    "dram_efficiency": "efficiency",
    "noc_gb_per_s": "noc_bw",
}

#: Keys of the old config format, and what to write instead.
RENAMED_KEYS: dict[str, str] = {
    "tech_node": 'write tech = "14nm"',
    "clock_hz": 'write clock = "1.5GHz" (or "700MHz")',
    "rows": 'write array = "ROWSxCOLS", e.g. array = "16x32"',
    "cols": 'write array = "ROWSxCOLS", e.g. array = "16x32"',
    "sram_bytes_per_core": 'write sram = "16MB", the TOTAL on-chip memory (split evenly over the cores)',
    "sram_bytes": 'write sram = "16MB" (total on-chip memory, with its unit)',
    "bw_gb_per_s": 'write bw = 64 (GB/s) or bw = "inf"',
    "mac_w_bits": 'write mac_bits = 8, or "WxA" such as "8x16" for mixed operands',
    "mac_a_bits": 'write mac_bits = 8, or "WxA" such as "8x16" for mixed operands',
    "mac_mode": 'write mode = "configurable" or "dedicated"',
    "dram_efficiency": "write efficiency = 0.78 (sustained / peak external bandwidth)",
    "noc_gb_per_s": 'write noc_bw = 192 (on-chip network GB/s) or noc_bw = "inf"',
}


def load_accelerator(path: str | Path, *, base: Accelerator | None = None) -> Accelerator:
    """Read an accelerator from a JSON (``.json``) or TOML (any other suffix) config file.

    A TOML file may hold the keys at the top level or in an ``[accelerator]`` table. Errors name
    the file and, for bad JSON/TOML, the position.
    """
    return Accelerator.from_dict(read_config(path), base=base)


def read_config(path: str | Path) -> dict[str, Any]:
    """The keys a config file sets, as written (`load_accelerator` validates them)."""
    from accelsim.inputfiles import parse_json, parse_toml, read_text

    path = Path(path)
    text = read_text(path, "config")
    if path.suffix.lower() == ".json":
        data = parse_json(text, "config", str(path))
        if not isinstance(data, dict):
            raise InputError("config", str(path), f"must hold a JSON object, not {type(data).__name__}")
    else:
        data = parse_toml(text, "config", str(path))
        if isinstance(data.get("accelerator"), dict) and len(data) == 1:
            data = data["accelerator"]
    return data


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
        Default `default_scale(mode)`. Where the extra MACs go: a bigger near-square array per core,
        more cores (each with the base
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
    if scale == "array":
        rows, cols = grow_array(base.rows, base.cols, _count(base.rows * base.cols, multiplier))
        return replace(base, rows=rows, cols=cols, mac_w_bits=w, mac_a_bits=a, mac_mode=mode)
    if scale == "cores":
        cores = _count(base.cores, multiplier, "cores")
        # Same total on-chip memory, re-divided among more cores (`sram_bytes_per_core`).
        return replace(base, cores=cores, mac_w_bits=w, mac_a_bits=a, mac_mode=mode)
    lanes = _count(base.lanes, multiplier, "lanes")
    return replace(base, lanes=lanes, mac_w_bits=w, mac_a_bits=a, mac_mode=mode)


__all__ = [
    "CONFIG_KEYS",
    "DESIGN_LIMITS",
    "DATAFLOWS",
    "MAC_MODES",
    "MB",
    "RENAMED_KEYS",
    "SCALES",
    "Accelerator",
    "default_scale",
    "design_limit",
    "grow_array",
    "iso_area",
    "load_accelerator",
    "mac_multiplier",
    "read_config",
]
