"""run_points: inline vs pool vs Dask give equal records; resume skips stored points; SIGKILL-safe."""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from _sigkill_worker import SALT, buggy_point, toy_point, toy_points

from accelsim.errors import InputError
from accelsim.explore.parallel import DASK_HINT, dask_executor, run_points
from accelsim.explore.store import ResultStore, encode
from accelsim.report.tables import export_store

WORKER = Path(__file__).with_name("_sigkill_worker.py")


def test_inline_records_in_point_order_with_error_rows() -> None:
    seen: list[tuple[int, int]] = []
    records = run_points(toy_points(20), toy_point, salt=SALT, progress=lambda d, t: seen.append((d, t)))
    assert [r["seq"] for r in records] == list(range(20))
    assert [r["params"]["x"] for r in records] == list(range(20))
    bad = records[13]
    assert bad["status"] == "error" and bad["result"] is None
    assert bad["error"] == "InputError: x=13: toy rule: x % 50 must not be 13"
    assert records[4]["result"]["ratio"] == float("inf")  # inf survives; the point's tuple became a list
    assert records[4]["params"]["array"] == [2, 4]
    assert seen == [(i, 20) for i in range(21)]


def test_pool_equals_inline_and_resumes_from_the_store(tmp_path) -> None:
    points = toy_points(40)
    inline = run_points(points, toy_point, jobs=1, salt=SALT)
    with ResultStore(tmp_path / "r.db") as store:
        run_points(points[:10], toy_point, store=store, salt=SALT)  # a partial earlier run
        seen: list[int] = []
        pooled = run_points(points, toy_point, jobs=2, store=store, salt=SALT, progress=lambda d, t: seen.append(d))
        assert pooled == inline
        assert seen[0] == 10 and seen[-1] == 40 and seen == sorted(seen)
        assert len(store) == 40
        stored = store.rows()
    assert [r["seq"] for r in stored] == list(range(40))
    assert stored == inline


def test_stored_points_are_not_recomputed(tmp_path) -> None:
    calls: list[int] = []

    def counting(params: dict) -> dict:
        calls.append(params["x"])
        return toy_point(params)

    points = toy_points(12)
    with ResultStore(tmp_path / "r.db") as store:
        first = run_points(points[::2], counting, store=store, salt=SALT)
        calls.clear()
        again = run_points(points, counting, store=store, salt=SALT)
    assert calls == list(range(1, 12, 2))
    assert again[::2] == [{**r, "seq": 2 * r["seq"]} for r in first]


def test_duplicate_points_run_once() -> None:
    calls: list[int] = []

    def counting(params: dict) -> dict:
        calls.append(params["x"])
        return {"y": params["x"]}

    records = run_points([{"x": 1}, {"x": 2}, {"x": 1}], counting)
    assert calls == [1, 2]
    assert records[0]["result"] == records[2]["result"] and records[2]["seq"] == 2


def test_a_bug_stops_the_sweep_and_keeps_finished_points(tmp_path) -> None:
    with ResultStore(tmp_path / "r.db") as store:
        with pytest.raises(ZeroDivisionError, match="toy bug"):
            run_points(toy_points(10), buggy_point, store=store)
        assert sorted(r["params"]["x"] for r in store.rows()) == [0, 1, 2, 3, 4]


def test_bad_jobs_and_missing_dask(monkeypatch) -> None:
    with pytest.raises(InputError, match="jobs=0"):
        run_points([], toy_point, jobs=0)
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(InputError) as info:
        dask_executor("tcp://127.0.0.1:8786")
    assert DASK_HINT in str(info.value) and "pip install 'accelsim[dask]'" in str(info.value)


def _count(db: Path) -> int:
    """Committed rows, read without creating or writing the file."""
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)) as conn:
            return conn.execute("SELECT count(*) FROM points").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or busy
        return 0


