"""The SQLite result store: keys, dedup, error rows, grid order, atomic export, refusal of bad files."""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
from contextlib import closing

import pytest

from accelsim.atomic import atomic_write
from accelsim.errors import InputError
from accelsim.explore.store import ResultStore, StoreWarning, canonical_json, decode, encode, point_key
from accelsim.report.tables import export_store

POINT = {"bits": 4, "bw_gb_per_s": math.inf, "array": (16, 32), "sram_bytes": 8_000_000}


def test_point_key_is_canonical() -> None:
    reordered = {"sram_bytes": 8_000_000, "array": [16, 32], "bw_gb_per_s": math.inf, "bits": 4}
    key = point_key(POINT, "salt")
    assert key == point_key(reordered, "salt")
    assert len(key) == 64 and int(key, 16) >= 0
    assert key != point_key(POINT, "other salt")
    assert key != point_key({**POINT, "bits": 8}, "salt")
    # types are part of the point: the grid normalises them, the key does not guess
    assert point_key({"bw_gb_per_s": 32}) != point_key({"bw_gb_per_s": 32.0})
    assert canonical_json(POINT) == '{"array":[16,32],"bits":4,"bw_gb_per_s":"inf","sram_bytes":8000000}'


def test_point_key_refuses_nan() -> None:
    with pytest.raises(InputError, match="bw_gb_per_s=nan"):
        point_key({"bw_gb_per_s": math.nan})


def test_codec_round_trips_infinity_as_standard_json() -> None:
    text = encode({"t": math.inf, "u": -math.inf, "v": [1.5, (2, 3)]})
    assert "Infinity" not in text
    json.loads(text)  # strict JSON
    assert decode(text) == {"t": math.inf, "u": -math.inf, "v": [1.5, [2, 3]]}


def test_put_is_idempotent_and_persists(tmp_path) -> None:
    path = tmp_path / "r.db"
    key = point_key(POINT)
    with ResultStore(path) as store:
        assert not store.has(key)
        assert store.put(key, POINT, {"latency_s": 0.25, "ratio": math.inf}, 0.01, seq=0) is True
        assert store.put(key, POINT, {"latency_s": 99.0}, 0.02, seq=0) is False  # a duplicate never lands twice
        assert store.has(key) and store.done_keys() == {key} and len(store) == 1
        mode = store._conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    with ResultStore(path) as store:
        rec = store.get(key)
    assert rec == {
        "key": key,
        "seq": 0,
        "status": "ok",
        "params": {"bits": 4, "bw_gb_per_s": math.inf, "array": [16, 32], "sram_bytes": 8_000_000},
        "result": {"latency_s": 0.25, "ratio": math.inf},
        "error": None,
    }


def test_error_rows_and_grid_order(tmp_path) -> None:
    with ResultStore(tmp_path / "r.db") as store:
        # inserted out of order, as a pool finishes them
        for seq in (2, 0, 3, 1):
            p = {"x": seq}
            if seq == 1:
                store.put_error(point_key(p), p, "InputError: x=1: toy", 0.0, seq=seq)
            else:
                store.put(point_key(p), p, {"y": seq * 10}, 0.0, seq=seq)
        store.put(point_key({"x": 99}), {"x": 99}, {"y": 0}, 0.0)  # no seq: sorts last
        rows = store.rows()
        assert [r["params"]["x"] for r in rows] == [0, 1, 2, 3, 99]
        assert rows[1]["status"] == "error" and rows[1]["result"] is None and rows[1]["error"].startswith("InputError")
        assert "wall_s" not in rows[0] and "wall_s" in store.rows(timing=True)[0]
        assert [r["seq"] for r in store.rows(keys=[point_key({"x": 3}), point_key({"x": 0})])] == [0, 3]


def test_sweeps_table_records_spec_and_version(tmp_path) -> None:
    with ResultStore(tmp_path / "r.db") as store:
        sid = store.begin_sweep({"bits": ["8", "4"], "bw_gb_per_s": ["inf"]}, "0.1.0", salt="abc")
        store.put(point_key({"x": 1}), {"x": 1}, {"y": 1}, 0.0, seq=0, sweep_id=sid)
        (sweep,) = store.sweeps()
    assert sweep["id"] == sid
    assert sweep["spec"] == {"bits": ["8", "4"], "bw_gb_per_s": ["inf"]}
    assert sweep["accelsim_version"] == "0.1.0" and sweep["salt"] == "abc"
    assert sweep["created"].endswith("+00:00")


