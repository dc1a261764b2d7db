"""How a store row's JSON is kept on disk: raw DEFLATE against a fixed preset dictionary.

A point's params and result are ~1.4 KB of JSON, mostly the same field names and settings in every
row; compressed one row at a time they shrink little, but against a preset dictionary that already
holds a typical row they take ~130-200 bytes (measured on a 4-layer graph's sweep: 127 B for both).
The dictionary is part of the on-disk format: a blob starts with its version byte, and a dictionary
once released is never changed, only a new version added. Rows written as JSON text (schema 1
stores) are read as they are, so old stores stay readable and a writer may add compressed rows.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections.abc import Mapping
from typing import Any

from accelsim.errors import InputError

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


_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def json_safe(value: Any) -> Any:
    """Replace non-finite floats by strings: `json.dumps(inf)` writes non-standard `Infinity`."""
    if isinstance(value, float) and not math.isfinite(value):
        return "inf" if value > 0 else ("-inf" if value < 0 else "nan")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def encode(obj: Any) -> str:
    """Compact JSON that keeps key order; non-finite floats become "inf"/"-inf"/"nan", tuples lists."""
    try:  # finite data (nearly every row) needs no copy: json writes tuples as lists itself
        return json.dumps(obj, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a non-finite float somewhere
        return json.dumps(json_safe(obj), separators=(",", ":"), allow_nan=False)


def decode(text: str) -> Any:
    """Inverse of `encode`, reviving "inf"/"-inf"/"nan" strings as floats (tuples come back as lists)."""
    data = json.loads(text)
    if "inf" not in text and "nan" not in text and "\\u" not in text:
        return data  # no string that could be revived (a walk over every value costs more than the parse)
    return _revive(data)


def _revive(obj: Any) -> Any:
    if isinstance(obj, str):
        return _NONFINITE.get(obj, obj)
    if isinstance(obj, dict):
        return {k: _revive(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_revive(v) for v in obj]
    return obj


def normalize(obj: Any) -> Any:
    """What `obj` looks like after a trip through the store, so fresh and resumed results compare equal."""
    return decode(encode(obj))


def canonical_json(obj: Any) -> str:
    """Sorted keys, no spaces, ASCII, no NaN: the same design point always gives the same bytes."""
    return json.dumps(json_safe(obj), sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)


def point_key(point: Mapping[str, Any], salt: str = "") -> str:
    """sha256 hex of the canonical JSON of ``{"point": point, "salt": salt}``.

    Types matter (``32`` and ``32.0`` hash differently); `accelsim.explore.grid` normalises each axis to one type.
    NaN is refused: it is never a valid design-point value and would make equal points unequal.
    """
    return key_of_text(point_text(point, salt))


def point_text(point: Mapping[str, Any], salt: str = "") -> str:
    """The canonical JSON that `point_key` hashes."""
    data = {"point": dict(point), "salt": salt}
    try:  # finite data, nearly every point: no walk over it first (`json_safe` would change nothing)
        return _CANONICAL.encode(data)
    except ValueError:  # a non-finite float: NaN refused, infinities spelt as strings
        _reject_nan(data["point"])
        return canonical_json(data)


def key_of_text(text: str) -> str:
    """`point_key` of the point whose `point_text` is `text`."""
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def reference_point(point: Mapping[str, Any]) -> dict[str, Any]:
    """The stored point a speedup is measured against: base precision, every other value the same."""
    return {**point, "bits": point["base_w_bits"]}


def reference_key(text: str, point: Mapping[str, Any], salt: str = "") -> str:
    """`point_key` of `point`'s reference (its bits set to ``base_w_bits``) from the point's own
    `point_text`: the same text with the value of "bits" replaced (sorted keys, so nothing else
    moves; "bits" is the one key spelt so, the others end in "_bits", and quotes inside string
    values are escaped). A sweep's output needs it for every point."""
    old = '"bits":' + _CANONICAL.encode(point["bits"])
    if text.count(old) != 1:  # (not this point's text): work it out in full
        return point_key(reference_point(point), salt)
    return key_of_text(text.replace(old, '"bits":' + _CANONICAL.encode(point["base_w_bits"])))


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)


def _reject_nan(obj: Any, field: str = "point") -> None:
    if isinstance(obj, float) and math.isnan(obj):
        raise InputError(field, obj, "NaN is not a valid design-point value")
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            _reject_nan(v, str(k))
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _reject_nan(v, field)


__all__ = [
    "MAX_JSON_BYTES",
    "canonical_json",
    "decode",
    "encode",
    "json_safe",
    "key_of_text",
    "normalize",
    "pack",
    "point_key",
    "point_text",
    "reference_key",
    "reference_point",
    "unpack",
]
