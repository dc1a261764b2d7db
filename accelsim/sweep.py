"""Design-space sweeps: speed, energy and area of iso-area design points over any grid of axes.

`sweep_grid(spec)` simulates the product of the spec's axes (`accelsim.grid`: workload, bits,
bandwidth, total SRAM, cores, base array, batch, MAC mode) and compares every point with the
base-precision (16-bit) design at the same values of every other axis. `sweep` is PACT Fig. 6(c):
the bits x bandwidth special case, kept with its original signature.

How a point runs: `evaluate_point` is a module-level, pure function of a plain dict (the design
point with every setting that affects its result) returning a plain dict, so the same code runs
inline, on a process pool or on a Dask cluster (`accelsim.parallel.run_points`), and each result
is committed to the `ResultStore` under the hash of the point, the workload graph, and the model
(accelsim version, model source and tech data; `model_salt`), so a rerun skips finished points.
Rows come back in grid order (first axis slowest) whatever the order the points finished in.

What the axes mean (every other field comes from the base accelerator):

* ``sram_bytes``: total on-chip memory, divided evenly over the base's cores (a remainder of fewer
  than `cores` bytes is dropped); iso-area keeps the total.
* ``cores`` / ``array``: the base design's cores and per-core array (``16x32``); the design at
  `bits` is ``iso_area(base, bits, mode, scale)``, so these change the silicon area.
* ``mode``: configurable or dedicated MACs; `scale` defaults to `default_scale(mode)` per point.

Example
-------
>>> rows = sweep("resnet18", bits=[16, 4], bw=["inf"])
>>> [(r.bits, r.bw, round(r.peak_ratio)) for r in rows]
[(16, 'inf', 1), (4, 'inf', 4)]
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import json
import math
import multiprocessing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from accelsim.design import MB, SCALES, Accelerator, default_scale, iso_area
from accelsim.energy import DEFAULT_MEMORY, area, memory_pj_per_bit
from accelsim.errors import InputError
from accelsim.fit import policy_for
from accelsim.graph import LayerGraph, check_bits
from accelsim.grid import Axis, SweepSpec, canonical_axis, expand
from accelsim.sim import simulate

#: progress(done, total): called as design points finish (done counts stored points too).
Progress = Callable[[int, int], None]

#: Axes every sweep has; a spec that leaves one out gets this default, placed before its own axes.
DEFAULT_AXES: dict[str, tuple[Any, ...]] = {
    "workload": ("resnet50",),
    "bits": (16, 8, 4, 2),
    "bw_gb_per_s": ("32", "64", "inf"),
}

#: Modules whose source decides a point's result: a change to any of them changes every key.
MODEL_MODULES = (
    "design", "energy", "errors", "fit", "graph", "layers", "mapping", "results", "sim", "sweep",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepRow:
    """One design point of a sweep (all energies and traffic per image, steady state).

    workload : the network's name (the graph's, e.g. ``tiny`` for ``tiny.json``).
    bits / first_last_bits : precision of the body / of the first and last MAC layers as run.
    bw : the bandwidth label as given ("32", "64", "inf"); `bw_gb_per_s` is its value.
    sram_bytes, cores, array, batch, mode, scale : the point's other axes (base design values).
    design_cores, design_array, design_lanes, macs_per_cycle : the iso-area design that ran.
    speedup : base-precision time per image / this time per image, same values of every other
        axis; None when that reference point failed.
    peak_ratio : this design's peak MAC/s / the reference design's.
    efficiency : speedup / peak_ratio (1 = the ideal iso-area gain); None without a speedup.
    stall_fraction : share of the time the slowest cores wait for the external memory.
    bound : "memory" when memory-bound layers take most of the time, else "compute".
    offchip_mb : steady-state off-chip traffic per image, decimal MB.
    weights_fit / activations_fit : the model's weights stay on chip (loaded once) / every
        intermediate activation stays on chip.
    energy_per_image_uj and its parts (mac, sram, offchip) : `accelsim.energy`; `memory` names
        the external memory preset pricing the off-chip bytes.
    area_mm2 = compute_area_mm2 + sram_area_mm2 : `accelsim.energy.area`.
    key : the point's key in the result store.
    """

    workload: str
    bits: int
    first_last_bits: int
    bw: str
    bw_gb_per_s: float
    mode: str
    scale: str
    macs_per_cycle: int
    peak_tmacs: float
    seconds_per_image: float
    first_image_seconds: float
    speedup: float | None
    peak_ratio: float
    efficiency: float | None
    utilization: float
    stall_fraction: float
    bound: str
    offchip_mb: float
    weights_fit: bool
    activations_fit: bool
    energy_per_image_uj: float
    mac_energy_per_image_uj: float
    sram_energy_per_image_uj: float
    offchip_energy_per_image_uj: float
    memory: str
    area_mm2: float
    compute_area_mm2: float
    sram_area_mm2: float
    sram_bytes: int
    cores: int
    array: str
    batch: int
    design_cores: int
    design_array: str
    design_lanes: int
    key: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe fields in declaration order; the bandwidth value is left out (see `bw`)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "bw_gb_per_s"}


@dataclass(frozen=True, slots=True)
class GridRun:
    """What `run_grid` returns: the finished rows and the points that failed, both in grid order.

    failures : ``(labels, message)`` per failed point; labels are the user's axis values (a failed
        reference point that is not on the grid is listed with ``bits`` marked as reference).
    """

    spec: SweepSpec
    rows: tuple[SweepRow, ...]
    failures: tuple[tuple[dict[str, str], str], ...]
    size: int


def bw_label(value: float | int | str) -> str:
    """The label a bandwidth is shown with: the user's string, or the number without ``.0``."""
    if isinstance(value, str):
        return value.strip()
    v = float(value)
    return "inf" if math.isinf(v) else (str(int(v)) if v.is_integer() else repr(v))


