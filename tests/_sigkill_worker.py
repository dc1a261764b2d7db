"""Toy point function for the parallel/store tests, and a script that sweeps it into a store.

It lives outside the test modules so spawned pool workers import it quickly (not pytest/hypothesis),
and so the kill test can run it as a subprocess: ``python _sigkill_worker.py STORE N [JOBS]``.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from accelsim.errors import InputError

SALT = "toy-v1"


def toy_points(n: int, sleep_ms: float = 0.0) -> list[dict[str, Any]]:
    """`n` design points; every 4th has infinite bandwidth, like the `inf` point of a real sweep."""
    return [
        {
            "x": i,
            "bw_gb_per_s": math.inf if i % 4 == 0 else float(8 * (i % 4)),
            "array": (i % 3 + 1, 4),
            "sleep_ms": sleep_ms,
        }
        for i in range(n)
    ]


def toy_point(params: dict[str, Any]) -> dict[str, Any]:
    """A pure, deterministic function of the point; points with x % 50 == 13 are 'infeasible'."""
    if params["sleep_ms"]:
        time.sleep(params["sleep_ms"] / 1000)
    x = params["x"]
    if x % 50 == 13:
        raise InputError("x", x, "toy rule: x % 50 must not be 13")
    rows, cols = params["array"]
    bw = params["bw_gb_per_s"]
    return {
        "latency_s": (x + 1) / 7 + (0.0 if math.isinf(bw) else 1 / bw),
        "energy_pj": float(x * rows * cols),
        "fits": x % 2 == 0,
        "ratio": bw / (x + 1),  # inf for the inf-bandwidth points
    }


def buggy_point(params: dict[str, Any]) -> dict[str, Any]:
    """Raises a non-accelsim exception at x == 5: a bug, which must stop the sweep."""
    if params["x"] == 5:
        raise ZeroDivisionError("toy bug")
    return {"x2": params["x"] * 2}


def main(argv: list[str]) -> int:
    from accelsim.explore.parallel import run_points
    from accelsim.explore.store import ResultStore

    path, n = argv[0], int(argv[1])
    jobs = int(argv[2]) if len(argv) > 2 else 1
    with ResultStore(path) as store:
        run_points(toy_points(n, sleep_ms=3.0), toy_point, jobs=jobs, store=store, salt=SALT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
