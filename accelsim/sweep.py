"""PACT Fig. 6(c) as a function: speed of iso-area design points across bit-widths and bandwidths.

`sweep` simulates one network at every (bits, bandwidth) pair on the iso-area design point of the
base system, and compares each with the 16-bit (base-precision) design at the same bandwidth.
Rows come back in the order of the arguments (bits outer, bandwidth inner) whatever the work order.

Example
-------
>>> rows = sweep("resnet18", bits=[16, 4], bw=["inf"])
>>> [(r.bits, r.bw, round(r.peak_ratio)) for r in rows]
[(16, 'inf', 1), (4, 'inf', 4)]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from accelsim.design import MB, SCALES, Accelerator, default_scale, iso_area
from accelsim.errors import InputError
from accelsim.fit import policy_for
from accelsim.graph import LayerGraph, check_bits
from accelsim.results import SimResult
from accelsim.sim import simulate

#: progress(done, total): called after every simulated design point.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepRow:
    """One design point of a sweep.

    bits / first_last_bits : precision of the body / of the first and last MAC layers as run.
    bw : the bandwidth label as given ("32", "64", "inf"); `bw_gb_per_s` is its value.
    speedup : 16-bit (base) time per image / this time per image, same bandwidth.
    peak_ratio : this design's peak MAC/s / the base design's.
    efficiency : speedup / peak_ratio (1 = the ideal iso-area gain).
    stall_fraction : share of the time the slowest cores wait for the external memory.
    bound : "memory" when memory-bound layers take most of the time, else "compute".
    offchip_mb : steady-state off-chip traffic per image, decimal MB.
    weights_fit / activations_fit : the model's weights stay on chip (loaded once) / every
        intermediate activation stays on chip.
    """

    workload: str
    bits: int
    first_last_bits: int
    bw: str
    bw_gb_per_s: float
    mode: str
    scale: str
    macs_per_cycle: int
    peak_tmacs: float
    seconds_per_image: float
    first_image_seconds: float
    speedup: float
    peak_ratio: float
    efficiency: float
    utilization: float
    stall_fraction: float
    bound: str
    offchip_mb: float
    weights_fit: bool
    activations_fit: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe fields in declaration order; the bandwidth value is left out (see `bw`)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "bw_gb_per_s"}


def bw_label(value: float | int | str) -> str:
    """The label a bandwidth is shown with: the user's string, or the number without ``.0``."""
    if isinstance(value, str):
        return value.strip()
    v = float(value)
    return "inf" if math.isinf(v) else (str(int(v)) if v.is_integer() else repr(v))


def parse_bandwidth(value: float | int | str) -> float:
    """GB/s as a float > 0, ``inf`` allowed; InputError naming the value otherwise."""
    from accelsim.grid import parse_bw

    return parse_bw(value)


def _graph(workload: LayerGraph | str, batch: int) -> LayerGraph:
    if isinstance(workload, LayerGraph):
        return workload
    from accelsim.inputs import load_workload

    return load_workload(workload, batch=batch)