def describe_bw(label: str) -> str:
    """A bandwidth label for people: ``64 GB/s``, or ``unconstrained`` for ``inf`` (PACT's word)."""
    return "unconstrained" if label == "inf" else f"{label} GB/s"


def parse_bandwidth(value: float | int | str) -> float:
    """GB/s as a float > 0, ``inf`` allowed; InputError naming the value otherwise."""
    from accelsim.grid import parse_bw

    return parse_bw(value)


def _graph(workload: LayerGraph | str, batch: int) -> LayerGraph:
    if isinstance(workload, LayerGraph):
        return workload
    from accelsim.inputs import load_workload

    return load_workload(workload, batch=batch)


# --- hashing: what makes a stored result reusable ---------------------------------------------------
def graph_sha256(graph: LayerGraph) -> str:
    """sha256 of the graph's canonical JSON (layers, shapes, precision, metadata such as batch)."""
    from accelsim.store import canonical_json

    return hashlib.sha256(canonical_json(graph.to_dict()).encode("ascii")).hexdigest()


def _package_sha256(package: str, names: Iterable[str]) -> str:
    from importlib.resources import files

    digest = hashlib.sha256()
    root = files(package)
    for name in sorted(names):
        try:
            data = root.joinpath(name).read_bytes()
        except OSError:  # e.g. installed without sources: the version alone then keys the model
            data = b""
        digest.update(name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def model_salt() -> str:
    """Mixed into every point's key: accelsim version + hash of the model's source + tech data.

    Why the source too: the model changes between releases (a cycle formula, the energy model),
    and a stored result must never outlive the code that produced it.
    """
    from importlib.resources import files

    from accelsim import __version__

    model = _package_sha256("accelsim", (f"{m}.py" for m in MODEL_MODULES))
    tech_files = [p.name for p in files("tech").iterdir() if p.name.endswith((".toml", ".py"))]
    tech = _package_sha256("tech", tech_files)
    return f"accelsim {__version__}; model {model[:16]}; tech {tech[:16]}"


# --- the per-point function (runs in workers) --------------------------------------------------------
#: Graphs the coordinator handed over, by hash: LayerGraph objects (inline) or their JSON (workers).
_REGISTRY: dict[str, LayerGraph | str] = {}


def register_graphs(graphs: Mapping[str, LayerGraph | str]) -> None:
    """Make graphs (sha256 -> graph or its JSON text) available to `evaluate_point` in this process."""
    for sha, graph in graphs.items():
        _REGISTRY.setdefault(sha, graph)


@functools.lru_cache(maxsize=32)
def _base_graph(workload: str, batch: int, sha: str) -> LayerGraph:
    held = _REGISTRY.get(sha)
    if isinstance(held, LayerGraph):
        graph = held
    elif isinstance(held, str):
        graph = LayerGraph.from_dict(json.loads(held))
    else:  # not handed over: load by name or path, and make sure it is the graph the key names
        graph = _graph(workload, batch)
    if graph_sha256(graph) != sha:
        raise InputError("workload", workload, "differs from the graph this sweep was planned with (hash mismatch)")
    return graph


@functools.lru_cache(maxsize=128)
def _policy_graph(workload: str, batch: int, sha: str, bits: int, first_last_bits: int | None) -> LayerGraph:
    return _base_graph(workload, batch, sha).with_policy(policy_for(bits, first_last_bits))


def design_of(point: Mapping[str, Any]) -> tuple[Accelerator, Accelerator]:
    """(base, iso-area design) of a sweep point; InputError for a combination that cannot be built."""
    rows, cols = point["array"]
    cores, sram = point["cores"], point["sram_bytes"]
    base = Accelerator(
        tech_node=point["tech_node"],
        clock_hz=point["clock_hz"],
        cores=cores,
        rows=rows,
        cols=cols,
        lanes=point["lanes"],
        sram_bytes=sram,
        bw_gb_per_s=point["bw_gb_per_s"],
        dataflow=point["dataflow"],
        mac_w_bits=point["base_w_bits"],
        mac_a_bits=point["base_a_bits"],
        mac_mode=point["mode"],
    )
    return base, iso_area(base, point["bits"], point["mode"], point["scale"])


def evaluate_point(point: Mapping[str, Any]) -> dict[str, Any]:
    """Simulate one sweep point (a plain dict, see `plan_points`); returns plain JSON values.

    Pure: the result depends on the point alone (the graph is found by the hash the point carries),
    nothing is written. InputError when the design cannot be built or a tile does not fit.
    """
    base, design = design_of(point)
    graph = _policy_graph(point["workload"], point["batch"], point["workload_sha256"], point["bits"], point["first_last_bits"])
    r = simulate(graph, design, memory=point["memory"])
    cost = area(design, built_bits=(base.mac_w_bits, base.mac_a_bits))
    flb = point["first_last_bits"]
    return {
        "network": graph.name,
        "first_last_bits_run": point["bits"] if flb is None else max(point["bits"], flb),
        "design_cores": design.cores,
        "design_array": f"{design.rows}x{design.cols}",
        "design_lanes": design.lanes,
        "macs_per_cycle": design.macs_per_cycle,
        "peak_tmacs": design.peak_tmacs,
        "seconds_per_image": r.seconds_per_image,
        "first_image_seconds": r.first_image_seconds,
        "utilization": r.utilization,
        "stall_fraction": r.stall_cycles / r.cycles if r.cycles > 0 else 0.0,
        "bound": r.bound,
        "offchip_mb": r.offchip_bytes_per_image / MB,
        "weights_fit": r.weights_resident,
        "activations_fit": r.activations_resident,
        **r.energy_breakdown(),
        "area_mm2": cost.total_mm2,
        "compute_area_mm2": cost.compute_mm2,
        "sram_area_mm2": cost.sram_mm2,
    }


def evaluate_point_with(graphs: Mapping[str, str], point: Mapping[str, Any]) -> dict[str, Any]:
    """`evaluate_point` after registering `graphs` (sha256 -> JSON): for executors on other machines."""
    register_graphs(graphs)
    return evaluate_point(point)


# --- planning the grid --------------------------------------------------------------------------------
def full_spec(spec: SweepSpec | Mapping[str, Any] | None) -> SweepSpec:
    """`spec` (or a mapping of axis -> values) with the default workload, bits and bw axes it lacks,
    put in front in that order."""
    if spec is None:
        spec = SweepSpec(tuple(Axis.parse(n, v) for n, v in DEFAULT_AXES.items()))
    elif not isinstance(spec, SweepSpec):
        spec = SweepSpec.from_mapping({canonical_axis(k): v for k, v in spec.items()})
    missing = [Axis.parse(n, v) for n, v in DEFAULT_AXES.items() if n not in spec.names]
    return SweepSpec(tuple(missing) + spec.axes) if missing else spec


@dataclass(frozen=True, slots=True)
class GridPlan:
    """A validated sweep before it runs: its axes, every point (the grid, then the reference points
    not on it) and the workload graphs by hash."""

    spec: SweepSpec
    points: list[dict[str, Any]]  # the grid, then reference points not on it
    grid_size: int
    graphs: dict[str, LayerGraph]  # sha -> graph
    shas: dict[tuple[str, int], str]


def plan_points(
    spec: SweepSpec | Mapping[str, Any] | None,
    *,
    base: Accelerator | None = None,
    scale: str | None = None,
    first_last_bits: int | None = 8,
    memory: str = DEFAULT_MEMORY,
    graphs: Mapping[str, LayerGraph] | None = None,
) -> GridPlan:
    """Validate everything a sweep needs and build its points (no simulation).

    Each point holds every input of its result: the axis values, the fixed settings (scale,
    first/last bits, external memory, the base's node, clock, lanes, dataflow and MAC precision)
    and the workload graph's hash. Loading a workload or reading a config fails here, before any
    work starts.
    """
    spec = full_spec(spec)
    base = base if base is not None else Accelerator()
    if not isinstance(base, Accelerator):
        raise InputError("base", base, "must be an Accelerator")
    if scale is not None and scale not in SCALES:
        raise InputError("scale", scale, f"must be one of {', '.join(SCALES)}")
    if first_last_bits is not None:
        check_bits("first_last_bits", first_last_bits)
    memory_pj_per_bit(memory)
    memory = memory.strip().lower()
    graphs = dict(graphs or {})
    for label, g in graphs.items():
        if not isinstance(g, LayerGraph):
            raise InputError("graphs", label, "must map workload names to LayerGraph objects")

    workload_axis = spec.axis("workload").values
    batch_axis = spec.axis("batch").values if "batch" in spec.names else (1,)
    by_sha: dict[str, LayerGraph] = {}
    shas: dict[tuple[str, int], str] = {}
    for w in workload_axis:
        for b in batch_axis:
            if w in graphs:
                if b != 1:
                    raise InputError("batch", b, f"applies to zoo workloads only; the graph {w!r} fixes its own batch")
                g = graphs[w]
            else:
                g = _graph(w, b)
            sha = graph_sha256(g)
            by_sha.setdefault(sha, g)
            shas[(w, b)] = sha

    fixed = {
        "workload": None,
        "bits": None,
        "bw_gb_per_s": None,
        "sram_bytes": base.sram_bytes,
        "cores": base.cores,
        "array": (base.rows, base.cols),
        "batch": 1,
        "mode": "configurable",
    }
    points = []
    for values in expand(spec):
        p = {**fixed, **values}
        p["scale"] = scale if scale is not None else default_scale(p["mode"])
        p["first_last_bits"] = first_last_bits
        p["memory"] = memory
        p["tech_node"] = base.tech_node
        p["clock_hz"] = base.clock_hz
        p["lanes"] = base.lanes
        p["dataflow"] = base.dataflow
        p["base_w_bits"] = base.mac_w_bits
        p["base_a_bits"] = base.mac_a_bits
        p["workload_sha256"] = shas[(p["workload"], p["batch"])]
        points.append(p)
    from accelsim.store import canonical_json

    seen = {canonical_json(p) for p in points}
    extra = []
    for p in points:
        ref = reference_point(p)
        text = canonical_json(ref)
        if text not in seen:
            seen.add(text)
            extra.append(ref)
    return GridPlan(spec, points + extra, len(points), by_sha, shas)


def reference_point(point: Mapping[str, Any]) -> dict[str, Any]:
    """The point a speedup is measured against: base precision, every other value the same."""
    return {**point, "bits": point["base_w_bits"]}


# --- running it -----------------------------------------------------------------------------------------
def run_grid(
    spec: SweepSpec | Mapping[str, Any] | None = None,
    *,
    base: Accelerator | None = None,
    scale: str | None = None,
    first_last_bits: int | None = 8,
    memory: str = DEFAULT_MEMORY,
    graphs: Mapping[str, LayerGraph] | None = None,
    jobs: int = 1,
    executor: cf.Executor | None = None,
    store: Any = None,
    progress: Progress | None = None,
    max_pending: int | None = None,
) -> GridRun:
    """Plan, run and assemble a sweep; failed points are returned, not raised (see `sweep_grid`).

    `store` may be a `ResultStore` or a path, opened after every input is validated (so bad input
    creates no file) and closed at the end.
    """
    from accelsim.parallel import _check_jobs

    _check_jobs(jobs)
    plan = plan_points(spec, base=base, scale=scale, first_last_bits=first_last_bits, memory=memory, graphs=graphs)
    if store is None or hasattr(store, "done_keys"):
        return _run_plan(plan, jobs=jobs, executor=executor, store=store, progress=progress, max_pending=max_pending)
    from accelsim.store import ResultStore

    with ResultStore(store) as opened:  # a path: opened only now that the inputs are known to be good
        return _run_plan(plan, jobs=jobs, executor=executor, store=opened, progress=progress, max_pending=max_pending)


def _run_plan(
    plan: GridPlan,
    *,
    jobs: int,
    executor: cf.Executor | None,
    store: Any,
    progress: Progress | None,
    max_pending: int | None,
) -> GridRun:
    from accelsim.parallel import run_points
    from accelsim.store import point_key

    salt = model_salt()
    sweep_id = None
    if store is not None:
        from accelsim import __version__

        settings = {k: v for k, v in plan.points[0].items() if k not in plan.spec.names and k != "workload_sha256"}
        sweep_id = store.begin_sweep({"axes": plan.spec.to_dict(), "settings": settings}, __version__, salt)

    fn: Callable[[dict[str, Any]], Mapping[str, Any]] = evaluate_point
    pool = None
    workers = 1
    if executor is not None:  # another machine may not have the files: ship the graphs with the function
        fn = functools.partial(evaluate_point_with, _graph_texts(plan))
        workers = jobs
    elif jobs > 1:
        done = store.done_keys() if store is not None else set()
        todo = {point_key(p, salt) for p in plan.points} - done
        workers = min(jobs, len(todo))
        if workers > 1:
            pool = cf.ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=register_graphs,
                initargs=(_graph_texts(plan),),
            )
    if pool is None and executor is None:
        register_graphs(plan.graphs)
    try:
        records = run_points(
            plan.points, fn, jobs=1 if pool is None and executor is None else workers,
            executor=executor or pool, store=store, salt=salt, progress=progress, sweep_id=sweep_id,
            max_pending=max_pending or 4 * max(1, workers),
        )
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return _assemble(plan, records)


