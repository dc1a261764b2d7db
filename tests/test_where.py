"""--where: a small grammar over result rows (no eval); bad expressions are one InputError line."""

from __future__ import annotations

import math

import pytest

from accelsim.errors import InputError
from accelsim.explore.where import parse_where

ROWS = [
    {"bits": b, "bw_gb_per_s": bw, "sram_bytes": 8_000_000, "array": [16, 32], "speedup": s, "weights_fit": b <= 4}
    for b, s in ((16, 1.0), (8, 1.9), (4, 3.5), (2, None))
    for bw in (64.0, math.inf)
]
COLUMNS = set(ROWS[0])


def keep(text: str) -> list[tuple[object, float]]:
    pred = parse_where(text, COLUMNS)
    return [(r["bits"], r["bw_gb_per_s"]) for r in ROWS if pred(r)]


def test_comparisons_read_values_as_their_column_does() -> None:
    assert keep('bits<=4 and bw=="64"') == [(4, 64.0), (2, 64.0)]
    assert keep("bw == inf and bits > 8") == [(16, math.inf)]
    assert keep("sram >= 8MB and array == '16x32' and bits == 16") == [(16, 64.0), (16, math.inf)]
    assert keep("weights_fit == true and bw != inf") == [(4, 64.0), (2, 64.0)]


def test_and_binds_tighter_than_or_and_parentheses_and_not() -> None:
    assert keep("bits == 16 or bits == 2 and bw == 64") == [(16, 64.0), (16, math.inf), (2, 64.0)]
    assert keep("(bits == 16 or bits == 2) and bw == 64") == [(16, 64.0), (2, 64.0)]
    assert keep("not bits < 16") == [(16, 64.0), (16, math.inf)]


def test_a_missing_value_never_matches() -> None:
    assert keep("speedup > 0") == [(b, bw) for b in (16, 8, 4) for bw in (64.0, math.inf)]  # bits 2 has no speedup
    assert keep("not speedup > 0") == [(2, 64.0), (2, math.inf)]


@pytest.mark.parametrize(
    "text, needle",
    [
        ("", "is empty"),
        ("bogus < 3", "is not a column"),
        ("__import__('os').system('true')", "is not a column"),
        ("bits <=", "ends early"),
        ("bits 4", "expected a comparison"),
        ("bits <= 4 bw == 64", "where 'and', 'or' or the end was expected"),
        ("(bits <= 4", "ends early"),
        ("bits <= 4;", "cannot read it"),
        ("(" * 60 + "bits == 4" + ")" * 60, "nests parentheses"),
        ("x" * 3000, "longer than"),
    ],
)
def test_bad_expressions_are_one_input_error(text: str, needle: str) -> None:
    with pytest.raises(InputError, match="where") as info:
        parse_where(text, COLUMNS)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_a_number_column_refuses_a_word() -> None:
    with pytest.raises(InputError, match="bits is a number"):
        keep("bits <= four")


