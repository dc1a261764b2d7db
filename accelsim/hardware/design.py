"""The accelerator description (`Accelerator`) and iso-area design points (`iso_area`), in one import.

An `Accelerator` is one design point of the PACT section 6 system: `cores` cores, each a systolic
array of `rows x cols` processing elements (PEs) with `lanes` MACs per PE and its own on-chip memory,
sharing one external-memory channel. The MACs are built for `mac_w_bits x mac_a_bits` operands.

`iso_area` answers "what does the same silicon look like at another precision": the compute area,
the total on-chip memory and the external bandwidth stay fixed, the MAC count changes. See
docs/model.md for every assumption and its source.

This module is the public path to the hardware layer; the definitions live by concept in
`accelsim.hardware.accelerator` (the record and its config-file form), `accelsim.hardware.iso_area`,
`accelsim.hardware.limits` and `accelsim.hardware.config_keys`.

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

from accelsim.hardware import DATAFLOWS, MAC_MODES, SCALES
from accelsim.hardware.accelerator import MB, Accelerator, load_accelerator
from accelsim.hardware.config_keys import CONFIG_KEYS, RENAMED_KEYS, read_config
from accelsim.hardware.iso_area import default_scale, grow_array, iso_area, mac_multiplier
from accelsim.hardware.limits import DESIGN_LIMITS, design_limit

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