def test_export_csv_and_json_atomically(tmp_path) -> None:
    out = tmp_path / "results.csv"
    out.write_text("old contents\n")
    with ResultStore(tmp_path / "r.db") as store:
        store.put_error(point_key({"x": 0}), {"x": 0}, "InputError: x=0: toy", seq=0)  # error row first
        store.put(point_key({"x": 1}), {"x": 1}, {"latency_s": 0.5, "bw": math.inf}, 0.0, seq=1)
        export_store(store, out, "csv")
        export_store(store, tmp_path / "results.json", "json")
        export_store(store, tmp_path / "results.txt", "table", columns=["x", "latency_s", "status"])
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["x", "latency_s", "bw", "status", "error", "key"]  # result columns not hidden
    assert rows[1]["bw"] == "inf" and rows[0]["status"] == "error"
    data = json.loads((tmp_path / "results.json").read_text())
    assert data[1]["bw"] == "inf" and data[0]["latency_s"] is None
    assert "latency_s" in (tmp_path / "results.txt").read_text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp files left


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch) -> None:
    out = tmp_path / "a.json"
    out.write_text("old")

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("accelsim.atomic.os.replace", boom)
    with pytest.raises(InputError, match="disk full"):  # one line naming the path, not a traceback
        atomic_write(out, "new")
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_loading_treats_data_as_data(tmp_path) -> None:
    payload = "__import__('os').system('false')"
    with ResultStore(tmp_path / "r.db") as store:
        store.put("k", {"x": payload}, {"y": payload}, 0.0)
        rec = store.get("k")
    assert rec is not None and rec["params"]["x"] == payload and rec["result"]["y"] == payload


def test_refuses_files_that_are_not_stores(tmp_path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="not an accelsim result store"):
        ResultStore(junk)
    newer = tmp_path / "newer.db"
    with closing(sqlite3.connect(newer)) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(InputError, match="schema 99"):
        ResultStore(newer)