def test_sigkill_mid_sweep_then_resume_gives_the_uninterrupted_result(tmp_path) -> None:
    """200 points of 3 ms each; kill -9 after >= 30 commits, rerun, compare with a clean run."""
    n = 200
    db = tmp_path / "sweep.db"
    # The worker script runs from tests/: put the checkout on its path so it works uninstalled too.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, (str(WORKER.parents[1]), os.environ.get("PYTHONPATH")))),
    }
    proc = subprocess.Popen([sys.executable, str(WORKER), str(db), str(n)], env=env)
    try:
        deadline = time.monotonic() + 20
        while _count(db) < 30:
            assert proc.poll() is None, "sweep ended before it could be killed"
            assert time.monotonic() < deadline, "sweep never got going"
            time.sleep(0.005)
        assert proc.poll() is None, "sweep ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    killed_at = _count(db)
    assert 30 <= killed_at < n

    points = toy_points(n, sleep_ms=3.0)
    calls: list[int] = []

    def counting(params: dict) -> dict:
        calls.append(params["x"])
        return toy_point(params)

    with ResultStore(db) as store:
        resumed = run_points(points, counting, store=store, salt=SALT)
        stored = store.rows()
        assert len(store) == n
    assert len(calls) == n - killed_at
    clean = run_points(points, toy_point, salt=SALT)
    assert resumed == clean
    assert stored == clean  # every point exactly once, in grid order
    assert len({r["key"] for r in stored}) == n


def test_dask_local_cluster_matches_local_bytes(tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    points = toy_points(24)
    with ResultStore(tmp_path / "local.db") as store:
        local = run_points(points, toy_point, store=store, salt=SALT)
        export_store(store, tmp_path / "local.json", "json")
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        with ResultStore(tmp_path / "dask.db") as store:
            remote = run_points(
                points, toy_point, executor=client.get_executor(), store=store, salt=SALT, max_pending=8
            )
            export_store(store, tmp_path / "dask.json", "json")
        with dask_executor(cluster.scheduler_address) as ex:
            via_address = run_points(points[:6], toy_point, executor=ex, salt=SALT)
    assert encode(remote) == encode(local)  # strict JSON (inf as "inf"), byte for byte
    assert (tmp_path / "dask.json").read_bytes() == (tmp_path / "local.json").read_bytes()
    assert via_address == local[:6]


def test_chunk_size_follows_the_measured_point_time() -> None:
    from accelsim.explore.parallel import ChunkSizer

    sizer = ChunkSizer(target_s=0.25, most=512)
    assert sizer.size == 1  # the first chunk measures
    sizer.observe(1, 0.01)  # 10 ms a point: 25 points make 0.25 s, reached by doubling
    assert sizer.size == 2
    for _ in range(10):
        sizer.observe(sizer.size, 0.01 * sizer.size)
    assert sizer.size == 25
    slow = ChunkSizer(target_s=0.25)
    slow.observe(1, 2.0)  # a point slower than the target runs alone
    assert slow.size == 1
    fast = ChunkSizer(target_s=0.25, most=64)
    for _ in range(20):
        fast.observe(fast.size, 1e-6 * fast.size)
    assert fast.size == 64  # never past the cap


def test_a_chunk_is_one_transaction(tmp_path) -> None:
    with ResultStore(tmp_path / "c.db") as store:
        entries = [(f"k{i}", i, None, "ok", {"x": i}, '{"y":1}', None, 0.0) for i in range(100)]
        assert store.put_many(entries) == 100
        assert store.put_many(entries[:10]) == 0  # duplicates never land twice
        assert len(store) == 100


class _RecordingExecutor(cf.Executor):
    """Runs each task at once in this process and remembers how many points it carried."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.sizes.append(len(args[1]))
        future: cf.Future = cf.Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_a_deep_queue_is_not_filled_with_one_point_chunks() -> None:
    # the CLI keeps 64 Dask tasks in flight: before the slow start the first 64 were all one point
    ex = _RecordingExecutor()
    records = run_points(toy_points(3000), toy_point, jobs=2, executor=ex, salt=SALT, max_pending=64)
    assert len(records) == 3000 and sum(ex.sizes) == 3000
    assert ex.sizes.count(1) <= 2  # one per worker, then the size doubles per measured chunk
    assert ex.sizes[:2] == [1, 1] and ex.sizes[2] > 1
