"""The result store's tables, their versions, and what opening a file checks before using it.

Schema 1: JSON text rows. Schema 2: params and result as compressed blobs (`store_codec`), points
keyed WITHOUT ROWID with no seq index (~480 B a point instead of ~1.6 KB). Schema 3: the axis values
people filter on in typed columns of their own (`TYPED_COLUMNS`), so `accelsim results --where
'bits<=4 and bw=="64"'` is answered by SQLite without decoding a row; those values are then left out
of the params blob (`strip_typed`), and keys are stored as their 32 bytes instead of 64 hex
characters, which keeps a row under 500 B with the new columns. An older file keeps its own
layout when a newer accelsim extends it (its rows stay readable; filters on it run in Python); an
older accelsim refuses a newer file by its version number.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from accelsim.errors import InputError

SCHEMA_VERSION = 3

#: The sweeps table, the same in every schema.
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

_POINTS_V2 = """
CREATE TABLE IF NOT EXISTS points (
    key {key} PRIMARY KEY,
    seq INTEGER,
    sweep_id INTEGER REFERENCES sweeps(id),
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    params_json BLOB NOT NULL,
    result_json BLOB,
    error TEXT,
    wall_s REAL NOT NULL{typed}
) WITHOUT ROWID;
"""

#: Schema 2 (compressed blobs, no typed columns): kept to build such a store in tests.
_SCHEMA_V2 = _SWEEPS_TABLE + _POINTS_V2.format(key="TEXT", typed="")

#: Axis values copied into columns of their own (schema 3), with their SQL types. ``bits`` has no
#: declared type: it holds an int or a token such as ``w4a16``; ``array`` is ``RxC`` text.
TYPED_COLUMNS: dict[str, str] = {
    "workload": "TEXT",
    "bits": "",
    "bw_gb_per_s": "REAL",
    "sram_bytes": "INTEGER",
    "cores": "INTEGER",
    "array": "TEXT",
    "batch": "INTEGER",
    "mode": "TEXT",
    "dram_efficiency": "REAL",
}

#: Schema 3: keys as 32-byte blobs (`ResultStore._db_key`), the typed columns after the rest.
_SCHEMA = _SWEEPS_TABLE + _POINTS_V2.format(
    key="BLOB", typed="".join(f",\n    {name} {kind}".rstrip() for name, kind in TYPED_COLUMNS.items())
)

#: Columns every accelsim store has; a file without them is not one (or was damaged).
_REQUIRED = {
    "sweeps": {"id", "spec_json", "accelsim_version", "salt", "created"},
    "points": {"key", "seq", "sweep_id", "status", "params_json", "result_json", "error", "wall_s"},
}


def typed_values(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """A point's `TYPED_COLUMNS` values from its params (an array as ``RxC``; absent fields NULL)."""
    out = []
    for name in TYPED_COLUMNS:
        value = params.get(name)
        if name == "array" and isinstance(value, (list, tuple)):
            value = "x".join(map(str, value))
        elif isinstance(value, (dict, list, tuple)):
            value = None  # not a filterable scalar: filters on it run in Python
        out.append(value)
    return tuple(out)


def strip_typed(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """`params` without its typed fields, when `with_typed` rebuilds it exactly from what the typed
    columns return (same order, same types); None otherwise (the whole params is then stored).

    The typed values are then stored once, in their columns: ~48 B a point less than keeping a
    compressed copy in the params blob as well."""
    names = tuple(TYPED_COLUMNS)
    if tuple(params)[: len(names)] != names:
        return None
    for name in names:
        value = params[name]
        kind = TYPED_COLUMNS[name]
        if type(value) is float and value != value:  # NaN comes back as NULL
            return None
        if name == "array":
            if type(value) is not list or not value or any(type(v) is not int for v in value):
                return None
        elif kind == "REAL":
            if type(value) is not float:
                return None
        elif kind == "INTEGER":
            if type(value) is not int:
                return None
        elif kind == "TEXT" or name == "bits":
            if type(value) is not str and not (name == "bits" and type(value) is int):
                return None
    return {k: v for k, v in params.items() if k not in TYPED_COLUMNS}


def with_typed(rest: dict[str, Any], values: tuple[Any, ...]) -> dict[str, Any]:
    """Inverse of `strip_typed`: the typed columns' `values` put back in front of `rest`."""
    out = dict(zip(TYPED_COLUMNS, values, strict=True))
    out["array"] = [int(v) for v in out["array"].split("x")]
    out.update(rest)
    return out


def prepare(conn: sqlite3.Connection, path: str, *, read_only: bool) -> bool:
    """Check that `conn` holds an accelsim store (or, for a writer, a new or empty file, which gets
    the current schema) and set it up; True when its points table has the typed columns."""
    conn.execute("PRAGMA busy_timeout = 5000")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise InputError("store", path, f"has schema {version}; this accelsim reads up to {SCHEMA_VERSION}")
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version == 0 and tables - {"sqlite_sequence"}:
        raise InputError(
            "store",
            path,
            f"is a SQLite file of another program (tables: {', '.join(sorted(tables))}), not an accelsim result store",
        )
    if version == 0 and read_only:
        raise InputError("store", path, "is an empty SQLite file, not an accelsim result store")
    if version:
        _check_columns(conn, path)
    if not read_only:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version < SCHEMA_VERSION:  # a new file gets the current tables; an older file keeps its own
            conn.executescript(
                f"BEGIN; {_SCHEMA if version == 0 else ''} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            )
    have = {row[1] for row in conn.execute("PRAGMA table_info(points)")}
    return set(TYPED_COLUMNS) <= have


def _check_columns(conn: sqlite3.Connection, path: str) -> None:
    for table, needed in _REQUIRED.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if not have:
            raise InputError("store", path, f"is not an accelsim result store (no {table} table)")
        missing = sorted(needed - have)
        if missing:
            raise InputError("store", path, f"is damaged: table {table} lacks column(s) {', '.join(missing)}")


__all__ = ["SCHEMA_VERSION", "TYPED_COLUMNS", "prepare", "strip_typed", "typed_values", "with_typed"]