def test_results_where_on_the_command_line(tmp_path, capsys) -> None:
    from accelsim.cli.main import main

    store = tmp_path / "s.db"
    assert (
        main(
            [
                "sweep",
                "-q",
                "--store",
                str(store),
                "--workload",
                "resnet20",
                "--bits",
                "16,4,2",
                "--bw",
                "32,64",
                "--jobs",
                "1",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["results", str(store), "--where", 'bits<=4 and bw=="64"', "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    header = lines[0].split(",")
    got = sorted(
        (int(r.split(",")[header.index("bits")]), r.split(",")[header.index("bw_gb_per_s")]) for r in lines[1:]
    )
    assert got == [(2, "64.0"), (4, "64.0")]
    assert main(["results", str(store), "--where", "bits <=", "--format", "csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "where=" in err


def test_parquet_without_pyarrow_is_one_line(tmp_path, capsys, monkeypatch) -> None:
    import sys

    from accelsim.cli.main import main

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the extra were not installed: import fails
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    out = tmp_path / "r.parquet"
    assert main(["results", str(tmp_path / "none.db"), "--parquet", str(out)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'accelsim[parquet]'" in err and err.count("\n") == 1 and not out.exists()


def test_parquet_holds_the_rows_of_the_csv(tmp_path, capsys) -> None:
    """`results --parquet`: every row and column of the CSV, one type per column, with integer and
    token bits in one column (as their text), unconstrained bandwidth and failed points (nulls)."""
    import csv
    import io

    pq = pytest.importorskip("pyarrow.parquet")
    from accelsim.cli.main import main
    from accelsim.explore.pool import run_grid

    store = tmp_path / "s.db"
    grid = {"workload": "resnet20", "bits": "16,4,w4a8", "bw": "32,inf", "sram": "20KB,16MB", "mode": "dedicated"}
    run = run_grid(grid, store=store)
    assert run.failures and run.rows  # some points fail (20 KB), some finish
    assert main(["results", str(store), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    out = tmp_path / "r.parquet"
    assert main(["results", str(store), "--format", "csv", "--parquet", str(out)]) == 0
    table = pq.read_table(out)
    assert table.column_names == list(rows[0]) and table.num_rows == len(rows) == 12
    assert str(table.schema.field("bits").type) == "string" and str(table.schema.field("speedup").type) == "double"
    got = table.to_pylist()
    for want, have in zip(rows, got, strict=True):
        for column, text in want.items():
            value = have[column]
            if value is None:
                assert text == "", column
            elif isinstance(value, float):
                assert float(text) == value or (math.isnan(value) and text == "nan"), column
            elif isinstance(value, bool):
                assert text == str(value), column
            else:
                assert str(value) == text, column
    assert {r["status"] for r in got} == {"ok", "error"} and any(r["speedup"] is None for r in got)


# --- pushed down to SQLite (typed columns, schema 3) --------------------------------------------

STORED = [
    {"workload": w, "bits": b, "bw_gb_per_s": bw, "sram_bytes": sram, "cores": c, "array": arr, "mode": "configurable"}
    for w in ("resnet20", "svhn")
    for b in (16, 8, 4, "w4a16")
    for bw in (64.0, math.inf)
    for sram, c, arr in ((4_000_000, 2, [16, 32]), (16_000_000, 4, [8, 8]))
] + [{"x": 1}]  # a point without any axis field: no filter on an axis keeps it

FILTERS = [
    'bits<=4 and bw=="64"',
    "bw == inf or cores > 2",
    "not bits == 16",
    "not (sram >= 8MB and array == '16x32')",
    "array != 8x8",
    "workload == svhn and bits >= 8 and cores == 4",
    "bits > 4",
    "bits < 8 and not workload == resnet20",
    "mode == configurable and not bw < 100",
    "speedup > 1 and bits <= 8",  # half pushed down: speedup is not a typed column
    "speedup > 1 or bits <= 8",  # not pushed down at all
]


def _store_with_typed_columns(tmp_path):
    from accelsim.explore.store import ResultStore, point_key

    store = ResultStore(tmp_path / "typed.db")
    for seq, params in enumerate(STORED):
        store.put(point_key(params), params, {"speedup": seq % 3}, 0.0, seq=seq)
    return store


@pytest.mark.parametrize("text", FILTERS)
def test_sql_condition_keeps_what_the_python_filter_keeps(tmp_path, text) -> None:
    from accelsim.explore.store_schema import TYPED_COLUMNS
    from accelsim.explore.where import parse_tree, predicate, to_sql

    columns = {"workload", "bits", "bw_gb_per_s", "sram_bytes", "cores", "array", "mode", "speedup", "x"}
    tree = parse_tree(text, columns)
    test = predicate(tree, text)
    with _store_with_typed_columns(tmp_path) as store:
        assert store.typed
        flat = [{**r["params"], **r["result"], "key": r["key"]} for r in store.iter_records()]
        python = [r["key"] for r in flat if test(r)]
        condition = to_sql(tree, TYPED_COLUMNS)
        if "or bits" in text:
            assert condition is None
            return
        assert condition is not None
        narrowed = [{**r["params"], **r["result"], "key": r["key"]} for r in store.iter_records(condition=condition)]
        assert [r["key"] for r in narrowed if test(r)] == python  # nothing the filter keeps is lost
        if "speedup" not in text:  # wholly typed: SQLite's answer is the answer
            assert [r["key"] for r in narrowed] == python
        else:
            assert len(narrowed) < len(flat)


def test_results_where_reads_only_matching_rows(tmp_path, capsys, monkeypatch) -> None:
    """`results --where` on typed columns decodes the matching rows (and their references), not the store."""
    from accelsim.cli.main import main
    from accelsim.explore.store import ResultStore

    store = tmp_path / "s.db"
    argv = ["sweep", "--workload", "resnet20", "--bits", "16,8,4,2", "--bw", "32,64", "--store", str(store)]
    assert main([*argv, "--jobs", "1", "--format", "csv"]) == 0
    capsys.readouterr()
    assert main(["results", str(store), "--format", "csv"]) == 0
    every = capsys.readouterr().out.strip().splitlines()
    decoded = []
    original = ResultStore._decoded

    def counting(self, row, *, timing):
        decoded.append(row[0])
        return original(self, row, timing=timing)

    monkeypatch.setattr(ResultStore, "_decoded", counting)
    assert main(["results", str(store), "--where", 'bits==2 and bw=="64"', "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == every[0] and len(lines) == 2 and lines[1] in every  # the same row, speedup included
    assert len(set(decoded)) == 2  # the row and its 16-bit reference, of the 8 stored
