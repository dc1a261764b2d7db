"""The one atomic writer: readable permissions, text and bytes, no temp files left behind."""

from __future__ import annotations

import os
import stat

from accelsim.atomic import atomic_write, atomic_write_with


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
    assert (tmp_path / "sub" / "t.txt").read_bytes() == "é\n".encode("utf-8")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "c.bin").read_bytes() == b"abc"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["b.bin", "c.bin", "sub", "t.txt"]
