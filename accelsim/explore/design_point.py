"""`DesignPoint`: one point of a sweep, every input of its result in one frozen record.

Why a record and not a dict: a point crosses three boundaries (planning -> worker -> store), and a
dict with 21 string keys let a typo or a missing key through to the worker. The record checks its
fields once, is hashable and picklable, and its canonical JSON (`to_json`) is the result store's
key, so it must hold *everything* a result depends on besides the code: the axis values, the
fixed settings (scale, first/last bits, external memory), the mapper and its objective, the base
design it is iso-area to (with the dataflows its arrays support) and the hash of the workload graph.

>>> p = DesignPoint(workload="resnet50", workload_sha256="ab" * 32, bits=4, bw_gb_per_s=64.0)
>>> p.base().describe()
'14nm, 1.5 GHz, 4 cores x 16x32 16x16b configurable MACs (OS), 16 MB on chip, 64 GB/s'
>>> p.design().macs_per_cycle, p.reference().bits
(8192, 16)
>>> DesignPoint.from_dict(p.to_dict()) == p
True
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from accelsim.errors import InputError
from accelsim.hardware.design import MAC_MODES, SCALES, Accelerator, default_scale, iso_area
from accelsim.ir.bits_spec import parse_bits_token
from accelsim.ir.checks import check_bits
from accelsim.ir.graph import AS_TRAINED
from accelsim.model.batching import splits
from accelsim.model.mapper import MapperConfig


@dataclass(frozen=True, slots=True, kw_only=True)
class DesignPoint:
    """Axis values first (`workload` .. `mode`), then fixed settings, then the base design.

    sram_bytes is the base's total on-chip memory; array its (rows, cols) per core; bits the body
    precision (an int, a token such as ``"w4a16"``: `accelsim.ir.bits_spec`, or ``"as-trained"``: the
    graph's own per-layer bits, sized at its body precision); first_last_bits None = first and last
    layers run at the body's precision; mapper and objective as `accelsim.model.mapper.MapperConfig`
    (the objective also picks an even batch's micro-batch; the fixed mapper at an odd batch has
    nothing for it to pick, so those points all hold ``latency``: one key).
    """

    workload: str
    bits: int | str
    bw_gb_per_s: float
    sram_bytes: int = 16_000_000
    cores: int = 4
    array: tuple[int, int] = (16, 32)
    batch: int = 1
    mode: str = "configurable"
    dram_efficiency: float = 1.0
    scale: str = ""
    first_last_bits: int | None = 8
    memory: str = "lpddr4"
    mapper: str = "fixed"
    objective: str = "latency"
    tech_node: str = "14nm"
    clock_hz: float = 1.5e9
    lanes: int = 1
    dataflow: str = "os"
    dataflows: tuple[str, ...] = ()
    base_w_bits: int = 16
    base_a_bits: int = 16
    noc_gb_per_s: float = field(default_factory=lambda: Accelerator().noc_gb_per_s)
    noc_pj_per_bit: float = field(default_factory=lambda: Accelerator().noc_pj_per_bit)
    vector_lanes: int = 0
    vector_ops_per_cycle: float = 1.0
    prefetch_layers: int = 2
    workload_sha256: str = ""

    def __post_init__(self) -> None:
        if self.bits == AS_TRAINED:
            pass  # the graph's own bits: the key names them, the graph (by its hash) holds them
        elif isinstance(self.bits, str):
            parse_bits_token(self.bits)  # InputError names a bad token
        else:
            check_bits("bits", self.bits)
        if self.first_last_bits is not None:
            check_bits("first_last_bits", self.first_last_bits)
        if self.mode not in MAC_MODES:
            raise InputError("mode", self.mode, f"must be one of {', '.join(MAC_MODES)}")
        if not self.scale:
            object.__setattr__(self, "scale", default_scale(self.mode))
        if self.scale not in SCALES:
            raise InputError("scale", self.scale, f"must be one of {', '.join(SCALES)}")
        object.__setattr__(self, "array", tuple(self.array))
        object.__setattr__(self, "dataflows", tuple(self.dataflows))
        MapperConfig(self.mapper, self.objective)  # InputError names a bad mapper or objective
        if self.mapper == "fixed" and not splits(self.batch):  # one micro-batch: nothing for the objective to pick
            object.__setattr__(self, "objective", "latency")
        object.__setattr__(self, "bw_gb_per_s", float(self.bw_gb_per_s))
        object.__setattr__(self, "clock_hz", float(self.clock_hz))
        object.__setattr__(self, "dram_efficiency", float(self.dram_efficiency))
        object.__setattr__(self, "noc_gb_per_s", float(self.noc_gb_per_s))
        object.__setattr__(self, "noc_pj_per_bit", float(self.noc_pj_per_bit))
        object.__setattr__(self, "vector_ops_per_cycle", float(self.vector_ops_per_cycle))

    @classmethod
    def of(cls, base: Accelerator, **axes: Any) -> DesignPoint:
        """The point with `base`'s design values, overridden by `axes` (workload, bits, bw_gb_per_s, ...)."""
        values: dict[str, Any] = {
            "sram_bytes": base.sram_bytes,
            "cores": base.cores,
            "array": (base.rows, base.cols),
            "bw_gb_per_s": base.bw_gb_per_s,
            "mode": base.mac_mode,
            "tech_node": base.tech_node,
            "clock_hz": base.clock_hz,
            "lanes": base.lanes,
            "dataflow": base.dataflow,
            "dataflows": base.dataflows,
            "base_w_bits": base.mac_w_bits,
            "base_a_bits": base.mac_a_bits,
            "dram_efficiency": base.dram_efficiency,
            "noc_gb_per_s": base.noc_gb_per_s,
            "noc_pj_per_bit": base.noc_pj_per_bit,
            "vector_lanes": base.vector_lanes,
            "vector_ops_per_cycle": base.vector_ops_per_cycle,
            "prefetch_layers": base.prefetch_layers,
        }
        values.update(axes)
        return cls(**values)

    # --- the designs it stands for ------------------------------------------------------------
    def base(self) -> Accelerator:
        """The base design this point is iso-area to (InputError if it cannot be built)."""
        rows, cols = self.array
        return Accelerator(
            tech_node=self.tech_node,
            clock_hz=self.clock_hz,
            cores=self.cores,
            rows=rows,
            cols=cols,
            lanes=self.lanes,
            sram_bytes=self.sram_bytes,
            bw_gb_per_s=self.bw_gb_per_s,
            dataflow=self.dataflow,
            dataflows=self.dataflows,
            mac_w_bits=self.base_w_bits,
            mac_a_bits=self.base_a_bits,
            mac_mode=self.mode,
            dram_efficiency=self.dram_efficiency,
            noc_gb_per_s=self.noc_gb_per_s,
            noc_pj_per_bit=self.noc_pj_per_bit,
            vector_lanes=self.vector_lanes,
            vector_ops_per_cycle=self.vector_ops_per_cycle,
            prefetch_layers=self.prefetch_layers,
        )

    def design(self, body_bits: int | str | None = None, base: Accelerator | None = None) -> Accelerator:
        """The iso-area design that runs: `base()` at `bits` (a token's weight and activation bits).

        `body_bits` sizes it when `bits` is ``as-trained`` (the graph's body precision, which only
        the graph knows); InputError when it is needed and missing. `base`: this point's `base()`
        when the caller built it already (not rebuilt).
        """
        body = self.bits if body_bits is None else body_bits
        if body == AS_TRAINED:
            raise InputError("bits", AS_TRAINED, "needs the graph's body precision to size the design")
        spec = parse_bits_token(body)
        return iso_area(base or self.base(), spec.w_bits, self.mode, self.scale, a_bits=spec.a_bits)

    def mapper_config(self) -> MapperConfig:
        """How this point maps its layers."""
        return MapperConfig(self.mapper, self.objective)

    def reference(self) -> DesignPoint:
        """The point a speedup is measured against: the base precision, every other value the same."""
        return replace(self, bits=self.base_w_bits)

    # --- serialisation (the store key) --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain values in field order; `array` as a list (JSON has no tuples)."""
        out = {name: getattr(self, name) for name in _FIELD_NAMES}  # not `asdict`: its deep copy cost
        out["array"] = list(self.array)  # ~0.3 ms a point, on every point of a sweep, twice
        out["dataflows"] = list(self.dataflows)
        return out

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no spaces, ``inf`` spelled as a string. The store's key."""
        data = self.to_dict()
        for key in ("bw_gb_per_s", "noc_gb_per_s"):
            if math.isinf(data[key]):
                data[key] = "inf"
        return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DesignPoint:
        """Inverse of `to_dict` (and of `to_json` after `json.loads`); unknown keys are an error."""
        unknown = sorted(set(data).difference(_FIELD_NAMES))
        if unknown:
            known = ", ".join(sorted(_FIELD_NAMES))
            raise InputError("design point", ",".join(unknown), f"unknown fields (known: {known})")
        values = dict(data)
        for key in ("bw_gb_per_s", "noc_gb_per_s"):
            if values.get(key) == "inf":
                values[key] = math.inf
        return cls(**values)


#: Field names in declaration order (`DesignPoint.to_dict`).
_FIELD_NAMES = tuple(f.name for f in fields(DesignPoint))


__all__ = ["DesignPoint"]
