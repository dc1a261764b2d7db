"""What the A/B speed scripts share: a child interpreter per tree, timed in alternating order.

On a shared machine absolute times drift with the load; timing two trees in alternating fresh
processes, in the same minutes, gives a ratio that does not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any


def run_child(code: str, *args: str) -> dict[str, Any]:
    """The JSON object that `code`, run in a fresh interpreter with `args` as sys.argv[1:], prints."""
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def alternating_rounds(
    a: str, b: str, rounds: int, time_tree: Callable[[str, int], dict[str, Any]]
) -> Iterator[tuple[int, dict[str, Any], dict[str, Any]]]:
    """(round, A's result, B's result) per round; `time_tree(root, round)` runs A first on even rounds."""
    for i in range(rounds):
        order = (a, b) if i % 2 == 0 else (b, a)
        got = {root: time_tree(root, i) for root in order}
        yield i, got[a], got[b]