def test_rows_are_compressed_and_schema_1_stores_stay_readable(tmp_path) -> None:
    import sqlite3

    from accelsim.explore.store import encode
    from accelsim.explore.store_schema import _SCHEMA_V1, SCHEMA_VERSION

    old = tmp_path / "v1.db"
    with closing(sqlite3.connect(old)) as conn:  # a store as accelsim wrote it before schema 2
        conn.executescript(_SCHEMA_V1 + "PRAGMA user_version = 1;")
        conn.execute(
            "INSERT INTO points VALUES (?, 0, NULL, 'ok', ?, ?, NULL, 0.0)",
            (point_key({"x": 0}), encode({"x": 0}), encode({"y": math.inf})),
        )
        conn.commit()
    with ResultStore(old) as store:
        store.put(point_key({"x": 1}), {"x": 1}, {"y": 1.5}, 0.0, seq=1)
        assert [(r["params"], r["result"]) for r in store.rows()] == [
            ({"x": 0}, {"y": math.inf}),
            ({"x": 1}, {"y": 1.5}),
        ]
    with closing(sqlite3.connect(old)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        kinds = [t for (t,) in conn.execute("SELECT typeof(result_json) FROM points ORDER BY seq")]
    assert kinds == ["text", "blob"]  # the old row as it was, the new one compressed


def test_a_compressed_row_is_small(tmp_path) -> None:
    from accelsim.explore.plan import plan_points
    from accelsim.explore.point import evaluate_point

    plan = plan_points({"workload": "resnet20", "bits": "16,4", "bw": "32,64,inf"})
    with ResultStore(tmp_path / "s.db") as store:
        for seq, p in enumerate(plan.iter_points()):
            d = p.to_dict()
            store.put(point_key(d), d, evaluate_point(d), 0.0, seq=seq)
        with closing(__import__("sqlite3").connect(tmp_path / "s.db")) as conn:
            stored = conn.execute("SELECT sum(length(params_json) + length(result_json)) FROM points").fetchone()[0]
    assert stored / 6 < 300  # JSON text was ~1.4 KB a point


def test_a_damaged_blob_is_an_unreadable_row(tmp_path) -> None:
    import sqlite3

    db = tmp_path / "s.db"
    with ResultStore(db) as store:
        store.put(point_key({"x": 1}), {"x": 1}, {"y": 1}, 0.0, seq=0)
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE points SET result_json = X'01FFFF00'")
        conn.commit()
    with ResultStore(db, read_only=True) as store, pytest.warns(StoreWarning):
        assert store.rows() == []


def test_typed_fields_are_stored_once_and_read_back_exactly(tmp_path) -> None:
    """Schema 3 keeps the axis values in typed columns only when they come back identical (order, types)."""
    import sqlite3

    from accelsim.explore.design_point import DesignPoint
    from accelsim.explore.store_schema import strip_typed

    points = [
        DesignPoint(workload="resnet20", bits=b, bw_gb_per_s=bw, workload_sha256="ab" * 32).to_dict()
        for b in (16, 4, "w4a16")
        for bw in (64.0, math.inf)
    ]
    odd = {**points[0], "bw_gb_per_s": 64, "cores": 4.0}  # an int bandwidth and a float core count come back changed
    assert all(strip_typed(p) is not None for p in points) and strip_typed(odd) is None
    with ResultStore(tmp_path / "s.db") as store:
        assert store.typed
        for seq, p in enumerate([*points, odd]):
            store.put(point_key(p), p, {"y": seq}, 0.0, seq=seq)
        back = [r["params"] for r in store.rows()]
    assert [list(p.items()) for p in back] == [list(p.items()) for p in [*points, odd]]
    assert [[type(v) for v in p.values()] for p in back] == [[type(v) for v in p.values()] for p in [*points, odd]]
    with closing(sqlite3.connect(tmp_path / "s.db")) as conn:
        sizes = [n for (n,) in conn.execute("SELECT length(params_json) FROM points ORDER BY seq")]
    assert max(sizes[:-1]) < sizes[-1]  # the odd point's blob holds every field


def test_schema_2_stores_stay_readable_and_filterable(tmp_path, capsys) -> None:
    """A store without typed columns is extended as it is, and --where runs on it in Python."""
    import sqlite3

    from accelsim.cli.main import main
    from accelsim.explore.design_point import DesignPoint
    from accelsim.explore.store_schema import _SCHEMA_V2

    old = tmp_path / "v2.db"
    with closing(sqlite3.connect(old)) as conn:
        conn.executescript(_SCHEMA_V2 + "PRAGMA user_version = 2;")
    from accelsim.explore.model_hash import model_salt

    salt = model_salt()
    with ResultStore(old) as store:
        assert not store.typed
        sweep = store.begin_sweep({"axes": {}}, "test", salt)
        for seq, bits in enumerate((16, 4)):
            p = DesignPoint(workload="resnet20", bits=bits, bw_gb_per_s=64.0).to_dict()
            result = {"seconds_per_image": 1.0 / (1 + seq), "peak_tmacs": 1.0 + seq}
            store.put(point_key(p, salt), p, result, 0.0, seq=seq, sweep_id=sweep)
    assert main(["results", str(old), "--where", "bits <= 4", "--format", "csv"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    header = out[0].split(",")
    assert len(out) == 2 and out[1].split(",")[header.index("bits")] == "4"
    assert float(out[1].split(",")[header.index("speedup")]) == 2.0  # against the 16-bit row, found by key


def test_results_find_a_reference_stored_under_another_releases_key(tmp_path, capsys):
    """`accelsim results` finds a row's reference by key, and where a release made other keys, by
    the reference's params (`readback._References`): three precisions under made-up keys, two of
    them against the 16-bit row found by content."""
    from accelsim.cli.main import main
    from accelsim.explore.design_point import DesignPoint

    db = tmp_path / "old-keys.db"
    with ResultStore(db) as store:
        sweep = store.begin_sweep({"axes": {}}, "0.0.1", "an older model")
        for seq, bits in enumerate((16, 8, 4)):
            p = DesignPoint(workload="resnet20", bits=bits, bw_gb_per_s=64.0).to_dict()
            result = {"seconds_per_image": 1.0 / (1 + seq), "peak_tmacs": 1.0}
            store.put(f"old-key-{bits}", p, result, 0.0, seq=seq, sweep_id=sweep)
    assert main(["results", str(db), "--stale", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["bits"], float(r["speedup"]), r["model"]) for r in rows] == [
        ("16", 1.0, "stale"),
        ("8", 2.0, "stale"),
        ("4", 3.0, "stale"),
    ]
