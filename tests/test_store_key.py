"""The store key's model hash walks the model packages: moving, renaming, deleting or editing a file
changes it, and every module a point's result depends on is covered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_import_layers import _graph

from accelsim.explore.model_hash import ACCELSIM_ROOT, MODEL_SOURCES, TECH_ROOT, TECH_SOURCES, source_digest
from accelsim.explore.store import point_key

IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "accelsim"
    shutil.copytree(ACCELSIM_ROOT, root, ignore=IGNORE)
    return root


def test_a_copy_hashes_like_the_original(copy: Path) -> None:
    assert source_digest(copy, MODEL_SOURCES) == source_digest(ACCELSIM_ROOT, MODEL_SOURCES)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("model/energy.py", "model/energy_model.py"),  # renamed in place
        ("hardware/design.py", "model/design.py"),  # moved to another model package, same bytes
        ("explore/point.py", "explore/point_eval.py"),  # a listed file renamed away
    ],
)
def test_moving_a_file_changes_the_key(copy: Path, old: str, new: str) -> None:
    before = source_digest(copy, MODEL_SOURCES)
    (copy / old).rename(copy / new)
    after = source_digest(copy, MODEL_SOURCES)
    assert after != before
    point = {"bits": 4, "workload": "resnet50"}
    assert point_key(point, f"model {after[:16]}") != point_key(point, f"model {before[:16]}")


def test_deleting_adding_or_editing_a_file_changes_the_key(copy: Path) -> None:
    digests = {source_digest(copy, MODEL_SOURCES)}
    (copy / "model" / "results.py").unlink()
    digests.add(source_digest(copy, MODEL_SOURCES))
    (copy / "model" / "memory.py").write_text("X = 1\n", encoding="utf-8")
    digests.add(source_digest(copy, MODEL_SOURCES))
    mapping = copy / "model" / "mapping.py"
    mapping.write_bytes(mapping.read_bytes() + b"\n")
    digests.add(source_digest(copy, MODEL_SOURCES))
    assert len(digests) == 4


def test_tech_data_is_in_the_key(tmp_path: Path) -> None:
    root = tmp_path / "tech"
    shutil.copytree(TECH_ROOT, root, ignore=IGNORE)
    before = source_digest(root, TECH_SOURCES, (".py", ".toml"))
    toml = sorted(root.glob("*.toml"))[0]
    toml.write_text(toml.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert source_digest(root, TECH_SOURCES, (".py", ".toml")) != before


def test_every_module_a_point_runs_is_hashed() -> None:
    """Everything `evaluate_point` imports, transitively, is under MODEL_SOURCES, except what the key
    covers another way: the workload graph is hashed by content (io, workloads), tech by its own
    digest, the version by name, and the store's JSON codec and the hashing code do not compute results."""
    g = _graph()
    reached = {m for m in __import__("networkx").descendants(g, "accelsim.explore.point") if m.startswith("accelsim")}
    reached.add("accelsim.explore.point")
    not_results = {
        "accelsim._version",
        "accelsim.atomic",
        "accelsim.explore.store",
        "accelsim.explore.store_codec",
        "accelsim.explore.store_schema",
        "accelsim.explore.model_hash",
    }
    covered = []
    for member in MODEL_SOURCES:
        dotted = "accelsim." + member.removesuffix(".py").replace("/", ".")
        covered.append(dotted)
    missing = sorted(
        m
        for m in reached - not_results
        if not m.startswith("accelsim.io") and not any(m == c or m.startswith(c + ".") for c in covered)
    )
    assert missing == []
