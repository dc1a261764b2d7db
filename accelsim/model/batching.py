"""Micro-batching: a batch of B images may run as back-to-back micro-batches of B/2, B/4, ...

Why: a compiler picks how many images go through the layers together. A larger batch amortises
streamed weights over more images, but its activations take more SRAM and may spill or unpin
weights; smaller micro-batches keep the smaller batch's residency and pay its weight traffic
again. `accelsim.model.sim.simulate` runs every micro-batch of `chain` (B halved down to an odd
batch) whole and `choose`s the one of least objective per image: the run's
`accelsim.model.mapper.MapperConfig.objective` (latency, energy or EDP), as a compiler is told
what to optimise.

Promise (property-tested, exact): the chosen objective per image never rises when the batch
doubles (`choose` says why). So under ``latency`` (the default) per-image time never rises with
batch and, as a minimum of plans each monotone in bandwidth and SRAM, time as run is monotone in
both; under ``energy`` per-image energy never rises with batch; under ``edp`` their product.
Not promised: the other figures. A faster whole batch can cost more energy (ResNet-50 at 4 bits,
batch 8 vs 2 x 4), and no single per-design choice keeps time and energy both monotone in batch
while time stays monotone in SRAM (docs/model.md section 10). Non-multiples: SCALE-Sim's fold
counts are ceilings (M = 8 rows fill one 16-row fold at batch 1 and 2, two at batch 3), which
this module does not hide.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from accelsim.errors import InputError
from accelsim.ir.graph import LayerGraph
from accelsim.model.mapper import OBJECTIVES, graph_key
from accelsim.model.memo import BoundedMemo
from accelsim.model.results import SimResult

_SHAPE_KEYS = ("in_shape", "to_shape", "a_shape", "b_shape", "shape", "out_shape")


def _scaled(shape: Any, num: int, den: int) -> list[int] | None:
    if not isinstance(shape, list) or not shape or not isinstance(shape[0], int) or shape[0] * num % den:
        return None
    return [shape[0] * num // den, *shape[1:]]


def rebatch(graph: LayerGraph, batch: int, new_batch: int) -> LayerGraph | None:
    """`graph` with every tensor's leading (batch) axis scaled by new_batch / batch, or None when
    some leading axis does not scale to a whole number (then the graph runs whole)."""
    data = graph.to_dict()
    for entry in data["layers"]:
        for key in _SHAPE_KEYS:
            if key in entry:
                scaled = _scaled(entry[key], new_batch, batch)
                if scaled is None:
                    return None
                entry[key] = scaled
        if "shapes" in entry:
            shapes = [_scaled(s, new_batch, batch) for s in entry["shapes"]]
            if any(s is None for s in shapes):
                return None
            entry["shapes"] = shapes
    meta = dict(data["metadata"])
    meta["batch"] = new_batch
    if "input_shape" in meta:
        meta["input_shape"] = _scaled(list(meta["input_shape"]), new_batch, batch) or meta["input_shape"]
    data["metadata"] = meta
    try:
        out = LayerGraph.from_dict(data)
    except InputError:
        return None
    for name in graph.names():  # default precisions are not serialised; copy every layer's
        out.set_precision(name, graph.precision(name))
    return out


#: Fields that add up over back-to-back runs (a layer's, and the whole result's, beyond the first-image ones).
_LAYER_ADDITIVE = (
    "compute_cycles",
    "transfer_cycles",
    "cycles",
    "stall_cycles",
    "read_bytes",
    "write_bytes",
    "noc_bytes",
    "sram_access_bits",
    "mac_energy_uj",
    "sram_energy_uj",
    "offchip_energy_uj",
    "noc_energy_uj",
)
_RESULT_ADDITIVE = (
    "cycles",
    "compute_cycles",
    "stall_cycles",
    "read_bytes",
    "write_bytes",
    "noc_bytes",
    "mac_energy_uj",
    "sram_energy_uj",
    "noc_energy_uj",
)


def _times(record: Any, k: int, names: tuple[str, ...]) -> dict[str, Any]:
    """Each of `names` of `record` multiplied by `k`, as ``replace`` keywords."""
    return {name: getattr(record, name) * k for name in names}


def repeat(result: SimResult, k: int) -> SimResult:
    """`result` run `k` times back to back, as one batch of ``k x result.batch`` images.

    The first batch loads pinned weights; the other k - 1 run in the steady state.
    """
    return replace(
        result,
        **_times(result, k, _RESULT_ADDITIVE),
        batch=result.batch * k,
        micro_batch=result.micro_batch or result.batch,
        layers=tuple(replace(layer, **_times(layer, k, _LAYER_ADDITIVE)) for layer in result.layers),
        first_cycles=result.first_cycles + result.cycles * (k - 1),
        first_read_bytes=result.first_read_bytes + result.read_bytes * (k - 1),
    )


#: The micro-batch graphs of graphs already chained (rebuilding a network's graph costs ~2 ms per
#: level; a sweep asks for the same graph's chain at every design). Read only; cleared when full.
_CHAINS: BoundedMemo[tuple[Any, ...], tuple[LayerGraph, ...]] = BoundedMemo(32)


def splits(batch: int) -> bool:
    """Whether a batch may run as micro-batches (an even one: halves, quarters, ...), so that the
    objective picks among them; an odd batch runs whole."""
    return batch % 2 == 0


def chain(graph: LayerGraph, batch: int) -> list[LayerGraph]:
    """`graph` (a batch of `batch`) and its halves, quarters, ... down to an odd batch, smallest
    first: the micro-batches `choose` picks from (a level that does not rebatch ends the chain).

    The smaller graphs are shared between calls on equal graphs: callers must not modify them.
    """
    key = (graph_key(graph), json.dumps(graph.metadata, sort_keys=True, default=repr), batch)  # all it copies
    smaller = _CHAINS.get(key)
    if smaller is None:
        smaller = _CHAINS.put(key, tuple(_halves(graph, batch)))
    return [*smaller[::-1], graph]


def _halves(graph: LayerGraph, batch: int) -> list[LayerGraph]:
    """`graph` at batch / 2, batch / 4, ... while the batch is even and the graph rebatches."""
    graphs, micro = [], batch
    while splits(micro):
        half = rebatch(graph, batch, micro // 2)
        if half is None:
            break
        graphs.append(half)
        micro //= 2
    return graphs


def score(run: SimResult, objective: str) -> tuple[float, ...]:
    """Per-image figures `choose` minimises, in order: the objective (``latency``: seconds,
    ``energy``: uJ, ``edp``: uJ x seconds), then time, then energy (the documented ties)."""
    t, e = run.seconds_per_image, run.energy_per_image_uj
    if objective == "latency":
        return (t, e)
    if objective == "energy":
        return (e, t)
    if objective == "edp":
        return (e * t, t, e)
    raise InputError("objective", objective, f"must be one of {', '.join(OBJECTIVES)}")


def choose(runs: Sequence[SimResult | None], objective: str = "latency") -> SimResult:
    """The micro-batch to run: of the whole runs of `chain`'s micro-batches (smallest first, None
    where one does not fit), the least `score` per image; full ties go to the larger micro-batch.

    Why the objective never rises along doublings: 2B's candidates are B's (each repeated twice,
    per-image figures unchanged) plus the whole 2B, and a minimum over a superset is no larger.
    """
    best: SimResult | None = None
    for run in runs:  # smallest first, so `<=` hands a full tie to the larger
        if run is not None and (best is None or score(run, objective) <= score(best, objective)):
            best = run
    if best is None:
        raise ValueError("choose needs at least one micro-batch's run")
    return best


__all__ = ["chain", "choose", "rebatch", "repeat", "score", "splits"]
