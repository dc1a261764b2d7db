"""Time the 12-point ResNet-50 sweep (bits 16,8,4,2 x bandwidth 32,64,inf GB/s) on this machine.

Prints the wall time of `accelsim.sweep.sweep` (best of --repeat runs), seconds per design point,
and the simpy events of one pass with events per second of simulation. Target (issue): the whole
sweep in < 3 s on a 2-core machine.

    python bench/sweep_speed.py [--repeat 3] [--workload resnet50]
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace

from accelsim.design import Accelerator, iso_area
from accelsim.fit import policy_for
from accelsim.inputs import load_workload
from accelsim.sim import plan, run_plan, simulate
from accelsim.sweep import sweep

BITS = (16, 8, 4, 2)
BWS = (32.0, 64.0, math.inf)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workload", default="resnet50")
    args = parser.parse_args()
    graph = load_workload(args.workload)
    points = len(BITS) * len(BWS)

    walls = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        sweep(graph, BITS, BWS)
        walls.append(time.perf_counter() - start)
    best = min(walls)

    # one pass point by point: simulate() time and events, and the simpy run alone (plan excluded)
    events, sim_s, des_s, rows = 0, 0.0, 0.0, []
    for bits in BITS:
        g = graph.with_policy(policy_for(bits, 8))
        for bw in BWS:
            design = iso_area(replace(Accelerator(), bw_gb_per_s=bw), bits)
            start = time.perf_counter()
            r = simulate(g, design)
            took = time.perf_counter() - start
            p = plan(g, design)
            start = time.perf_counter()
            run_plan(p)
            if r.first_cycles != r.cycles:
                run_plan(p, first=True)
            des_s += time.perf_counter() - start
            events += r.events
            sim_s += took
            rows.append((bits, bw, r.events, took))

    print(f"workload {graph.name}: {points} design points, best of {args.repeat}")
    print(f"sweep wall time      {best:.3f} s  (runs, the first with cold caches: {', '.join(f'{w:.3f}' for w in walls)})")
    print(f"per design point     {best / points * 1e3:.1f} ms")
    print(f"simpy events         {events:,} in one pass ({events / points:,.0f} per point)")
    print(f"events per second    {events / sim_s:,.0f} per simulate() second (planning included), {events / des_s:,.0f} in the simpy run alone")
    for bits, bw, ev, took in rows:
        print(f"  bits {bits:2d}  bw {bw:>5g} GB/s  {ev:6,d} events  {took * 1e3:6.1f} ms")


if __name__ == "__main__":
    main()
