"""A corpus of malformed and hostile input files, one per case, for every file accelsim and
pact-train read: layer-graph JSON, accelerator JSON/TOML, sweep-spec TOML, SCALE-Sim CSV, ONNX,
result stores and trainer checkpoints/run folders.

`cases(folder)` writes the files under `folder` and returns what to run on each and what the
answer must contain; tests/test_fuzz_corpus.py runs them all (exit 2, one line naming the field,
no traceback, no file created or changed). ``python tests/fuzz_corpus.py DIR`` writes the corpus to
DIR and prints the case count per class.
"""

from __future__ import annotations

import io
import json
import sqlite3
import struct
import sys
import zipfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

#: A valid three-layer graph the JSON cases start from (conv, pool, flatten, dense).
GRAPH = {
    "schema_version": 1,
    "name": "tiny",
    "metadata": {},
    "layers": [
        {
            "type": "Conv2d",
            "name": "conv1",
            "in_shape": [1, 3, 8, 8],
            "out_channels": 4,
            "kernel": [3, 3],
            "padding": [1, 1],
            "inputs": [],
        },
        {"type": "Pool", "name": "gap", "in_shape": [1, 4, 8, 8], "mode": "avg", "kernel": [8, 8], "inputs": ["conv1"]},
        {"type": "Flatten", "name": "flat", "in_shape": [1, 4, 1, 1], "inputs": ["gap"]},
        {"type": "Dense", "name": "fc", "in_shape": [1, 4], "out_features": 10, "inputs": ["flat"]},
    ],
}
CSV_HEADER = "Layer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides,"
HUGE = "9" * 5000
DEEP_JSON = "[" * 200_000 + "]" * 200_000


@dataclass(frozen=True)
class Case:
    """One hostile input: its class, the command to run (``{}`` is the file), and the field the
    one-line error must name (``field=``)."""

    kind: str
    name: str
    argv: tuple[str, ...]
    field: str
    tool: str = "accelsim"


def _graph(**change: object) -> str:
    data = json.loads(json.dumps(GRAPH))
    data.update(change)
    return json.dumps(data)


def _layer(index: int, **change: object) -> str:
    data = json.loads(json.dumps(GRAPH))
    data["layers"][index].update(change)
    return json.dumps(data)


def _json_workload_cases() -> dict[str, tuple[bytes | str, str]]:
    return {
        "empty": ("", "workload"),
        "truncated": (json.dumps(GRAPH)[:40], "workload"),
        "non_utf8": (b'{"name": "\xff\xfe"}', "workload"),
        "deep_nesting": (DEEP_JSON, "workload"),
        "huge_int": (_graph().replace('"schema_version": 1', f'"schema_version": {HUGE}'), "workload"),
        "schema_true": (_graph(schema_version=True), "schema_version"),
        "schema_string": (_graph(schema_version="1"), "schema_version"),
        "top_level_list": ("[1, 2, 3]", "graph"),
        "top_level_null": ("null", "graph"),
        "layers_not_list": (_graph(layers={"a": 1}), "layers"),
        "unknown_type": (_layer(0, type="Conv3d"), "layers[0]"),
        "negative_shape": (_layer(0, in_shape=[1, -3, 8, 8]), "layers[0]"),
        "float_shape": (_layer(0, in_shape=[1, 3.5, 8, 8]), "layers[0]"),
        "bool_channels": (_layer(0, out_channels=True), "layers[0]"),
        "forward_reference": (_layer(1, inputs=["fc"]), "layers[1]"),
        "nan_literal": (_graph().replace('"out_features": 10', '"out_features": NaN'), "layers[3]"),
        "duplicate_name": (_layer(1, name="conv1"), "layers[1]"),
        "bits_zero": (_layer(0, w_bits=0), "layers[0]"),
        "bits_33": (_layer(0, a_bits=33), "layers[0]"),
    }


