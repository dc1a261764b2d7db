"""A/B speed of `simulate()` on the ResNet-50 default point: two checkouts, timed alternately.

On a shared machine absolute times drift with the load; timing two trees in alternating fresh
processes, in the same minutes, gives a ratio that does not. Each round runs one process per tree
(order alternating), each timing ``--repeat`` calls after a warm-up; the script prints every
round's medians (wall and CPU milliseconds) and the median over rounds of the B/A ratios.
``--cold`` clears the mapper's caches before every call (the plan built each time: a design never
planned before, what issue 11's target is judged on); without it the plan is reused.

    python bench/ab_event_speed.py /work/main . [--rounds 6] [--repeat 9] [--cold]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.ab import alternating_rounds, run_child  # noqa: E402

#: Runs in a fresh interpreter with the tree under test first on sys.path.
_CHILD = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from accelsim.hardware.design import Accelerator
from accelsim.io.inputs import load_workload
from accelsim.model.fit import policy_for
from accelsim.model import mapper
from accelsim.model.sim import simulate
cold = sys.argv[3] == "cold"
g = load_workload("resnet50").with_policy(policy_for(16, 8))
d = Accelerator()
r = simulate(g, d)
wall, cpu = [], []
for _ in range(int(sys.argv[2])):
    if cold:
        mapper.cache_clear()
    w, c = time.perf_counter(), time.process_time()
    simulate(g, d)
    wall.append((time.perf_counter() - w) * 1e3)
    cpu.append((time.process_time() - c) * 1e3)
print(json.dumps({"wall": statistics.median(wall), "cpu": statistics.median(cpu), "events": r.events}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="reference tree (e.g. /work/main)")
    parser.add_argument("b", help="tree under test")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--cold", action="store_true", help="build the plan on every call")
    args = parser.parse_args()
    wall, cpu = [], []
    mode = "cold" if args.cold else "reused"
    for i, a, b in alternating_rounds(
        args.a, args.b, args.rounds, lambda root, _: run_child(_CHILD, root, str(args.repeat), mode)
    ):
        wall.append(b["wall"] / a["wall"])
        cpu.append(b["cpu"] / a["cpu"])
        print(
            f"round {i + 1}: A {a['wall']:.1f} ms wall / {a['cpu']:.1f} ms cpu ({a['events']:,} events), "
            f"B {b['wall']:.1f} / {b['cpu']:.1f} ({b['events']:,} events)",
            file=sys.stderr,
        )
    print(
        f"B/A median over {args.rounds} rounds: wall {statistics.median(wall):.3f}, cpu {statistics.median(cpu):.3f} "
        f"(ResNet-50 16 b, 64 GB/s, default system, plan {'built' if args.cold else 'reused'})"
    )


if __name__ == "__main__":
    main()
