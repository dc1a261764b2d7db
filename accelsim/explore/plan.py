"""Planning a sweep: the full axis spec and every point (grid, then the reference points off it), validated
before any work starts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from accelsim.errors import InputError
from accelsim.explore.design_point import DesignPoint
from accelsim.explore.grid import Axis, SweepSpec, canonical_axis, iter_points
from accelsim.explore.model_hash import graph_sha256
from accelsim.explore.options import SweepOptions, options_of
from accelsim.explore.registry import load_graph
from accelsim.hardware.design import SCALES, Accelerator, default_scale
from accelsim.ir.checks import check_bits
from accelsim.ir.graph import AS_TRAINED, LayerGraph
from accelsim.model.energy import memory_pj_per_bit
from accelsim.model.mapper import MapperConfig

#: Axes every sweep has; a spec that leaves one out gets this default, placed before its own axes.
DEFAULT_AXES: dict[str, tuple[Any, ...]] = {
    "workload": ("resnet50",),
    "bits": (16, 8, 4, 2),
    "bw_gb_per_s": ("32", "64", "inf"),
}


def full_spec(spec: SweepSpec | Mapping[str, Any] | None, *, with_bits: bool = True) -> SweepSpec:
    """`spec` (or a mapping of axis -> values) with the default workload, bits and bw axes it lacks,
    put in front in that order. `with_bits=False` leaves a missing bits axis out: `plan_points`
    picks it once the graphs are loaded (``as-trained`` for graphs that carry their own bits)."""
    defaults = {n: v for n, v in DEFAULT_AXES.items() if with_bits or n != "bits"}
    if spec is None:
        spec = SweepSpec(tuple(Axis.parse(n, v) for n, v in defaults.items()))
    elif not isinstance(spec, SweepSpec):
        spec = SweepSpec.from_mapping({canonical_axis(k): v for k, v in spec.items()})
    missing = [Axis.parse(n, v) for n, v in defaults.items() if n not in spec.names]
    return SweepSpec(tuple(missing) + spec.axes) if missing else spec


@dataclass(frozen=True, slots=True)
class GridPlan:
    """A validated sweep before it runs: its axes, the fixed settings and the workload graphs by hash.

    The points are never held: `iter_points` generates them (the grid, then the reference points
    not on it) in the same order every time, so a sweep's memory does not grow with its grid.
    """

    spec: SweepSpec
    base: Accelerator
    settings: dict[str, Any]  # scale (None: per mode), first_last_bits, memory, mapper, objective
    grid_size: int
    graphs: dict[str, LayerGraph]  # sha -> graph
    shas: dict[tuple[str, int], str]
    notes: tuple[str, ...] = ()  # what the caller should tell the user (re-quantized trained graphs)

    @property
    def reference_spec(self) -> SweepSpec | None:
        """The axes of the reference points off the grid (bits = the base's), or None when the grid
        holds them all (its bits axis has the base precision)."""
        base_bits = self.base.mac_w_bits
        bits = self.spec.axis("bits")
        if any(type(v) is int and v == base_bits for v in bits.values):
            return None
        axes = tuple(Axis("bits", (base_bits,), (str(base_bits),)) if a.name == "bits" else a for a in self.spec.axes)
        return SweepSpec(axes)

    @property
    def size(self) -> int:
        """Grid points plus reference points off the grid."""
        ref = self.reference_spec
        return self.grid_size + (ref.size if ref is not None else 0)

    def iter_points(self, *, grid_only: bool = False) -> Iterator[DesignPoint]:
        """Every point, one at a time: the grid (first axis slowest), then the references off it.

        A point's position in this sequence is its ``seq`` in the store.
        """
        yield from self._points_of(self.spec)
        ref = self.reference_spec
        if ref is not None and not grid_only:
            yield from self._points_of(ref)

    def iter_references(self) -> Iterator[DesignPoint]:
        """The reference points off the grid alone (the tail of `iter_points`)."""
        ref = self.reference_spec
        if ref is not None:
            yield from self._points_of(ref)

    def _points_of(self, spec: SweepSpec) -> Iterator[DesignPoint]:
        return map(self.point, iter_points(spec))

    def point(self, values: Mapping[str, Any]) -> DesignPoint:
        """The point of one combination of axis values (`accelsim.explore.grid.iter_points`): the
        base's values, then the axes' (mode defaults to the base's `mode`)."""
        base, settings = self.base, self.settings
        mode = values.get("mode", base.mac_mode)
        sha = self.shas[(values["workload"], values.get("batch", 1))]
        return DesignPoint.of(
            base,
            scale=settings["scale"] or default_scale(mode),
            first_last_bits=settings["first_last_bits"],
            memory=settings["memory"],
            mapper=settings.get("mapper", "fixed"),
            objective=settings.get("objective", "latency"),
            **values,
            workload_sha256=sha,
        )

    @property
    def points(self) -> list[DesignPoint]:
        """Every point as a list (small plans and tests; a sweep iterates `iter_points`)."""
        return list(self.iter_points())


def plan_points(
    spec: SweepSpec | Mapping[str, Any] | None, options: SweepOptions | None = None, **changes: Any
) -> GridPlan:
    """Validate everything a sweep needs and build its plan (no simulation).

    `options` (or its fields as keywords): the base, scale, first/last bits, external memory,
    in-memory graphs and mapper (`SweepOptions`; how the sweep runs is not read here). Each point
    holds every input of its result: the axis values, the fixed settings (scale, first/last bits,
    external memory, the base's node, clock, lanes, dataflow, MAC precision and on-chip network and
    dataflows), the mapper and its objective, and the workload graph's hash. Loading a workload or
    reading a config fails here, before any work starts.
    """
    opts = options_of(options, changes)
    bits_given = _has_axis(spec, "bits")
    spec = full_spec(spec, with_bits=bits_given)
    base, settings = _checked_settings(opts)
    by_sha, shas = _graphs_by_sha(spec, _checked_graphs(opts.graphs))
    workloads = spec.axis("workload").values
    batches = spec.axis("batch").values if "batch" in spec.names else (1,)
    spec, notes = _trained_bits_axis(spec, bits_given, {w: by_sha[shas[(w, b)]] for w in workloads for b in batches})
    return GridPlan(spec, base, settings, spec.size, by_sha, shas, notes)


def _checked_settings(opts: SweepOptions) -> tuple[Accelerator, dict[str, Any]]:
    """The base design and the fixed per-point settings, each checked (InputError names a bad one)."""
    base = opts.base if opts.base is not None else Accelerator()
    if not isinstance(base, Accelerator):
        raise InputError("base", base, "must be an Accelerator")
    if opts.scale is not None and opts.scale not in SCALES:
        raise InputError("scale", opts.scale, f"must be one of {', '.join(SCALES)}")
    if opts.first_last_bits is not None:
        check_bits("first_last_bits", opts.first_last_bits)
    memory_pj_per_bit(opts.memory)
    mapper = opts.mapper if opts.mapper is not None else MapperConfig()
    if not isinstance(mapper, MapperConfig):
        raise InputError("mapper", mapper, "must be a MapperConfig")
    settings = {
        "scale": opts.scale,
        "first_last_bits": opts.first_last_bits,
        "memory": opts.memory.strip().lower(),
        "mapper": mapper.mapper,
        "objective": mapper.objective,
    }
    return base, settings


def _checked_graphs(graphs: Mapping[str, LayerGraph] | None) -> dict[str, LayerGraph]:
    graphs = dict(graphs or {})
    for label, g in graphs.items():
        if not isinstance(g, LayerGraph):
            raise InputError("graphs", label, "must map workload names to LayerGraph objects")
    return graphs


def _graphs_by_sha(
    spec: SweepSpec, graphs: Mapping[str, LayerGraph]
) -> tuple[dict[str, LayerGraph], dict[tuple[str, int], str]]:
    """Every (workload, batch) of the spec loaded (or taken from `graphs`): graphs by hash, and the
    hash of each (workload, batch)."""
    batch_axis = spec.axis("batch").values if "batch" in spec.names else (1,)
    by_sha: dict[str, LayerGraph] = {}
    shas: dict[tuple[str, int], str] = {}
    for w in spec.axis("workload").values:
        for b in batch_axis:
            if w in graphs:
                if b != 1:
                    raise InputError("batch", b, f"applies to zoo workloads only; the graph {w!r} fixes its own batch")
                g = graphs[w]
            else:
                g = load_graph(w, b)
            sha = graph_sha256(g)
            by_sha.setdefault(sha, g)
            shas[(w, b)] = sha
    return by_sha, shas


def _has_axis(spec: SweepSpec | Mapping[str, Any] | None, name: str) -> bool:
    if spec is None:
        return False
    if isinstance(spec, SweepSpec):
        return name in spec.names
    return any(canonical_axis(k) == name and v is not None for k, v in spec.items())


def _trained_bits_axis(
    spec: SweepSpec, bits_given: bool, graphs: Mapping[str, LayerGraph]
) -> tuple[SweepSpec, tuple[str, ...]]:
    """Graphs that carry per-layer bits run as trained unless bits were asked for; say when they are not.

    Without a bits axis and with every workload carrying its own bits, the axis is ``as-trained``.
    ``as-trained`` on a graph without per-layer bits is an error; numeric bits on one that has them
    re-quantize it (PACT's uniform policy), which the returned note tells the user.
    """
    trained = sorted(w for w, g in graphs.items() if g.carries_bits())
    if not bits_given:
        default = AS_TRAINED if trained and len(trained) == len(graphs) else DEFAULT_AXES["bits"]
        axes = list(spec.axes)
        at = next((i + 1 for i, a in enumerate(axes) if a.name == "workload"), 0)
        axes.insert(at, Axis.parse("bits", default if isinstance(default, tuple) else (default,)))
        spec = SweepSpec(tuple(axes))
    bits = spec.axis("bits").values
    if AS_TRAINED in bits:
        plain = sorted(w for w, g in graphs.items() if not g.carries_bits())
        if plain:
            raise InputError("bits", AS_TRAINED, f"needs per-layer bits in the graph; {plain[0]} has none")
    numeric = [b for b in bits if b != AS_TRAINED]
    if trained and numeric:
        return spec, (
            f"{', '.join(trained)} carries per-layer bits (a trained network); bits "
            f"{','.join(map(str, numeric))} re-quantize it to a uniform policy. Use --bits {AS_TRAINED} "
            "(the default for such graphs) to simulate it as trained.",
        )
    return spec, ()


__all__ = ["DEFAULT_AXES", "GridPlan", "full_spec", "plan_points"]
