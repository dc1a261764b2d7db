"""Sweep specs: named axes with lists of values, parsed from CLI tokens or a TOML file.

A sweep is the product of its axes. Each axis value is normalised to one type (bandwidth is always a
float, SRAM always integer bytes) because the store keys a point by its canonical JSON, where ``32``
and ``32.0`` differ: the same design point must always hash the same way.

Example
-------
>>> spec = SweepSpec.from_mapping({"bits": "8,4", "bw": "32,inf", "array": "16x32"})
>>> [p["bits"] for p in expand(spec)]
[8, 8, 4, 4]
>>> expand(spec)[1]
{'bits': 8, 'bw_gb_per_s': inf, 'array': (16, 32)}
>>> spec.axis("bw_gb_per_s").labels
('32', 'inf')
"""

from __future__ import annotations

import argparse
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelsim.errors import InputError
from accelsim.hardware.design import design_limit
from accelsim.ir.checks import MAX_BITS, MIN_BITS
from accelsim.ir.graph import AS_TRAINED
from accelsim.ir.units import (
    SIZE_UNITS,
    parse_bw,
    parse_int,
    parse_size,
)
from accelsim.ir.units import parse_array as _parse_array

MODES = ("configurable", "dedicated")

#: Most design points a sweep expands to unless the caller raises it (`--max-points`): one million
#: points of the default model is days of CPU time and a store of ~2 GB (docs/limits.md).
MAX_POINTS = 1_000_000


def _int_in(axis: str, raw: Any, lo: int, hi: int | None, rule: str) -> int:
    try:
        return parse_int(axis, raw, lo, hi)
    except InputError:
        raise InputError(axis, raw, rule) from None


def parse_bits(raw: Any) -> int | str:
    """Uniform bit width 1..32 (an int), a mixed token such as ``w4a16`` (kept as its label), or
    ``as-trained``: the graph's own per-layer bits."""
    from accelsim.ir.bits_spec import bits_value, parse_bits_token

    if isinstance(raw, str) and raw.strip().lower() == AS_TRAINED:
        return AS_TRAINED
    if isinstance(raw, str) and raw.strip().isdigit() or isinstance(raw, int) and not isinstance(raw, bool):
        lo, hi = MIN_BITS, MAX_BITS
        return _int_in("bits", raw, lo, hi, f"must be an integer in {lo}..{hi}")
    return bits_value(parse_bits_token(raw))


def _parse_bw_within_limits(raw: Any) -> float:
    """`parse_bw`, and a finite bandwidth beyond any real chip refused while parsing."""
    value = parse_bw(raw)
    _under_limit("bw", raw, value if math.isfinite(value) else 0, "bw_gb_per_s")
    return value


def _under_limit(axis: str, raw: Any, value: float, limit_name: str) -> None:
    """Refuse a value beyond `accelsim.hardware.design.DESIGN_LIMITS` while parsing, before any point runs."""
    limit = design_limit(limit_name)
    if value > limit:
        raise InputError(
            axis,
            raw,
            f"exceeds {limit:,.0f}, beyond any real chip (docs/limits.md; ACCELSIM_MAX_{limit_name.upper()} raises it)",
        )


def parse_sram(raw: Any) -> int:
    """Total on-chip memory as integer bytes: ``8MB`` = 8e6, ``512KiB`` = 524288, a bare number is bytes."""
    value = parse_size("sram", raw)
    _under_limit("sram", raw, value, "sram_total_bytes")
    return value


def parse_cores(raw: Any) -> int:
    """Number of cores sharing the iso-area budget."""
    cores = _int_in("cores", raw, 1, None, "must be a positive integer")
    _under_limit("cores", raw, cores, "cores")
    return cores


def parse_batch(raw: Any) -> int:
    return _int_in("batch", raw, 1, None, "must be a positive integer")


def parse_array(raw: Any) -> tuple[int, int]:
    """Systolic array shape ``ROWSxCOLS`` (``16x32`` -> (16, 32)); no side beyond any real array."""
    rows, cols = _parse_array(raw)
    _under_limit("array", raw, max(rows, cols), "array_side")
    return (rows, cols)


def parse_efficiency(raw: Any) -> float:
    """Sustained / peak external bandwidth, in (0, 1] (``0.8``; a memory preset's measured value)."""
    rule = "must be a number in (0, 1], e.g. 0.8"
    try:
        value = float(raw.strip()) if isinstance(raw, str) else raw
    except ValueError:
        raise InputError("efficiency", raw, rule) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value <= 1):
        raise InputError("efficiency", raw, rule)
    return float(value)


