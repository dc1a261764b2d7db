"""Micro-batching: a batch of B images may run as two back-to-back batches of B/2.

Why: a compiler picks how many images go through the layers together. A larger batch amortises
streamed weights over more images, but its activations take more SRAM and may spill; two halves
keep the smaller batch's residency and pay its weight traffic twice. `accelsim.model.sim.simulate`
runs an even batch whole only when that is faster per image than the best plan for its halves
(recursively; equal times: the lower energy), so per-image time never increases when the batch
doubles (property tested). Energy per image is not promised: a whole batch can be faster and
still spend more energy than its halves (for instance when the halves keep their weights pinned
and the whole batch has to stream them) — tests show such a case. Across non-multiples nothing
is promised either: SCALE-Sim's fold counts are ceilings (M = 8 rows fill one 16-row fold at
batch 1 and 2, two at batch 3), which this module does not hide.
"""

from __future__ import annotations

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


def no_worse(whole: SimResult, halves: SimResult) -> bool:
    """Run the batch whole when it is faster per image, or as fast and no costlier in energy.

    Time decides (the quantity sweeps compare): choosing by the minimum time keeps time monotone
    in bandwidth and SRAM, which a rule demanding both time and energy to improve would break.
    """
    if whole.seconds_per_image != halves.seconds_per_image:
        return whole.seconds_per_image < halves.seconds_per_image
    return whole.energy_per_image_uj <= halves.energy_per_image_uj


__all__ = ["no_worse", "rebatch", "repeat"]
