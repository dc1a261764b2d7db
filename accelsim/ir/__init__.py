"""The layer-graph IR in one import: layer records, `LayerGraph`, precision and policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accelsim._lazy import lazy_exports

#: public name -> defining module, loaded on first use (PEP 562): `accelsim.ir.checks` and
#: `accelsim.ir.units` (which `tech` and the CLI's argument parsing use) must not pull in networkx.
_PUBLIC = {
    "check_bits": "accelsim.ir.checks",
    **dict.fromkeys(
        ("DEFAULT_BITS", "SCHEMA_VERSION", "LayerGraph", "Precision", "PrecisionPolicy", "uniform_policy"),
        "accelsim.ir.graph",
    ),
    **dict.fromkeys(
        (
            "ACTIVATIONS",
            "Add",
            "Concat",
            "Conv2d",
            "Dense",
            "Flatten",
            "GemmView",
            "Layer",
            "MatMul",
            "Pool",
            "Reshape",
        ),
        "accelsim.ir.layers",
    ),
}


__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)

if TYPE_CHECKING:
    from accelsim.ir.checks import check_bits
    from accelsim.ir.graph import DEFAULT_BITS, SCHEMA_VERSION, LayerGraph, Precision, PrecisionPolicy, uniform_policy
    from accelsim.ir.layers import (
        ACTIVATIONS,
        Add,
        Concat,
        Conv2d,
        Dense,
        Flatten,
        GemmView,
        Layer,
        MatMul,
        Pool,
        Reshape,
    )

__all__ = [
    "ACTIVATIONS",
    "Add",
    "Concat",
    "Conv2d",
    "DEFAULT_BITS",
    "Dense",
    "Flatten",
    "GemmView",
    "Layer",
    "LayerGraph",
    "MatMul",
    "Pool",
    "Reshape",
    "Precision",
    "PrecisionPolicy",
    "SCHEMA_VERSION",
    "check_bits",
    "uniform_policy",
]
