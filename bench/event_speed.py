"""Speed of the event engine on the ResNet-50 default point and the 12-point default sweep.

Prints the median milliseconds of `simulate()` on the default system's 16-bit 64 GB/s point and
its simpy events, twice: with the plan built on every call (the mapper's caches cleared: a new
design, what the target is judged on) and with the plan reused (the same design at another
bandwidth, which a sweep's bandwidth axis gets from `accelsim.model.mapper.fixed_plan`); then the
ratio to the barrier engine's 49.9 ms quoted in issue 11, and the 12-point sweep's wall time
(caches cleared before each repetition) against the 1 s target. Timings on a shared machine
are noisy: compare ratios measured in one run.

    PYTHONPATH=$PWD python bench/event_speed.py [--repeat 11]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from accelsim.hardware.design import Accelerator  # noqa: E402
from accelsim.io.inputs import load_workload  # noqa: E402
from accelsim.model import mapper  # noqa: E402
from accelsim.model.fit import policy_for  # noqa: E402
from accelsim.model.sim import simulate  # noqa: E402
from bench.run import sweep_timings  # noqa: E402

#: Issue 11's figure for the barrier engine (TILE_CAP 8) on this machine, ResNet-50 16 b, 64 GB/s.
OLD_POINT_MS = 49.9
TARGET_POINT_MS = 20.0
TARGET_SWEEP_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    graph = load_workload("resnet50").with_policy(policy_for(16, 8))
    design = Accelerator()
    result = simulate(graph, design)  # warm the imports and the per-layer cost caches
    cold, reused = [], []
    for _ in range(args.repeat):
        mapper.cache_clear()  # a design never planned before
        start = time.perf_counter()
        simulate(graph, design)
        cold.append((time.perf_counter() - start) * 1e3)
        start = time.perf_counter()
        simulate(graph, design)  # planned just now: the plan is reused
        reused.append((time.perf_counter() - start) * 1e3)
    med = statistics.median(cold)
    print(
        f"ResNet-50 default point (16 b, 64 GB/s), plan built: {med:.1f} ms median of {args.repeat} "
        f"({result.events:,d} events/point); {med / OLD_POINT_MS:.2f}x the old {OLD_POINT_MS} ms; "
        f"target <= {TARGET_POINT_MS:g} ms: {'met' if med <= TARGET_POINT_MS else 'NOT met'}"
    )
    print(f"  the same point with its plan reused: {statistics.median(reused):.1f} ms median")
    walls, points = sweep_timings(load_workload("resnet50"), 3)
    best = min(walls)
    print(
        f"12-point default sweep, cold caches: {best:.3f} s best of 3 "
        f"({sum(p.events for p in points) / len(points):,.0f} "
        f"events/point); target < {TARGET_SWEEP_S:g} s: {'met' if best < TARGET_SWEEP_S else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