def _graph_texts(plan: GridPlan) -> dict[str, str]:
    """The sweep's graphs as compact JSON by hash: what a worker process needs to rebuild them."""
    return {sha: json.dumps(g.to_dict(), separators=(",", ":"), allow_nan=False) for sha, g in plan.graphs.items()}


def _assemble(plan: GridPlan, records: list[dict[str, Any]]) -> GridRun:
    """SweepRows (with speedups against the reference points) and failures, in grid order."""
    rel = relative_metrics(records)
    rows, failures = [], []
    for rec, extra in zip(records[: plan.grid_size], rel):
        labels = plan.spec.labels(plan.points[rec["seq"]])
        if rec["status"] != "ok":
            failures.append((labels, rec["error"]))
            continue
        rows.append(_row(rec, extra, labels.get("bw_gb_per_s")))
    grid_keys = {r["key"] for r in records[: plan.grid_size]}
    for rec in records[plan.grid_size :]:
        if rec["status"] != "ok" and rec["key"] not in grid_keys:
            point = plan.points[rec["seq"]]
            labels = {
                a.name: f"{point['bits']} (reference)" if a.name == "bits" else a.label(point[a.name])
                for a in plan.spec.axes
            }
            failures.append((labels, rec["error"]))
    return GridRun(plan.spec, tuple(rows), tuple(failures), plan.grid_size)


