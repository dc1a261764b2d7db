"""The accelerator config-file vocabulary: which key (= command-line flag) sets which `Accelerator`
field, the keys of the old format with their replacements, and reading a file's keys as written.

`accelsim.hardware.accelerator.Accelerator.from_dict` validates what these produce.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accelsim.errors import InputError
from accelsim.ir.units import parse_array, parse_bw, parse_clock, parse_int, parse_mac_bits, parse_size


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


__all__ = ["CONFIG_KEYS", "FIELD_KEYS", "RENAMED_KEYS", "read_config"]
