"""The one atomic writer: readable permissions, text and bytes, no temp files left behind."""

from __future__ import annotations

import os
import stat
import stat as _stat
import subprocess
import sys
import threading

import pytest

from accelsim.atomic import atomic_write, atomic_write_with, check_output_path
from accelsim.errors import InputError


def test_written_files_get_the_usual_permissions_not_mkstemps_private_ones(tmp_path) -> None:
    atomic_write(tmp_path / "a.txt", "text")
    mask = os.umask(0)
    os.umask(mask)
    # mkstemp creates 0600; a report or plot must be readable like any file the user writes
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o666 & ~mask


def test_text_bytes_and_callback_writes_leave_only_the_target(tmp_path) -> None:
    atomic_write(tmp_path / "sub" / "t.txt", "é\n")
    atomic_write(tmp_path / "b.bin", b"\x00\x01")
    atomic_write_with(tmp_path / "c.bin", lambda handle: handle.write(b"abc"))
    assert (tmp_path / "sub" / "t.txt").read_bytes() == "é\n".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "c.bin").read_bytes() == b"abc"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["b.bin", "c.bin", "sub", "t.txt"]


# --- special files: written through or refused, never replaced (issue 15, class 1) -------------------


def _private_device(tmp_path, name: str, minor: int) -> str:
    """A private character node in the temp dir with /dev/null's (1,3) or /dev/full's (1,7) numbers."""
    path = tmp_path / name
    try:
        os.mknod(path, _stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("mknod needs CAP_MKNOD (root)")
    return str(path)


def test_a_private_dev_null_is_written_through_and_stays_a_device(tmp_path) -> None:
    node = _private_device(tmp_path, "null", 3)
    atomic_write(node, "x" * 1000)
    assert _stat.S_ISCHR(os.stat(node).st_mode)  # still the device, not a regular file
    assert os.listdir(tmp_path) == ["null"]  # no temp file beside it


def test_a_private_dev_full_reports_the_full_disk_and_stays_a_device(tmp_path) -> None:
    node = _private_device(tmp_path, "full", 7)
    with pytest.raises(InputError, match="disk is full") as info:
        atomic_write(node, "{}")
    assert info.value.field == "output" and info.value.value == node
    assert _stat.S_ISCHR(os.stat(node).st_mode)


def test_a_fifo_with_a_reader_gets_the_bytes_and_stays_a_fifo(tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as f:  # blocks until the writer opens its end
            got.append(f.read())

    t = threading.Thread(target=reader)
    t.start()
    for _ in range(500):  # until the reader thread is inside its open()
        try:
            atomic_write(fifo, b"payload")
            break
        except InputError:
            threading.Event().wait(0.01)
    t.join(5)
    assert got == [b"payload"] and _stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_fifo_without_a_reader_is_refused_not_waited_on(tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="FIFO with no reader"):
        atomic_write(fifo, "x")
    assert _stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_symlink_is_followed_and_kept(tmp_path) -> None:
    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "link.txt").symlink_to("real.txt")
    atomic_write(tmp_path / "link.txt", "new")
    assert (tmp_path / "link.txt").is_symlink() and os.readlink(tmp_path / "link.txt") == "real.txt"
    assert (tmp_path / "real.txt").read_text() == "new"


def test_a_symlink_to_a_fifo_writes_through_the_fifo(tmp_path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to("pipe")
    with pytest.raises(InputError, match="FIFO with no reader"):  # not replaced by a regular file
        atomic_write(tmp_path / "link", "x")
    assert (tmp_path / "link").is_symlink() and _stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)


def test_directories_sockets_and_parent_files_are_refused_with_their_reason(tmp_path) -> None:
    import socket

    (tmp_path / "d").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        atomic_write(tmp_path / "d", "x")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "s"))
    try:
        with pytest.raises(InputError, match="is a socket"):
            atomic_write(tmp_path / "s", "x")
    finally:
        sock.close()
    (tmp_path / "f").write_text("keep")
    for check in (atomic_write, lambda p, _d: check_output_path(p)):
        with pytest.raises(InputError, match="not a directory"):
            check(tmp_path / "f" / "out.csv", "x")
    assert (tmp_path / "f").read_text() == "keep"
    with pytest.raises(InputError, match="is a directory"):
        check_output_path(tmp_path / "d")


def test_dash_and_dev_stdout_write_to_standard_output(tmp_path) -> None:
    code = "import sys; from accelsim.atomic import atomic_write; atomic_write(sys.argv[1], 'hello\\n')"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    for target in ("-", "/dev/stdout"):
        out = subprocess.run(
            [sys.executable, "-c", code, target], capture_output=True, env=env, timeout=60, check=False
        )
        assert out.returncode == 0 and out.stdout == b"hello\n", (target, out.stderr)
    redirected = tmp_path / "log.txt"
    redirected.write_text("first\n")
    with redirected.open("ab") as fh:  # /dev/stdout on a file: continued, not replaced or overwritten
        subprocess.run([sys.executable, "-c", code, "/dev/stdout"], stdout=fh, env=env, timeout=60, check=True)
    assert redirected.read_text() == "first\nhello\n"


def test_a_temp_file_left_by_a_dead_writer_is_removed_by_the_next_write(tmp_path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    stale = tmp_path / f".out.csv.{int(dead.stdout)}.abc123.tmp"
    stale.write_text("half")
    live = tmp_path / f".out.csv.{os.getppid()}.def456.tmp"  # a live process's temp file is left alone
    live.write_text("busy")
    atomic_write(tmp_path / "out.csv", "a,b\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "out.csv"]