def _row(rec: Mapping[str, Any], extra: Mapping[str, Any], bw: str | None = None) -> SweepRow:
    p, r = rec["params"], rec["result"]
    return SweepRow(
        workload=r["network"],
        bits=p["bits"],
        first_last_bits=r["first_last_bits_run"],
        bw=bw if bw is not None else bw_label(p["bw_gb_per_s"]),
        bw_gb_per_s=p["bw_gb_per_s"],
        mode=p["mode"],
        scale=p["scale"],
        macs_per_cycle=r["macs_per_cycle"],
        peak_tmacs=r["peak_tmacs"],
        seconds_per_image=r["seconds_per_image"],
        first_image_seconds=r["first_image_seconds"],
        speedup=extra["speedup"],
        peak_ratio=extra["peak_ratio"],
        efficiency=extra["efficiency"],
        utilization=r["utilization"],
        stall_fraction=r["stall_fraction"],
        bound=r["bound"],
        offchip_mb=r["offchip_mb"],
        weights_fit=r["weights_fit"],
        activations_fit=r["activations_fit"],
        energy_per_image_uj=r["energy_per_image_uj"],
        mac_energy_per_image_uj=r["mac_energy_per_image_uj"],
        sram_energy_per_image_uj=r["sram_energy_per_image_uj"],
        offchip_energy_per_image_uj=r["offchip_energy_per_image_uj"],
        memory=p["memory"],
        area_mm2=r["area_mm2"],
        compute_area_mm2=r["compute_area_mm2"],
        sram_area_mm2=r["sram_area_mm2"],
        sram_bytes=p["sram_bytes"],
        cores=p["cores"],
        array="x".join(str(v) for v in p["array"]),
        batch=p["batch"],
        design_cores=r["design_cores"],
        design_array=r["design_array"],
        design_lanes=r["design_lanes"],
        key=rec["key"],
    )


