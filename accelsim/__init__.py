"""accelsim: how much faster does a k-bit network run on an iso-area accelerator, and does it fit on chip?

Data flows one way: workload (`LayerGraph`) + precision policy -> design point -> per-layer mapping
-> discrete-event run -> result records -> sweep / report / plot / CLI.
"""

from __future__ import annotations

from accelsim.design import Accelerator, iso_area, load_accelerator
from accelsim.errors import AccelsimError, InputError
from accelsim.fit import FitRow, fit_report
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
    PrecisionPolicy,
    Reshape,
    uniform_policy,
)
from accelsim.results import LayerResult, SimResult
from accelsim.sim import simulate
from accelsim.sweep import SweepRow, first_last_ratio, sweep, sweep_grid

__version__ = "0.1.0"

__all__ = [
    "Accelerator",
    "AccelsimError",
    "FitRow",
    "LayerResult",
    "SimResult",
    "SweepRow",
    "first_last_ratio",
    "fit_report",
    "iso_area",
    "load_accelerator",
    "simulate",
    "sweep",
    "sweep_grid",
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
