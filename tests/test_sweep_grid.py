"""sweep_grid: any product of axes, grid order, references, failures, pool and Dask runs equal to inline.

Relations only, no pinned cycle counts (the mapping's cycle formula may change).
"""

from __future__ import annotations

import itertools
import math

import pytest
from _graphs import tiny_graph

import tech
from accelsim.errors import InputError
from accelsim.explore.grid import load_spec
from accelsim.explore.model_hash import graph_sha256, model_salt
from accelsim.explore.plan import full_spec, plan_points
from accelsim.explore.point import evaluate_point
from accelsim.explore.pool import run_grid
from accelsim.explore.store import ResultStore
from accelsim.explore.sweep import sweep, sweep_grid
from accelsim.hardware.design import Accelerator, iso_area
from accelsim.ir import LayerGraph

GRID = {"workload": "resnet20", "bits": "16,4", "bw": "32,inf", "sram": "4MB,16MB", "cores": "2,4"}


def _tiny() -> LayerGraph:
    return tiny_graph(hw=16, channels=8)


@pytest.fixture(scope="module")
def grid_rows():
    return sweep_grid(GRID)


def test_rows_follow_the_grid_product_in_order(grid_rows):
    expected = list(itertools.product([16, 4], ["32", "inf"], [4_000_000, 16_000_000], [2, 4]))
    assert [(r.bits, r.bw, r.sram_bytes, r.cores) for r in grid_rows] == expected
    assert {r.workload for r in grid_rows} == {"resnet20"} and {r.array for r in grid_rows} == {"16x32"}


def test_speedup_is_over_16_bits_with_every_other_axis_equal(grid_rows):
    by = {(r.bits, r.bw, r.sram_bytes, r.cores): r for r in grid_rows}
    for r in grid_rows:
        ref = by[(16, r.bw, r.sram_bytes, r.cores)]
        assert r.speedup == ref.seconds_per_image / r.seconds_per_image
        assert r.peak_ratio == r.peak_tmacs / ref.peak_tmacs
        assert r.efficiency == r.speedup / r.peak_ratio
    assert all(r.speedup == 1.0 for r in grid_rows if r.bits == 16)