def relative_metrics(records: Sequence[Mapping[str, Any]]) -> list[dict[str, float | None]]:
    """Speedup, peak ratio and efficiency of every record against its reference point.

    The reference is the record whose params differ only in ``bits`` = the base precision (the
    first such finished record, when a store holds several). The peak ratio needs no simulation
    (the reference design is rebuilt); speedup and efficiency are None without a finished
    reference, and everything is None for a failed record or one that is not a sweep point.
    """
    from accelsim.store import canonical_json

    def group(params: Mapping[str, Any]) -> str:
        return canonical_json({k: v for k, v in params.items() if k != "bits"})

    refs: dict[str, Mapping[str, Any]] = {}
    for rec in records:
        p = rec["params"]
        if rec["status"] == "ok" and "base_w_bits" in p and p.get("bits") == p["base_w_bits"]:
            refs.setdefault(group(p), rec["result"])
    out: list[dict[str, float | None]] = []
    for rec in records:
        p, r = rec["params"], rec["result"]
        none: dict[str, float | None] = {"speedup": None, "peak_ratio": None, "efficiency": None}
        if rec["status"] != "ok" or "base_w_bits" not in p:
            out.append(none)
            continue
        ref = refs.get(group(p))
        peak = _reference_peak(canonical_json(reference_point(p)))
        peak_ratio = r["peak_tmacs"] / peak if peak else None
        ok = ref is not None and r["seconds_per_image"] > 0
        speedup = ref["seconds_per_image"] / r["seconds_per_image"] if ok else None  # type: ignore[index]
        efficiency = speedup / peak_ratio if speedup is not None and peak_ratio else None
        out.append({"speedup": speedup, "peak_ratio": peak_ratio, "efficiency": efficiency})
    return out


