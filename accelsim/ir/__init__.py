"""The layer-graph IR in one import: layer records, `LayerGraph`, precision and policy."""

from __future__ import annotations

from accelsim.ir.checks import check_bits
from accelsim.ir.graph import (
    DEFAULT_BITS,
    SCHEMA_VERSION,
    LayerGraph,
    Precision,
    PrecisionPolicy,
    uniform_policy,
)
from accelsim.ir.layers import ACTIVATIONS, Add, Concat, Conv2d, Dense, Flatten, GemmView, Layer, MatMul, Pool, Reshape

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
