"""Pool workers exit when their coordinator dies, even by SIGKILL (issue 15, class 5)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"spawn_main" in cmd:
            out.append(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its exit status waits for a reaper


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the workers")
def test_sigkill_of_the_coordinator_takes_its_pool_workers_with_it(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    coordinator = subprocess.Popen(
        [sys.executable, str(HERE / "_sigkill_worker.py"), str(tmp_path / "s.db"), "5000", "2"], env=env
    )
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = _children(coordinator.pid)
        assert len(workers) == 2, "the pool did not start"
        time.sleep(0.5)  # the workers are busy with points now
        coordinator.send_signal(signal.SIGKILL)
        coordinator.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "orphaned workers outlived the coordinator"
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
            coordinator.wait()


def test_the_watchdog_fallback_exits_an_orphan_without_prctl(tmp_path) -> None:
    """The portable path alone (prctl disabled): a grandchild whose parent dies exits within a second."""
    code = (
        "import os, sys, time, subprocess\n"
        "child = subprocess.Popen([sys.executable, '-c', '''\n"
        "import os, sys, time\n"
        "sys.platform = 'other'  # skip prctl: exercise the watchdog thread\n"
        "from accelsim.explore.parallel import die_with_parent\n"
        "die_with_parent(os.getppid())\n"
        "print(os.getpid(), flush=True)\n"
        "time.sleep(60)\n"
        "'''], stdout=sys.stdout)\n"
        "time.sleep(1.5)\n"
        "os._exit(0)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    grandchild = int(out.stdout.split()[0])
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grandchild)