@functools.lru_cache(maxsize=4096)
def _reference_peak(point_json: str) -> float | None:
    from accelsim.store import decode

    try:
        return design_of(decode(point_json))[1].peak_tmacs
    except (InputError, KeyError, TypeError, ValueError):
        return None


def sweep_grid(
    spec: SweepSpec | Mapping[str, Any] | None = None,
    *,
    base: Accelerator | None = None,
    scale: str | None = None,
    first_last_bits: int | None = 8,
    memory: str = DEFAULT_MEMORY,
    graphs: Mapping[str, LayerGraph] | None = None,
    jobs: int = 1,
    executor: cf.Executor | None = None,
    store: Any = None,
    progress: Progress | None = None,
    max_pending: int | None = None,
    errors: str = "raise",
) -> list[SweepRow]:
    """Simulate every point of the grid `spec` and return its rows in grid order.

    Parameters
    ----------
    spec : SweepSpec, mapping or None
        Axes and their values (``{"bits": "8,4", "sram": "8MB,16MB"}`` or `accelsim.grid.load_spec`);
        workload (resnet50), bits (16,8,4,2) and bw (32,64,inf GB/s) default when left out.
    base : Accelerator, optional
        The reference design the points are iso-area to (default: the 16-bit default system);
        axes replace its fields (`sram_bytes` is its total on-chip memory).
    scale : str, optional
        Where iso-area MACs go (`accelsim.design.iso_area`); default `default_scale(mode)` per point.
    first_last_bits : int or None
        Precision of the first and last MAC layers when the body is narrower (PACT: 8).
    memory : str
        External memory preset for the off-chip energy (``tech.memory_names()``; default lpddr4).
    graphs : mapping, optional
        In-memory LayerGraphs by the workload name the spec uses for them.
    jobs : int
        1 runs inline; N > 1 a pool of up to N processes (never more than points left to run),
        started with "spawn": a script calling this needs the ``if __name__ == "__main__":`` guard.
    executor : concurrent.futures.Executor, optional
        Run on this instead (e.g. `accelsim.parallel.dask_executor`); the caller shuts it down.
    store : ResultStore or path, optional
        Skip points already stored; commit each new one as it finishes.
    progress : callable, optional
        ``progress(done, total)``; total counts the reference points run in addition to the grid.
    max_pending : int, optional
        Most points in flight at once (default 4 per worker); raise it for a Dask cluster.
    errors : {"raise", "skip"}
        A point that cannot be built or simulated is stored as an error either way; "raise" then
        raises InputError for the first one (after the whole grid ran), "skip" leaves it out.

    Returns
    -------
    list of SweepRow
        Grid order: the first axis varies slowest, values in the order given.
    """
    if errors not in ("raise", "skip"):
        raise InputError("errors", errors, "must be 'raise' or 'skip'")
    run = run_grid(
        spec, base=base, scale=scale, first_last_bits=first_last_bits, memory=memory, graphs=graphs,
        jobs=jobs, executor=executor, store=store, progress=progress, max_pending=max_pending,
    )
    if errors == "raise" and run.failures:
        labels, message = run.failures[0]
        raise InputError("design point", describe_labels(labels), strip_error_type(message))
    return list(run.rows)


