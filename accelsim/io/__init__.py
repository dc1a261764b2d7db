"""Workloads in other tools' formats: SCALE-Sim topology CSV (read and write) and ONNX (read).

`load_workload` dispatches on the file suffix (``.csv``, ``.onnx``), so every command that takes a
workload takes these files too. ONNX support needs the optional extra: ``pip install 'accelsim[onnx]'``
(the module imports `onnx` only when called).
"""

from __future__ import annotations

from accelsim.io.onnx_import import import_onnx
from accelsim.io.scalesim import TopologyWrite, read_topology, topology_problem, write_topology

__all__ = ["TopologyWrite", "import_onnx", "read_topology", "topology_problem", "write_topology"]
