"""LLM steps in the simulator: KV cache residency and traffic, vector-unit cycles, decode roofline."""

from __future__ import annotations

import math
from functools import cache

import pytest

import workloads
from accelsim.hardware.design import Accelerator, iso_area
from accelsim.ir.bits_spec import parse_bits_token
from accelsim.model.kv_cache import kv_append_bits, kv_cache_bits, kv_read_bits
from accelsim.model.llm_metrics import llm_step
from accelsim.model.sim import simulate


@cache
def step(model: str, phase: str, token: str = "16", bw: float = 64.0):
    spec = parse_bits_token(token)
    graph = workloads.load(model, phase=phase).with_policy(spec.policy(None))
    design = iso_area(Accelerator(bw_gb_per_s=bw), spec.w_bits, a_bits=spec.a_bits)
    result = simulate(graph, design)
    return graph, result, llm_step(graph, result)


def test_llama2_decode_is_memory_bound_and_meets_bytes_over_bandwidth() -> None:
    """Batch 1, 16 bits, ctx 2048 on the default 64 GB/s system: 13.21 GB of weights + 1.07 GB of KV per token."""
    graph, result, s = step("llama2_7b", "decode,ctx=2048")
    assert graph.weight_bytes() == 13_214_154_752
    # the memory plan pins what fits of the weights (at most the 16 MB chip); the rest streams
    assert 0 <= s.pinned_weight_bytes <= 16e6 and s.weight_bytes == graph.weight_bytes() - s.pinned_weight_bytes
    assert s.kv_bytes == 2048 * 524_288 + 64 * 4096 * 2  # cached + appended keys and values
    assert not s.weights_on_chip and not s.kv_on_chip
    assert result.compute_cycles < 0.25 * result.cycles  # memory-bound
    bound = 64e9 * result.accelerator.dram_efficiency / (s.weight_bytes + s.kv_bytes)
    assert s.roofline_tokens_per_s == pytest.approx(bound)
    # within the explained overhead: a few % extra bytes plus per-layer barriers, never faster than the bound
    assert 0.9 < s.roofline_ratio <= 1.0
    assert 0 <= s.other_bytes < 0.03 * (s.weight_bytes + s.kv_bytes)


def test_kv_cache_writes_only_the_appended_rows() -> None:
    graph, result, _ = step("llama2_7b", "decode,ctx=2048")
    kv = {layer.name: layer for layer in result.layers if layer.kind == "KVCache"}
    assert len(kv) == 64
    assert sum(layer.write_bytes for layer in kv.values()) * 8 == kv_append_bits(graph)
    # the attention MatMuls stream the cached keys/values in
    scores = next(layer for layer in result.layers if layer.name == "layers.0.attn.scores")
    assert scores.read_bytes >= graph.layer("layers.0.attn.k_cache").cached_elems * 2


def test_small_kv_cache_stays_on_chip_and_costs_no_traffic() -> None:
    """GPT-2 at ctx 128: the 16-bit cache is 2 x 12 x 768 x 129 x 2 B = 4.76 MB, inside 16 MB."""
    graph, result, s = step("gpt2", "decode,ctx=128")
    assert kv_cache_bits(graph) / 8 == 2 * 12 * 768 * 129 * 2
    assert s.kv_on_chip and s.kv_bytes == 0
    assert all(layer.write_bytes == 0 for layer in result.layers if layer.kind == "KVCache")
    # a longer context no longer fits: streamed, read back every step
    graph, _, long = step("gpt2", "decode,ctx=1000")
    assert not long.kv_on_chip and long.kv_bytes * 8 == kv_read_bits(graph) + kv_append_bits(graph)


def test_weight_only_bits_cut_bytes_not_macs() -> None:
    _, r16, s16 = step("llama2_7b", "decode,ctx=512")
    _, r4, s4 = step("llama2_7b", "decode,ctx=512", "w4a16")
    assert r4.accelerator.macs_per_cycle == r16.accelerator.macs_per_cycle
    assert s4.kv_bytes == s16.kv_bytes
    assert s4.weight_bytes + s4.pinned_weight_bytes == (s16.weight_bytes + s16.pinned_weight_bytes) / 4
    ratio = (s16.weight_bytes + s16.kv_bytes) / (s4.weight_bytes + s4.kv_bytes)
    assert 0.85 * ratio < s4.tokens_per_s / s16.tokens_per_s <= ratio * 1.01


def test_vector_layers_take_cycles_and_pointwise_ones_hide_under_gemms() -> None:
    _, result, _ = step("gpt2", "prefill,prompt=128")
    by = {layer.name: layer for layer in result.layers}
    assert by["layers.0.attn.softmax"].compute_cycles > 0  # a row reduction: exposed
    assert by["layers.0.input_norm"].compute_cycles > 0
    assert by["layers.0.mlp.act"].compute_cycles == 0  # GELU behind fc1's output stage