def describe_labels(labels: Mapping[str, str]) -> str:
    """``bits=4, bw=inf, sram=8MB``: a point as the user wrote it (short axis names)."""
    short = {v: k for k, v in {"bw": "bw_gb_per_s", "sram": "sram_bytes"}.items()}
    return ", ".join(f"{short.get(k, k)}={v}" for k, v in labels.items())


def strip_error_type(message: str) -> str:
    """``"InputError: bits=3: ..."`` -> ``"bits=3: ..."`` (stored errors carry the exception type)."""
    head, sep, rest = message.partition(": ")
    return rest if sep and head.isidentifier() and head.endswith("Error") else message


def sweep(
    workload: LayerGraph | str,
    bits: Sequence[int] = (16, 8, 4, 2),
    bw: Sequence[float | int | str] = (32, 64, "inf"),
    *,
    base: Accelerator | None = None,
    mode: str = "configurable",
    scale: str | None = None,
    first_last_bits: int | None = 8,
    batch: int = 1,
    progress: Progress | None = None,
    jobs: int = 1,
    memory: str = DEFAULT_MEMORY,
) -> list[SweepRow]:
    """Simulate every (bits, bandwidth) iso-area design point of `base` (PACT Fig. 6(c)).

    Parameters
    ----------
    workload : LayerGraph or str
        A graph, a zoo name (``"resnet50"``) or a LayerGraph JSON path.
    bits : sequence of int
        Body precisions; each point is ``iso_area(base, b, mode, scale)`` running PACT's policy.
    bw : sequence of float or str
        External bandwidths in GB/s; ``"inf"`` (or ``math.inf``) is unconstrained.
    base : Accelerator, optional
        The reference design (default: the default 16-bit system). Its bandwidth is replaced.
    mode, scale : str
        See `accelsim.design.iso_area`.
    first_last_bits : int or None
        Precision of the first and last MAC layers when the body is narrower (PACT: 8); None
        quantizes them like the body.
    batch : int
        Batch size for zoo workloads.
    progress : callable, optional
        ``progress(done, total)`` after each simulated point (the CLI drives a tqdm bar with it).
    jobs, memory : see `sweep_grid`.

    Returns
    -------
    list of SweepRow
        Bits outer, bandwidth inner, in the order given.
    """
    scale = default_scale(mode) if scale is None else scale
    if scale not in SCALES:
        raise InputError("scale", scale, f"must be one of {', '.join(SCALES)}")
    bits = [check_bits("bits", b) for b in bits]
    if not bits:
        raise InputError("bits", bits, "needs at least one value")
    if len(set(bits)) != len(bits):
        raise InputError("bits", bits, "lists a bit-width twice")
    if first_last_bits is not None:
        check_bits("first_last_bits", first_last_bits)
    points_bw = [(bw_label(v), parse_bandwidth(v)) for v in bw]
    if not points_bw:
        raise InputError("bw", list(bw), "needs at least one value")
    if len({v for _, v in points_bw}) != len(points_bw):
        raise InputError("bw", [lbl for lbl, _ in points_bw], "lists a bandwidth twice")
    if isinstance(workload, LayerGraph):
        graphs, name = {workload.name: workload}, workload.name
    else:
        graphs, name = {}, workload
    axes = [
        Axis.parse("workload", [name]),
        Axis("bits", tuple(bits), tuple(str(b) for b in bits)),
        Axis("bw_gb_per_s", tuple(v for _, v in points_bw), tuple(lbl for lbl, _ in points_bw)),
        Axis.parse("mode", [mode]),
    ]
    if batch != 1:
        axes.append(Axis.parse("batch", [batch]))
    last = 0

    def forward(done: int, total: int) -> None:  # callers see one call per simulated point
        nonlocal last
        if progress is not None and done > last:
            last = done
            progress(done, total)

    return sweep_grid(
        SweepSpec(tuple(axes)), base=base, scale=scale, first_last_bits=first_last_bits, memory=memory,
        graphs=graphs, jobs=jobs, progress=forward,
    )


