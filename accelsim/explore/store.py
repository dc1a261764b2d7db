"""The SQLite result store of record: one row per design point, safe to kill and resume.

Why SQLite: every finished point is one committed transaction, so a SIGKILL loses at most the points
still running, never a half-written row (a CSV appended in place can tear its last line). WAL with
``synchronous=NORMAL`` commits thousands of points per second; a power cut may drop the last commits,
which a rerun recomputes. Only the sweep's coordinator writes (workers return data), so there is one
writer and no locking between processes.

A point's key is the sha256 of its canonical JSON plus a salt (workload hash + accelsim version): a
changed model or input changes the key, so a stale result is never reused. Stored data is JSON text
only; loading it never executes anything (no pickle, no eval).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import sqlite3
import stat
import urllib.parse
import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from accelsim.errors import AccelsimError, InputError
from accelsim.explore.store_codec import pack, unpack

#: 2: params and result stored as compressed blobs (`store_codec`), points keyed WITHOUT ROWID and
#: no seq index (~300 B a point instead of ~1.6 KB). Schema-1 stores are read and extended as they
#: are (their JSON text rows stay readable); an older accelsim refuses a schema-2 store by its version.
SCHEMA_VERSION = 2

#: The sweeps table, the same in both schemas.
_SWEEPS_TABLE = """
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    spec_json TEXT NOT NULL,
    accelsim_version TEXT NOT NULL,
    salt TEXT NOT NULL,
    created TEXT NOT NULL
);
"""

#: Schema 1 (JSON text rows): what older stores hold; tests build one to check they stay readable.
_SCHEMA_V1 = (
    _SWEEPS_TABLE
    + """
