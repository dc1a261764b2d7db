"""What makes a stored result reusable: the hash of its workload graph and of the model's source.

A point's store key mixes in `model_salt()`: the accelsim version, a digest of every source file of
the packages that compute a result, and a digest of the technology data. The files are found by
walking those packages, not listed by hand, and each file's path is hashed with its bytes, so
adding, removing, renaming or moving a module changes every key (a stale result is never reused).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

import tech
from accelsim._version import __version__
from accelsim.explore.store import canonical_json
from accelsim.ir.graph import LayerGraph

ACCELSIM_ROOT = Path(__file__).resolve().parents[1]
TECH_ROOT = Path(tech.__file__).resolve().parent

#: Parts of accelsim whose source decides a point's result (folders are walked recursively):
#: the IR, the hardware and the cost model, plus the sweep's per-point evaluation and graph registry.
MODEL_SOURCES = (
    "errors.py",
    "inputfiles.py",
    "_lazy.py",
    "ir",
    "hardware",
    "model",
    "explore/design_point.py",
    "explore/point.py",
    "explore/registry.py",
)

#: The technology package: its code and its TOML data.
TECH_SOURCES = (".",)


def graph_sha256(graph: LayerGraph) -> str:
    """sha256 of the graph's canonical JSON (layers, shapes, precision, metadata such as batch)."""
    return hashlib.sha256(canonical_json(graph.to_dict()).encode("ascii")).hexdigest()


def _files(root: Path, member: str, suffixes: tuple[str, ...]) -> Iterable[Path]:
    path = root / member
    if path.is_file():
        return [path]
    if path.is_dir():
        return [p for p in path.rglob("*") if p.is_file() and p.suffix in suffixes and "__pycache__" not in p.parts]
    return []


def source_digest(root: Path, members: Iterable[str], suffixes: tuple[str, ...] = (".py",)) -> str:
    """sha256 over every file under `root`'s `members` (files or folders), as (relative path, bytes).

    A member that does not exist is hashed as missing, so the digest cannot quietly stay the same
    when a listed module moves away.
    """
    digest = hashlib.sha256()
    for member in sorted(members):
        found = sorted(_files(root, member, suffixes))
        if not found:
            digest.update(b"missing\0" + member.encode() + b"\0")
        for path in found:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def model_salt() -> str:
    """Mixed into every point's key: accelsim version + hash of the model's source + tech data.

    Why the source too: the model changes between releases (a cycle formula, the energy model),
    and a stored result must never outlive the code that produced it.
    """
    model = source_digest(ACCELSIM_ROOT, MODEL_SOURCES)
    tech_data = source_digest(TECH_ROOT, TECH_SOURCES, (".py", ".toml"))
    return f"accelsim {__version__}; model {model[:16]}; tech {tech_data[:16]}"


__all__ = ["MODEL_SOURCES", "TECH_SOURCES", "graph_sha256", "model_salt", "source_digest"]
