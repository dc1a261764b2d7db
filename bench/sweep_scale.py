"""Scale of a big sweep: points/s, coordinator peak RSS and store bytes per point, serial vs
``--jobs 2`` vs a 2-worker Dask LocalCluster, with ratios to a baseline checkout in the same run.

Each run is the real command, ``accelsim sweep ... --store FILE --format csv -q``, started as a child
process, so its wall time and resources are measured from outside: the coordinator's peak RSS from
its ``/proc/PID/status`` VmHWM, read every 50 ms while it runs, and, apart, ``wait4``'s ru_maxrss,
which is the largest of the coordinator and the pool workers it reaped (Linux counts reaped
children's peaks in it; a Dask cluster's workers are not its children). The graph is a cheap 4-layer one (conv,
pool, flatten, dense on an 8x8 image) so the machinery, not the simulation, is what scales. The grid
is bits x bandwidth x SRAM x cores x array, trimmed to --points (10^5 by default).

With ``--baseline DIR`` (a checkout of another accelsim, e.g. ``git archive main | tar -x -C DIR``)
the same grid, or the first --baseline-points of it, runs there too and the ratios are printed;
``--rounds N`` then runs N more pairs of ``--jobs 2`` runs on the baseline's grid, in alternating
order (``bench/ab.py``), and prints each pair's ratio and the median, as the load of a shared machine
drifts. CSV
outputs of serial, pool and Dask runs of this tree must be byte-identical.

    PYTHONPATH=$PWD python bench/sweep_scale.py [--points 100000] [--rss-points 2000,8000,20000]
        [--compare-points 20000] [--baseline DIR] [--rounds N] [--skip-dask] [--dask-profiler] [--dask-defaults]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: Axis values; the grid is the product, cut to --points by dropping values from the last axes.
AXES = {
    "bits": "16,12,10,8,7,6,5,4,3,2",
    "bw": "4,8,12,16,24,32,48,64,96,128,192,256,384,512,768,1024,1536,2048,3072,inf",
    "sram": "1MB,2MB,3MB,4MB,6MB,8MB,12MB,16MB,24MB,32MB",
    "cores": "1,2,3,4,5,6,8,10,12,16",
    "array": "8x8,8x16,16x16,16x32,32x32",
    "efficiency": "0.5,0.6,0.7,0.8,0.9,1.0",
}


def grid_for(points: int) -> dict[str, str]:
    """The axes, with the last ones shortened until the product is at most `points`."""
    axes = {k: v.split(",") for k, v in AXES.items()}
    for name in reversed(list(axes)):
        while len(axes[name]) > 1 and _size(axes) > points:
            axes[name].pop()
    return {k: ",".join(v) for k, v in axes.items()}


def _size(axes: dict[str, list[str]]) -> int:
    n = 1
    for v in axes.values():
        n *= len(v)
    return n


def tiny_graph_file(path: Path) -> Path:
    from accelsim.ir import Conv2d, Dense, Flatten, LayerGraph, Pool

    g = LayerGraph("tiny")
    g.add(Conv2d(name="conv1", in_shape=(1, 3, 8, 8), out_channels=4, kernel=(3, 3), padding=(1, 1)))
    g.add(Pool(name="gap", in_shape=(1, 4, 8, 8), mode="avg", kernel=(8, 8), stride=(1, 1)), ["conv1"])
    g.add(Flatten(name="flat", in_shape=(1, 4, 1, 1)), ["gap"])
    g.add(Dense(name="fc", in_shape=(1, 4), out_features=10), ["flat"])
    g.save(path)
    return path


def run_sweep(
    tree: Path, grid: dict[str, str], workload: Path, store: Path, out: Path, extra: list[str]
) -> dict[str, float]:
    """One `accelsim sweep` in `tree` as a child process: wall s, peak RSS MB, store bytes, rows, and
    CPU s (``wait4``'s: the coordinator and the pool workers it reaped; not a Dask cluster's)."""
    argv = [
        sys.executable,
        "-m",
        "accelsim",
        "sweep",
        "--workload",
        str(workload),
        "--store",
        str(store),
        "--format",
        "csv",
        "-q",
    ]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    flags = _sweep_flags(tree, env)
    if "--max-points" in flags:  # (an older baseline has no grid-size limit to lift)
        argv += ["--max-points", "10000000"]
    for k, v in grid.items():
        if f"--{k}" in flags:
            argv += [f"--{k}", v]
        elif "," in v:
            raise SystemExit(f"{tree} has no --{k} axis: give a grid without it")
        # else: a one-value axis an older baseline lacks runs at its default (the same cost)
    start = time.perf_counter()
    with open(out, "wb") as sink:
        proc = subprocess.Popen(argv + extra, cwd=tree, env=env, stdout=sink, stderr=subprocess.PIPE)
        peak_kb = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, _vm_hwm_kb(proc.pid))
            time.sleep(0.05)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"sweep failed in {tree}: {err.strip()[-500:]}")
    rows = sum(1 for _ in open(out, "rb")) - 1
    size = sum(p.stat().st_size for p in store.parent.glob(store.name + "*"))
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "wall": wall,
        "rss_mb": peak_kb / 1024,
        "all_rss_mb": usage.ru_maxrss / 1024,
        "store_bytes": size,
        "rows": rows,
        "cpu": cpu,
    }


def _vm_hwm_kb(pid: int) -> int:
    """Peak resident set of process `pid` so far (kB, Linux), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except OSError:
        return 0