def test_prefill_reports_time_to_first_token() -> None:
    _, result, s = step("gpt2", "prefill,prompt=128")
    assert s.ttft_s == pytest.approx(result.cycles / result.accelerator.clock_hz)
    assert s.tokens_per_s == pytest.approx(128 / s.ttft_s)
    _, _, d = step("gpt2", "decode,ctx=128")
    assert d.ttft_s is None and d.tokens == 1


def test_more_vector_lanes_never_slow_a_step() -> None:
    graph = workloads.load("gpt2", phase="prefill,prompt=64")
    narrow = simulate(graph, Accelerator(vector_lanes=4, bw_gb_per_s=math.inf))
    wide = simulate(graph, Accelerator(vector_lanes=64, bw_gb_per_s=math.inf))
    assert wide.cycles < narrow.cycles
    assert (
        simulate(graph, Accelerator(bw_gb_per_s=math.inf)).cycles
        == simulate(graph, Accelerator(vector_lanes=32, bw_gb_per_s=math.inf)).cycles
    )


def test_cli_run_takes_bit_tokens_and_reports_llm_totals(capsys) -> None:
    import json

    from accelsim.cli import main

    argv = [
        "run",
        "--workload",
        "gpt2:decode,ctx=64",
        "--bits",
        "w4a16",
        "--first-last-bits",
        "none",
        "--format",
        "json",
    ]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["accelerator"]["mac_bits"] == "4x16"  # the config vocabulary: weight x activation bits
    totals = data["totals"]
    assert totals["phase"] == "decode" and totals["ctx"] == 64 and totals["tokens_per_s"] > 0
    streamed_and_pinned = totals["weight_bytes"] + data["totals"]["pinned_weights_mb"] * 1e6
    assert streamed_and_pinned == pytest.approx(workloads.load("gpt2").total_weights() * 4 / 8)
    assert main(["run", "--workload", "gpt2", "--bits", "w4x16"]) == 2
    assert "bits='w4x16'" in capsys.readouterr().err


def test_sweep_takes_bit_tokens_and_context_axis(capsys) -> None:
    import json

    from accelsim.cli import main

    argv = [
        "sweep",
        "--workload",
        "gpt2",
        "--ctx",
        "32,64",
        "--bits",
        "16,w4a16",
        "--bw",
        "64",
        "--no-store",
        "-q",
        "--jobs",
        "1",
        "--format",
        "json",
    ]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["workload"], r["bits"]) for r in rows] == [
        ("gpt2:decode,ctx=32", 16),
        ("gpt2:decode,ctx=32", "w4a16"),
        ("gpt2:decode,ctx=64", 16),
        ("gpt2:decode,ctx=64", "w4a16"),
    ]
    w4 = [r for r in rows if r["bits"] == "w4a16"]
    assert all(r["macs_per_cycle"] == 2048 and r["speedup"] > 2 for r in w4)  # weight-only: same MACs, fewer bytes
    assert all(r["tokens_per_s"] == pytest.approx(1 / r["seconds_per_image"]) and r["kv_on_chip"] for r in rows)
    # the phase's own commas survive the workload axis' comma list
    assert (
        main(
            [
                "sweep",
                "--workload",
                "gpt2:decode,ctx=32,gpt2:decode,ctx=64",
                "--bits",
                "16",
                "--bw",
                "64",
                "--no-store",
                "-q",
                "--jobs",
                "1",
                "--format",
                "json",
            ]
        )
        == 0
    )
    assert [r["workload"] for r in json.loads(capsys.readouterr().out)] == ["gpt2:decode,ctx=32", "gpt2:decode,ctx=64"]


def test_kv_cache_on_chip_takes_pin_room_before_weights() -> None:
    """The memory plan keeps an equal share of the whole cache on every core, within its SRAM."""
    from accelsim.model.layer_plan import plan

    graph = workloads.load("gpt2", phase="decode,ctx=128")
    mem = plan(graph, Accelerator()).residency
    assert mem.kv_share_bits == -(-kv_cache_bits(graph) // 4) > 0
    assert all(bits <= mem.capacity_bits for row in mem.occupancy for bits in row)
    assert not any(t.kv_cache for t in mem.liveness.tensors if t.name in mem.spilled)  # state, not a spilled activation
    long = plan(workloads.load("gpt2", phase="decode,ctx=1000"), Accelerator()).residency
    assert long.kv_share_bits == 0 and not long.resident["layers.0.attn.k_cache"]
