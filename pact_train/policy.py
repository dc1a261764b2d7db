"""Train a network with per-layer bits: the precision policy of an accelsim layer graph.

The policy format is accelsim's own: a LayerGraph JSON whose layers carry ``w_bits`` (the layer's
weights) and ``a_bits`` (the activations it reads), read with `LayerGraph.load` -- the file
`pact-train export` writes and accelsim reads and writes. So a precision picked in a design-space
study can be trained, measured, exported and simulated again with the same names.

Mapping onto the trainer: each weight layer's ``w_bits`` sets its weight quantizer (32 = float);
each activation gets the ``a_bits`` of the weight layers that read its output (through pools and
flattens; they must agree, since they read one tensor); the first layer's ``a_bits`` are the
image's bits. Non-weight layers (pools, adds, flatten) follow from these and are not read.
"""

from __future__ import annotations

import os
from typing import Any

from accelsim.errors import InputError
from accelsim.ir import Flatten, LayerGraph, Pool
from pact_train import layers as L
from pact_train.models import FP_BITS, Net
from pact_train.quant import WeightQuantizer, check_bits

LayerBits = dict[str, list[int]]


def read_layer_bits(path: str | os.PathLike[str]) -> LayerBits:
    """``{layer: [w_bits, a_bits]}`` of every weight layer of an accelsim LayerGraph JSON."""
    try:
        graph = LayerGraph.load(path)
    except InputError as exc:
        if exc.field == "workload":  # LayerGraph.load's name for the file it reads
            raise InputError("bits_per_layer", str(path), exc.rule) from None
        raise
    return {
        layer.name: [graph.precision(layer.name).w_bits, graph.precision(layer.name).a_bits]
        for layer in graph.layers()
        if layer.has_weights
    }


def _bits(value: int) -> int | None:
    return None if value >= FP_BITS else value


def _readers(graph: LayerGraph, node: str) -> list[str]:
    """Weight layers reading `node`'s output, looking through pools and flattens (not adds)."""
    out, todo = [], list(graph.consumers_of(node))
    while todo:
        name = todo.pop()
        layer = graph.layer(name)
        if layer.has_weights:
            out.append(name)
        elif isinstance(layer, (Pool, Flatten)):
            todo += graph.consumers_of(name)
    return sorted(out)


def apply_layer_bits(net: Net, layer_bits: LayerBits) -> None:
    """Set every weight quantizer and activation of `net` to the per-layer bits (in place)."""
    graph = net.to_graph()
    weight_nodes = {node: mod for name, unit in net.units() for node, mod in unit.weight_nodes(name)}
    unknown = sorted(set(layer_bits) - set(weight_nodes))
    if unknown:
        raise InputError(
            "bits_per_layer", unknown[0], f"is not a weight layer of {net.arch} (layers: {', '.join(weight_nodes)})"
        )
    missing = [n for n in weight_nodes if n not in layer_bits]
    if missing:
        raise InputError(
            "bits_per_layer", missing[0], "has no bits in the policy (every weight layer needs w_bits, a_bits)"
        )
    scheme = net.q.weight_quant
    for node, mod in weight_nodes.items():
        w_bits = _bits(layer_bits[node][0])
        if w_bits is not None and scheme == "none":
            raise InputError(f"bits_per_layer.{node}.w_bits", w_bits, "needs a weight quantizer (--weight-quant)")
        mod.wq = WeightQuantizer(scheme, w_bits)
    for name, unit in net.units():
        for node, act in unit.activation_nodes(name):
            readers = _readers(graph, node)
            wanted = {_bits(layer_bits[r][1]) for r in readers}
            if len(wanted) > 1:
                raise InputError(
                    "bits_per_layer", ", ".join(readers), "read one activation, so their a_bits must match"
                )
            if wanted:
                _set_act_bits(act, wanted.pop(), node)
    first = next(iter(weight_nodes))
    net.input.bits = check_bits(f"bits_per_layer.{first}.a_bits", _bits(layer_bits[first][1]))


def _set_act_bits(act: L.Activation, bits: int | None, node: str) -> None:
    if isinstance(act, L.ReLU) and bits is not None:
        raise InputError(
            f"bits_per_layer.{node}.a_bits",
            bits,
            "would quantize a float ReLU; use --act-quant pact, dorefa or relu-max",
        )
    act.bits = check_bits(f"bits_per_layer.{node}.a_bits", bits)


def layer_bits_of(net: Net) -> dict[str, Any]:
    """The per-layer bits `net` trains with, as written to its graph (for tests and reports)."""
    g = net.to_graph()
    return {
        layer.name: [g.precision(layer.name).w_bits, g.precision(layer.name).a_bits]
        for layer in g.layers()
        if layer.has_weights
    }


__all__ = ["LayerBits", "apply_layer_bits", "layer_bits_of", "read_layer_bits"]
