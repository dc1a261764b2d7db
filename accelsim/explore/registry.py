"""Workload graphs of a sweep, by hash, in every process that evaluates its points.

The coordinator registers the graphs it planned with (objects inline, JSON for pool workers and
remote executors); a point names its graph by sha256, so a worker rebuilds exactly that graph.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

from accelsim.errors import InputError
from accelsim.explore.model_hash import graph_sha256
from accelsim.io.inputs import load_workload
from accelsim.ir.bits_spec import token_policy
from accelsim.ir.graph import LayerGraph


def load_graph(workload: LayerGraph | str, batch: int) -> LayerGraph:
    """`workload` itself when it is a graph, else the zoo network or file it names (see `load_workload`)."""
    if isinstance(workload, LayerGraph):
        return workload
    return load_workload(workload, batch=batch)


#: Graphs the coordinator handed over, by hash: LayerGraph objects (inline) or their JSON (workers).
_REGISTRY: dict[str, LayerGraph | str] = {}


def register_graphs(graphs: Mapping[str, LayerGraph | str]) -> None:
    """Make graphs (sha256 -> graph or its JSON text) available to `evaluate_point` in this process."""
    for sha, graph in graphs.items():
        _REGISTRY.setdefault(sha, graph)


@functools.lru_cache(maxsize=32)
def base_graph(workload: str, batch: int, sha: str) -> LayerGraph:
    held = _REGISTRY.get(sha)
    if isinstance(held, LayerGraph):
        graph = held
    elif isinstance(held, str):
        graph = LayerGraph.from_dict(json.loads(held))
    else:  # not handed over: load by name or path, and make sure it is the graph the key names
        graph = load_graph(workload, batch)
    if graph_sha256(graph) != sha:
        raise InputError("workload", workload, "differs from the graph this sweep was planned with (hash mismatch)")
    return graph


@functools.lru_cache(maxsize=128)
def policy_graph(workload: str, batch: int, sha: str, bits: int | str, first_last_bits: int | None) -> LayerGraph:
    return base_graph(workload, batch, sha).with_policy(token_policy(bits, first_last_bits))


def graph_texts(graphs: Mapping[str, LayerGraph]) -> dict[str, str]:
    """The sweep's graphs as compact JSON by hash: what a worker process needs to rebuild them."""
    return {sha: json.dumps(g.to_dict(), separators=(",", ":"), allow_nan=False) for sha, g in graphs.items()}


__all__ = ["base_graph", "graph_texts", "load_graph", "policy_graph", "register_graphs"]