def _json_config_cases() -> dict[str, tuple[bytes | str, str]]:
    return {
        "empty": ("", "config"),
        "list": ("[]", "config"),
        "non_utf8": (b'{"cores": "\xff"}', "config"),
        "deep_nesting": (DEEP_JSON, "config"),
        "huge_int": ('{"cores": ' + HUGE + "}", "config"),
        "cores_negative": ('{"cores": -1}', "cores"),
        "cores_float": ('{"cores": 4.5}', "cores"),
        "cores_beyond_any_chip": ('{"cores": 1000000000}', "cores"),
        "unknown_field": ('{"colour": "red"}', "colour"),
        "bw_word": ('{"bw": "fast"}', "bw"),
        "clock_zero": ('{"clock": 0}', "clock"),
        "tech_unknown": ('{"tech": "1nm"}', "tech"),
        "dataflow": ('{"dataflow": "rs"}', "dataflow"),
        "sram_too_big": ('{"sram": "100GB"}', "sram"),
        "old_key": ('{"sram_bytes_per_core": 4000000}', "sram_bytes_per_core"),
    }


def _toml_config_cases() -> dict[str, tuple[bytes | str, str]]:
    return {
        "syntax": ("cores = \n", "config"),
        "non_utf8": (b"cores = '\xff'\n", "config"),
        "word_cores": ('cores = "four"\n', "cores"),
        "table_zero": ("[accelerator]\ncores = 0\n", "cores"),
        "huge_int": (f"cores = {HUGE}\n", "config"),
        "deep_array": ("x = " + "[" * 5000 + "]" * 5000 + "\n", "config"),
        "array_beyond_any_chip": ('array = "100000x16"\n', "array"),
        "lanes_beyond": ("lanes = 100000\n", "lanes"),
        "bw_beyond": ("bw = 1e12\n", "bw"),
    }


def _toml_spec_cases() -> dict[str, tuple[bytes | str, str]]:
    return {
        "no_axes": ("bits = [8]\n", "spec"),
        "syntax": ("[axes\n", "spec"),
        "non_utf8": (b"[axes]\nbits = '\xff'\n", "spec"),
        "int_not_list": ("[axes]\nbits = 5\n", "bits"),
        "bits_zero": ("[axes]\nbits = [0]\n", "bits"),
        "unknown_axis": ("[axes]\ncolour = [1]\n", "axis"),
        "duplicate_value": ("[axes]\nbits = [8, 8]\n", "bits"),
        "empty_item": ('[axes]\nbits = "8,,4"\n', "bits"),
        "sram_beyond": ('[axes]\nsram = ["1TB"]\n', "sram"),
        "cores_beyond": ("[axes]\ncores = [100000]\n", "cores"),
        "deep_array": ("[axes]\nbits = " + "[" * 5000 + "]" * 5000 + "\n", "spec"),
        "extra_key": ("title = 'x'\n[axes]\nbits = [8]\n", "spec"),
        "huge_int": (f"[axes]\ncores = [{HUGE}]\n", "spec"),
    }


def _csv_cases() -> dict[str, tuple[bytes | str, str]]:
    row = "conv1,8,8,3,3,4,8,1,"
    return {
        "empty": ("", "workload"),
        "header_only": (CSV_HEADER + "\n", "workload"),
        "non_utf8": ((CSV_HEADER + "\n").encode() + b"conv\xff,8,8,3,3,4,8,1,\n", "workload"),
        "huge_int": (f"{CSV_HEADER}\nconv1,{HUGE},8,3,3,4,8,1,\n", "IFMAP Height"),
        "negative": (f"{CSV_HEADER}\nconv1,-8,8,3,3,4,8,1,\n", "IFMAP Height"),
        "zero": (f"{CSV_HEADER}\nconv1,8,8,3,3,0,8,1,\n", "Channels"),
        "text_number": (f"{CSV_HEADER}\nconv1,eight,8,3,3,4,8,1,\n", "IFMAP Height"),
        "filter_larger": (f"{CSV_HEADER}\nconv1,2,2,3,3,4,8,1,\n", "Filter Height"),
        "empty_name": (f"{CSV_HEADER}\n,8,8,3,3,4,8,1,\n", "Layer name"),
        "short_row": (f"{CSV_HEADER}\n{row}\nconv2,8,8\n", "row 3"),
    }


