"""docs/model.md's worked examples, recomputed from the model: each number the document states is
produced here by the code it describes, so the document cannot drift from the model."""

from __future__ import annotations

from pathlib import Path

import pytest

import workloads
from accelsim.explore.sweep import sweep
from accelsim.hardware.design import Accelerator, iso_area
from accelsim.ir import Dense, LayerGraph
from accelsim.model import mapping, traffic
from accelsim.model.fit import fit_report, policy_for
from accelsim.model.layer_plan import plan
from accelsim.model.mapper import MapperConfig
from accelsim.model.memory import plan_memory
from accelsim.model.sim import simulate

DOC = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text(encoding="utf-8")


def _in_doc(text: str) -> None:
    assert text in DOC, f"docs/model.md does not state {text!r}"


def test_fit_table_of_section_6():
    base = Accelerator()
    rows, _ = fit_report(workloads.load("resnet50"), base, [16, 8, 4, 2], 8, design_for=lambda b: iso_area(base, b))
    for r in rows:
        _in_doc(
            f"| {r.weight_bytes / 1e6:.3f} | {r.pinned_weight_bytes / 1e6:.3f} | {r.streamed_weight_bytes / 1e6:.3f} "
            f"| {r.pinned_per_core_bytes / 1e6:.3f} | {r.peak_live_per_core_bytes / 1e6:.3f} |"
        )


def test_k_split_examples_of_section_7():
    a, b, out = traffic.Operand(6400, 16), traffic.Operand(6400, 16), traffic.Operand(4096, 16)
    gemm = mapping.GemmView(64, 64, 100)
    os_fp = traffic.footprint(gemm, mapping.Split(), Accelerator(cores=1), a, b, 16)
    panel = traffic.os_panel_bits(os_fp, "b", 64) // 8
    _in_doc(f"OS with {panel:,} B")
    _in_doc(f"read once: {traffic.gemm_traffic(os_fp, a, b, out, panel * 8).read_bits // 8:,} B")
    low = os_fp.k_split_min_bits // 8
    _in_doc(
        f"at the {low:,} B minimum both stream per "
        f"fold:\n{traffic.gemm_traffic(os_fp, a, b, out, low * 8).read_bits // 8:,} B"
    )
    ws_fp = traffic.footprint(gemm, mapping.Split(), Accelerator(cores=1, dataflow="ws"), a, b, 16)
    room = traffic.ksplit_tile_bits(ws_fp, 64, 32)
    _in_doc(
        f"= {room:,} bits = {room // 8:,} B and reads A twice, B once: "
        f"{traffic.gemm_traffic(ws_fp, a, b, out, room).read_bits // 8:,} B"
    )
    gnmt = LayerGraph("gnmt", metadata={"batch": 1})
    gnmt.add(Dense(name="gnmt", in_shape=(1632, 36548), out_features=1024, bias=False))
    layer = simulate(gnmt, Accelerator()).layers[0]
    _in_doc(f"8 x 119,292,672 + 74,850,304 = {int(layer.read_bytes):,} B")
    ws = simulate(gnmt, Accelerator(dataflow="ws")).layers[0]
    _in_doc(f"{int(ws.read_bytes):,} B read; output {int(ws.write_bytes):,} B written")
    _in_doc(f"chunks: {plan_memory(gnmt, Accelerator(dataflow='ws')).layers[0].want_bits // 8:,} B)")
    vgg = plan(workloads.load("vgg16", batch=8), Accelerator())
    fc6 = next(lp for lp in vgg.layers if lp.name == "fc6")
    _in_doc(f"25088 x 4096 x 2 = {fc6.traffic.read_bits // 8:,} B per batch of 8")
    want = next(lm for lm in vgg.residency.layers if lm.name == "fc6").want_bits // 8
    _in_doc(f"together they need {want:,} B")


def test_network_example_of_section_8():
    g = LayerGraph("two", metadata={"batch": 1})
    g.add(Dense(name="a", in_shape=(64, 100), out_features=64, bias=False))
    g.add(Dense(name="b", in_shape=(64, 64), out_features=32, bias=False), ["a"])
    r = simulate(g, Accelerator())
    _in_doc(f"{int(r.noc_bytes):,} B, {r.noc_energy_uj:.6f} uJ at 0.1 pJ/bit")
    slow = simulate(g, Accelerator(noc_gb_per_s=1.5)).layers[1]
    _in_doc(f"b's {int(slow.noc_bytes):,} network bytes stretch it to {int(slow.cycles):,} cycles")


@pytest.mark.parametrize("bits", [16, 4])
@pytest.mark.parametrize("objective", ["latency", "energy"])
def test_batch_table_of_section_10(bits, objective):
    accel = iso_area(Accelerator(), bits)
    for batch in (1, 2, 4, 8):
        g = workloads.load("resnet50", batch=batch).with_policy(policy_for(bits, 8))
        r = simulate(g, accel, mapper=MapperConfig("fixed", objective))
        runs = f"{batch // r.micro_batch} x {r.micro_batch}" if r.micro_batch else f"{batch}"
        _in_doc(
            f"| {bits} | {batch} | {r.seconds_per_image * 1e3:.4f} | {r.offchip_bytes_per_image / 1e6:.2f} "
            f"| {r.energy_per_image_uj:.1f} | {runs} | {r.pinned_weight_bytes / 1e6:.2f} |"
        )


def test_sweep_figures_of_section_14():
    rows = {(r.bits, r.bw): r for r in sweep("resnet50", bits=[16, 4], bw=["32", "64"])}
    _in_doc(f"16 bits: 1.886 -> {rows[(16, '64')].seconds_per_image * 1e3:.3f} ms at 64 GB/s")
    _in_doc(f"4 bits: 0.4285 -> {rows[(4, '64')].seconds_per_image * 1e3:.4f} ms")
    _in_doc(f"speedup goes from 4.40x to {rows[(4, '64')].speedup:.2f}x")
    _in_doc(f"at 32 GB/s from 5.68x to {rows[(4, '32')].speedup:.2f}x")
    _in_doc(f"traffic 51.3 -> {rows[(16, '64')].offchip_mb:.1f} MB per")


def test_ablation_switch_numbers_of_section_6():
    """The pooled-SRAM paragraph's ResNet-50 4-bit pinned weights, per core and pooled."""
    from dataclasses import replace

    g = workloads.load("resnet50").with_policy(policy_for(4, 8))
    design = iso_area(Accelerator(), 4)
    per_core = plan_memory(g, design).pinned_weight_bits / 8e6
    pooled = plan_memory(g, replace(design, pooled_sram=True)).pinned_weight_bits / 8e6
    _in_doc(f"pins all {pooled:.3f} MB of its weights (16 x 1 MB per core: {per_core:.3f} MB)")
