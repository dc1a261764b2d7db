"""A result store read back as flat rows with speedups, streamed: what `accelsim results` and
`accelsim pareto` print.

A row's speedup is taken against its reference point (the same params at the base precision,
computed by the same model). The reference is looked up by its store key, window by window, so
nothing grows with the store; a store whose keys were not made by this accelsim's `point_key` (an
older release's, or a file edited by hand) falls back to an index of that model's reference
points by content, built on the first miss (one entry per reference point).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from accelsim.explore.assemble import finished_result, metrics_against
from accelsim.explore.point import reference_point
from accelsim.explore.store import ResultStore, canonical_json, point_key

#: Records whose references are looked up at once.
WINDOW = 256


def flat_rows_with_speedups(
    store: ResultStore,
    *,
    condition: tuple[str, list[Any]] | None = None,
    salt: str | None = None,
    model: str | None = None,
) -> Iterator[dict[str, Any]]:
    """One flat dict per stored point (params, result, speedup/peak_ratio/efficiency, status, error,
    [model,] key), sweep by sweep in grid order; `condition` and `salt` as `ResultStore.iter_records`.
    `model`, when given, is the salt called "current": each row then says ``model`` current or stale."""
    refs = _References(store)
    records = store.iter_records(condition=condition, salt=salt)
    while window := list(itertools.islice(records, WINDOW)):
        found = refs.lookup(window)
        peaks: dict[str, float | None] = {}
        for rec in window:
            row: dict[str, Any] = dict(rec["params"])
            row.update(rec.get("result") or {})
            if rec["status"] == "ok":
                row.update(metrics_against(rec, found.get(rec["key"]), peaks))
            row["status"] = rec["status"]
            row["error"] = rec["error"]
            if model is not None:
                row["model"] = "current" if rec["salt"] == model else "stale"
            row["key"] = rec["key"]
            yield row


class _References:
    """Reference results of records, by key first and by content for a model whose keys differ."""

    def __init__(self, store: ResultStore) -> None:
        self.store = store
        self.by_content: dict[str | None, dict[bytes, str]] = {}  # salt -> group digest -> key

    def lookup(self, window: list[dict[str, Any]]) -> dict[str, Mapping[str, Any] | None]:
        """Record key -> its reference's result (None when the reference failed or is missing)."""
        wanted = {
            rec["key"]: point_key(reference_point(rec["params"]), rec["salt"] or "")
            for rec in window
            if rec["status"] == "ok" and "base_w_bits" in rec["params"]
        }
        got = self.store.records_for(set(wanted.values()))
        missing = [rec for rec in window if rec["key"] in wanted and wanted[rec["key"]] not in got]
        found = []
        for rec in missing:  # keys of another release: find the reference by its params
            key = self._index(rec["salt"]).get(_group(rec["params"]))
            if key is not None:
                wanted[rec["key"]] = key
                found.append(key)
        if found:  # their records in one batched read
            got.update(self.store.records_for(found))
        return {key: finished_result(got.get(ref_key)) for key, ref_key in wanted.items()}

    def _index(self, salt: str | None) -> dict[bytes, str]:
        if salt not in self.by_content:
            index: dict[bytes, str] = {}
            for rec in self.store.iter_records(salt=salt) if salt is not None else self._unsalted():
                p = rec["params"]
                if rec["status"] == "ok" and "base_w_bits" in p and p.get("bits") == p["base_w_bits"]:
                    index.setdefault(_group(p), rec["key"])
            self.by_content[salt] = index
        return self.by_content[salt]

    def _unsalted(self) -> Iterator[dict[str, Any]]:
        return (rec for rec in self.store.iter_records() if rec["salt"] is None)


def _group(params: Mapping[str, Any]) -> bytes:
    """Digest of a point's params without its bits: the same for a point and its reference."""
    text = canonical_json({k: v for k, v in params.items() if k != "bits"})
    return hashlib.sha256(text.encode("ascii")).digest()[:16]


__all__ = ["WINDOW", "flat_rows_with_speedups"]