CREATE TABLE IF NOT EXISTS points (
    key TEXT PRIMARY KEY,
    seq INTEGER,
    sweep_id INTEGER REFERENCES sweeps(id),
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    params_json TEXT NOT NULL,
    result_json TEXT,
    error TEXT,
    wall_s REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS points_seq ON points (seq, key);
"""
)

_SCHEMA = (
    _SWEEPS_TABLE
    + """
CREATE TABLE IF NOT EXISTS points (
    key TEXT PRIMARY KEY,
    seq INTEGER,
    sweep_id INTEGER REFERENCES sweeps(id),
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    params_json BLOB NOT NULL,
    result_json BLOB,
    error TEXT,
    wall_s REAL NOT NULL
) WITHOUT ROWID;
"""
)

#: Columns every accelsim store has; a file without them is not one (or was damaged).
_REQUIRED = {
    "sweeps": {"id", "spec_json", "accelsim_version", "salt", "created"},
    "points": {"key", "seq", "sweep_id", "status", "params_json", "result_json", "error", "wall_s"},
}

_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


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


def json_safe(value: Any) -> Any:
    """Replace non-finite floats by strings: `json.dumps(inf)` writes non-standard `Infinity`."""
    if isinstance(value, float) and not math.isfinite(value):
        return "inf" if value > 0 else ("-inf" if value < 0 else "nan")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def encode(obj: Any) -> str:
    """Compact JSON that keeps key order; non-finite floats become "inf"/"-inf"/"nan", tuples lists."""
    return json.dumps(json_safe(obj), separators=(",", ":"), allow_nan=False)


def decode(text: str) -> Any:
    """Inverse of `encode`, reviving "inf"/"-inf"/"nan" strings as floats (tuples come back as lists)."""
    return _revive(json.loads(text))


def _revive(obj: Any) -> Any:
    if isinstance(obj, str):
        return _NONFINITE.get(obj, obj)
    if isinstance(obj, dict):
        return {k: _revive(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_revive(v) for v in obj]
    return obj


def normalize(obj: Any) -> Any:
    """What `obj` looks like after a trip through the store, so fresh and resumed results compare equal."""
    return decode(encode(obj))


def canonical_json(obj: Any) -> str:
    """Sorted keys, no spaces, ASCII, no NaN: the same design point always gives the same bytes."""
    return json.dumps(json_safe(obj), sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)


def point_key(point: Mapping[str, Any], salt: str = "") -> str:
    """sha256 hex of the canonical JSON of ``{"point": point, "salt": salt}``.

    Types matter (``32`` and ``32.0`` hash differently); `accelsim.explore.grid` normalises each axis to one type.
    NaN is refused: it is never a valid design-point value and would make equal points unequal.
    """
    _reject_nan(point)
    text = canonical_json({"point": dict(point), "salt": salt})
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _reject_nan(obj: Any, field: str = "point") -> None:
    if isinstance(obj, float) and math.isnan(obj):
        raise InputError(field, obj, "NaN is not a valid design-point value")
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            _reject_nan(v, str(k))
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _reject_nan(v, field)


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
        conn = self._conn
        conn.execute("PRAGMA busy_timeout = 5000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise InputError("store", self.path, f"has schema {version}; this accelsim reads up to {SCHEMA_VERSION}")
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version == 0 and tables - {"sqlite_sequence"}:
            raise InputError(
                "store",
                self.path,
                f"is a SQLite file of another program (tables: {', '.join(sorted(tables))}), not an accelsim result store",
            )
        if version == 0 and self.read_only:
            raise InputError("store", self.path, "is an empty SQLite file, not an accelsim result store")
        if version:
            self._check_columns()
        if self.read_only:
            return
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version < SCHEMA_VERSION:  # a new file gets schema 2's tables; a schema-1 file keeps its own
            conn.executescript(
                f"BEGIN; {_SCHEMA if version == 0 else ''} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            )

    def _check_columns(self) -> None:
        for table, needed in _REQUIRED.items():
            have = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            if not have:
                raise InputError("store", self.path, f"is not an accelsim result store (no {table} table)")
            missing = sorted(needed - have)
            if missing:
                raise InputError("store", self.path, f"is damaged: table {table} lacks column(s) {', '.join(missing)}")

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
    def point_salts(self) -> dict[str, str | None]:
        """Key -> salt of the sweep that stored the point (None without a recorded sweep).

        The salt names the model that computed a result (see `accelsim.explore.model_hash.model_salt`), so a
        reader can tell current results from ones an older accelsim left in the same file.
        """
        cur = self._conn.execute("SELECT p.key, s.salt FROM points p LEFT JOIN sweeps s ON p.sweep_id = s.id")
        return dict(cur.fetchall())

    @_guarded
    def has(self, key: str) -> bool:
        return self._conn.execute("SELECT 1 FROM points WHERE key = ?", (key,)).fetchone() is not None

    @_guarded
    def forget(self, keys: Iterable[str]) -> int:
        """Delete the points with these keys (a fresh rerun, or an unreadable row, recomputes them); returns how many went."""
        keys = list(keys)
        with self._transaction():
            cur = self._conn.executemany("DELETE FROM points WHERE key = ?", [(k,) for k in keys])
        return max(0, cur.rowcount)

    @_guarded
    def done_keys(self) -> set[str]:
        """Keys of every recorded point, ok or error: a resumed sweep skips all of them."""
        return {k for (k,) in self._conn.execute("SELECT key FROM points")}

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
        rows = [
            (
                key,
                seq,
                sweep_id,
                status,
                pack(encode(dict(params))),
                None if result_json is None else pack(result_json),
                error,
                float(wall_s),
            )
            for key, seq, sweep_id, status, params, result_json, error, wall_s in entries
        ]
        before = self._conn.total_changes
        with self._transaction():
            self._conn.executemany(
                "INSERT OR IGNORE INTO points (key, seq, sweep_id, status, params_json, result_json, error, wall_s)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return self._conn.total_changes - before

    @_guarded
    def get(self, key: str) -> dict[str, Any] | None:
        """The record of `key`; None when absent or unreadable (see `unreadable`)."""
        cur = self._conn.execute(f"SELECT {_COLUMNS} FROM points WHERE key = ?", (key,))
        row = cur.fetchone()
        return None if row is None else self._decoded(row, timing=False)

    @_guarded
    def records_for(self, keys: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        """The stored records of `keys` (absent keys left out; an unreadable row maps to None).

        Batched lookups, so a sweep checks what is done window by window instead of loading every key.
        """
        out: dict[str, dict[str, Any] | None] = {}
        keys = list(dict.fromkeys(keys))
        for at in range(0, len(keys), _LOOKUP_BATCH):
            batch = keys[at : at + _LOOKUP_BATCH]
            marks = ",".join("?" * len(batch))
            for row in self._conn.execute(f"SELECT {_COLUMNS} FROM points WHERE key IN ({marks})", batch):
                out[row[0]] = self._decoded(row, timing=False)
        return out

    def readable_keys(self, keys: Iterable[str]) -> dict[str, bool]:
        """Which of `keys` are stored (absent keys left out): True for a row that decodes, False for
        an unreadable one (a resumed sweep deletes and recomputes it). What a resume needs, without
        keeping the records."""
        return {key: rec is not None for key, rec in self.records_for(keys).items()}

    def _decoded(self, row: tuple[Any, ...], *, timing: bool) -> dict[str, Any] | None:
        try:
            rec = _record(row, timing=timing)
        except (ValueError, TypeError, RecursionError):  # bad JSON text, or not text at all
            rec = None
        if rec is None or not isinstance(rec["params"], dict) or not isinstance(rec["result"], (dict, type(None))):
            self.unreadable.add(row[0])
            return None
        return rec

    def _warn_unreadable(self, before: int) -> None:
        new = len(self.unreadable) - before
        if new:
            first = sorted(self.unreadable)[0]
            warnings.warn(
                f"{new} stored point(s) in {self.path} have unreadable data (first key {first[:12]}...) and were skipped; "
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
        cur = self._conn.execute(f"SELECT {_COLUMNS} FROM points{order}")
        out = [
            rec for r in cur if wanted is None or r[0] in wanted if (rec := self._decoded(r, timing=timing)) is not None
        ]
        self._warn_unreadable(before)
        return out

    # -- helpers -------------------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)


_COLUMNS = "key, seq, status, params_json, result_json, error, wall_s"

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


def _record(row: tuple[Any, ...], *, timing: bool) -> dict[str, Any]:
    key, seq, status, params_json, result_json, error, wall_s = row
    rec = {
        "key": key,
        "seq": seq,
        "status": status,
        "params": decode(unpack(params_json) or ""),
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
