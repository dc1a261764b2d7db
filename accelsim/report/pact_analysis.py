"""The PACT study's runs and the numbers read off them: sweeps per network and placement, layer times
and utilisations. No text, no figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from accelsim.explore.record import SweepRow
from accelsim.explore.sweep import sweep
from accelsim.hardware.design import Accelerator, iso_area
from accelsim.io.inputs import load_workload
from accelsim.ir.graph import LayerGraph
from accelsim.model.fit import policy_for
from accelsim.model.results import SimResult
from accelsim.model.sim import simulate
from accelsim.report.pact_options import (
    Options,
)


def load_graph(name: str) -> LayerGraph:
    return load_workload(name, batch=1)


def row_at(rows: Sequence[SweepRow], bits: int, bw: str) -> SweepRow:
    return next(r for r in rows if r.bits == bits and r.bw == bw)


def speedup_of(row: SweepRow) -> float:
    """The row's speedup; a sweep that raises on failed points always has one."""
    if row.speedup is None:
        raise RuntimeError(f"{row.workload} at {row.bits} bits, {row.bw} GB/s has no speedup")
    return row.speedup


def efficiency_of(row: SweepRow) -> float:
    return speedup_of(row) / row.peak_ratio


@dataclass
class Study:
    name: str
    graph: LayerGraph
    rows: list[SweepRow]
    mode: str
    scale: str
    runs: dict[tuple[int, str, bool], tuple[Accelerator, SimResult]] = field(default_factory=dict)

    def run(self, opts: Options, bits: int, bw: str, keep_edges: bool) -> tuple[Accelerator, SimResult]:
        """One design point with the first/last layers kept at `opts.first_last_bits` or quantized too."""
        key = (bits, bw, keep_edges)
        if key not in self.runs:
            value = math.inf if bw == "inf" else float(bw)
            design = iso_area(replace(opts.base, bw_gb_per_s=value), bits, self.mode, self.scale)
            policy = policy_for(bits, opts.first_last_bits if keep_edges else None)
            self.runs[key] = (design, simulate(self.graph.with_policy(policy), design))
        return self.runs[key]


def utilization(result: SimResult, names: set[str]) -> float:
    """MACs of `names` over the design's MAC slots during their compute cycles."""
    layers = [layer for layer in result.layers if layer.name in names]
    cycles = sum(layer.compute_cycles for layer in layers)
    return sum(layer.macs for layer in layers) / (result.accelerator.macs_per_cycle * cycles) if cycles else 0.0


def run_study(name: str, graph: LayerGraph, opts: Options, mode: str, scale: str) -> Study:
    rows = sweep(
        graph, opts.bits, opts.bandwidths, base=opts.base, mode=mode, scale=scale, first_last_bits=opts.first_last_bits
    )
    return Study(name, graph, rows, mode, scale)


def edge_layers(result: SimResult, body_bits: int) -> set[str]:
    return {layer.name for layer in result.layers if layer.macs and layer.w_bits != body_bits}


def layer_time(result: SimResult, names: set[str] | None = None, exclude: set[str] | None = None) -> float:
    return sum(
        layer.cycles
        for layer in result.layers
        if layer.macs and (names is None or layer.name in names) and (exclude is None or layer.name not in exclude)
    )


__all__ = [
    "Study",
    "edge_layers",
    "efficiency_of",
    "layer_time",
    "load_graph",
    "row_at",
    "run_study",
    "speedup_of",
    "utilization",
]
