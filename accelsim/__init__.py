"""accelsim: how much faster does a k-bit network run on an iso-area accelerator, and does it fit on chip?

Data flows one way: workload (`LayerGraph`) + precision policy -> design point -> per-layer mapping
-> discrete-event run -> result records -> sweep / report / plot / CLI.
"""

from __future__ import annotations

from accelsim.errors import AccelsimError, InputError
from accelsim.ir import (
    Add,
    Concat,
    Conv2d,
    Dense,
    Flatten,
    GemmView,
    Layer,
    LayerGraph,
    MatMul,
    Pool,
    Precision,
    Reshape,
    PrecisionPolicy,
    uniform_policy,
)

__version__ = "0.1.0"

__all__ = [
    "AccelsimError",
    "Add",
    "Concat",
    "Conv2d",
    "Dense",
    "Flatten",
    "GemmView",
    "InputError",
    "Layer",
    "LayerGraph",
    "MatMul",
    "Pool",
    "Reshape",
    "Precision",
    "PrecisionPolicy",
    "__version__",
    "uniform_policy",
]
