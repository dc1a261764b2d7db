"""A/B cost of one sweep point on bench/sweep_scale.py's cheap graph: two checkouts, timed alternately.

Each round runs one fresh process per tree (order alternating); each evaluates the first --points
points of sweep_scale's grid in grid order (bandwidth before SRAM, cores and array, as the sweep
does) through `evaluate_point`, after registering the graph, and reports CPU milliseconds per point.
Prints every round and the median over rounds of the B/A ratio. Also checks that both trees gave
the same results, field by field.

    python bench/ab_point_speed.py /work/main . [--rounds 6] [--points 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.ab import alternating_rounds, run_child  # noqa: E402

#: Runs in a fresh interpreter with the tree under test first on sys.path.
_CHILD = """
import hashlib, itertools, json, sys, time
sys.path.insert(0, sys.argv[1])
from accelsim.explore.design_point import DesignPoint
from accelsim.explore.model_hash import graph_sha256
from accelsim.explore.point import evaluate_point
from accelsim.explore.registry import register_graphs
from accelsim.ir import Conv2d, Dense, Flatten, LayerGraph, Pool
g = LayerGraph("tiny")
g.add(Conv2d(name="conv1", in_shape=(1, 3, 8, 8), out_channels=4, kernel=(3, 3), padding=(1, 1)))
g.add(Pool(name="gap", in_shape=(1, 4, 8, 8), mode="avg", kernel=(8, 8), stride=(1, 1)), ["conv1"])
g.add(Flatten(name="flat", in_shape=(1, 4, 1, 1)), ["gap"])
g.add(Dense(name="fc", in_shape=(1, 4), out_features=10), ["flat"])
sha = graph_sha256(g)
register_graphs({sha: g})
axes = json.loads(sys.argv[3])
grid = itertools.islice(itertools.product(*axes.values()), int(sys.argv[2]))
points = [DesignPoint(workload="tiny", workload_sha256=sha, **dict(zip(axes, combo))).to_dict() for combo in grid]
start = time.process_time()
results = [evaluate_point(p) for p in points]
cpu = (time.process_time() - start) * 1e3 / len(points)
digest = hashlib.sha256(json.dumps(results, sort_keys=True).encode()).hexdigest()
print(json.dumps({"cpu": cpu, "digest": digest}))
"""

#: sweep_scale's axes (bits, bandwidth, SRAM, cores, array), as DesignPoint values.
AXES = {
    "bits": [16, 12, 10, 8, 7, 6, 5, 4, 3, 2],
    "bw_gb_per_s": [4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, "inf"],
    "sram_bytes": [m * 1_000_000 for m in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32)],
    "cores": [1, 2, 3, 4, 5, 6, 8, 10, 12, 16],
    "array": [[8, 8], [8, 16], [16, 16], [16, 32], [32, 32]],
}


def _time(root: str, points: int, offset: int) -> dict[str, float | str]:
    axes = dict(AXES)
    axes["bits"] = AXES["bits"][offset % len(AXES["bits"]) :] + AXES["bits"][: offset % len(AXES["bits"])]
    return run_child(_CHILD.replace('"inf"', "float('inf')"), root, str(points), json.dumps(axes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="reference tree (e.g. /work/main)")
    parser.add_argument("b", help="tree under test")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--points", type=int, default=2000, help="points per process, in grid order")
    args = parser.parse_args()
    ratios, same = [], True
    for i, a, b in alternating_rounds(args.a, args.b, args.rounds, lambda root, i: _time(root, args.points, i)):
        ratios.append(float(b["cpu"]) / float(a["cpu"]))
        same = same and a["digest"] == b["digest"]
        print(
            f"round {i + 1}: A {float(a['cpu']):.3f} ms/point, B {float(b['cpu']):.3f} ms/point (cpu)", file=sys.stderr
        )
    print(
        f"B/A cpu per point, median over {args.rounds} rounds: {statistics.median(ratios):.3f} "
        f"(cheap graph, {args.points} grid points a round); results identical: {'yes' if same else 'NO'}"
    )


if __name__ == "__main__":
    main()