def _onnx_cases() -> dict[str, tuple[bytes | str, str]]:
    out: dict[str, tuple[bytes | str, str]] = {
        "garbage": (b"\x00\x01not a protobuf\xff" * 10, "workload"),
        "empty": (b"", "workload"),
        "text": ("this is not onnx", "workload"),
    }
    try:
        import numpy as np
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        return out

    def model(x_shape: list[int], w_shape: tuple[int, ...], op: str = "Conv") -> bytes:
        w = numpy_helper.from_array(np.zeros(w_shape, np.float32), "w")
        attrs = {"kernel_shape": list(w_shape[2:])} if op == "Conv" else {}
        node = helper.make_node(op, ["x", "w"], ["y"], name="n1", **attrs)
        graph = helper.make_graph(
            [node],
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [w],
        )
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()

    good = model([1, 3, 8, 8], (8, 3, 3, 3))
    out["truncated"] = (good[: len(good) // 2], "workload")
    out["initializer_channels"] = (model([1, 4, 8, 8], (8, 3, 3, 3)), "n1")
    out["initializer_inner_size"] = (model([1, 20], (30, 10), op="MatMul"), "n1")
    del onnx
    return out


def _store_cases(folder: Path) -> dict[str, tuple[bytes | str, str]]:
    def db(build: Callable[[sqlite3.Connection], None]) -> bytes:
        path = folder / "_build.db"
        path.unlink(missing_ok=True)
        with closing(sqlite3.connect(path)) as conn:
            build(conn)
            conn.commit()
        data = path.read_bytes()
        path.unlink()
        return data

    def accelsim_like(conn: sqlite3.Connection, drop: str | None = None, version: int = 1) -> None:
        cols = [
            "key TEXT PRIMARY KEY",
            "seq INTEGER",
            "sweep_id INTEGER",
            "status TEXT",
            "params_json TEXT",
            "result_json TEXT",
            "error TEXT",
            "wall_s REAL",
        ]
        cols = [c for c in cols if not (drop and c.startswith(drop + " "))]
        conn.execute(
            "CREATE TABLE sweeps (id INTEGER PRIMARY KEY, spec_json TEXT, accelsim_version TEXT, salt TEXT, created "
            "TEXT)"
        )
        conn.execute(f"CREATE TABLE points ({', '.join(cols)})")
        conn.execute(f"PRAGMA user_version = {version}")

    foreign = db(lambda c: (c.execute("CREATE TABLE notes (body TEXT)"), c.execute("INSERT INTO notes VALUES ('x')")))
    return {
        "zero_bytes": (b"", "store"),
        "garbage": (b"definitely not sqlite" * 100, "store"),
        "foreign_sqlite": (foreign, "store"),
        "truncated": (foreign[:100], "store"),
        "dropped_column": (db(lambda c: accelsim_like(c, drop="result_json")), "store"),
        "future_schema": (db(lambda c: accelsim_like(c, version=99)), "store"),
        "header_scribbled": (foreign[:16] + b"\xff" * 84 + foreign[100:], "store"),
    }


def _checkpoint_cases(run: Path | None) -> dict[str, tuple[bytes | str, str]]:
    """Damaged copies of a real checkpoint (`run` holds a trained run), plus files that are not one."""
    out: dict[str, tuple[bytes | str, str]] = {
        "garbage": (b"PK\x03\x04garbage", "checkpoint"),
        "empty": (b"", "checkpoint"),
    }
    if run is None:
        return out
    good = (run / "checkpoint.npz").read_bytes()
    out["truncated"] = (good[: len(good) // 2], "checkpoint")
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        info = max(z.infolist(), key=lambda i: i.file_size)
    data = bytearray(good)
    fn_len, extra_len = struct.unpack("<HH", bytes(data[info.header_offset + 26 : info.header_offset + 30]))
    data[info.header_offset + 30 + fn_len + extra_len + 200] ^= 0xFF
    out["bad_crc"] = (bytes(data), "checkpoint")

    import numpy as np

    def rewritten(change: Callable[[dict], None]) -> bytes:
        with np.load(io.BytesIO(good), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        change(arrays)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return buf.getvalue()

    first = next(k for k in np.load(io.BytesIO(good), allow_pickle=False).files if k.startswith("param:"))
    out["wrong_dtype"] = (rewritten(lambda a: a.update({first: a[first].astype(np.float16)})), "checkpoint")
    out["wrong_shape"] = (rewritten(lambda a: a.update({first: np.zeros((2, 2), a[first].dtype)})), "checkpoint")
    out["format_99"] = (rewritten(lambda a: a.update({"format": np.asarray(99)})), "checkpoint")
    out["epoch_text"] = (rewritten(lambda a: a.update({"epoch": np.asarray("two")})), "checkpoint")
    out["log_not_json"] = (rewritten(lambda a: a.update({"log": np.asarray("[1,")})), "checkpoint")
    return out


def cases(folder: Path, trained_run: Path | None = None) -> list[Case]:
    """Write every corpus file under `folder`; return the cases that use them."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Case] = []

    def add(
        kind: str, suffix: str, table: dict[str, tuple[bytes | str, str]], argv: tuple[str, ...], tool: str = "accelsim"
    ) -> None:
        for name, (content, field) in table.items():
            path = folder / kind / f"{name}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode() if isinstance(content, str) else content)
            out.append(Case(kind, name, tuple(a.replace("{}", str(path)) for a in argv), field, tool))

    add("json_workload", ".json", _json_workload_cases(), ("layers", "{}"))
    add("json_config", ".json", _json_config_cases(), ("run", "--workload", "resnet20", "--config", "{}"))
    add("toml_config", ".toml", _toml_config_cases(), ("run", "--workload", "resnet20", "--config", "{}"))
    add("toml_spec", ".toml", _toml_spec_cases(), ("sweep", "--no-store", "-q", "--spec", "{}"))
    add("csv_topology", ".csv", _csv_cases(), ("import", "{}", "-o", str(folder / "never-written.json")))
    add("onnx", ".onnx", _onnx_cases(), ("import", "{}", "-o", str(folder / "never-written.json")))
    add("store", ".db", _store_cases(folder), ("results", "{}"))
    if trained_run is not None:
        for name, (content, field) in _checkpoint_cases(trained_run).items():
            run = folder / "checkpoint" / name
            run.mkdir(parents=True, exist_ok=True)
            for p in trained_run.iterdir():
                if p.name != "checkpoint.npz":
                    (run / p.name).write_bytes(p.read_bytes())
            (run / "checkpoint.npz").write_bytes(content.encode() if isinstance(content, str) else content)
            out.append(
                Case(
                    "checkpoint",
                    name,
                    ("-q", "export", str(run), "-o", str(folder / "never-written.json")),
                    field,
                    "pact-train",
                )
            )
            out.append(
                Case(
                    "checkpoint",
                    name + "_resume",
                    ("-q", "train", "--resume", str(run), "--epochs", "9"),
                    field,
                    "pact-train",
                )
            )
    return out


if __name__ == "__main__":
    from collections import Counter

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "fuzz-corpus")
    counts = Counter(c.kind for c in cases(target))
    for kind, n in sorted(counts.items()):
        print(f"{kind:16s} {n}")
    print(f"{'total':16s} {sum(counts.values())}")
