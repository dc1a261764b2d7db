"""Micro-batching: a batch of B images may run as back-to-back micro-batches of B/2, B/4, ...

Why: a compiler picks how many images go through the layers together. A larger batch amortises
streamed weights over more images, but its activations take more SRAM and may spill or unpin
weights; smaller micro-batches keep the smaller batch's residency and pay its weight traffic
again. `accelsim.model.sim.simulate` runs every micro-batch of `chain` (B halved down to an odd
batch) whole and `choose`s one: a doubling is *admitted* only when its energy and off-chip bytes
per image are no higher than the last admitted micro-batch's, and the fastest admitted one runs.

Promise (property-tested, exact): for every batch B, a batch of 2B is no worse per image than a
batch of B in time, energy and off-chip bytes — the candidates of 2B are those of B plus the
whole 2B, which runs only when it is admitted (no costlier than every admitted smaller one) and
fastest. By induction the same holds for B vs 2^k B. Admission reads energy and bytes, which do
not depend on the bandwidth (`accelsim.model.energy`: dynamic energy only), so time as run never
decreases when bandwidth decreases. Not promised:

* More SRAM can make a batch slower as run: it can make a small micro-batch so cheap that the
  faster larger one is no longer admitted (ResNet-50 at 4 bits, batch 2-8, 1.25 x SRAM: all
  weights pin at batch 1, which then runs). Bounded (tests/test_sim.py): never slower than the
  smallest micro-batch at the smaller SRAM, and no slower at all when the choice is unchanged.
  Any single choice that never raises energy with batch has this: it cannot see that more SRAM
  will later make the smaller micro-batch cheaper (docs/model.md section 10).
* Non-multiples: SCALE-Sim's fold counts are ceilings (M = 8 rows fill one 16-row fold at
  batch 1 and 2, two at batch 3), which this module does not hide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from accelsim.errors import InputError
from accelsim.ir.graph import LayerGraph
from accelsim.model.results import LayerResult, SimResult

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


def _repeat_layer(layer: LayerResult, k: int) -> LayerResult:
    return replace(
        layer,
        compute_cycles=layer.compute_cycles * k,
        transfer_cycles=layer.transfer_cycles * k,
        cycles=layer.cycles * k,
        stall_cycles=layer.stall_cycles * k,
        read_bytes=layer.read_bytes * k,
        write_bytes=layer.write_bytes * k,
        noc_bytes=layer.noc_bytes * k,
        sram_access_bits=layer.sram_access_bits * k,
        mac_energy_uj=layer.mac_energy_uj * k,
        sram_energy_uj=layer.sram_energy_uj * k,
        offchip_energy_uj=layer.offchip_energy_uj * k,
        noc_energy_uj=layer.noc_energy_uj * k,
    )


def repeat(result: SimResult, k: int) -> SimResult:
    """`result` run `k` times back to back, as one batch of ``k x result.batch`` images.

    The first batch loads pinned weights; the other k - 1 run in the steady state.
    """
    return replace(
        result,
        batch=result.batch * k,
        micro_batch=result.micro_batch or result.batch,
        layers=tuple(_repeat_layer(layer, k) for layer in result.layers),
        cycles=result.cycles * k,
        first_cycles=result.first_cycles + result.cycles * (k - 1),
        compute_cycles=result.compute_cycles * k,
        stall_cycles=result.stall_cycles * k,
        read_bytes=result.read_bytes * k,
        write_bytes=result.write_bytes * k,
        first_read_bytes=result.first_read_bytes + result.read_bytes * (k - 1),
        noc_bytes=result.noc_bytes * k,
        mac_energy_uj=result.mac_energy_uj * k,
        sram_energy_uj=result.sram_energy_uj * k,
        noc_energy_uj=result.noc_energy_uj * k,
    )


def chain(graph: LayerGraph, batch: int) -> list[LayerGraph]:
    """`graph` (a batch of `batch`) and its halves, quarters, ... down to an odd batch, smallest
    first: the micro-batches `choose` picks from (a level that does not rebatch ends the chain)."""
    graphs, micro = [graph], batch
    while micro % 2 == 0:
        half = rebatch(graph, batch, micro // 2)
        if half is None:
            break
        graphs.append(half)
        micro //= 2
    return graphs[::-1]


def _no_costlier(run: SimResult, than: SimResult) -> bool:
    return (
        run.energy_per_image_uj <= than.energy_per_image_uj
        and run.offchip_bytes_per_image <= than.offchip_bytes_per_image
    )


def choose(runs: Sequence[SimResult | None]) -> SimResult:
    """The micro-batch to run: `runs` are the whole runs of the micro-batches of `chain`, smallest
    first (None where a micro-batch does not fit).

    Admission: the smallest micro-batch, then each doubling whose energy and off-chip bytes per
    image are no higher than the last admitted one's. Choice: the fastest admitted (ties: the
    larger). Admission ignores time, so it does not depend on bandwidth.
    """
    admitted: list[SimResult] = []
    for run in runs:
        if run is not None and (not admitted or _no_costlier(run, admitted[-1])):
            admitted.append(run)
    if not admitted:
        raise ValueError("choose needs the smallest micro-batch's run")
    best = admitted[0]
    for run in admitted[1:]:
        if run.seconds_per_image <= best.seconds_per_image:
            best = run
    return best


__all__ = ["chain", "choose", "rebatch", "repeat"]
