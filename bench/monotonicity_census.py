"""Census of the event engine's monotonicity violations over random design points (issue 11, property 3).

For each of ``--points`` deterministic random points (`tests/_random_points.py`, ``--seed``), the
fixed-batch run (``micro_batching=False``) is compared with the same design at less bandwidth
(``bw x bw_factor``) and at less SRAM (``sram x sram_factor``): a *violation* is the smaller design
finishing sooner by more than 1e-9 (relative), in the steady state (``cycles``) or the first image
(``first_cycles``). Each violation is classified by re-running the pair with one mechanism removed:

* ``prefetch``: gone with ``prefetch_layers = 0``;
* ``plan``: (SRAM pairs) the memory plans differ — which of residency, pinned weights, splits,
  streaming budgets (traffic) changed is listed;
* ``sharing``: still there with prefetch off and the same plan (bandwidth pairs: the plan never
  depends on bandwidth) — the channel's max-min sharing between cores / dependency release.

Prints counts, the largest violation of each kind and where it is; ``--show N`` prints the N
largest cases in full.

    PYTHONPATH=$PWD python bench/monotonicity_census.py [--points 3000] [--seed 0] [--show 5]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from accelsim.errors import InputError  # noqa: E402
from accelsim.hardware.design import Accelerator  # noqa: E402
from accelsim.ir.graph import LayerGraph  # noqa: E402
from accelsim.model.sim import plan, simulate  # noqa: E402
from tests._random_points import Point, random_points  # noqa: E402

#: Relative gain below which two times are the same (float sums of rates).
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Violation:
    point: int
    axis: str  # "bw" or "sram"
    field: str  # "cycles" or "first_cycles"
    gain: float  # relative: (more - less) / more
    kind: str
    detail: str


#: Whether runs go as `simulate()` chooses (whole or two halves), or whole (the default).
MICRO_BATCHING = [False]


def _sim(graph: LayerGraph, accel: Accelerator):  # type: ignore[no-untyped-def]
    try:
        return simulate(graph, accel, micro_batching=MICRO_BATCHING[0])
    except InputError:
        return None


def _gain(more, less, field: str) -> float:  # type: ignore[no-untyped-def]
    a, b = getattr(more, field), getattr(less, field)
    return (a - b) / a if a > 0 else 0.0


def _plan_diff(graph: LayerGraph, big: Accelerator, small: Accelerator) -> str:
    """Which memory-plan choices differ between two SRAM sizes."""
    pb, ps = plan(graph, big), plan(graph, small)
    out = []
    if pb.residency.resident != ps.residency.resident:
        out.append("residency")
    if [lm.pinned for lm in pb.residency.layers] != [lm.pinned for lm in ps.residency.layers]:
        out.append("pinned")
    if [lp.split for lp in pb.layers] != [lp.split for lp in ps.layers]:
        out.append("split")
    if [lp.traffic for lp in pb.layers] != [lp.traffic for lp in ps.layers]:
        out.append("traffic")
    if not out and pb.layers != ps.layers:
        out.append("other")
    return "+".join(out) or "none"


def classify(
    point: Point, axis: str, field: str, more: Accelerator, less: Accelerator, tolerance: float
) -> tuple[str, str]:
    g = point.graph
    off_more, off_less = _sim(g, replace(more, prefetch_layers=0)), _sim(g, replace(less, prefetch_layers=0))
    prefetch_only = (
        off_more is not None and off_less is not None and _gain(off_more, off_less, field) <= max(tolerance, 0.0)
    )
    plan_change = _plan_diff(g, more, less) if axis == "sram" else "none"
    if prefetch_only:
        return "prefetch", plan_change
    if plan_change != "none":
        return "plan", plan_change
    return "sharing", f"cores={point.accel.cores}"


def census(points: list[Point], tolerance: float = TOLERANCE) -> tuple[int, list[Violation]]:
    pairs, found = 0, []
    for pt in points:
        base = _sim(pt.graph, pt.accel)
        if base is None:
            continue
        for axis, less_design in (
            ("bw", replace(pt.accel, bw_gb_per_s=pt.accel.bw_gb_per_s * pt.bw_factor)),
            ("sram", replace(pt.accel, sram_bytes=max(pt.accel.cores, int(pt.accel.sram_bytes * pt.sram_factor)))),
        ):
            less = _sim(pt.graph, less_design)
            if less is None:
                continue
            pairs += 1
            for field in ("cycles", "first_cycles"):
                gain = _gain(base, less, field)
                if gain > tolerance:
                    kind, detail = classify(pt, axis, field, pt.accel, less_design, tolerance)
                    found.append(Violation(pt.index, axis, field, gain, kind, detail))
    return pairs, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=5)
    parser.add_argument(
        "--sram-in-all",
        action="store_true",
        help="draw 4,000-80,000 B of SRAM in all, not per core (tests/test_sim.py)",
    )
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="relative gain counted as a violation")
    parser.add_argument("--micro-batching", action="store_true", help="runs as simulate() chooses (whole or halves)")
    args = parser.parse_args()
    MICRO_BATCHING[0] = args.micro_batching
    points = random_points(args.points, args.seed, sram_per_core=not args.sram_in_all)
    pairs, found = census(points)
    print(
        f"{args.points} points (seed {args.seed}), {pairs} comparable pairs; violations > {args.tolerance:g}"
        f"{' (micro-batching)' if args.micro_batching else ''}{' (SRAM in all)' if args.sram_in_all else ''}"
        f": {len(found)}"
    )
    groups: dict[tuple[str, str, str], list[Violation]] = defaultdict(list)
    for v in found:
        groups[(v.axis, v.field, v.kind)].append(v)
    for key in sorted(groups):
        vs = groups[key]
        worst = max(vs, key=lambda v: v.gain)
        details = sorted({v.detail for v in vs})
        print(
            f"  {key[0]:4s} {key[1]:12s} {key[2]:8s}: {len(vs):4d}, max {worst.gain:.3%} "
            f"(point {worst.point}); {', '.join(details[:6])}"
        )
    for v in sorted(found, key=lambda v: -v.gain)[: args.show]:
        pt = points[v.point]
        print(
            f"point {v.point}: {v.axis} {v.field} {v.gain:.4%} [{v.kind}: {v.detail}] bits={pt.bits} "
            f"bw_factor={pt.bw_factor:.3f} sram_factor={pt.sram_factor:.3f} layers={len(pt.graph.names())} "
            f"{pt.accel.to_dict()}"
        )


if __name__ == "__main__":
    main()
