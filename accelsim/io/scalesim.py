"""SCALE-Sim topology CSV files, read into a `LayerGraph` and written from one.

SCALE-Sim (https://github.com/scalesim-project/scale-sim-v2, `documentation/source/topology.rst`)
describes a workload as a CSV file in one of two forms:

* convolution form, the default::

      Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,

* GEMM form (``scale.py -i gemm``)::

      Layer, M, N, K,

What the reader keeps from SCALE-Sim's own parser (`scalesim/topology_utils.py`,
``load_arrays_conv`` / ``load_arrays_gemm``), so a file means here what it means there:

* The IFMAP size is the input *as the array sees it*: SCALE-Sim does no padding. Each row is a
  `Conv2d` on an ``(batch, Channels, IFMAP Height, IFMAP Width)`` input. SCALE-Sim's output size is
  ``ceil((H - R + S) / S)``, which is ``ceil((H - R) / S) + 1``: when the stride does not divide
  ``H - R`` it *rounds up* (the last window overhangs the IFMAP; ResNet-50's ``Conv1`` row, 224 with
  7x7 stride 2, gives 110 outputs where floor division gives 109, as the file's own ``Eh`` column
  says). To keep SCALE-Sim's MACs such a row gets the smallest symmetric padding that gives that
  output size (listed in ``metadata["rounded_up_rows"]``); every other row has padding 0.
* The writer turns a padded convolution into the IFMAP its windows actually read,
  ``(Ho - 1) * S + R`` -- that is ``H + 2 * pad`` less any trailing rows no window reaches, which
  SCALE-Sim's rounding up would otherwise turn into an extra output row.
* One ``Strides`` value applies to both axes (SCALE-Sim copies it to the width); files written by
  SCALE-Sim's ``write_topo_file`` carry ``Stride height`` / ``Stride width`` columns, read here too.
* Layers are independent: SCALE-Sim simulates each row on its own and the shapes of consecutive rows
  need not chain (ResNet's shortcut rows, for one). So every layer is added with no producer: it
  reads the network input, and the graph has no edges.
* A row whose name contains ``DP`` is depthwise: SCALE-Sim splits it into ``Channels`` one-channel
  layers of ``Num Filter`` filters each, which is exactly ``Conv2d(groups=Channels)``. Any other row
  is a dense convolution -- including rows like MobileNet's ``Channels=C, Num Filter=1``, which
  SCALE-Sim runs as one filter over all C channels (the same MACs as a depthwise layer, but a
  different GEMM: K = 9C, N = 1 instead of C GEMMs with K = 9). ``depthwise="num_filter_1"`` reads
  such rows as depthwise convolutions instead.
* A GEMM row is SCALE-Sim's conv ``[M, K, 1, K, 1, N, 1]``: M x N outputs, K-long reductions,
  M*N*K MACs. It becomes ``Dense(in_shape=(M, K), out_features=N)`` (``(batch, M, K)`` for a batch
  above 1). Rows ``x#0 .. x#(G-1)`` of one shape -- what the writer emits for a batched MatMul --
  read back as that MatMul, its two operands given by zero-cost identity `Reshape` layers
  ``x/A``, ``x/B`` (a MatMul must have producers; they read the network input like every row).
* SCALE-Sim drops the last field of every row (``row.split(',')[:-1]``), so rows must end with a
  comma; the writer always writes one and the reader does not need it.

The reader also accepts what real files contain: spaces around names and numbers, headers in any
case, blank rows, CRLF line ends, and extra columns (ignored and counted in
``metadata["ignored_columns"]``). A malformed cell is an `InputError` naming the file, the row (file
line, header = row 1) and the column: ``Resnet50.csv row 7 Strides='x': must be a positive integer``.

This module reads; the writer (and the headers both share) is `accelsim.io.scalesim_write`, whose
names are re-exported here.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from accelsim.errors import InputError
from accelsim.inputfiles import read_text
from accelsim.io.scalesim_write import (
    CONV_HEADER,
    FORMS,
    GEMM_HEADER,
    GROUP_RE,
    TopologyWrite,
    topology_problem,
    write_topology,
)
from accelsim.ir.checks import check_batch
from accelsim.ir.graph import LayerGraph
from accelsim.ir.layers import Conv2d, Dense, Layer, MatMul, Reshape

#: How rows with ``Num Filter == 1`` are read: as SCALE-Sim does, or as depthwise convolutions.
DEPTHWISE_MODES = ("scalesim", "num_filter_1")

# normalised header text -> canonical column key
_ALIASES = {
    "layer name": "name",
    "layer": "name",
    "name": "name",
    "layer names": "name",
    "ifmap height": "ifmap_h",
    "ifmap h": "ifmap_h",
    "ifmap width": "ifmap_w",
    "ifmap w": "ifmap_w",
    "filter height": "filter_h",
    "filter h": "filter_h",
    "filter width": "filter_w",
    "filter w": "filter_w",
    "channels": "channels",
    "num channels": "channels",
    "num filter": "num_filter",
    "num filters": "num_filter",
    "strides": "stride",
    "stride": "stride",
    "stride height": "stride_h",
    "stride h": "stride_h",
    "stride width": "stride_w",
    "stride w": "stride_w",
    "m": "m",
    "n": "n",
    "k": "k",
}
_CONV_KEYS = ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filter")
_GEMM_KEYS = ("m", "n", "k")
_INT_RE = re.compile(r"^\+?\d+$")


def _normalise(text: str) -> str:
    return " ".join(text.replace("_", " ").strip().lower().split())


@dataclass
class _Columns:
    """Where each column of the file's form sits, and the header text to name it by in errors."""

    form: str
    index: dict[str, int]
    titles: dict[str, str]
    by_position: bool = False