_FLAGS: dict[Path, str] = {}


def _sweep_flags(tree: Path, env: dict[str, str]) -> str:
    """The help text of `tree`'s sweep command (which options a baseline checkout has)."""
    if tree not in _FLAGS:
        argv = [sys.executable, "-m", "accelsim", "sweep", "--help"]
        _FLAGS[tree] = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True, check=True).stdout
    return _FLAGS[tree]


def cluster_cpu(client: Any) -> float:
    """CPU seconds so far of this process (a LocalCluster's scheduler and nannies live here) and of
    every Dask worker process."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    workers = client.run(time.process_time)  # a worker's whole process: task thread, event loop, profiler
    return me.ru_utime + me.ru_stime + sum(workers.values())


#: A point function that does no simulation: what is left is the sweep machinery (task submission,
#: pickling, store commits, keys). Written to a temporary module so both trees' workers import it.
_NOOP_MODULE = """
def point(params):
    x = params["x"]
    return {f"field_{i}": x * 1.000001 + i for i in range(25)} | {"bound": "compute", "weights_fit": True}
"""

_MACHINERY = """
import sys, time
try:
    from accelsim.explore.parallel import run_points
    from accelsim.explore.store import ResultStore
except ImportError:  # a baseline from before the package layout (issue 17)
    from accelsim.parallel import run_points
    from accelsim.store import ResultStore
import noop_point
n, jobs, db = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
points = [{"x": i, "bits": 4, "bw_gb_per_s": 64.0, "array": [16, 32], "mode": "configurable"} for i in range(n)]
if __name__ == "__main__":
    start = time.perf_counter()
    with ResultStore(db) as store:
        run_points(points, noop_point.point, jobs=jobs, store=store, salt="bench")
    print(time.perf_counter() - start)
