"""Reading the packaged TOML data files and checking their provenance.

Why TOML + a provenance check: the numbers are the scientific content of this package, so each one
must say where it came from. The check runs at load time (so a new or edited data file cannot slip
in an unsourced number) and is reused by the tests.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib.resources import files
from typing import Any

from accelsim.errors import InputError
from tech.model import ExternalMemory, OnChipNetwork, TechNode

#: Allowed values of a quantity table's `basis`: read in a source / computed here / judgement.
BASES = frozenset({"published", "derived", "estimate"})

#: Minimum length of a `source` string; shorter text cannot name a source and a reason.
MIN_SOURCE_CHARS = 20

MEMORIES_FILE = "memories.toml"
NOC_FILE = "noc.toml"
_NODE_FILE = re.compile(r"^(\d+)nm\.toml$")


def _is_number(value: object) -> bool:
    """True for TOML numbers (int/float) but not booleans."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _holds_number(value: object) -> bool:
    """True if `value` is a number or an array containing one (e.g. a `range = [lo, hi]`)."""
    if isinstance(value, list):
        return any(_holds_number(item) for item in value)
    return _is_number(value)


def provenance_problems(doc: dict[str, Any], where: str = "") -> list[str]:
    """List every number in `doc` that is not in a properly sourced quantity table.

    Rule: a table that directly holds a number (or an array of numbers) must also hold `unit` (a
    non-empty string), `basis` (one of BASES) and `source` (a string of at least MIN_SOURCE_CHARS).
    Sourcing is not inherited by sub-tables, and the top level can never hold numbers.
    """
    problems: list[str] = []
    numeric_keys = [key for key, value in doc.items() if _holds_number(value)]
    if numeric_keys:
        label = where or "<top level>"
        source = doc.get("source")
        if not isinstance(source, str) or len(source.strip()) < MIN_SOURCE_CHARS:
            problems.append(f"{label}: numbers {numeric_keys} lack a source string")
        if doc.get("basis") not in BASES:
            problems.append(f"{label}: basis={doc.get('basis')!r} not in {sorted(BASES)}")
        unit = doc.get("unit")
        if not isinstance(unit, str) or not unit.strip():
            problems.append(f"{label}: numbers {numeric_keys} lack a unit string")
    for key, value in doc.items():
        sub = f"{where}.{key}" if where else key
        if isinstance(value, dict):
            problems.extend(provenance_problems(value, sub))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    problems.extend(provenance_problems(item, f"{sub}[{i}]"))
    return problems


@cache
def _read(filename: str) -> dict[str, Any]:
    """Parse one packaged data file and enforce the provenance rule (cached: files never change)."""
    text = files("tech").joinpath(filename).read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    problems = provenance_problems(doc)
    if problems:
        raise InputError(f"tech/{filename}", problems[0], "every number needs unit, basis and source")
    return doc


def read_raw(filename: str) -> dict[str, Any]:
    """Return a fresh copy of a data file's parsed content (callers may not mutate the cache)."""
    return _copy(_read(filename))


def _copy(value: Any) -> Any:
    """Deep-copy plain TOML data (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _field(doc: dict[str, Any], filename: str, table: str, key: str) -> Any:
    """Fetch doc[table][key], raising an InputError that names the file and key if it is missing."""
    section = doc.get(table)
    if not isinstance(section, dict) or key not in section:
        raise InputError(f"tech/{filename}:{table}.{key}", None, "required entry is missing")
    return section[key]


@cache
def node_names() -> tuple[str, ...]:
    """Names of the packaged nodes ("45nm", ...), largest feature size first, found from file names."""
    found = []
    for entry in files("tech").iterdir():
        match = _NODE_FILE.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name.removesuffix(".toml")))
    return tuple(name for _, name in sorted(found, reverse=True))


@cache
def build_node(name: str) -> TechNode:
    """Build the TechNode for a canonical node name (cached: one shared immutable object per node)."""
    filename = f"{name}.toml"
    doc = _read(filename)
    if doc.get("name") != name:
        raise InputError(f"tech/{filename}:name", doc.get("name"), f"must equal the file stem {name!r}")

    def coeffs(table: str) -> tuple[float, float, float]:
        return tuple(float(_field(doc, filename, table, k)) for k in ("a", "b", "c"))  # type: ignore[return-value]

    return TechNode(
        name=name,
        node_nm=_field(doc, filename, "node_nm", "value"),
        clock_hz=_field(doc, filename, "clock_hz", "value"),
        mac_area_coeffs_um2=coeffs("mac_area"),
        mac_energy_coeffs_fj=coeffs("mac_energy"),
        sram_density_mbit_per_mm2=_field(doc, filename, "sram_density", "value"),
        sram_read_energy_pj_per_bit=_field(doc, filename, "sram_read_energy", "value"),
    )


@cache
def memory_presets() -> tuple[ExternalMemory, ...]:
    """All external memory presets from memories.toml, in file order (cached, hence a tuple)."""
    doc = _read(MEMORIES_FILE)
    presets: list[ExternalMemory] = []
    for name in doc:
        bandwidth = _field(doc, MEMORIES_FILE, name, "bandwidth")
        energy = _field(doc, MEMORIES_FILE, name, "energy")
        efficiency = doc[name].get("efficiency")
        presets.append(
            ExternalMemory(
                name=name,
                efficiency=efficiency["value"] if isinstance(efficiency, dict) else 1.0,
                bw_gb_per_s=_field(doc[name], f"{MEMORIES_FILE}:{name}", "bandwidth", "value"),
                energy_pj_per_bit=_field(doc[name], f"{MEMORIES_FILE}:{name}", "energy", "value"),
                source=f"bandwidth ({bandwidth['basis']}): {bandwidth['source']} | "
                f"energy ({energy['basis']}): {energy['source']}"
                + (
                    f" | efficiency ({efficiency['basis']}): {efficiency['source']}"
                    if isinstance(efficiency, dict)
                    else ""
                ),
                description=str(doc[name].get("description", "")),
            )
        )
    return tuple(presets)


@cache
def noc_presets() -> tuple[OnChipNetwork, ...]:
    """All on-chip network presets from noc.toml, in file order (cached)."""
    doc = _read(NOC_FILE)
    out = []
    for name in doc:
        bandwidth = _field(doc, NOC_FILE, name, "bandwidth")
        energy = _field(doc, NOC_FILE, name, "energy")
        out.append(
            OnChipNetwork(
                name=name,
                bw_gb_per_s=bandwidth["value"],
                energy_pj_per_bit=energy["value"],
                source=f"bandwidth ({bandwidth['basis']}): {bandwidth['source']} | energy ({energy['basis']}): "
                f"{energy['source']}",
            )
        )
    return tuple(out)


__all__ = [
    "BASES",
    "MEMORIES_FILE",
    "MIN_SOURCE_CHARS",
    "NOC_FILE",
    "build_node",
    "memory_presets",
    "noc_presets",
    "node_names",
    "provenance_problems",
    "read_raw",
]
