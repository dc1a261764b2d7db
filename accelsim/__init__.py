"""accelsim: how much faster does a k-bit network run on an iso-area accelerator, and does it fit on chip?

Data flows one way, and the subpackages are that flow (each imports only from those before it):
`ir` (LayerGraph, precision policy) -> `io` (workload files) -> `hardware` (accelerator, iso-area)
-> `model` (mapping, residency, event run, energy, results) -> `explore` (grid, sweep, store, pareto)
-> `report` (tables, plots, the PACT study) -> `cli`. `errors` and `atomic` sit below all of them.

The public names below are loaded on first use (PEP 562), so ``import accelsim.errors`` (which `tech`
and `workloads` do) does not pull in the whole model, and no package-level import cycle can form.

>>> from accelsim import Accelerator, iso_area
>>> iso_area(Accelerator(), 4).cores
16
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accelsim._lazy import lazy_exports
from accelsim._version import __version__

#: public name -> the module that defines it
_PUBLIC = {
    "AccelsimError": "accelsim.errors",
    "InputError": "accelsim.errors",
    **dict.fromkeys(
        (
            "Add",
            "Concat",
            "Conv2d",
            "Dense",
            "Flatten",
            "GemmView",
            "Layer",
            "LayerGraph",
            "MatMul",
            "Pool",
            "Precision",
            "PrecisionPolicy",
            "Reshape",
            "uniform_policy",
        ),
        "accelsim.ir",
    ),
    "BitsSpec": "accelsim.ir.bits_spec",
    "parse_bits_token": "accelsim.ir.bits_spec",
    "LLMStep": "accelsim.model.llm_metrics",
    "llm_step": "accelsim.model.llm_metrics",
    "Accelerator": "accelsim.hardware.design",
    "iso_area": "accelsim.hardware.design",
    "load_accelerator": "accelsim.hardware.design",
    "FitRow": "accelsim.model.fit",
    "fit_report": "accelsim.model.fit",
    "LayerResult": "accelsim.model.results",
    "SimResult": "accelsim.model.results",
    "simulate": "accelsim.model.sim",
    "SweepRow": "accelsim.explore.record",
    "first_last_ratio": "accelsim.explore.sweep",
    "sweep": "accelsim.explore.sweep",
    "sweep_grid": "accelsim.explore.sweep",
    "DesignPoint": "accelsim.explore.design_point",
    "rows_to_frame": "accelsim.report.frames",
}


__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)

if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from accelsim.errors import AccelsimError, InputError
    from accelsim.explore.design_point import DesignPoint
    from accelsim.explore.record import SweepRow
    from accelsim.explore.sweep import first_last_ratio, sweep, sweep_grid
    from accelsim.hardware.design import Accelerator, iso_area, load_accelerator
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
    from accelsim.ir.bits_spec import BitsSpec, parse_bits_token
    from accelsim.model.fit import FitRow, fit_report
    from accelsim.model.llm_metrics import LLMStep, llm_step
    from accelsim.model.results import LayerResult, SimResult
    from accelsim.model.sim import simulate
    from accelsim.report.frames import rows_to_frame

__all__ = [
    "Accelerator",
    "AccelsimError",
    "DesignPoint",
    "Add",
    "BitsSpec",
    "Concat",
    "Conv2d",
    "Dense",
    "FitRow",
    "Flatten",
    "GemmView",
    "InputError",
    "LLMStep",
    "Layer",
    "LayerGraph",
    "LayerResult",
    "MatMul",
    "Pool",
    "Precision",
    "PrecisionPolicy",
    "Reshape",
    "SimResult",
    "SweepRow",
    "__version__",
    "first_last_ratio",
    "fit_report",
    "iso_area",
    "llm_step",
    "load_accelerator",
    "parse_bits_token",
    "simulate",
    "sweep",
    "sweep_grid",
    "uniform_policy",
    "rows_to_frame",
]
