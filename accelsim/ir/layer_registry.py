"""Layer records from their JSON form: the registry of every layer kind, MAC and vector layers alike.

Kept apart from the record modules (`accelsim.ir.layers`, `accelsim.ir.vector_layers`) so that both
can be read by one function without either importing the other's dependents.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any

from accelsim.errors import InputError
from accelsim.ir.layers import Add, Concat, Conv2d, Dense, Flatten, Layer, MatMul, Pool, Reshape
from accelsim.ir.vector_layers import VECTOR_LAYERS

#: Every layer kind by its JSON ``type``: MAC and structure layers, then the vector layers.
_ALL: tuple[type[Layer], ...] = (Conv2d, Dense, MatMul, Pool, Flatten, Reshape, Add, Concat, *VECTOR_LAYERS)
LAYER_TYPES: dict[str, type[Layer]] = {cls.kind: cls for cls in _ALL}

_TUPLE_FIELDS = {"to_shape", "in_shape", "kernel", "stride", "padding", "dilation", "a_shape", "b_shape", "shape"}


def layer_types() -> dict[str, type[Layer]]:
    """A copy of `LAYER_TYPES`."""
    return dict(LAYER_TYPES)


def layer_from_dict(data: Any, where: str) -> Layer:
    """Build a layer from its `to_dict()` form; errors name `where` (e.g. ``layers[3]``) and the field."""
    if not isinstance(data, dict):
        raise InputError(where, data, "must be an object")
    kind = data.get("type")
    types = layer_types()
    cls = types.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise InputError(f"{where}.type", kind, f"must be one of {', '.join(types)}")
    known = {f.name for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "type":
            continue
        if key not in known:
            raise InputError(f"{where}.{key}", value, f"is not a field of {kind}")
        if key in _TUPLE_FIELDS and isinstance(value, list):
            value = tuple(value)
        elif key == "in_shapes" and isinstance(value, list):
            value = tuple(tuple(s) if isinstance(s, list) else s for s in value)
        kwargs[key] = value
    missing = [f.name for f in fields(cls) if f.name not in kwargs and f.default is MISSING]
    if missing:
        raise InputError(f"{where}.{missing[0]}", None, f"is required for {kind}")
    try:
        return cls(**kwargs)
    except InputError as exc:
        raise InputError(f"{where}.{exc.field}", exc.value, exc.rule) from None
    except TypeError as exc:  # a value of the wrong type deep in a computation
        raise InputError(where, data, f"malformed {kind}: {exc}") from None


__all__ = ["LAYER_TYPES", "layer_from_dict", "layer_types"]