def sweep(
    workload: LayerGraph | str,
    bits: Sequence[int] = (16, 8, 4, 2),
    bw: Sequence[float | int | str] = (32, 64, "inf"),
    *,
    base: Accelerator | None = None,
    mode: str = "configurable",
    scale: str | None = None,
    first_last_bits: int | None = 8,
    batch: int = 1,
    progress: Progress | None = None,
) -> list[SweepRow]:
    """Simulate every (bits, bandwidth) iso-area design point of `base`.

    Parameters
    ----------
    workload : LayerGraph or str
        A graph, a zoo name (``"resnet50"``) or a LayerGraph JSON path.
    bits : sequence of int
        Body precisions; each point is ``iso_area(base, b, mode, scale)`` running PACT's policy.
    bw : sequence of float or str
        External bandwidths in GB/s; ``"inf"`` (or ``math.inf``) is unconstrained.
    base : Accelerator, optional
        The reference design (default: the default 16-bit system). Its bandwidth is replaced.
    mode, scale : str
        See `accelsim.design.iso_area`.
    first_last_bits : int or None
        Precision of the first and last MAC layers when the body is narrower (PACT: 8); None
        quantizes them like the body.
    batch : int
        Batch size for zoo workloads.
    progress : callable, optional
        ``progress(done, total)`` after each simulated point (the CLI drives a tqdm bar with it).

    Returns
    -------
    list of SweepRow
        Bits outer, bandwidth inner, in the order given.
    """
    base = base if base is not None else Accelerator()
    scale = default_scale(mode) if scale is None else scale
    if scale not in SCALES:
        raise InputError("scale", scale, f"must be one of {', '.join(SCALES)}")
    bits = [check_bits("bits", b) for b in bits]
    if not bits:
        raise InputError("bits", bits, "needs at least one value")
    if len(set(bits)) != len(bits):
        raise InputError("bits", bits, "lists a bit-width twice")
    if first_last_bits is not None:
        check_bits("first_last_bits", first_last_bits)
    points_bw = [(bw_label(v), parse_bandwidth(v)) for v in bw]
    if not points_bw:
        raise InputError("bw", list(bw), "needs at least one value")
    if len({v for _, v in points_bw}) != len(points_bw):
        raise InputError("bw", [lbl for lbl, _ in points_bw], "lists a bandwidth twice")
    graph = _graph(workload, batch)
    ref_bits = base.mac_w_bits
    extra = 0 if ref_bits in bits else len(points_bw)
    total, done = len(bits) * len(points_bw) + extra, 0
    graphs: dict[int, LayerGraph] = {}

    def run(b: int, bw_value: float) -> tuple[Accelerator, SimResult]:
        nonlocal done
        if b not in graphs:
            graphs[b] = graph.with_policy(policy_for(b, first_last_bits))
        design = iso_area(replace(base, bw_gb_per_s=bw_value), b, mode, scale)
        result = simulate(graphs[b], design)
        done += 1
        if progress is not None:
            progress(done, total)
        return design, result

    results: dict[tuple[int, float], tuple[Accelerator, SimResult]] = {}
    order = ([ref_bits] if extra else []) + bits
    for b in order:
        for _, v in points_bw:
            results[(b, v)] = run(b, v)
    reference = replace(base, bw_gb_per_s=math.inf)
    ref_peak = iso_area(reference, ref_bits, mode, scale).peak_tmacs
    rows = []
    for b in bits:
        for label, v in points_bw:
            design, r = results[(b, v)]
            speedup = results[(ref_bits, v)][1].seconds_per_image / r.seconds_per_image
            peak_ratio = design.peak_tmacs / ref_peak
            rows.append(
                SweepRow(
                    workload=graph.name,
                    bits=b,
                    first_last_bits=b if first_last_bits is None else max(b, first_last_bits),
                    bw=label,
                    bw_gb_per_s=v,
                    mode=mode,
                    scale=scale,
                    macs_per_cycle=design.macs_per_cycle,
                    peak_tmacs=design.peak_tmacs,
                    seconds_per_image=r.seconds_per_image,
                    first_image_seconds=r.first_image_seconds,
                    speedup=speedup,
                    peak_ratio=peak_ratio,
                    efficiency=speedup / peak_ratio,
                    utilization=r.utilization,
                    stall_fraction=r.stall_cycles / r.cycles if r.cycles > 0 else 0.0,
                    bound=r.bound,
                    offchip_mb=r.offchip_bytes_per_image / MB,
                    weights_fit=r.weights_resident,
                    activations_fit=r.activations_resident,
                )
            )
    return rows


def first_last_ratio(
    workload: LayerGraph | str,
    bits: int = 4,
    bw: float | int | str = 64,
    *,
    first_last_bits: int = 8,
    base: Accelerator | None = None,
    mode: str = "configurable",
    scale: str | None = None,
    batch: int = 1,
) -> float:
    """How much faster the `bits` design runs when the first and last layers are quantized too.

    Time per image with first/last layers at `first_last_bits` divided by the time with every
    layer at `bits` (PACT section 6 estimates 1.24x at 4 bits).
    """
    base = base if base is not None else Accelerator()
    graph = _graph(workload, batch)
    design = iso_area(replace(base, bw_gb_per_s=parse_bandwidth(bw)), bits, mode, scale)
    kept = simulate(graph.with_policy(policy_for(bits, first_last_bits)), design)
    quantized = simulate(graph.with_policy(policy_for(bits, None)), design)
    return kept.seconds_per_image / quantized.seconds_per_image


__all__ = ["Progress", "SweepRow", "bw_label", "first_last_ratio", "parse_bandwidth", "sweep"]