def test_axes_set_the_base_design(grid_rows):
    node = tech.load("14nm")
    for r in grid_rows:
        # configurable MACs grow by cores: 4x more cores at 4 bits, same total SRAM
        assert r.design_cores == r.cores * (16 // r.bits) and r.design_array == "16x32"
        assert r.macs_per_cycle == r.design_cores * 512
        assert r.sram_area_mm2 == node.sram_area_mm2(r.sram_bytes)
        assert r.area_mm2 == r.compute_area_mm2 + r.sram_area_mm2
    two, four = (
        next(r for r in grid_rows if (r.bits, r.bw, r.sram_bytes, r.cores) == (16, "inf", 16_000_000, c))
        for c in (2, 4)
    )
    assert four.compute_area_mm2 == pytest.approx(2 * two.compute_area_mm2)
    assert four.seconds_per_image < two.seconds_per_image


def test_time_relations_across_axes(grid_rows):
    by = {(r.bits, r.bw, r.sram_bytes, r.cores): r for r in grid_rows}
    for (bits, bw, sram, cores), r in by.items():
        if bw == "32":  # more bandwidth never hurts; energy does not depend on it
            fast = by[(bits, "inf", sram, cores)]
            assert fast.seconds_per_image <= r.seconds_per_image
            assert fast.energy_per_image_uj == r.energy_per_image_uj
        if sram == 4_000_000:  # more memory never adds off-chip traffic
            assert by[(bits, bw, 16_000_000, cores)].offchip_mb <= r.offchip_mb


def test_reference_points_run_when_16_bits_is_not_on_the_grid(grid_rows):
    calls = []
    only4 = sweep_grid({**GRID, "bits": "4"}, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (16, 16)  # 8 grid points + 8 references
    assert [r.speedup for r in only4] == [r.speedup for r in grid_rows if r.bits == 4]


def test_the_base_array_axis_and_a_mode_axis():
    rows = sweep_grid(
        {"workload": "resnet20", "bits": "4", "bw": "inf", "array": "16x32,32x32", "mode": "configurable,dedicated"}
    )
    assert [(r.array, r.mode, r.scale) for r in rows] == [
        ("16x32", "configurable", "cores"),
        ("16x32", "dedicated", "array"),
        ("32x32", "configurable", "cores"),
        ("32x32", "dedicated", "array"),
    ]
    base = Accelerator(rows=32, cols=32, bw_gb_per_s=math.inf)
    assert rows[3].macs_per_cycle == iso_area(base, 4, "dedicated").macs_per_cycle
    assert rows[3].peak_ratio == pytest.approx(iso_area(base, 4, "dedicated").peak_tmacs / base.peak_tmacs)


def test_workload_and_batch_axes():
    rows = sweep_grid({"workload": "resnet20,svhn", "bits": "8", "bw": "inf", "batch": "1,2"})
    assert [(r.workload, r.batch) for r in rows] == [("resnet20", 1), ("resnet20", 2), ("svhn", 1), ("svhn", 2)]
    assert all(r.seconds_per_image > 0 and r.energy_per_image_uj > 0 for r in rows)
    # per image: a batch of 2 moves the same weights for two images
    assert rows[1].energy_per_image_uj <= rows[0].energy_per_image_uj * (1 + 1e-9)


def test_spec_file_equals_the_mapping(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(
        '[axes]\nworkload = ["resnet20"]\nbits = [16, 4]\nbw = [32, "inf"]\nsram = "4MB,16MB"\ncores = [2, 4]\n'
    )
    spec = load_spec(path)
    assert sweep_grid(spec) == sweep_grid(GRID)


def test_default_axes_are_added_in_front():
    spec = full_spec({"sram": "8MB,16MB"})
    assert spec.names == ("workload", "bits", "bw_gb_per_s", "sram_bytes")
    assert spec.axis("bits").values == (16, 8, 4, 2) and spec.axis("bw").labels == ("32", "64", "inf")
    assert full_spec({"bw": "64", "bits": "4"}).names == ("workload", "bw_gb_per_s", "bits")


def test_points_hold_every_input_of_their_result():
    plan = plan_points({"workload": "resnet20", "bits": "4", "bw": "inf"}, memory="HBM2")
    point = plan.points[0]
    assert point.memory == "hbm2" and point.scale == "cores" and point.first_last_bits == 8
    assert point.workload_sha256 == graph_sha256(_load("resnet20"))
    assert len(plan.points) == 2 and plan.points[1].bits == 16  # the reference follows the grid
    again = evaluate_point(point)
    assert again == evaluate_point(point.to_dict()) and again["network"] == "resnet20"  # record or its dict
    assert model_salt().startswith("accelsim ")


def _load(name):
    import workloads

    return workloads.load(name)


def test_failed_points_are_kept_apart_and_raise_by_default():
    spec = {"workload": "resnet20", "bits": "8,4", "bw": "inf", "sram": "20KB,16MB", "mode": "dedicated"}
    run = run_grid(spec)
    assert run.size == 4 and len(run.rows) == 3
    assert [f[0]["bits"] for f in run.failures] == ["8", "16 (reference)"]
    assert "sram='20KB': gives 5000 bytes per core, too small" in run.failures[0][1]
    small = next(r for r in run.rows if r.sram_bytes == 20_000)
    assert small.bits == 4 and small.speedup is None and small.efficiency is None and small.peak_ratio > 1
    with pytest.raises(InputError) as info:
        sweep_grid(spec)
    assert info.value.field == "design point" and "sram=20KB" in str(info.value)
    assert sweep_grid(spec, errors="skip") == list(run.rows)


@pytest.mark.parametrize(
    ("spec", "kwargs", "field"),
    [
        ({"workload": "resnet51"}, {}, "workload"),
        ({"bits": "4,4"}, {}, "bits"),
        ({"sram": "8XB"}, {}, "sram"),
        ({"colour": "red"}, {}, "axis"),
        ({"bits": "4"}, {"memory": "sdram"}, "memory"),
        ({"bits": "4"}, {"scale": "chips"}, "scale"),
        ({"bits": "4"}, {"first_last_bits": 0}, "first_last_bits"),
        ({"bits": "4"}, {"jobs": 0}, "jobs"),
        ({"bits": "4"}, {"errors": "ignore"}, "errors"),
    ],
)
def test_bad_grids_fail_before_any_work(spec, kwargs, field, tmp_path):
    db = tmp_path / "never.db"
    with pytest.raises(InputError) as info:
        sweep_grid({"workload": "resnet20", **spec}, store=db, **kwargs)
    assert info.value.field == field
    assert not db.exists()  # nothing written


def test_store_resume_skips_finished_points(tmp_path):
    db = tmp_path / "s.db"
    spec = {"workload": "resnet20", "bits": "16,8", "bw": "64,inf"}
    clean = sweep_grid(spec)
    with ResultStore(db) as store:
        sweep_grid({**spec, "bw": "64"}, store=store)
        assert len(store) == 2
        seen = []
        resumed = sweep_grid(spec, store=store, progress=lambda d, t: seen.append(d))
        assert len(store) == 4 and seen[0] == 2
        assert len(store.sweeps()) == 2
    assert resumed == clean
    assert sweep_grid(spec, store=db) == clean  # a path works too; everything is read back


def test_process_pool_equals_inline_with_an_in_memory_graph():
    spec = {"workload": "tiny,resnet20", "bits": "16,8,4,2", "bw": "8,inf"}
    graphs = {"tiny": _tiny()}
    inline = sweep_grid(spec, graphs=graphs)
    pooled = sweep_grid(spec, graphs=graphs, jobs=2)  # workers get the in-memory graph at start-up
    assert pooled == inline
    assert [r.workload for r in pooled] == ["tiny"] * 8 + ["resnet20"] * 8
    assert inline[:8] == sweep(graphs["tiny"], bits=[16, 8, 4, 2], bw=[8, "inf"])


def test_dask_local_cluster_equals_the_serial_run_exactly(tmp_path):
    distributed = pytest.importorskip("distributed")
    from accelsim.explore.parallel import dask_executor
    from accelsim.explore.store import encode

    spec = {"workload": "tiny,resnet20", "bits": "16,4", "bw": "32,inf", "cores": "2,4"}
    graphs = {"tiny": _tiny()}
    with ResultStore(tmp_path / "serial.db") as store:
        serial = sweep_grid(spec, graphs=graphs, store=store)
        serial_records = store.rows()
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        with dask_executor(cluster.scheduler_address) as ex, ResultStore(tmp_path / "dask.db") as store:
            remote = sweep_grid(spec, graphs=graphs, executor=ex, store=store)
            remote_records = store.rows()
    assert remote == serial
    assert encode(remote_records) == encode(serial_records)  # the stored JSON, byte for byte


def test_dram_efficiency_axis_derates_the_channel_and_keeps_the_reference_at_the_same_efficiency():
    """``efficiency`` (alias of dram_efficiency) is an axis: the 16-bit reference of each point runs
    at the same efficiency, and a point at 0.75 x 64 GB/s times exactly like one at 48 GB/s peak."""
    rows = sweep_grid({"workload": "resnet20", "bits": "16,4", "bw": "64,48", "efficiency": "1,0.75"})
    by = {(r.bits, r.bw, r.dram_efficiency): r for r in rows}
    assert by[(4, "64", 0.75)].seconds_per_image == by[(4, "48", 1.0)].seconds_per_image
    assert by[(16, "64", 0.75)].speedup == 1.0
    assert by[(4, "64", 0.75)].seconds_per_image >= by[(4, "64", 1.0)].seconds_per_image
    with pytest.raises(InputError) as info:
        sweep_grid({"workload": "resnet20", "efficiency": "1.2"})
    assert info.value.field == "efficiency"  # the key the user wrote (firstcontact vocabulary)


def test_remembered_references_give_the_rows_worked_out_afresh(grid_rows, monkeypatch):
    """The output remembers each reference's speedup fields across windows (`stream.REFERENCE_MEMO`)
    and keys a reference from its point's text (`store_codec.reference_key`): remembering one at a
    time (every entry forgotten at the next) in windows of 3 points gives the same rows, and the key
    is the reference's own (integer and token bits, finite and unconstrained bandwidth)."""
    from accelsim.explore import stream
    from accelsim.explore.point import reference_point
    from accelsim.explore.store import point_key
    from accelsim.explore.store_codec import point_text, reference_key

    monkeypatch.setattr(stream, "REFERENCE_MEMO", 1)
    monkeypatch.setattr(stream, "OUTPUT_WINDOW", 3)
    assert sweep_grid(GRID) == grid_rows
    assert [r.speedup for r in sweep_grid({**GRID, "bits": "4"})] == [r.speedup for r in grid_rows if r.bits == 4]
    points = list(plan_points(full_spec({**GRID, "bits": "16,4,w4a8"})).iter_points())
    assert {p.bw_gb_per_s for p in points} == {32.0, math.inf} and len({p.bits for p in points}) == 3
    for point in points:
        d = point.to_dict()
        assert reference_key(point_text(d, "salt"), d, "salt") == point_key(reference_point(d), "salt")
        assert reference_key("{}", d, "salt") == point_key(reference_point(d), "salt")  # not its text: in full


@pytest.mark.parametrize(
    "spec",
    [
        GRID,  # references on the grid, first
        {**GRID, "bits": "4,16"},  # references on the grid, after the points that need them
        {**GRID, "bits": "4"},  # references off the grid: they run last
        {**GRID, "bits": "8,4", "sram": "20KB,16MB", "mode": "dedicated"},  # failures
    ],
)
def test_rows_read_while_the_sweep_runs_are_the_rows_of_the_finished_sweep(spec, monkeypatch):
    """`stream_grid(..., overlap=True)` (the CLI's CSV/JSON): rows come out while later points still
    run, in small store windows and output windows, and are the finished sweep's rows and failures,
    with the same counts."""
    from accelsim.explore import pool, stream
    from accelsim.explore.options import SweepOptions
    from accelsim.explore.point import evaluate_point

    simulated = []
    monkeypatch.setattr(pool, "evaluate_point", lambda p: simulated.append(1) or evaluate_point(p))

    def outcomes(overlap):
        simulated.clear()
        with pool.stream_grid(full_spec(spec), SweepOptions(jobs=1), overlap=overlap) as run:
            seen = [(*outcome, len(simulated)) for outcome in run.outcomes()]
            return [(*o[:3], o[3] < len(simulated)) for o in seen], (run.from_store, run.simulated)

    monkeypatch.setattr(stream, "WINDOW", 3)
    monkeypatch.setattr(stream, "OUTPUT_WINDOW", 2)
    after, after_counts = outcomes(False)
    during, during_counts = outcomes(True)
    assert [o[:3] for o in during] == [o[:3] for o in after] and during_counts == after_counts
    assert not any(o[3] for o in after)
    ahead = sum(o[3] for o in during)  # rows given out while points were still to run
    assert ahead >= len(during) // 4  # references off the grid run as their rows need them, not last


@pytest.mark.parametrize("limit", [0, 3])
def test_handed_over_points_give_the_rows_read_back_from_the_store(limit, monkeypatch, tmp_path):
    """The run hands each grid point's dict, keys, labels and committed result to the output
    (`stream.Handover`) instead of the output working them out again and reading the result back:
    with no room (every row from the store) or room for 3 points, the rows, failures and counts
    are the default's, on a new store and on one that holds some of the points (a resume); the
    handover is empty once the rows are read."""
    from accelsim.explore import pool, stream
    from accelsim.explore.options import SweepOptions

    spec = full_spec({**GRID, "bits": "8,16,4", "sram": "20KB,16MB", "mode": "dedicated"})  # with failures

    def outcomes(store):
        with pool.stream_grid(spec, SweepOptions(jobs=1, store=store), overlap=True) as run:
            out = list(run.outcomes())
            assert run.runner.handover is not None and not run.runner.handover.points
            return out, (run.from_store, run.simulated)

    monkeypatch.setattr(stream, "OUTPUT_WINDOW", 2)
    monkeypatch.setattr(stream, "WINDOW", 5)
    default = outcomes(None)
    assert any(o[0] is None for o in default[0]) and any(o[0] is not None for o in default[0])
    with ResultStore(tmp_path / "part.db") as store:  # some points stored already
        run_grid({**GRID, "bits": "16", "sram": "20KB,16MB", "mode": "dedicated"}, store=store)
        resumed_default = outcomes(store)
        store.forget(store.done_keys())
        run_grid({**GRID, "bits": "16", "sram": "20KB,16MB", "mode": "dedicated"}, store=store)
        monkeypatch.setattr(stream, "HANDOVER", limit)
        resumed = outcomes(store)
    assert outcomes(None) == default
    assert resumed == resumed_default and resumed[0] == default[0] and resumed[1][0] > 0


def test_points_that_share_a_plan_are_queued_next_to_each_other(monkeypatch):
    """The run queues a window's points that differ only in values no plan reads (the bandwidths:
    `mapper.UNPLANNED_FIELDS`) next to each other, in order of first appearance (`stream._by_plan`),
    so a pool worker plans a design once instead of every worker planning every design. Every point
    runs once; the rows keep grid order (the tests above)."""
    from accelsim.explore import pool
    from accelsim.model.mapper import UNPLANNED_FIELDS

    spec = full_spec({**GRID, "bits": "4,16", "bw": "32,64,inf", "efficiency": "1,0.5", "array": "8x8,16x32"})
    plan = plan_points(spec)
    planned = [name for name in plan.spec.names if name not in UNPLANNED_FIELDS]
    assert "bw_gb_per_s" not in planned and "dram_efficiency" not in planned and "array" in planned
    ran = []
    monkeypatch.setattr(pool, "evaluate_point", lambda p: ran.append(p) or evaluate_point(p))
    rows = sweep_grid(spec)

    def design(point):
        return repr([point[name] for name in planned])

    assert len(ran) == plan.size and len({repr(sorted(p.items())) for p in ran}) == plan.size
    runs = [key for key, _ in itertools.groupby(ran, design)]
    assert len(runs) == len(set(runs)) < len(ran)  # each design's points in one run
    assert runs == list(dict.fromkeys(design(p.to_dict()) for p in plan.iter_points()))  # first appearance
    fields = ("bits", "bw_gb_per_s", "dram_efficiency", "sram_bytes", "cores")
    grid = [tuple(getattr(p, f) for f in fields) for p in plan.iter_points(grid_only=True)]
    assert [tuple(getattr(r, f) for f in fields) for r in rows] == grid  # rows in grid order


def test_a_row_another_writer_stored_first_is_the_row_shown(tmp_path, monkeypatch):
    """The store keeps the first row of a key (`INSERT OR IGNORE`): when another process stores a
    point while this run computes it, the output shows the stored row, not this run's result (the
    handover is not used for that chunk), so the printed rows are the store's."""
    import json

    from accelsim.explore import stream
    from accelsim.explore.options import SweepOptions
    from accelsim.explore.pool import stream_grid

    monkeypatch.setattr(stream, "OUTPUT_WINDOW", 2)
    with ResultStore(tmp_path / "s.db") as store:
        real = store.put_many
        tampered: dict[str, float] = {}

        def first_writer_wins(entries):
            entries = list(entries)
            key, seq, sweep_id, status, params, result, error, wall = entries[0]
            if not tampered and status == "ok":  # another process stores the first point first
                other = json.loads(result)
                other["seconds_per_image"] *= 3.0
                tampered[key] = other["seconds_per_image"]
                real([(key, seq, sweep_id, status, params, json.dumps(other), error, wall)])
            return real(entries)

        monkeypatch.setattr(store, "put_many", first_writer_wins)
        with stream_grid(full_spec(GRID), SweepOptions(jobs=1, store=store), overlap=True) as run:
            rows = [row for row, _, _ in run.outcomes() if row is not None]
    ((key, seconds),) = tampered.items()
    shown = [r for r in rows if r.key == key]
    assert shown and all(r.seconds_per_image == seconds for r in shown)
