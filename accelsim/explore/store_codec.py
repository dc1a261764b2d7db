"""How a store row's JSON is kept on disk: raw DEFLATE against a fixed preset dictionary.

A point's params and result are ~1.4 KB of JSON, mostly the same field names and settings in every
row; compressed one row at a time they shrink little, but against a preset dictionary that already
holds a typical row they take ~130-200 bytes (measured on a 4-layer graph's sweep: 127 B for both).
The dictionary is part of the on-disk format: a blob starts with its version byte, and a dictionary
once released is never changed, only a new version added. Rows written as JSON text (schema 1
stores) are read as they are, so old stores stay readable and a writer may add compressed rows.
"""

from __future__ import annotations

import zlib
from typing import Any

#: Version byte 1's preset dictionary: a typical design point's params and result (field names in
#: the order `DesignPoint.to_dict` and `evaluate_point` write them, with common values).
_ZDICT_V1 = (
    '{"workload":"resnet50","bits":16,"bw_gb_per_s":64.0,"sram_bytes":16000000,"cores":4,"array":[16,32],'
    '"batch":1,"mode":"configurable","dram_efficiency":1.0,"scale":"cores","first_last_bits":8,"memory":"lpddr4",'
    '"tech_node":"14nm","clock_hz":1500000000.0,"lanes":1,"dataflow":"os","base_w_bits":16,"base_a_bits":16,'
    '"noc_gb_per_s":192.0,"noc_pj_per_bit":0.1,"vector_lanes":0,"vector_ops_per_cycle":1.0,"workload_sha256":""}'
    '{"network":"resnet50","first_last_bits_run":8,"design_cores":4,"design_array":"16x32","design_lanes":1,'
    '"macs_per_cycle":2048,"peak_tmacs":3.072,"seconds_per_image":0.0,"first_image_seconds":0.0,"utilization":0.0,'
    '"stall_fraction":0.0,"memory_bound_fraction":0.0,"bound":"compute","bound":"memory","bound":"balanced",'
    '"offchip_mb":0.0,"noc_mb":0.0,"weights_fit":true,"activations_fit":false,"pinned_mb":0.0,'
    '"energy_per_image_uj":0.0,"mac_energy_per_image_uj":0.0,"sram_energy_per_image_uj":0.0,'
    '"offchip_energy_per_image_uj":0.0,"noc_energy_per_image_uj":0.0,"area_mm2":0.0,"compute_area_mm2":0.0,'
    '"sram_area_mm2":16.0,"tokens_per_s":0.0,"kv_mb":0.0,"kv_on_chip":false}'
).encode("ascii")

#: Version 2: version 1 with the mapper's fields (issue 12: mapper, objective, dataflows) and the
#: event engine's lookahead (issue 11: prefetch_layers) where `DesignPoint.to_dict` writes them.
_ZDICT_V2 = (
    _ZDICT_V1.replace(b'"memory":"lpddr4",', b'"memory":"lpddr4","mapper":"fixed","objective":"latency",')
    .replace(b'"dataflow":"os",', b'"dataflow":"os","dataflows":[],')
    .replace(b'"workload_sha256":""}', b'"prefetch_layers":2,"workload_sha256":""}')
)

_DICTS = {1: _ZDICT_V1, 2: _ZDICT_V2}
_CURRENT = 2

#: Largest JSON text a blob may inflate to (a row is ~1.5 KB; this refuses a decompression bomb).
MAX_JSON_BYTES = 1 << 24


#: A 4 KB window holds the dictionary and a row; memory level 4 keeps the compressor's set-up small.
#: (Window 32 KB at memory level 9 cost ~300 us a row to set up; this ~20 us, same size out.)
_WBITS, _MEM_LEVEL = -12, 4
_primed: dict[int, Any] = {}


def pack(text: str) -> bytes:
    """`text` (JSON) as a compressed blob: version byte, then raw DEFLATE with that version's dictionary."""
    base = _primed.get(_CURRENT)
    if base is None:
        base = _primed[_CURRENT] = zlib.compressobj(
            6, zlib.DEFLATED, _WBITS, _MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY, zdict=_DICTS[_CURRENT]
        )
    co = base.copy()  # a compressor already primed with the dictionary
    return bytes([_CURRENT]) + co.compress(text.encode("utf-8")) + co.flush()


def unpack(value: bytes | str | None) -> str | None:
    """The JSON text of a stored value: a blob is inflated, text (a schema-1 row) returned as is.

    ValueError for a blob that is damaged, of an unknown version, or inflates past `MAX_JSON_BYTES`.
    """
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, bytes) or not value or value[0] not in _DICTS:
        raise ValueError("not a stored JSON blob")
    try:
        do = zlib.decompressobj(-15, zdict=_DICTS[value[0]])
        out = do.decompress(value[1:], MAX_JSON_BYTES)
    except zlib.error as exc:
        raise ValueError(f"damaged blob ({exc})") from None
    if do.unconsumed_tail:
        raise ValueError("blob inflates past the size limit")
    return out.decode("utf-8")


__all__ = ["MAX_JSON_BYTES", "pack", "unpack"]
