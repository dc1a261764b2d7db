"""README's "How the code is organised" map matches the tree: a row per package folder (and per
top-level package beside accelsim), every top-level module of accelsim named in the first row,
and every folder a row names exists (a moved or renamed folder fails here, not in a reader's hands).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _map_rows() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## How the code is organised", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def _first_cells() -> list[str]:
    return [row.split("|")[1].strip() for row in _map_rows()]


def test_every_package_folder_has_a_row_and_every_row_a_folder():
    named = {m for cell in _first_cells() for m in re.findall(r"`([^`]+/)`", cell)}
    folders = {f"accelsim/{p.parent.name}/" for p in (ROOT / "accelsim").glob("*/__init__.py")}
    folders |= {f"{name}/" for name in ("tech", "workloads", "pact_train")}
    assert folders <= named, f"folders without a row: {sorted(folders - named)}"
    assert all((ROOT / folder).is_dir() for folder in named), f"rows without a folder: {sorted(named)}"


def test_every_top_level_module_is_named():
    cell = _first_cells()[0]
    modules = {p.name for p in (ROOT / "accelsim").glob("*.py")} - {"__init__.py", "__main__.py"}
    named = {m.rsplit("/", 1)[-1] for m in re.findall(r"`([^`]+\.py)`", cell)}
    assert modules == named, f"top-level modules vs the map: {sorted(modules ^ named)}"
