"""Simulator speed and memory for every zoo network: `python -m bench` (or `python bench/run.py`).

For each network, in a fresh Python process (so its peak memory is its own), this measures

* the 12-point PACT sweep (bits 16/8/4/2 x 32, 64, inf GB/s, the default iso-area design points):
  wall seconds per design point, best of ``--repeat`` runs (the first run fills the mapping caches);
* simpy events: every point simulated once more, counting the events simpy schedules (as
  bench/sweep_speed.py does), per point and per second of `simulate()` (planning included) and of
  the simpy run alone;
* peak memory: the process's peak resident set (``resource.getrusage(...).ru_maxrss``: interpreter,
  imports and the runs) and the peak of Python allocations during one sweep with cold caches
  (``tracemalloc``; a separate pass, since tracing slows the run down).

It prints one table, with time per point and events per second also as ratios to ResNet-50's,
measured in the same run: compare ratios across machines, not seconds. Nothing here is asserted;
the test suite has no timed tests.

    python -m bench [--networks resnet50,bert_base] [--repeat 3] [--inline]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

BITS = (16, 8, 4, 2)
BWS = (32.0, 64.0, math.inf)
REFERENCE = "resnet50"
ROOT = Path(__file__).resolve().parents[1]


def _clear_caches() -> None:
    """Empty accelsim.model.mapping's lru caches so a traced pass allocates what a first sweep does."""
    from accelsim.model import mapping

    for value in vars(mapping).values():
        clear = getattr(value, "cache_clear", None)
        if callable(clear):
            clear()


@dataclass(frozen=True, slots=True)
class PointTiming:
    """One design point simulated once: its events, `simulate()` seconds and simpy-run seconds."""

    bits: int
    bw: float
    events: int
    simulate_s: float
    simpy_s: float


def sweep_timings(graph: Any, repeat: int = 3) -> tuple[list[float], list[PointTiming]]:
    """Wall seconds of `repeat` 12-point sweeps of `graph` (each with the mapper's caches cleared),
    then each point timed once on its own.

    Per point: `simulate()` (planning included) and the simpy run alone (`run_plan`: the steady state
    and the first-batch run when it differs), counting the events simpy schedules.
    """
    from accelsim.explore.sweep import sweep
    from accelsim.hardware.design import Accelerator, iso_area
    from accelsim.model import mapper
    from accelsim.model.fit import policy_for
    from accelsim.model.sim import plan, run_plan, simulate

    walls = []
    for _ in range(repeat):
        mapper.cache_clear()  # every repetition plans from scratch, as a first sweep does
        start = time.perf_counter()
        sweep(graph, BITS, BWS)
        walls.append(time.perf_counter() - start)
    points = []
    for bits in BITS:
        g = graph.with_policy(policy_for(bits, 8))
        for bw in BWS:
            design = iso_area(replace(Accelerator(), bw_gb_per_s=bw), bits)
            start = time.perf_counter()
            result = simulate(g, design)
            simulate_s = time.perf_counter() - start
            p = plan(g, design)
            start = time.perf_counter()
            run_plan(g, p)  # the steady state and, when pinned weights make it differ, the first image
            points.append(PointTiming(bits, bw, result.events, simulate_s, time.perf_counter() - start))
    return walls, points


def measure(name: str, repeat: int = 3) -> dict[str, Any]:
    """Measure one network in this process (call it in a fresh process for a clean peak RSS)."""
    import resource
    import tracemalloc

    from accelsim.explore.sweep import sweep
    from accelsim.io.inputs import load_workload

    graph = load_workload(name)
    points = len(BITS) * len(BWS)
    walls, per_point = sweep_timings(graph, repeat)
    events = sum(p.events for p in per_point)
    sim_s = sum(p.simulate_s for p in per_point)
    des_s = sum(p.simpy_s for p in per_point)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    _clear_caches()
    tracemalloc.start()
    sweep(graph, BITS, BWS)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    return {
        "network": name,
        "layers": len(graph),
        "gmacs": graph.total_macs() / 1e9,
        "points": points,
        "sweep_s": min(walls),
        "s_per_point": min(walls) / points,
        "events": events,
        "events_per_point": events / points,
        "events_per_s": events / sim_s if sim_s > 0 else math.nan,
        "des_events_per_s": events / des_s if des_s > 0 else math.nan,
        "peak_rss_mib": rss_kib / 1024,
        "traced_peak_mib": traced_peak / 2**20,
    }


def _in_child(name: str, repeat: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.run", "--one", name, "--repeat", str(repeat)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark of {name} failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout)


def table(rows: list[dict[str, Any]]) -> str:
    """The printed table; ratios are to the reference network's row of the same run."""
    ref = next((r for r in rows if r["network"] == REFERENCE), rows[0])
    head = (
        f"{'network':<15} {'layers':>6} {'GMAC':>6} {'ms/point':>9} {'x ' + ref['network']:>11} "
        f"{'events/pt':>9} {'events/s':>9} {'x ' + ref['network']:>11} {'DES ev/s':>9} "
        f"{'peak RSS MiB':>12} {'py peak MiB':>11}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['network']:<15} {r['layers']:>6d} {r['gmacs']:>6.2f} {r['s_per_point'] * 1e3:>9.1f} "
            f"{r['s_per_point'] / ref['s_per_point']:>11.2f} {r['events_per_point']:>9,.0f} "
            f"{r['events_per_s']:>9,.0f} {r['events_per_s'] / ref['events_per_s']:>11.2f} "
            f"{r['des_events_per_s']:>9,.0f} {r['peak_rss_mib']:>12.1f} {r['traced_peak_mib']:>11.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--networks", help="comma-separated zoo names (default: every zoo network)")
    parser.add_argument("--repeat", type=int, default=3, help="sweep runs per network, best taken (default 3)")
    parser.add_argument("--inline", action="store_true", help="measure in this process (peak RSS then accumulates)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child mode: one network, JSON on stdout
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.repeat)))
        return 0

    import workloads

    names = args.networks.split(",") if args.networks else workloads.names()
    rows = []
    for name in names:
        print(f"bench: {name}", file=sys.stderr)
        rows.append(measure(name, args.repeat) if args.inline else _in_child(name, args.repeat))
    print(
        f"12-point sweep per network (bits {'/'.join(map(str, BITS))} x 32, 64, inf GB/s), best of {args.repeat}; "
        f"{'one process' if args.inline else 'one fresh process per network'}, Python {sys.version.split()[0]}"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