"""


def machinery_rate(tree: Path, tmp: Path, n: int, jobs: int, tag: str) -> float:
    """Points/s of `run_points` with the no-op point function in `tree` (a child process)."""
    (tmp / "noop_point.py").write_text(_NOOP_MODULE)
    script = tmp / "machinery.py"
    script.write_text(_MACHINERY)
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{tmp}"}
    out = subprocess.run(
        [sys.executable, str(script), str(n), str(jobs), str(tmp / f"m_{tag}.db")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return n / float(out.stdout.strip().splitlines()[-1])


def report(label: str, r: dict[str, float], points: int) -> None:
    print(
        f"{label:<34} {points:>8,} pts {r['wall']:8.1f} s {points / r['wall']:8.0f} pts/s "
        f"{r['rss_mb']:5.0f} MB RSS ({r['all_rss_mb']:3.0f} with workers) {r['store_bytes'] / points:4.0f} B/pt "
        f"{1e3 * r['cpu'] / points:5.2f} ms CPU/pt",
        flush=True,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000, help="grid size of this tree's runs (default 10^5)")
    parser.add_argument(
        "--rss-points",
        default="",
        help="comma list of smaller grid sizes also run with --jobs 2 (coordinator peak RSS vs grid size)",
    )
    parser.add_argument("--compare-points", type=int, help="grid size of the serial and Dask runs (default --points)")
    parser.add_argument("--baseline", type=Path, help="another accelsim checkout to compare with")
    parser.add_argument("--baseline-points", type=int, help="grid size of the baseline runs (default --points)")
    parser.add_argument("--skip-dask", action="store_true", help="leave out the Dask LocalCluster run")
    parser.add_argument(
        "--dask-profiler",
        action="store_true",
        help="keep Dask's worker profiler on (its default; measured to cost ~10 %% of a worker's CPU here)",
    )
    parser.add_argument(
        "--dask-defaults",
        action="store_true",
        help="keep Dask's event-loop tick (20 ms) and memory-monitor interval (100 ms) instead of 1 s each",
    )
    parser.add_argument("--skip-serial", action="store_true", help="leave out the serial runs")
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="then alternate N more --jobs 2 runs of the baseline and this tree on the baseline's grid and "
        "print each pair's ratio and their median (the machine's load drifts between two runs)",
    )
    parser.add_argument(
        "--machinery-points", type=int, default=20_000, help="points of the no-op machinery runs (0: none)"
    )
    return parser


Results = dict[str, tuple[dict[str, float], int]]


def main() -> int:
    args = _parser().parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (the machine is shared)", flush=True)
    results: Results = {}
    grid, cgrid = grid_for(args.points), grid_for(args.compare_points or args.points)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        workload = tiny_graph_file(tmp / "tiny.json")

        def one(label: str, tree: Path, g: dict[str, str], extra: list[str], client: Any = None) -> None:
            tag = label.replace(" ", "_").replace(",", "")
            before = cluster_cpu(client) if client is not None else 0.0
            r = run_sweep(tree, g, workload, tmp / f"{tag}.db", tmp / f"{tag}.csv", extra)
            if client is not None:  # the cluster's processes work for this run too
                r["cpu"] += cluster_cpu(client) - before
            results[label] = (r, _grid_points(g))
            report(label, r, _grid_points(g))

        if args.machinery_points:
            _machinery(args, tmp)
        if args.baseline is not None:
            bgrid = grid_for(args.baseline_points or args.points)
            one("baseline --jobs 2", args.baseline, bgrid, ["--jobs", "2"])
            if not args.skip_serial:
                one("baseline serial", args.baseline, bgrid, ["--jobs", "1"])
        sizes = sorted({int(v) for v in args.rss_points.split(",") if v.strip()} | {args.compare_points or args.points})
        for size in sizes:
            if size != args.points:
                one(f"this tree --jobs 2, {size:,} points", ROOT, grid_for(size), ["--jobs", "2"])
        one("this tree --jobs 2", ROOT, grid, ["--jobs", "2"])
        if not args.skip_serial:
            one("this tree serial", ROOT, cgrid, ["--jobs", "1"])
        if not args.skip_dask:
            import dask.config
            from distributed import Client, LocalCluster

            # The worker's statistical profiler samples every thread's stack every 10 ms by default; on
            # this CPU-bound pure-Python work that is ~10 % of a worker's CPU. Each process's event loop
            # also wakes every 20 ms (tick) and each worker checks its memory every 100 ms: on 2 cores
            # busy with the sweep, 1 s each took the cluster's CPU a point from 1.20-1.35x the pool's
            # to 1.06-1.19x (docs/scaling.md)
            profile: dict[str, Any] = {"distributed.worker.profile.enabled": args.dask_profiler}
            if not args.dask_defaults:
                profile["distributed.admin.tick.interval"] = "1s"
                profile["distributed.worker.memory.monitor-interval"] = "1s"
            with (
                dask.config.set(profile),
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
                Client(cluster) as client,
            ):
                address = cluster.scheduler_address
                one("this tree Dask 2 workers", ROOT, cgrid, ["--dask", address, "--jobs", "2"], client)
        if args.baseline is not None and args.rounds:
            _alternate(args, tmp, workload)
        same = [k for k, (_, pts) in results.items() if k.startswith("this tree") and pts == _grid_points(cgrid)]
        digests = {
            k: hashlib.sha256((tmp / f"{k.replace(' ', '_').replace(',', '')}.csv").read_bytes()).hexdigest()
            for k in same
        }
    return _summary(results, digests, grid, _grid_points(cgrid))


def _alternate(args: argparse.Namespace, tmp: Path, workload: Path) -> None:
    """`--rounds` pairs of --jobs 2 runs on the baseline's grid, in alternating order
    (`ab.alternating_rounds`): one ratio per pair, measured minutes apart at most, and their median."""
    from ab import alternating_rounds

    bgrid = grid_for(args.baseline_points or args.points)
    points = _grid_points(bgrid)

    def rate(tree: str, i: int) -> dict[str, Any]:
        tag = "new" if Path(tree) == ROOT else "old"
        r = run_sweep(
            Path(tree), bgrid, workload, tmp / f"round{i}_{tag}.db", tmp / f"round{i}_{tag}.csv", ["--jobs", "2"]
        )
        return {"rate": points / r["wall"]}

    ratios = []
    for i, old, new in alternating_rounds(str(args.baseline), str(ROOT), args.rounds, rate):
        ratios.append(new["rate"] / old["rate"])
        print(
            f"round {i + 1}: baseline {old['rate']:6.0f} pts/s, this tree {new['rate']:6.0f} pts/s, "
            f"ratio {ratios[-1]:.2f}x (load {os.getloadavg()[0]:.2f})",
            flush=True,
        )
    print(
        f"points/s --jobs 2, this tree / baseline over {len(ratios)} rounds: median {statistics.median(ratios):.2f}x, "
        f"range {min(ratios):.2f}-{max(ratios):.2f}x",
        flush=True,
    )


def _machinery(args: argparse.Namespace, tmp: Path) -> None:
    for jobs in (1, 2):
        new = machinery_rate(ROOT, tmp, args.machinery_points, jobs, f"new{jobs}")
        line = f"machinery only (no-op point), --jobs {jobs}: this tree {new:8.0f} pts/s"
        if args.baseline is not None:
            old = machinery_rate(args.baseline, tmp, args.machinery_points, jobs, f"old{jobs}")
            line += f", baseline {old:8.0f} pts/s, ratio {new / old:.2f}x"
        print(line, flush=True)


def _summary(results: Results, digests: dict[str, str], grid: dict[str, str], compared: int) -> int:
    """The ratios and the RSS-vs-grid table; exit 1 when the runs on one grid gave different CSV."""
    print(f"grid {_grid_points(grid):,} points: {' x '.join(str(len(v.split(','))) for v in grid.values())}")
    print(f"CSV of this tree's {compared:,}-point runs identical: {'yes' if len(set(digests.values())) == 1 else 'NO'}")
    rate = {k: pts / r["wall"] for k, (r, pts) in results.items()}
    if "baseline --jobs 2" in rate:  # against this tree's run on the baseline's grid when there is one
        size = results["baseline --jobs 2"][1]
        same = [k for k, (_, pts) in results.items() if k.startswith("this tree --jobs 2") and pts == size]
        mine = same[0] if same else "this tree --jobs 2"
        print(
            f"points/s --jobs 2, this tree / baseline ({results[mine][1]:,} / {size:,} points): "
            f"{rate[mine] / rate['baseline --jobs 2']:.2f}x"
        )
    pool = next(
        (rate[k] for k, (_, pts) in results.items() if k.startswith("this tree --jobs 2") and pts == compared), None
    )
    if "this tree Dask 2 workers" in rate and pool:
        print(f"points/s Dask / pool ({compared:,} points): {rate['this tree Dask 2 workers'] / pool:.2f}")
        cpu = {k: r["cpu"] for k, (r, pts) in results.items() if pts == compared}
        pool_cpu = next(v for k, v in cpu.items() if k.startswith("this tree --jobs 2"))
        print(f"CPU s per point Dask / pool (all their processes): {cpu['this tree Dask 2 workers'] / pool_cpu:.2f}")
    print("coordinator peak RSS vs grid size (--jobs 2):")
    for k, (r, pts) in sorted(results.items(), key=lambda kv: kv[1][1]):
        if k.startswith("this tree --jobs 2"):
            print(f"  {pts:>9,} points {r['rss_mb']:6.0f} MB (with the pool workers: {r['all_rss_mb']:.0f} MB)")
    return 0 if len(set(digests.values())) <= 1 else 1


def _grid_points(grid: dict[str, str]) -> int:
    return _size({k: v.split(",") for k, v in grid.items()})


if __name__ == "__main__":
    sys.exit(main())
