"""`pact-train compare` shows one progress bar per run on a terminal (tqdm on stderr), and none with
-q or when stderr is not a terminal; stdout (the table) is the same either way."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "compare",
    "--dataset",
    "digits",
    "--train-limit",
    "64",
    "--test-limit",
    "32",
    "--width",
    "4",
    "--batch-size",
    "16",
    "--epochs",
    "1",
    "--bits",
    "2",
    "--bw",
    "none",
]


def run(args: list[str], tty: bool) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``pact-train ARGS`` with stderr on a pseudo-terminal or a pipe."""
    cmd = [sys.executable, "-m", "pact_train.cli", "--threads", "1", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    if not tty:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        return p.returncode, p.stdout, p.stderr
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a 120-column terminal
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    out = proc.stdout.read()
    proc.wait(timeout=300)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_compare_shows_a_bar_per_run_on_a_terminal_only():
    rc, out, err = run(ARGS, tty=True)
    assert rc == 0, err
    for label in ("run 1/3 fp", "run 2/3 dorefa2", "run 3/3 pact2"):
        assert label in err
    assert "64/64" in err  # each run's bar counts its own images (1 epoch x 64)
    rc_q, out_q, err_q = run(["-q", *ARGS], tty=True)
    assert rc_q == 0 and "run 1/3" not in err_q
    rc_p, out_p, err_p = run(ARGS, tty=False)
    assert rc_p == 0 and "run 1/3" not in err_p and err_p == ""
    assert out == out_q == out_p  # the table (stdout) does not depend on the progress display