def _columns(header: list[str], where: str) -> _Columns:
    index: dict[str, int] = {}
    titles: dict[str, str] = {}
    for i, cell in enumerate(header):
        key = _ALIASES.get(_normalise(cell))
        if key is not None and key not in index:
            index[key] = i
            titles[key] = cell.strip()
    has_stride = "stride" in index or "stride_h" in index
    if all(k in index for k in _CONV_KEYS) and has_stride:
        form = "conv"
    elif all(k in index for k in _GEMM_KEYS):
        form = "gemm"
    elif len([c for c in header[:8] if c.strip()]) == 8:
        # SCALE-Sim reads columns by position and never looks at the header: so do we, as a last resort.
        keys = ("name", *_CONV_KEYS, "stride")
        return _Columns(
            "conv", dict(zip(keys, range(8), strict=True)), dict(zip(keys, CONV_HEADER, strict=True)), by_position=True
        )
    else:
        raise InputError(
            where,
            ",".join(header),
            f"is not a SCALE-Sim topology header: expected '{', '.join(CONV_HEADER)}' or '{', '.join(GEMM_HEADER)}'",
        )
    wanted = {"name", *(_CONV_KEYS + ("stride", "stride_h", "stride_w") if form == "conv" else _GEMM_KEYS)}
    index = {k: i for k, i in index.items() if k in wanted}  # the other form's columns are extra columns
    if "name" not in index:
        if 0 in index.values():
            raise InputError(where, ",".join(header), "has no layer name column (SCALE-Sim's first column)")
        index["name"], titles["name"] = 0, header[0].strip() or "Layer name"
    return _Columns(form, index, titles)


def _cell(row: list[str], i: int) -> str:
    return row[i].strip() if i < len(row) else ""


def _positive(row: list[str], cols: _Columns, key: str, where: str) -> int:
    text = _cell(row, cols.index[key])
    if len(text) > _MAX_DIGITS:  # int() of a 4,300-digit cell raises; no dimension needs 19 digits
        shown = text[:12] + f"...({len(text)} characters)"
        raise InputError(
            f"{where} {cols.titles[key]}", shown, f"must be a positive integer of at most {_MAX_DIGITS} digits"
        )
    if not _INT_RE.match(text) or int(text) < 1:
        raise InputError(f"{where} {cols.titles[key]}", text, "must be a positive integer")
    return int(text)


_MAX_DIGITS = 18


