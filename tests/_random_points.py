"""Deterministic random design points for the engine's monotonicity census and its bound test.

The same distribution as `tests.test_sim.graphs` and `tests.test_engine.engine_accels` (small chains
of convs, pools and residual blocks, then flatten + fc; 1-4 cores of 1x1 to 8x8 arrays with
4,000-80,000 B of SRAM per core), drawn from `random.Random(seed)` so that a sample is the same on
every machine and a test over it is a fixed set of points (imported as `_random_points`, or as
`tests._random_points` from bench/).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from accelsim.hardware.design import Accelerator
from accelsim.ir import Add, Conv2d, Dense, Flatten, LayerGraph, Pool, uniform_policy


def build_random_graph(integer: Callable[[int, int], int], choice: Callable[[Sequence[Any]], Any]) -> LayerGraph:
    """A chain of convs (plain, 3x3, grouped/depthwise), pools and residual blocks, then flatten + fc.

    `integer(lo, hi)` (inclusive) and `choice(options)` are the source of randomness, so the same
    distribution serves `random.Random` here and a Hypothesis `draw` in `tests.test_sim.graphs`."""
    g = LayerGraph("random")
    side = integer(2, 40)
    shape = (integer(1, 3), integer(1, 32), side, side)
    prev: str | None = None
    for i in range(integer(1, 5)):
        kind = choice(["conv", "conv", "pool", "res"])
        if kind == "pool" and shape[2] >= 2:
            layer = Pool(name=f"pool{i}", in_shape=shape)
        elif kind == "res" and prev is not None:
            body = Conv2d(name=f"body{i}", in_shape=shape, out_channels=shape[1], kernel=(1, 1))
            g.add(body, [prev])
            layer = Add(name=f"add{i}", shape=shape)
            g.add(layer, [prev, body.name])
            prev = layer.name
            continue
        else:
            k = choice([1, 3])
            groups = choice([1, shape[1]])
            out = integer(1, 128) if groups == 1 else groups * integer(1, 2)
            layer = Conv2d(
                name=f"conv{i}",
                in_shape=shape,
                out_channels=out,
                kernel=(k, k),
                padding=(k // 2, k // 2),
                groups=groups,
            )
        g.add(layer, [prev] if prev else [])
        prev, shape = layer.name, layer.out_shape
    g.add(Flatten(name="flat", in_shape=shape), [prev])
    g.add(Dense(name="fc", in_shape=(shape[0], shape[1] * shape[2] * shape[3]), out_features=integer(1, 20)), ["flat"])
    return g


def random_graph(rng: random.Random) -> LayerGraph:
    """`build_random_graph` drawn from `rng`."""
    return build_random_graph(rng.randint, rng.choice)


def random_accel(rng: random.Random, *, sram_per_core: bool = True) -> Accelerator:
    """1-4 cores, 4,000-80,000 B of SRAM per core (or in all: `sram_per_core` False, as
    `tests.test_sim.accels` draws it), 0.5-64 GB/s, any dataflow and MAC build, lookahead 0-3."""
    cores = rng.randint(1, 4)
    sram = rng.randint(4_000, 80_000)
    return Accelerator(
        cores=cores,
        rows=rng.randint(1, 8),
        cols=rng.randint(1, 8),
        lanes=rng.randint(1, 2),
        sram_bytes=sram * cores if sram_per_core else sram,
        bw_gb_per_s=rng.choice([0.5, 2.0, 8.0, 64.0]),
        dataflow=rng.choice(["os", "ws", "is"]),
        mac_w_bits=rng.choice([2, 4, 8, 16]),
        mac_a_bits=rng.choice([2, 4, 8, 16]),
        mac_mode=rng.choice(["configurable", "dedicated"]),
        prefetch_layers=rng.randint(0, 3),
    )


@dataclass(frozen=True)
class Point:
    """One sampled point: a graph at `bits`, a design, and the factors (0.05-0.95) its bandwidth and SRAM shrink by."""

    index: int
    graph: LayerGraph
    accel: Accelerator
    bits: int
    bw_factor: float
    sram_factor: float


def random_points(n: int, seed: int = 0, *, sram_per_core: bool = True) -> list[Point]:
    """`n` points, the same for the same `seed` on every machine."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        graph = random_graph(rng)
        accel = random_accel(rng, sram_per_core=sram_per_core)
        bits = rng.choice([2, 4, 8, 16])
        out.append(
            Point(
                i,
                graph.with_policy(uniform_policy(bits, None)),
                accel,
                bits,
                rng.uniform(0.05, 0.95),
                rng.uniform(0.05, 0.95),
            )
        )
    return out
