"""A graph that carries per-layer bits (a trained network) runs as trained unless bits are asked for."""

from __future__ import annotations

import json

import pytest
from _graphs import tiny_graph

from accelsim.cli.main import main
from accelsim.explore.plan import plan_points
from accelsim.explore.store import ResultStore
from accelsim.ir import Precision


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def trained(tmp_path, first=(4, 8), body=(2, 2), last=(4, 2)):
    """tiny graph as a trainer exports it: conv at `first`, dense at `last`, pools at the body bits."""
    g = tiny_graph(hw=16, channels=8)
    g.set_precision("conv1", Precision(*first))
    for name in ("gap", "flat"):
        g.set_precision(name, Precision(*body))
    g.set_precision("fc", Precision(*last))
    path = tmp_path / "trained.json"
    g.save(path)
    return path


def test_body_and_edge_bits_and_capping():
    g = tiny_graph(hw=16, channels=8)
    assert not g.carries_bits() and g.body_bits() == 16
    g.set_precision("conv1", Precision(32, 8))  # float weights: a trained float first layer
    g.set_precision("fc", Precision(4, 4))
    assert g.carries_bits() and g.body_bits() == 32 and g.edge_bits() == 32  # conv1 has most MACs
    c = g.capped(16, 16)
    assert c.precision("conv1") == Precision(16, 8) and c.precision("fc") == Precision(4, 4)
    assert g.precision("conv1") == Precision(32, 8)  # a copy


def test_run_as_trained_by_default_and_requantized_when_asked(tmp_path, capsys):
    path = trained(tmp_path)
    assert main(["run", "--workload", str(path), "--bw", "inf"]) == 0
    out, err = capsys.readouterr()
    head = out.splitlines()
    assert head[0].endswith("as-trained (8-bit) body")
    assert head[2].startswith("precision: as trained") and "body 8, first/last 8 bits" in head[2]
    assert all(len(line) <= 100 for line in head[:3])
    assert "8x8b" in head[1]  # the iso-area design of the body precision (conv1's max(4, 8) carries the MACs)
    conv = next(line.split() for line in head if line.startswith("conv1 "))
    fc = next(line.split() for line in head if line.startswith("fc "))
    assert (conv[2], conv[3], fc[2], fc[3]) == ("4", "8", "4", "2")  # the trained per-layer bits, as run
    assert "note" not in err and "re-quantiz" not in err  # (stderr names dropped columns: main's table views)
    assert main(["run", "--workload", str(path), "--bw", "inf", "--bits", "2"]) == 0
    out, err = capsys.readouterr()
    assert "re-quantized" in out.splitlines()[2] and "re-quantizes" in err and "--bits as-trained" in err
    conv = next(line.split() for line in out.splitlines() if line.startswith("conv1 "))
    assert (conv[2], conv[3]) == ("8", "8")  # PACT's uniform policy: first layer at 8
    assert main(["run", "--workload", "resnet20", "--bits", "as-trained"]) == 2
    assert "bits='as-trained'" in capsys.readouterr().err


def test_sweep_as_trained_is_the_default_and_part_of_the_store_key(tmp_path, capsys):
    path = trained(tmp_path)
    assert main(["sweep", "--workload", str(path), "--bw", "inf", "--format", "json", "--jobs", "1"]) == 0
    out, err = capsys.readouterr()
    rows = json.loads(out)
    assert [r["bits"] for r in rows] == ["as-trained"] and rows[0]["body_bits"] == 8
    assert "note" not in err and "2 design points: 0 from store" in err  # main's store line, nothing re-quantized
    assert rows[0]["speedup"] is not None  # against the 16-bit reference of the same graph
    with ResultStore(tmp_path / "accelsim-sweep.db", read_only=True) as store:  # params are stored compressed
        params = [rec["params"] for rec in store.rows()]
    assert {p["bits"] for p in params} == {"as-trained", 16}
    assert (
        main(
            [
                "sweep",
                "--workload",
                str(path),
                "--bw",
                "inf",
                "--bits",
                "as-trained,4",
                "--format",
                "json",
                "--jobs",
                "1",
            ]
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert [r["bits"] for r in json.loads(out)] == ["as-trained", 4]
    assert "re-quantize" in err and "--bits as-trained" in err


def test_plan_defaults():
    plain = plan_points({"workload": "tiny", "bw": "inf"}, graphs={"tiny": tiny_graph()})
    assert plain.spec.axis("bits").values == (16, 8, 4, 2) and plain.notes == ()
    g = tiny_graph()
    g.set_precision("fc", Precision(4, 4))
    plan = plan_points({"workload": "tiny", "bw": "inf"}, graphs={"tiny": g})
    assert plan.spec.axis("bits").values == ("as-trained",) and plan.spec.names[:2] == ("workload", "bits")
    with pytest.raises(Exception, match="as-trained"):
        plan_points({"workload": "tiny", "bits": "as-trained"}, graphs={"tiny": tiny_graph()})


def test_design_point_carries_as_trained_in_its_key():
    from accelsim.errors import InputError
    from accelsim.explore.design_point import DesignPoint
    from accelsim.explore.model_hash import graph_sha256
    from accelsim.explore.point import evaluate_point
    from accelsim.explore.registry import register_graphs

    g = tiny_graph()
    g.set_precision("fc", Precision(4, 4))
    sha = graph_sha256(g)
    register_graphs({sha: g})
    p = DesignPoint(workload="tiny", workload_sha256=sha, bits="as-trained", bw_gb_per_s=64.0)
    assert json.loads(p.to_json())["bits"] == "as-trained" and DesignPoint.from_dict(json.loads(p.to_json())) == p
    assert (
        p.to_json()
        != DesignPoint(workload="tiny", workload_sha256=p.workload_sha256, bits=16, bw_gb_per_s=64.0).to_json()
    )
    with pytest.raises(InputError, match="body precision"):
        p.design()  # only the graph knows the body precision
    assert p.design(8).macs_per_cycle == 2 * p.base().macs_per_cycle
    assert p.reference().bits == 16
    assert evaluate_point(p)["body_bits_run"] == 16  # tiny's float conv layers carry most MACs, capped at 16