def read_topology(path: str | os.PathLike[str], batch: int = 1, *, depthwise: str = "scalesim") -> LayerGraph:
    """Read a SCALE-Sim topology CSV (conv or GEMM form) as a `LayerGraph` of independent layers.

    `batch` becomes the N of every conv input and the leading axis of every GEMM (SCALE-Sim itself
    has no batch). `depthwise` is ``"scalesim"`` (default: SCALE-Sim's semantics, see the module
    docstring) or ``"num_filter_1"`` (rows with one filter over several channels are depthwise).
    Metadata records the source, the form, the ignored extra columns and any renamed duplicates.
    """
    check_batch(batch)
    if depthwise not in DEPTHWISE_MODES:
        raise InputError("depthwise", depthwise, f"must be one of {', '.join(DEPTHWISE_MODES)}")
    path = Path(path)
    rows = _rows(path)
    header_line, header = rows[0]
    cols = _columns(header, f"{path.name} row {header_line}")
    body = rows[1:]
    if not body:
        raise InputError("workload", str(path), "has a header but no layer rows")
    metadata = _metadata(path, cols, header, rows, batch, depthwise)
    parsed, rounded = _parse_rows(body, cols, path.name, batch, depthwise)
    if rounded:
        metadata["rounded_up_rows"] = rounded
    return _graph(LayerGraph(path.stem or "topology", metadata=metadata), parsed, path.name)


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """(file line, cells) of every non-blank row, header first."""
    text = read_text(path, "workload", encoding="utf-8-sig")
    rows = [(n, row) for n, row in enumerate(csv.reader(text.splitlines()), start=1) if any(c.strip() for c in row)]
    if not rows:
        raise InputError("workload", str(path), "is an empty topology file")
    return rows


def _metadata(
    path: Path, cols: _Columns, header: list[str], rows: list[tuple[int, list[str]]], batch: int, depthwise: str
) -> dict[str, Any]:
    """Where the graph came from and how it was read (form, ignored columns, depthwise mode, notes)."""
    body = rows[1:]
    used = set(cols.index.values())
    width = max(len(r) for _, r in rows)
    ignored = [i for i in range(width) if i not in used and (_cell(header, i) or any(_cell(r, i) for _, r in body))]
    ignored_names = [_cell(header, i) or f"column {i + 1}" for i in ignored]
    metadata: dict[str, Any] = {
        "source": "scalesim",
        "file": path.name,
        "form": cols.form,
        "batch": batch,
        "independent_layers": True,
        "ignored_columns": len(ignored),
    }
    if ignored_names:
        metadata["ignored_column_names"] = ignored_names
    if cols.form == "conv":
        metadata["depthwise"] = depthwise
    if cols.by_position:
        metadata["notes"] = ["header not recognised: columns read by position, as SCALE-Sim does"]
    return metadata


def _parse_rows(
    body: list[tuple[int, list[str]]], cols: _Columns, where: str, batch: int, depthwise: str
) -> tuple[list[tuple[int, str, Layer]], list[str]]:
    """(file line, name, layer) of every row (GEMM groups folded into MatMuls), and the conv rows
    whose output size SCALE-Sim rounds up (padded here to keep its MACs)."""
    parsed: list[tuple[int, str, Layer]] = []
    rounded: list[str] = []
    for line, row in body:
        at = f"{where} row {line}"
        name = _cell(row, cols.index["name"])
        if not name:
            raise InputError(f"{at} {cols.titles['name']}", name, "must be a non-empty layer name")
        layer: Layer
        if cols.form == "conv":
            layer = _conv_row(row, cols, at, name, batch, depthwise)
        else:
            layer = _gemm_row(row, cols, at, name, batch)
        if isinstance(layer, Conv2d) and layer.padding != (0, 0):
            rounded.append(name)
        parsed.append((line, name, layer))
    if cols.form == "gemm":
        parsed = _fold_groups(parsed, batch)
    return parsed, rounded


def _graph(graph: LayerGraph, parsed: list[tuple[int, str, Layer]], where: str) -> LayerGraph:
    """Add every parsed layer with no producer (rows are independent), renaming duplicates."""
    renamed: dict[str, str] = {}
    next_suffix: dict[str, int] = {}
    for line, name, layer in parsed:
        unique = _unique(graph, name, next_suffix)
        if unique != name:
            renamed[unique] = name
            layer = replace(layer, name=unique)
        try:
            operands: list[str] = []
            if isinstance(layer, MatMul):  # two operands, both read from memory: identity layers stand for them
                for tag, shape in zip("AB", layer.input_shapes, strict=True):
                    operand = _unique(graph, f"{unique}/{tag}", next_suffix)
                    operands.append(graph.add(Reshape(name=operand, in_shape=shape, to_shape=shape), []))
            graph.add(layer, operands)
        except InputError as exc:
            raise InputError(f"{where} row {line} {exc.field}", exc.value, exc.rule) from None
    if renamed:
        graph.metadata["renamed_layers"] = renamed
    return graph


