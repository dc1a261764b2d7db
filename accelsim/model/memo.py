"""Bounded memo tables for the model's pure functions (plans, searched mappings, micro-batch graphs,
chip areas), so a long sweep cannot grow them without limit.

Why clear-when-full and not LRU: a table's entries are results of pure functions, so dropping them
only costs recomputation and never changes a result; clearing is O(1) per insert and keeps the
tables deterministic. (Fixed-mapping plans, which are big and reused in bandwidth order, keep their
own LRU bounded by layer count: `accelsim.model.mapper`.)
"""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """A dict of at most `limit` entries, emptied when an insert would exceed it.

    >>> memo: BoundedMemo[str, int] = BoundedMemo(2)
    >>> memo.put("a", 1), memo.put("b", 2), memo.put("c", 3)
    (1, 2, 3)
    >>> memo.get("a"), memo.get("c"), len(memo)
    (None, 3, 1)
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._table: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._table.get(key)

    def put(self, key: K, value: V) -> V:
        """Store `value` under `key` (after emptying a full table) and return it."""
        if len(self._table) >= self.limit:
            self._table.clear()
        self._table[key] = value
        return value

    def clear(self) -> None:
        self._table.clear()

    def __len__(self) -> int:
        return len(self._table)


__all__ = ["BoundedMemo"]
