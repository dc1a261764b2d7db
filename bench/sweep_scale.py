"""Time a 500-point sweep serially and on a process pool, and check both give identical rows.

The grid (bits x bandwidth x total SRAM x cores x base array = 5 x 5 x 5 x 2 x 2 = 500 points of
ResNet-20 by default) runs twice through `accelsim.explore.sweep.sweep_grid`, the function behind
`accelsim sweep`: once with ``jobs=1`` (inline, what ``--jobs 1`` does) and once with ``jobs=N``
(a spawned process pool, what ``--jobs N`` does; pool start-up is included in its time). No result
store is used, so both runs compute every point. Prints the wall times, their ratio, and whether
the rows are identical (they must be: the per-point function is pure and rows come back in grid
order whatever order the workers finish in).

    python bench/sweep_scale.py [--jobs 2] [--workload resnet20] [--store DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from accelsim.explore.plan import plan_points
from accelsim.explore.sweep import sweep_grid

SPEC = {
    "bits": "16,8,6,4,2",
    "bw": "16,32,64,128,inf",
    "sram": "2MB,4MB,8MB,16MB,32MB",
    "cores": "2,4",
    "array": "16x32,32x32",
}


def _timed(label: str, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    rows = sweep_grid(errors="skip", **kwargs)
    wall = time.perf_counter() - start
    print(f"{label:<22} {wall:8.2f} s  ({len(rows)} rows, {wall / max(1, len(rows)) * 1e3:.1f} ms per point)", flush=True)
    return rows, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="pool size of the parallel run (default 2)")
    parser.add_argument("--workload", default="resnet20", help="zoo network or LayerGraph JSON (default resnet20)")
    parser.add_argument("--store", metavar="DIR", help="also commit every point to a fresh SQLite store in DIR (one per run)")
    args = parser.parse_args()

    spec = {"workload": args.workload, **SPEC}
    plan = plan_points(spec)  # loads the workload once, so neither timed run pays for it
    print(
        f"{args.workload}: {plan.grid_size} design points ({' x '.join(str(len(v.split(','))) for v in SPEC.values())}), "
        f"{len(plan.points) - plan.grid_size} extra reference points; {os.cpu_count()} CPUs reported",
        flush=True,
    )
    with tempfile.TemporaryDirectory(dir=args.store) as tmp:
        stores = [None, None] if args.store is None else [Path(tmp) / "serial.db", Path(tmp) / "parallel.db"]
        serial, t1 = _timed("serial (--jobs 1)", spec=spec, jobs=1, store=stores[0])
        parallel, tn = _timed(f"parallel (--jobs {args.jobs})", spec=spec, jobs=args.jobs, store=stores[1])
    same = serial == parallel
    print(f"ratio serial / parallel {t1 / tn:8.2f} x")
    print(f"identical rows          {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
