"""`accelsim sweep` killed with SIGKILL part-way, then rerun: every point stored once, as if never killed."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest

from accelsim.explore.store import ResultStore

GRID = ["--workload", "resnet20", "--bits", "16,8,4,2", "--bw", "32,inf", "--sram", "8MB,16MB", "--cores", "1,2,4"]
N = 4 * 2 * 2 * 3


def _count(db) -> int:
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.5)) as conn:
            return int(conn.execute("SELECT count(*) FROM points").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet, or busy
        return 0


def _sweep(db, *extra: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "accelsim", "sweep", *GRID, "--store", str(db), "-q", "--format", "csv", *extra]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_then_rerun_equals_an_uninterrupted_sweep(tmp_path):
    db = tmp_path / "sweep.db"
    proc = _sweep(db, "--jobs", "1")
    try:
        deadline = time.monotonic() + 60
        while _count(db) < 5:
            assert proc.poll() is None, (
                f"sweep ended before it could be killed: {proc.stderr.read() if proc.stderr else ''}"
            )
            assert time.monotonic() < deadline, "sweep never got going"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    killed_at = _count(db)
    assert 5 <= killed_at < N

    resumed = _sweep(db, "--jobs", "2")  # resume on a process pool: the same rows must come out
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    # the only stderr line says how much came from the store: exactly the points the killed run committed
    assert (
        err == f"accelsim: {N} design points: {killed_at} from store {db}, {N - killed_at} simulated; --fresh "
        "recomputes them\n"
    )

    clean = _sweep(tmp_path / "clean.db", "--jobs", "1")  # a fresh process, like the two above
    clean_out, clean_err = clean.communicate(timeout=120)
    assert clean.returncode == 0, clean_err
    assert out == clean_out  # the printed results, byte for byte

    with ResultStore(db) as store, ResultStore(tmp_path / "clean.db") as clean:
        stored, expected = store.rows(), clean.rows()
        assert len(store) == N
    assert stored == expected  # every point present once, identical, in grid order
    assert [r["seq"] for r in stored] == list(range(N))
    with closing(sqlite3.connect(db)) as conn:
        per_run = dict(conn.execute("SELECT sweep_id, count(*) FROM points GROUP BY sweep_id").fetchall())
        assert conn.execute("SELECT count(DISTINCT key) FROM points").fetchone()[0] == N
    assert per_run == {1: killed_at, 2: N - killed_at}  # the rerun computed only what was missing
