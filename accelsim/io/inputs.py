"""Turn a user's `--workload` string into a `LayerGraph`: a zoo name or a LayerGraph JSON file.

The CLI and the sweep both call this one function, so every command accepts the same inputs.
"""

from __future__ import annotations

from pathlib import Path

import workloads
from accelsim.errors import InputError
from accelsim.io.onnx_import import import_onnx
from accelsim.io.scalesim import read_topology
from accelsim.ir.checks import check_batch
from accelsim.ir.graph import LayerGraph


def load_workload(spec: str, batch: int = 1) -> LayerGraph:
    """A zoo network by name (`resnet50`), a LayerGraph JSON file (`model.json`), a SCALE-Sim
    topology (`net.csv`) or an ONNX model (`model.onnx`).

    A JSON file's shapes carry their own batch, so `batch` must stay 1 for it; a topology has no
    batch (`batch` sets it) and an ONNX model takes `batch` for a dynamic first axis.
    """
    check_batch(batch)
    suffix = Path(spec).suffix.lower()
    if suffix in (".csv", ".onnx"):  # explicit foreign formats, dispatched before the zoo lookup
        if not Path(spec).is_file():
            raise InputError("workload", spec, "no such file")
        if suffix == ".csv":
            return read_topology(spec, batch=batch)
        return import_onnx(spec, batch=batch)

    if spec in workloads.names():
        return workloads.load(spec, batch=batch)
    path = Path(spec)
    if path.suffix.lower() == ".json" or path.exists():
        if batch != 1:
            raise InputError("batch", batch, f"applies to zoo workloads only; {spec} fixes its own batch")
        if not path.is_file():
            raise InputError("workload", spec, "no such file")
        return LayerGraph.load(path)
    raise InputError("workload", spec, f"is neither a file nor a zoo network ({', '.join(workloads.names())})")


__all__ = ["load_workload"]
