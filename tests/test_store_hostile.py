"""Stores that are foreign, empty, damaged or full: one line, nothing written by readers, bad rows
skipped and recomputed (issue 15, classes 3 and 6)."""

from __future__ import annotations

import hashlib
import io
import sqlite3
from contextlib import closing, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from _sigkill_worker import SALT, toy_point, toy_points

from accelsim.cli.main import main
from accelsim.errors import InputError
from accelsim.explore.parallel import run_points
from accelsim.explore.store import ResultStore, StoreWarning


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _foreign(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('mine')")
        conn.commit()
    return path


def _swept(path: Path, n: int = 12) -> Path:
    with ResultStore(path) as store:
        run_points(toy_points(n), toy_point, store=store, salt=SALT)
    return path


@pytest.mark.parametrize("command", ["results", "pareto"])
def test_readers_refuse_a_foreign_sqlite_file_and_leave_it_byte_identical(tmp_path, command) -> None:
    db = _foreign(tmp_path / "notes.db")
    before = _snapshot(tmp_path)
    code, out, err = run_cli(command, str(db))
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "another program" in err and "notes" in err
    assert _snapshot(tmp_path) == before  # no tables added, journal mode unchanged, no side files
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


@pytest.mark.parametrize("command", ["results", "pareto"])
def test_readers_refuse_an_empty_file_without_making_it_a_database(tmp_path, command) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    code, _, err = run_cli(command, str(empty))
    assert code == 2 and "is an empty file" in err and err.count("\n") == 1, err
    assert empty.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_a_writer_refuses_a_foreign_sqlite_file_too(tmp_path) -> None:
    db = _foreign(tmp_path / "notes.db")
    before = _snapshot(tmp_path)
    with pytest.raises(InputError, match="another program"):
        ResultStore(db)
    assert _snapshot(tmp_path) == before


def test_a_dropped_column_is_named(tmp_path) -> None:
    db = _swept(tmp_path / "s.db")
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("ALTER TABLE points DROP COLUMN error")
        conn.commit()
    code, _, err = run_cli("results", str(db))
    assert code == 2 and "lacks column(s) error" in err and err.count("\n") == 1, err


def test_a_corrupted_page_is_one_line_not_a_traceback(tmp_path) -> None:
    db = _swept(tmp_path / "s.db", n=400)
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):  # scribble over every page after the first two
        data[offset : offset + 64] = b"\xa5" * 64
    db.write_bytes(bytes(data))
    code, _, err = run_cli("results", str(db))
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert "store=" in err


def test_a_bad_result_row_is_skipped_by_readers_and_recomputed_on_resume(tmp_path) -> None:
    db = _swept(tmp_path / "s.db")
    with closing(sqlite3.connect(db)) as conn:
        key = conn.execute("SELECT key FROM points WHERE status = 'ok' ORDER BY seq LIMIT 1").fetchone()[0]
        conn.execute("UPDATE points SET result_json = '{not json' WHERE key = ?", (key,))
        conn.commit()
    with ResultStore(db, read_only=True) as store, pytest.warns(StoreWarning, match="1 stored point"):
        rows = store.rows()
    assert len(rows) == 11 and store.unreadable == {key.hex() if isinstance(key, bytes) else key}  # schema 3: 32 bytes
    # resume: the bad row is recomputed, said so, and the store is whole again
    with ResultStore(db) as store, pytest.warns(StoreWarning, match="recomputed"):
        again = run_points(toy_points(12), toy_point, store=store, salt=SALT)
    assert again == run_points(toy_points(12), toy_point, salt=SALT)
    with ResultStore(db, read_only=True) as store:
        assert len(store.rows()) == 12 and not store.unreadable


def test_the_cli_says_a_row_was_skipped_in_one_note_line(tmp_path, capsys) -> None:
    db = tmp_path / "s.db"
    argv = ["sweep", "-q", "--workload", "resnet20", "--bits", "16,4", "--bw", "inf", "--store", str(db), "--jobs", "1"]
    assert main(argv) == 0
    capsys.readouterr()
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE points SET result_json = '[1,' WHERE seq = 1")
        conn.commit()
    assert main(["results", str(db)]) == 0
    err = capsys.readouterr().err
    assert "accelsim: note: 1 stored point(s)" in err and "Traceback" not in err
    assert main(argv) == 0  # the resumed sweep recomputes it
    assert "are recomputed" in capsys.readouterr().err
    assert main(["results", str(db)]) == 0
    assert "unreadable" not in capsys.readouterr().err


def test_a_full_disk_is_reported_as_a_full_disk(tmp_path) -> None:
    db = tmp_path / "s.db"
    with ResultStore(db) as store:
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages + 1}")  # SQLITE_FULL, as on a full disk
        with pytest.raises(InputError, match="the disk is full"):
            run_points(toy_points(500), toy_point, store=store, salt=SALT)


def test_a_directory_as_store_is_named_as_one(tmp_path) -> None:
    (tmp_path / "d.db").mkdir()
    for argv in (
        ["results", str(tmp_path / "d.db")],
        ["sweep", "-q", "--workload", "resnet20", "--bits", "4", "--bw", "inf", "--store", str(tmp_path / "d.db")],
    ):
        code, _, err = run_cli(*argv)
        assert code == 2 and "is a directory" in err and err.count("\n") == 1, err
