"""The SQLite result store of record: one row per design point, safe to kill and resume.

Why SQLite: every finished chunk of points is one committed transaction, so a SIGKILL loses at most
the points still running, never a half-written row (a CSV appended in place can tear its last line). WAL with
``synchronous=NORMAL`` commits thousands of points per second; a power cut may drop the last commits,
which a rerun recomputes. Only the sweep's coordinator writes (workers return data), so there is one
writer and no locking between processes.

A point's key is the sha256 of its canonical JSON plus a salt (workload hash + accelsim version): a
changed model or input changes the key, so a stale result is never reused. Stored data is JSON text
only; loading it never executes anything (no pickle, no eval).

Why one module of ~530 lines: it is the one `ResultStore` class, whose methods share one connection,
its transaction discipline and its read-only mode; the schema (`store_schema`), the row codec
(`store_codec`) and the read-back with speedups (`readback`) are already their own modules.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import stat
import urllib.parse
import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from accelsim.errors import AccelsimError, InputError
from accelsim.explore.store_codec import (
    canonical_json,
    decode,
    encode,
    json_safe,
    normalize,
    pack,
    point_key,
    unpack,
)
from accelsim.explore.store_schema import SCHEMA_VERSION, TYPED_COLUMNS, prepare, strip_typed, typed_values, with_typed


class StoreWarning(UserWarning):
    """Something in a store was skipped or repaired; the CLI prints it as one ``note:`` line."""


_F = TypeVar("_F")


def _guarded(method: _F) -> _F:
    """Turn SQLite errors inside a store method into one line naming the store (no traceback)."""

    @functools.wraps(method)  # type: ignore[arg-type]
    def wrapper(self: ResultStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)  # type: ignore[operator]
        except sqlite3.DatabaseError as exc:
            raise self._sqlite_error(exc) from None

    return wrapper  # type: ignore[return-value]


class ResultStore:
    """A sweep's results in one SQLite file (``with ResultStore(path) as store: ...``).

    Records returned by `get`/`rows` are ``{"key", "seq", "status", "params", "result", "error"}``
    (plus ``"wall_s"`` when asked for timing): the same shape `accelsim.explore.parallel.run_points` returns.

    `read_only` (what `accelsim results`/`pareto` use) opens the file without writing anything: no
    tables added, journal mode untouched, and a file that is not an accelsim store (a foreign
    SQLite file, an empty file) is refused. A writer refuses a foreign SQLite file too; it creates
    the schema only in a new or empty file. A row whose stored result cannot be decoded is skipped
    with a `StoreWarning` (`unreadable` lists the keys); a resumed sweep recomputes it.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.unreadable: set[str] = set()
        self._check_file()
        try:
            if read_only:
                # Without a -wal beside it no writer is active and every commit is in the main file:
                # `immutable` then reads it without creating -wal/-shm files. With one, read it as WAL.
                live = os.path.exists(self.path + "-wal")
                uri = (
                    "file:" + urllib.parse.quote(os.path.abspath(self.path)) + ("?mode=ro" if live else "?immutable=1")
                )
                self._conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            else:
                self._conn = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise InputError("store", self.path, f"cannot be opened ({exc})") from None
        try:
            self._setup()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise self._sqlite_error(exc) from None
        except BaseException:
            self._conn.close()
            raise

    def _check_file(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self.read_only:
                raise InputError(
                    "store", self.path, "no such file (write one with `accelsim sweep --store FILE`)"
                ) from None
            return
        except OSError as exc:
            raise InputError("store", self.path, f"cannot be read ({exc.strerror})") from None
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a special file"
            raise InputError("store", self.path, f"is {kind}, not a result store file")
        if st.st_size == 0 and self.read_only:
            raise InputError("store", self.path, "is an empty file, not an accelsim result store")

    def _sqlite_error(self, exc: sqlite3.DatabaseError) -> AccelsimError:
        text = str(exc)
        if "disk is full" in text or getattr(exc, "sqlite_errorcode", None) == 13:  # SQLITE_FULL
            return InputError(
                "store",
                self.path,
                f"cannot be written: the disk is full ({text}); "
                "finished points are kept, free space and rerun to resume",
            )
        if isinstance(exc, sqlite3.OperationalError) and ("readonly" in text or "unable to open" in text):
            return InputError("store", self.path, f"cannot be written ({text})")
        if "malformed" in text or "corrupt" in text:
            return InputError("store", self.path, f"is damaged ({text}); restore it or start a new store")
        if "file is not a database" in text:
            return InputError("store", self.path, "is not an accelsim result store (not a SQLite file)")
        return InputError("store", self.path, f"cannot be used ({type(exc).__name__}: {text})")

    def _setup(self) -> None:
        self.typed = prepare(self._conn, self.path, read_only=self.read_only)

    # -- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_guarded
    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM points").fetchone()[0])

    # -- sweeps --------------------------------------------------------------------------------------

    @_guarded
    def begin_sweep(self, spec: Mapping[str, Any], version: str, salt: str = "") -> int:
        """Record a sweep (its spec, the accelsim version, the salt, when) and return its id.

        `spec` is kept in its own key order (axis order matters) and read back verbatim by `sweeps`.
        """
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO sweeps (spec_json, accelsim_version, salt, created) VALUES (?, ?, ?, ?)",
                (encode(dict(spec)), version, salt, created),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    @_guarded
    def sweeps(self) -> list[dict[str, Any]]:
        cur = self._conn.execute("SELECT id, spec_json, accelsim_version, salt, created FROM sweeps ORDER BY id")
        return [
            {"id": i, "spec": json.loads(spec), "accelsim_version": v, "salt": salt, "created": created}
            for i, spec, v, salt, created in cur
        ]

    # -- points --------------------------------------------------------------------------------------

    @_guarded
    def has(self, key: str) -> bool:
        return self._conn.execute("SELECT 1 FROM points WHERE key = ?", (self._db_key(key),)).fetchone() is not None

    @_guarded
    def forget(self, keys: Iterable[str]) -> int:
        """Delete the points with these keys (a fresh rerun, or an unreadable row, recomputes them);
        returns how many went."""
        keys = list(keys)
        with self._transaction():
            cur = self._conn.executemany("DELETE FROM points WHERE key = ?", [(self._db_key(k),) for k in keys])
        return max(0, cur.rowcount)

    @_guarded
    def done_keys(self) -> set[str]:
        """Keys of every recorded point, ok or error: a resumed sweep skips all of them."""
        return {_key_of(k) for (k,) in self._conn.execute("SELECT key FROM points")}

    def put(
        self,
        key: str,
        params: Mapping[str, Any],
        result: Mapping[str, Any] | str,
        wall_s: float,
        *,
        seq: int | None = None,
        sweep_id: int | None = None,
    ) -> bool:
        """Commit one finished point; False (and nothing written) if `key` is already stored.

        `result` may be a dict or its `encode`d JSON text (what pool workers send back).
        """
        text = result if isinstance(result, str) else encode(dict(result))
        return self._insert(key, seq, sweep_id, "ok", params, text, None, wall_s)

    def put_error(
        self,
        key: str,
        params: Mapping[str, Any],
        error: str,
        wall_s: float = 0.0,
        *,
        seq: int | None = None,
        sweep_id: int | None = None,
    ) -> bool:
        """Commit a point whose evaluation raised an AccelsimError (e.g. a design that cannot be built)."""
        return self._insert(key, seq, sweep_id, "error", params, None, str(error), wall_s)

    def _insert(
        self,
        key: str,
        seq: int | None,
        sweep_id: int | None,
        status: str,
        params: Mapping[str, Any],
        result_json: str | None,
        error: str | None,
        wall_s: float,
    ) -> bool:
        return self.put_many([(key, seq, sweep_id, status, params, result_json, error, wall_s)]) == 1

    @_guarded
    def put_many(
        self,
        entries: Iterable[tuple[str, int | None, int | None, str, Mapping[str, Any], str | None, str | None, float]],
    ) -> int:
        """Commit a chunk of finished points in one transaction; returns how many were new.

        Each entry is ``(key, seq, sweep_id, status, params, result_json, error, wall_s)``. One
        transaction per chunk instead of per point: a kill still loses only whole chunks (the ones
        not yet committed), which a rerun recomputes.
        """
        if self.read_only:
            raise InputError("store", self.path, "was opened read-only")
        typed = self.typed
        rows = [
            (
                self._db_key(key),
                seq,
                sweep_id,
                status,
                pack(encode(_stored_params(params, typed))),
                None if result_json is None else pack(result_json),
                error,
                float(wall_s),
                *(typed_values(params) if typed else ()),
            )
            for key, seq, sweep_id, status, params, result_json, error, wall_s in entries
        ]
        columns = _INSERT_TYPED if typed else _INSERT
        before = self._conn.total_changes
        with self._transaction():
            self._conn.executemany(columns, rows)
        return self._conn.total_changes - before

    @_guarded
    def get(self, key: str) -> dict[str, Any] | None:
        """The record of `key`; None when absent or unreadable (see `unreadable`)."""
        cur = self._conn.execute(f"SELECT {self._columns} FROM points WHERE key = ?", (self._db_key(key),))
        row = cur.fetchone()
        return None if row is None else self._decoded(row, timing=False)

    @_guarded
    def records_for(self, keys: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        """The stored records of `keys` (absent keys left out; an unreadable row maps to None).

        Batched lookups, so a sweep checks what is done window by window instead of loading every key.
        """
        return dict(self._decoded_for(keys))

    @_guarded
    def readable_keys(self, keys: Iterable[str]) -> dict[str, bool]:
        """Which of `keys` are stored (absent keys left out): True for a row that decodes, False for
        an unreadable one (a resumed sweep deletes and recomputes it).

        Each row is decoded and dropped at once: a resume checks a window of thousands of points,
        and holding their records (~8 KB each decoded) set the coordinator's peak memory."""
        return {key: rec is not None for key, rec in self._decoded_for(keys)}

    def _decoded_for(self, keys: Iterable[str]) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """(key, decoded record or None when unreadable) of each stored one of `keys`, in batched
        ``IN (...)`` queries; each record is yielded as it is decoded."""
        keys = list(dict.fromkeys(keys))
        for at in range(0, len(keys), _LOOKUP_BATCH):
            batch = [self._db_key(k) for k in keys[at : at + _LOOKUP_BATCH]]
            marks = ",".join("?" * len(batch))
            for row in self._conn.execute(f"SELECT {self._columns} FROM points WHERE key IN ({marks})", batch):
                yield _key_of(row[0]), self._decoded(row, timing=False)

    def _decoded(self, row: tuple[Any, ...], *, timing: bool) -> dict[str, Any] | None:
        try:
            rec = _record(row, timing=timing)
        except (ValueError, TypeError, RecursionError):  # bad JSON text, or not text at all
            rec = None
        if rec is None or not isinstance(rec["params"], dict) or not isinstance(rec["result"], (dict, type(None))):
            self.unreadable.add(_key_of(row[0]))
            return None
        return rec

    def _warn_unreadable(self, before: int) -> None:
        new = len(self.unreadable) - before
        if new:
            first = sorted(self.unreadable)[0]
            warnings.warn(
                f"{new} stored point(s) in {self.path} have unreadable data (first key {first[:12]}...) "
                "and were skipped; "
                "rerunning the sweep recomputes them",
                StoreWarning,
                stacklevel=3,
            )

    @_guarded
    def rows(
        self, *, timing: bool = False, keys: Iterable[str] | None = None, by_sweep: bool = False
    ) -> list[dict[str, Any]]:
        """All records (or those with `keys`) in grid order: by `seq`, then key; points without seq last.

        `timing` adds ``wall_s``, which differs run to run, so it is off by default. `by_sweep`
        groups the points by the sweep that first computed them (in the order the sweeps ran), so
        a store that several sweeps wrote reads back as one grid after the other.
        """
        order = " ORDER BY " + ("sweep_id IS NULL, sweep_id, " if by_sweep else "") + "seq IS NULL, seq, key"
        wanted = None if keys is None else set(keys)
        before = len(self.unreadable)
        cur = self._conn.execute(f"SELECT {self._columns} FROM points{order}")
        out = [
            rec
            for r in cur
            if wanted is None or _key_of(r[0]) in wanted
            if (rec := self._decoded(r, timing=timing)) is not None
        ]
        self._warn_unreadable(before)
        return out

    def iter_records(
        self, *, condition: tuple[str, list[Any]] | None = None, salt: str | None = None, timing: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Records sweep by sweep in grid order (as ``rows(by_sweep=True)``), one at a time, each with
        the ``salt`` of the sweep that stored it; unreadable rows skipped with one warning at the end.

        `condition` is a SQL condition on the typed columns (`where.to_sql`; only on a store whose
        `typed` is True), `salt` keeps the points of that model only. SQLite sorts what it reads in
        bounded memory (spilling to a temporary file), so a store of any size streams.
        """
        where, params = [], []
        if condition is not None:
            if not self.typed:
                raise InputError("store", self.path, "has no typed columns to filter on in SQL (an older schema)")
            where.append(f"({condition[0]})")
            params += condition[1]
        if salt is not None:
            where.append("s.salt = ?")
            params.append(salt)
        sql = (
            f"SELECT {', '.join('p.' + c for c in self._columns.split(', '))}, s.salt "
            "FROM points p LEFT JOIN sweeps s ON p.sweep_id = s.id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY p.sweep_id IS NULL, p.sweep_id, p.seq IS NULL, p.seq, p.key"
        )
        before = len(self.unreadable)
        try:  # a generator: `_guarded` would not see errors raised while it is iterated
            for row in self._conn.execute(sql, params):
                rec = self._decoded(row[:-1], timing=timing)
                if rec is not None:
                    rec["salt"] = row[-1]
                    yield rec
        except sqlite3.DatabaseError as exc:
            raise self._sqlite_error(exc) from None
        self._warn_unreadable(before)

    @_guarded
    def count_other_salts(self, salt: str) -> int:
        """Points stored by a model other than `salt` (or by no recorded sweep)."""
        sql = "SELECT count(*) FROM points p LEFT JOIN sweeps s ON p.sweep_id = s.id WHERE s.salt IS NOT ?"
        return int(self._conn.execute(sql, (salt,)).fetchone()[0])

    def _db_key(self, key: str) -> str | bytes:
        """A key as schema 3 stores it: a sha256 hex key as its 32 bytes (half the size; every other
        key, e.g. one a test made up, as text). `_key_of` turns it back."""
        if self.typed and len(key) == 64:
            try:
                raw = bytes.fromhex(key)
            except ValueError:
                return key
            if raw.hex() == key:  # lowercase only, so the text comes back the same
                return raw
        return key

    @property
    def _columns(self) -> str:
        """The columns a record is read from (the typed ones too: the params blob may lack their values)."""
        return _COLUMNS_TYPED if self.typed else _COLUMNS

    # -- helpers -------------------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)


_COLUMNS = "key, seq, status, params_json, result_json, error, wall_s"
_COLUMNS_TYPED = _COLUMNS + ", " + ", ".join(TYPED_COLUMNS)
_TYPED_FIRST = next(iter(TYPED_COLUMNS))

_STORED = "key, seq, sweep_id, status, params_json, result_json, error, wall_s"
_INSERT = f"INSERT OR IGNORE INTO points ({_STORED}) VALUES ({', '.join('?' * 8)})"
_INSERT_TYPED = (
    f"INSERT OR IGNORE INTO points ({_STORED}, {', '.join(TYPED_COLUMNS)})"
    f" VALUES ({', '.join('?' * (8 + len(TYPED_COLUMNS)))})"
)

#: Keys per ``IN (...)`` lookup (SQLite allows 32,766 bound parameters since 3.32; older ones 999).
_LOOKUP_BATCH = 900


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (the connection is in autocommit mode)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self._conn.execute("COMMIT")
            return
        try:
            self._conn.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass  # SQLite already rolled back (SQLITE_FULL does): keep the original error


def _key_of(stored: str | bytes) -> str:
    """A stored key as the hex text callers use (see `ResultStore._db_key`)."""
    return stored.hex() if isinstance(stored, bytes) else stored


def _stored_params(params: Mapping[str, Any], typed: bool) -> Mapping[str, Any]:
    """What the params blob holds: without the typed fields when their columns give them back exactly."""
    rest = strip_typed(params) if typed else None
    return params if rest is None else rest


def _record(row: tuple[Any, ...], *, timing: bool) -> dict[str, Any]:
    key, seq, status, params_json, result_json, error, wall_s = row[:7]
    key = _key_of(key)
    params = decode(unpack(params_json) or "")
    typed = row[7:]
    if typed and isinstance(params, dict) and None not in typed and _TYPED_FIRST not in params:
        params = with_typed(params, typed)  # stored once, in the typed columns
    rec = {
        "key": key,
        "seq": seq,
        "status": status,
        "params": params,
        "result": None if result_json is None else decode(unpack(result_json) or ""),
        "error": error,
    }
    if timing:
        rec["wall_s"] = wall_s
    return rec


def flat_rows(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One flat dict per record: params, then result fields, then status/error/key (for report.render)."""
    out = []
    for rec in records:
        row: dict[str, Any] = dict(rec["params"])
        row.update(rec.get("result") or {})
        row["status"] = rec["status"]
        row["error"] = rec.get("error")
        if "wall_s" in rec:
            row["wall_s"] = rec["wall_s"]
        row["key"] = rec["key"]
        out.append(row)
    return out


def union_columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every column in first-seen order, so an error row first does not hide the result columns."""
    cols: dict[str, None] = {}
    for r in rows:
        cols.update(dict.fromkeys(r))
    tail = [c for c in ("status", "error", "wall_s", "key") if c in cols]
    return [c for c in cols if c not in tail] + tail


__all__ = [
    "SCHEMA_VERSION",
    "ResultStore",
    "StoreWarning",
    "canonical_json",
    "decode",
    "encode",
    "flat_rows",
    "json_safe",
    "normalize",
    "point_key",
    "union_columns",
]
