"""Bit-identity of two checkouts: the same points simulated in both, every result field compared.

Each tree runs in a fresh process and prints ``repr`` of every result: --random points of
tests/_random_points.py (each at its design, at a reduced bandwidth, unconstrained, and again, so
cached plans are exercised; and at a reduced SRAM), sweep_scale's cheap graph through
`evaluate_point` (a grid in sweep order, then 100 points of it at random), and ResNet-18 /
MobileNet-v2 at batch 1 and 4 (micro-batch candidates) with the fixed and the searched mapper.

    python bench/ab_results.py /work/main . [--random 300]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

#: Runs in a fresh interpreter with the tree under test first on sys.path; prints one line a result.
_CHILD = r"""
import sys, random, itertools, json, math
from dataclasses import asdict, replace
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[1] + "/tests")
out = sys.stdout
from _random_points import random_points
from accelsim.model.sim import simulate
from accelsim.model.mapper import MapperConfig
from accelsim.errors import InputError
def dump(tag, fn):
    try:
        r = fn()
        out.write(tag + " " + repr(r if isinstance(r, dict) else asdict(r)) + "\n")
    except InputError as e:
        out.write(tag + " ERR " + str(e) + "\n")
# 1. random engine points, at their design and at shrunk bandwidth / SRAM, each simulated twice (cache hit)
for pt in random_points(int(sys.argv[2]), seed=7):
    a = pt.accel
    small = replace(a, bw_gb_per_s=a.bw_gb_per_s * pt.bw_factor)
    for i, acc in enumerate((a, small, a, replace(a, bw_gb_per_s=math.inf), small)):
        dump(f"rp{pt.index}.{i}", lambda: simulate(pt.graph, acc))
    try:
        tiny = replace(a, sram_bytes=max(a.cores, int(a.sram_bytes * pt.sram_factor)))
        dump(f"rp{pt.index}.s", lambda: simulate(pt.graph, tiny))
    except InputError as e:
        out.write(f"rp{pt.index}.s ERR {e}\n")
# 2. the tiny sweep graph through evaluate_point, grid order and random order
from accelsim.ir import Conv2d, Dense, Flatten, LayerGraph, Pool
from accelsim.explore.design_point import DesignPoint
from accelsim.explore.registry import register_graphs
from accelsim.explore.model_hash import graph_sha256
from accelsim.explore.point import evaluate_point
g = LayerGraph("tiny")
g.add(Conv2d(name="conv1", in_shape=(1, 3, 8, 8), out_channels=4, kernel=(3, 3), padding=(1, 1)))
g.add(Pool(name="gap", in_shape=(1, 4, 8, 8), mode="avg", kernel=(8, 8), stride=(1, 1)), ["conv1"])
g.add(Flatten(name="flat", in_shape=(1, 4, 1, 1)), ["gap"])
g.add(Dense(name="fc", in_shape=(1, 4), out_features=10), ["flat"])
sha = graph_sha256(g); register_graphs({sha: g})
axes = ([16, 8, 4, 2, "w4a8"], [4, 64, 1024, float("inf")], [1_000_000, 4_000_000], [1, 3, 16])
axes += (["configurable", "dedicated"],)
grid = list(itertools.product(*axes))
rng = random.Random(1)
for i, (b, w, s, c, m) in enumerate(grid + rng.sample(grid, 100)):
    p = DesignPoint(workload="tiny", workload_sha256=sha, bits=b, bw_gb_per_s=w, sram_bytes=s, cores=c, mode=m)
    dump(f"tp{i}", lambda: evaluate_point(p.to_dict()))
# 3. zoo networks, even batch (micro-batch candidates), fixed and search mappers
import workloads
from accelsim.hardware.design import Accelerator
from accelsim.model.fit import policy_for
for net in ("resnet18", "mobilenet_v2"):
    base = workloads.load(net)
    for batch in (1, 4):
        gb = workloads.load(net, batch=batch) if batch > 1 else base
        for bits in (16, 4):
            gp = gb.with_policy(policy_for(bits, 8))
            for bw in (8.0, 64.0):
                for sram in (2_000_000, 16_000_000):
                    acc = Accelerator(bw_gb_per_s=bw, sram_bytes=sram)
                    dump(f"{net}.{batch}.{bits}.{bw}.{sram}", lambda: simulate(gp, acc))
                    if batch == 4 and bits == 4:
                        search = MapperConfig("search", "edp")
                        dump(f"{net}.{batch}.{bits}.{bw}.{sram}.search", lambda: simulate(gp, acc, mapper=search))
"""


def _dump(root: str, n: int) -> list[str]:
    out = subprocess.run([sys.executable, "-c", _CHILD, root, str(n)], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="reference tree (e.g. /work/main)")
    parser.add_argument("b", help="tree under test")
    parser.add_argument("--random", type=int, default=300, help="random engine points (6 runs each)")
    args = parser.parse_args()
    a, b = _dump(args.a, args.random), _dump(args.b, args.random)
    differ = [x.split(" ", 1)[0] for x, y in zip(a, b, strict=False) if x != y]
    print(f"{len(a)} results from A, {len(b)} from B; differing: {len(differ) + abs(len(a) - len(b))}")
    for tag in differ[:10]:
        print(f"  differs: {tag}")
    return 0 if a == b else 1


if __name__ == "__main__":
    sys.exit(main())
