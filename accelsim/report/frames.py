"""Result records as a pandas DataFrame, for notebooks: ``rows_to_frame(sweep(...))``.

Why a function and not a method on each record: pandas is an optional extra (``pip install
'accelsim[pandas]'``), imported only here, so the records stay plain frozen dataclasses and
``import accelsim`` never pays for pandas.

Any sequence of records with ``as_dict()`` works (sweep rows, per-layer results, fit rows), as do
plain dicts; a `SimResult` stands for its per-layer rows. Columns keep the records' field order,
and every field is kept (the tables the CLI prints are views of these columns).

Example
-------
>>> from accelsim import Accelerator, Dense, LayerGraph, fit_report
>>> graph = LayerGraph("mlp")
>>> _ = graph.add(Dense(name="fc", in_shape=(1, 512), out_features=10))
>>> rows, _ = fit_report(graph, Accelerator(), bits=[16, 8])
>>> frame = rows_to_frame(rows)
>>> print(frame[["bits", "weights_mb", "model_fits"]].to_string(index=False))
 bits  weights_mb  model_fits
   16     0.01024        True
    8     0.00512        True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accelsim.errors import InputError, optional_import

INSTALL_HINT = "pip install 'accelsim[pandas]' (or pip install pandas)"


def _pandas() -> Any:
    return optional_import(
        "pandas", "pandas", "not installed", f"rows_to_frame needs the optional extra: {INSTALL_HINT}"
    )


def row_dicts(rows: Any) -> list[dict[str, Any]]:
    """Plain dicts of `rows` in order: records via ``as_dict()``, mappings copied, a result's layers.

    Tuples inside a record (a layer's core split) become lists, as in the JSON output.
    """
    layers = getattr(rows, "layers", None)
    if layers is not None and hasattr(rows, "totals"):  # a SimResult: one row per layer
        rows = layers
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
        raise InputError("rows", type(rows).__name__, "must be a list of result records, dicts or a SimResult")
    out: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        if isinstance(row, Mapping):
            out.append(dict(row))
        elif callable(getattr(row, "as_dict", None)):
            out.append(row.as_dict())
        else:
            raise InputError(f"rows[{index}]", type(row).__name__, "has no as_dict(); pass accelsim records or dicts")
    return out


def rows_to_frame(rows: Any) -> Any:
    """A `pandas.DataFrame` with one row per record and one column per field, in field order.

    Parameters
    ----------
    rows : sequence of SweepRow, LayerResult, FitRow or dict; or a SimResult
        What `accelsim.sweep`, `accelsim.fit_report` or `accelsim.simulate` returned.

    Raises
    ------
    InputError
        pandas is not installed (the message says how to install it), or a row is not a record.
    """
    dicts = row_dicts(rows)  # check the rows before asking for pandas: a bad call fails the same way
    pandas = _pandas()
    columns: dict[str, None] = {}
    for d in dicts:
        columns.update(dict.fromkeys(d))
    return pandas.DataFrame.from_records(dicts, columns=list(columns))


__all__ = ["INSTALL_HINT", "row_dicts", "rows_to_frame"]