def parse_mode(raw: Any) -> str:
    """MAC style: one configurable array for every bit width, or dedicated per-width units."""
    value = raw.strip().lower() if isinstance(raw, str) else raw
    if value not in MODES:
        raise InputError("mode", raw, f"must be one of {', '.join(MODES)}")
    return value


def parse_workload(raw: Any) -> str:
    """A zoo name or a path, kept as the string given (`accelsim.io.inputs.load_workload` resolves it)."""
    if not isinstance(raw, str) or not raw.strip():
        raise InputError("workload", raw, "must be a zoo network name or a file path")
    return raw.strip()


#: Canonical axis name -> parser. Order here is the default axis order of the CLI.
PARSERS: dict[str, Callable[[Any], Any]] = {
    "workload": parse_workload,
    "bits": parse_bits,
    "bw_gb_per_s": _parse_bw_within_limits,
    "sram_bytes": parse_sram,
    "cores": parse_cores,
    "array": parse_array,
    "batch": parse_batch,
    "mode": parse_mode,
    "dram_efficiency": parse_efficiency,
}

#: Short names accepted in CLI flags and spec files.
ALIASES: dict[str, str] = {
    "bw": "bw_gb_per_s",
    "sram": "sram_bytes",
    "workloads": "workload",
    "efficiency": "dram_efficiency",
}


def canonical_axis(name: str) -> str:
    """The canonical name of an axis, or InputError listing the known ones."""
    name = ALIASES.get(name, name)
    if name not in PARSERS:
        known = ", ".join(sorted(set(PARSERS) | set(ALIASES)))
        raise InputError("axis", name, f"is not a sweep axis (known: {known})")
    return name


def _label(raw: Any, value: Any) -> str:
    """The value as the user wrote it (``"inf"``, ``"8MB"``); numbers from TOML print without ``.0``."""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    if isinstance(value, float):
        return "inf" if math.isinf(value) else (str(int(value)) if value.is_integer() else repr(value))
    return str(value)


@dataclass(frozen=True, slots=True)
class Axis:
    """One named axis: normalised values, and the labels the user wrote (same order, same length)."""

    name: str
    values: tuple[Any, ...]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.name not in PARSERS:
            canonical_axis(self.name)
            raise InputError("axis", self.name, f"use the canonical name {ALIASES[self.name]!r}")
        if not self.values:
            raise InputError(self.name, "", "needs at least one value")
        if len(self.labels) != len(self.values):
            raise InputError(self.name, self.labels, "needs one label per value")
        seen: set[Any] = set()  # a set: a long axis is checked in linear time
        for label, value in zip(self.labels, self.values, strict=True):
            if value in seen:
                raise InputError(self.name, label, "appears twice on this axis")
            seen.add(value)

    @classmethod
    def parse(cls, name: str, raw: str | Iterable[Any]) -> Axis:
        """An axis from a comma list (``"8MB,16MB"``) or a list of tokens/native values."""
        name = canonical_axis(name)
        tokens: list[Any]
        if isinstance(raw, str):
            tokens = [s.strip() for s in raw.split(",")]
            if not any(tokens):
                raise InputError(name, raw, "needs at least one value")
            if not all(tokens):  # `8,,4` or `8,4,`: a value lost to a typo is refused, not skipped
                raise InputError(name, raw, "has an empty value between commas")
            if name == "workload":
                tokens = _join_phases(tokens)
        else:
            tokens = list(raw)
        values = tuple(PARSERS[name](t) for t in tokens)
        return cls(name, values, tuple(_label(t, v) for t, v in zip(tokens, values, strict=True)))

    def label(self, value: Any) -> str:
        return self.labels[self.values.index(value)]


def _join_phases(tokens: list[str]) -> list[str]:
    """``llama2-7b:decode``, ``ctx=512`` -> ``llama2-7b:decode,ctx=512``: an LLM phase's own commas."""
    out: list[str] = []
    for token in tokens:
        if out and ":" in out[-1] and "=" in token and ":" not in token:
            out[-1] = f"{out[-1]},{token}"
        else:
            out.append(token)
    return out


