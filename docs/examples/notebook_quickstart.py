"""accelsim from Python, the way a notebook uses it: sweep, look at the rows as a DataFrame, then
open one design point layer by layer.

    pip install '.[pandas]'
    python docs/examples/notebook_quickstart.py

Runs in a few seconds (ResNet-18, 3 precisions x 2 bandwidths). tests/test_examples.py executes
this file, so what it prints stays true.
"""

from __future__ import annotations

import workloads
from accelsim import Accelerator, iso_area, rows_to_frame, simulate, sweep, uniform_policy

# 1. A sweep returns a list of SweepRow records; rows_to_frame keeps every field as a column.
rows = sweep("resnet18", bits=[16, 8, 4], bw=[32, "inf"])
frame = rows_to_frame(rows)
print(f"{len(frame)} design points, {len(frame.columns)} columns")
print(frame.pivot(index="bits", columns="bw", values="speedup").sort_index(ascending=False).round(2).to_string())

# 2. One design point: the per-layer records of a simulation, as a DataFrame.
design = iso_area(Accelerator(), 4)
graph = workloads.load("resnet18").with_policy(uniform_policy(4, first_last_bits=8))
layers = rows_to_frame(simulate(graph, design))
slowest = layers.nlargest(3, "cycles")[["name", "kind", "cycles", "bound", "array_utilization"]]
print("slowest layers at 4 bits, 64 GB/s:")
print(slowest.to_string(index=False))
share = (layers.groupby("bound")["cycles"].sum() / layers["cycles"].sum()).sort_values(ascending=False)
print("time share by bound:", ", ".join(f"{k} {v:.0%}" for k, v in share.items()))