def _unique(graph: LayerGraph, name: str, next_suffix: dict[str, int]) -> str:
    """`name`, or `name~k` with the smallest k not yet tried for it: linear in the number of repeats.

    `next_suffix` remembers, per name, where the last search stopped, so n rows of one name cost
    O(n), not O(n^2) (16,000 repeats took 56 s before).
    """
    if name not in graph:
        return name
    k = next_suffix.get(name, 2)
    while f"{name}~{k}" in graph:
        k += 1
    next_suffix[name] = k + 1
    return f"{name}~{k}"


def _conv_row(row: list[str], cols: _Columns, at: str, name: str, batch: int, depthwise: str) -> Conv2d:
    v = {k: _positive(row, cols, k, at) for k in _CONV_KEYS}
    if "stride_h" in cols.index:
        stride_h = _positive(row, cols, "stride_h", at)
        stride_w = _positive(row, cols, "stride_w", at) if "stride_w" in cols.index else stride_h
    else:
        stride_h = stride_w = _positive(row, cols, "stride", at)
    for axis in ("h", "w"):
        if v[f"filter_{axis}"] > v[f"ifmap_{axis}"]:
            raise InputError(
                f"{at} {cols.titles[f'filter_{axis}']}",
                v[f"filter_{axis}"],
                f"is larger than {cols.titles[f'ifmap_{axis}']} {v[f'ifmap_{axis}']} (SCALE-Sim does no padding)",
            )
    padding = (
        _overhang_pad(v["ifmap_h"], v["filter_h"], stride_h),
        _overhang_pad(v["ifmap_w"], v["filter_w"], stride_w),
    )
    c, f = v["channels"], v["num_filter"]
    groups, out = 1, f
    if "DP" in name:  # SCALE-Sim: C one-channel layers of F filters each
        groups, out = c, c * f
    elif depthwise == "num_filter_1" and f == 1 and c > 1:
        groups, out = c, c
    try:
        return Conv2d(
            name=name,
            in_shape=(batch, c, v["ifmap_h"], v["ifmap_w"]),
            out_channels=out,
            kernel=(v["filter_h"], v["filter_w"]),
            stride=(stride_h, stride_w),
            padding=padding,
            groups=groups,
        )
    except InputError as exc:
        raise InputError(f"{at} {exc.field}", exc.value, exc.rule) from None


def _overhang_pad(size: int, kernel: int, stride: int) -> int:
    """Smallest symmetric padding p with ``(size + 2p - kernel) // stride == ceil((size - kernel) / stride)``.

    SCALE-Sim rounds its output size up; p = ceil(extra / 2) always fits because the floor absorbs
    up to ``stride - 1`` surplus rows.
    """
    extra = -(size - kernel) % stride
    return (extra + 1) // 2


def _gemm_row(row: list[str], cols: _Columns, at: str, name: str, batch: int) -> Dense:
    m, n, k = (_positive(row, cols, key, at) for key in _GEMM_KEYS)
    in_shape = (m, k) if batch == 1 else (batch, m, k)
    return Dense(name=name, in_shape=in_shape, out_features=n, bias=False)


def _fold_groups(parsed: list[tuple[int, str, Layer]], batch: int) -> list[tuple[int, str, Layer]]:
    """Rows ``x#0 .. x#(G-1)`` of one (M, N, K) are the G groups of one batched MatMul named x."""
    out: list[tuple[int, str, Layer]] = []
    i = 0
    while i < len(parsed):
        line, name, layer = parsed[i]
        match = GROUP_RE.match(name)
        if not match or int(match["index"]) != 0:
            out.append(parsed[i])
            i += 1
            continue
        base, view = match["base"], layer.gemm()
        j = i + 1
        while j < len(parsed):
            nxt = GROUP_RE.match(parsed[j][1])
            if not nxt or nxt["base"] != base or int(nxt["index"]) != j - i or parsed[j][2].gemm() != view:
                break
            j += 1
        assert view is not None
        m = view.m // batch
        g = (j - i) * batch
        out.append((line, base, MatMul(name=base, a_shape=(g, m, view.k), b_shape=(g, view.k, view.n))))
        i = j
    return out


__all__ = [
    "CONV_HEADER",
    "DEPTHWISE_MODES",
    "FORMS",
    "GEMM_HEADER",
    "TopologyWrite",
    "read_topology",
    "topology_problem",
    "write_topology",
]
