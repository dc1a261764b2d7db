"""The compare table's speedup row: accelsim's iso-area speedup of the exported network."""

from __future__ import annotations

import pytest

import workloads
from accelsim import sweep
from accelsim.ir.graph import Precision
from accelsim.model.fit import policy_for
from pact_train.compare import clamp_bits, simulated_speedup


@pytest.mark.parametrize("bits,bw", [(4, "64"), (2, "32"), (8, "inf")])
def test_speedup_of_a_graph_with_the_policy_bits_equals_the_sweeps(bits, bw):
    graph = workloads.load("resnet20").with_policy(policy_for(bits, 8))
    row = sweep("resnet20", bits=[16, bits], bw=[bw], first_last_bits=8, jobs=1)[1]
    assert simulated_speedup(graph, bits, bw) == pytest.approx(row.speedup, rel=1e-12)


def test_full_precision_is_the_reference_and_float_layers_run_at_16_bits():
    graph = workloads.load("resnet20")
    assert simulated_speedup(graph, None) == 1.0
    first = graph.names()[0]
    graph.set_precision(first, Precision(32, 32))
    clamped = clamp_bits(graph, 16, 16)
    assert clamped.precision(first) == Precision(16, 16)
    assert graph.precision(first) == Precision(32, 32)  # the input graph is untouched