def first_last_ratio(
    workload: LayerGraph | str,
    bits: int = 4,
    bw: float | int | str = 64,
    *,
    first_last_bits: int = 8,
    base: Accelerator | None = None,
    mode: str = "configurable",
    scale: str | None = None,
    batch: int = 1,
) -> float:
    """How much faster the `bits` design runs when the first and last layers are quantized too.

    Time per image with first/last layers at `first_last_bits` divided by the time with every
    layer at `bits` (PACT section 6 estimates 1.24x at 4 bits).
    """
    base = base if base is not None else Accelerator()
    graph = _graph(workload, batch)
    design = iso_area(replace(base, bw_gb_per_s=parse_bandwidth(bw)), bits, mode, scale)
    kept = simulate(graph.with_policy(policy_for(bits, first_last_bits)), design)
    quantized = simulate(graph.with_policy(policy_for(bits, None)), design)
    return kept.seconds_per_image / quantized.seconds_per_image


__all__ = [
    "DEFAULT_AXES",
    "GridPlan",
    "GridRun",
    "Progress",
    "SweepRow",
    "bw_label",
    "describe_labels",
    "design_of",
    "evaluate_point",
    "first_last_ratio",
    "full_spec",
    "graph_sha256",
    "model_salt",
    "parse_bandwidth",
    "plan_points",
    "reference_point",
    "relative_metrics",
    "run_grid",
    "sweep",
    "sweep_grid",
]