@dataclass(frozen=True, slots=True)
class SweepSpec:
    """The axes of a sweep, in the order declared; the grid is their product."""

    axes: tuple[Axis, ...]

    def __post_init__(self) -> None:
        if not self.axes:
            raise InputError("axes", "", "a sweep needs at least one axis")
        names = [a.name for a in self.axes]
        for name in names:
            if names.count(name) > 1:
                raise InputError("axis", name, "is given twice (check aliases: bw/bw_gb_per_s, sram/sram_bytes)")

    @classmethod
    def from_mapping(cls, axes: Mapping[str, str | Iterable[Any] | None]) -> SweepSpec:
        """Axes from ``{name: comma list or list}`` in mapping order; ``None`` values are skipped (unset CLI flags)."""
        return cls(tuple(Axis.parse(name, raw) for name, raw in axes.items() if raw is not None))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes)

    @property
    def size(self) -> int:
        return math.prod(len(a.values) for a in self.axes)

    def axis(self, name: str) -> Axis:
        name = canonical_axis(name)
        for a in self.axes:
            if a.name == name:
                return a
        raise InputError("axis", name, f"is not in this sweep ({', '.join(self.names)})")

    def labels(self, point: Mapping[str, Any]) -> dict[str, str]:
        """The user's labels for a point of this grid (``{"bw_gb_per_s": "inf", ...}``)."""
        return {a.name: a.label(point[a.name]) for a in self.axes}

    def to_dict(self) -> dict[str, list[str]]:
        """Axis name -> labels: JSON-safe, and parses back to an equal spec (what the store records)."""
        return {a.name: list(a.labels) for a in self.axes}


def load_spec(path: str | Path) -> SweepSpec:
    """A sweep spec from a TOML file with one ``[axes]`` table; axis order is the file's order.

    ``bits = [8, 4]``, ``bw = [32, "inf"]`` (or ``inf``), ``sram = "8MB,16MB"``, ``array = ["16x32"]``.
    """
    from accelsim.inputfiles import parse_toml, read_text

    path = Path(path)
    data = parse_toml(read_text(path, "spec"), "spec", str(path))
    extra = sorted(set(data) - {"axes"})
    if extra:
        raise InputError("spec", str(path), f"unknown top-level keys {extra}; put the axes in an [axes] table")
    axes = data.get("axes")
    if not isinstance(axes, dict):
        raise InputError("spec", str(path), "needs an [axes] table")
    for name, raw in axes.items():
        if not isinstance(raw, (str, list)):
            raise InputError(canonical_axis(name), raw, "must be a list or a comma-separated string")
    return SweepSpec.from_mapping(axes)


def expand(spec: SweepSpec) -> list[dict[str, Any]]:
    """Every design point of the grid: the first axis varies slowest, values in the order given.

    A point's index in this list is its ``seq`` in the store, so exports follow the grid.
    """
    return list(iter_points(spec))


def iter_points(spec: SweepSpec) -> Iterator[dict[str, Any]]:
    """The points of `expand`, one at a time: memory does not grow with the grid."""
    names = spec.names
    for combo in itertools.product(*(a.values for a in spec.axes)):
        yield dict(zip(names, combo, strict=True))


def check_grid_size(spec: SweepSpec, max_points: int = MAX_POINTS) -> int:
    """The number of points, or an InputError before any work when it exceeds `max_points`."""
    size = spec.size
    if size > max_points:
        shape = " x ".join(f"{len(a.values)} {a.name}" for a in spec.axes)
        raise InputError(
            "grid",
            f"{size:,} points ({shape})",
            f"exceeds the maximum of {max_points:,} (docs/limits.md); raise it with --max-points",
        )
    return size


def cli_type(axis: str) -> Callable[[str], Axis]:
    """An argparse ``type=`` that parses a comma list and keeps InputError's message in the usage error."""
    name = canonical_axis(axis)

    def parse(text: str) -> Axis:
        try:
            return Axis.parse(name, text)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name
    return parse


__all__ = [
    "ALIASES",
    "MAX_POINTS",
    "MODES",
    "PARSERS",
    "SIZE_UNITS",
    "Axis",
    "SweepSpec",
    "canonical_axis",
    "check_grid_size",
    "cli_type",
    "expand",
    "iter_points",
    "load_spec",
    "parse_array",
    "parse_batch",
    "parse_bits",
    "parse_cores",
    "parse_mode",
    "parse_efficiency",
    "parse_sram",
    "parse_workload",
]
