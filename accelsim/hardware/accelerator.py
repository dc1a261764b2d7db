"""The accelerator record: `Accelerator`, its field checks, derived quantities (peak MACs, bytes per
cycle, SRAM per core) and its config-file form (`to_dict` / `from_dict`, `load_accelerator`).

An `Accelerator` is one design point of the PACT section 6 system: `cores` cores, each a systolic
array of `rows x cols` processing elements (PEs) with `lanes` MACs per PE and its own on-chip memory,
sharing one external-memory channel. The MACs are built for `mac_w_bits x mac_a_bits` operands.
Iso-area design points are in `accelsim.hardware.iso_area`, the limits in `accelsim.hardware.limits`,
the config-file keys in `accelsim.hardware.config_keys`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tech
from accelsim.errors import InputError
from accelsim.hardware import DATAFLOWS, MAC_MODES
from accelsim.hardware.config_keys import CONFIG_KEYS, FIELD_KEYS, RENAMED_KEYS, read_config
from accelsim.hardware.limits import check_int, check_limit, check_positive_float
from accelsim.ir.checks import check_bits
from accelsim.ir.units import MB, format_array, format_bw, format_clock, format_mac_bits, format_size


def _spaced(size: str) -> str:
    """'16MB' -> '16 MB' for prose."""
    number = size.rstrip("KMGTiB")
    return f"{number} {size[len(number) :]}"


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
        load only when they start). Default 2: a DMA queue a couple of layers deep, what a simple
        hardware prefetcher keeps (docs/model.md, "The event engine", "Why L = 2").
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
        object.__setattr__(self, "clock_hz", check_positive_float("clock_hz", self.clock_hz))
        for name in ("cores", "rows", "cols", "lanes", "sram_bytes"):
            check_int(name, getattr(self, name))
        check_limit("cores", self.cores, "cores")  # before the per-core share: a billion cores is the error
        if self.sram_bytes < self.cores:
            raise InputError(
                "sram_bytes", self.sram_bytes, f"leaves less than one byte per core for {self.cores} cores"
            )
        object.__setattr__(self, "bw_gb_per_s", check_positive_float("bw_gb_per_s", self.bw_gb_per_s, True))
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
        eff = check_positive_float("dram_efficiency", self.dram_efficiency)
        if eff > 1:
            raise InputError("dram_efficiency", self.dram_efficiency, "must be a number in (0, 1]")
        object.__setattr__(self, "dram_efficiency", eff)
        object.__setattr__(self, "noc_gb_per_s", check_positive_float("noc_gb_per_s", self.noc_gb_per_s, True))
        object.__setattr__(self, "noc_pj_per_bit", check_positive_float("noc_pj_per_bit", self.noc_pj_per_bit))
        check_int("vector_lanes", self.vector_lanes, lo=0)
        object.__setattr__(
            self, "vector_ops_per_cycle", check_positive_float("vector_ops_per_cycle", self.vector_ops_per_cycle)
        )
        check_int("prefetch_layers", self.prefetch_layers, lo=0)
        for name in ("pooled_sram", "all_or_nothing_weights"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(name, getattr(self, name), "must be true or false")
        self._check_limits()

    def _check_limits(self) -> None:
        check_limit("rows", self.rows, "array_side")
        check_limit("cols", self.cols, "array_side")
        check_limit("lanes", self.lanes, "lanes")
        check_limit("sram_bytes", self.sram_bytes, "sram_total_bytes")  # the total on-chip memory
        check_limit("clock_hz", self.clock_hz, "clock_hz")
        if not math.isinf(self.bw_gb_per_s):
            check_limit("bw_gb_per_s", self.bw_gb_per_s, "bw_gb_per_s")

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


def load_accelerator(path: str | Path, *, base: Accelerator | None = None) -> Accelerator:
    """Read an accelerator from a JSON (``.json``) or TOML (any other suffix) config file.

    A TOML file may hold the keys at the top level or in an ``[accelerator]`` table. Errors name
    the file and, for bad JSON/TOML, the position.
    """
    return Accelerator.from_dict(read_config(path), base=base)


__all__ = ["MB", "Accelerator", "load_accelerator"]
