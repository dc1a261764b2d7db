"""Micro-batch choice rules compared on random points (docs/model.md section 10).

`PYTHONPATH=$PWD python bench/batch_rules.py [N]` draws N points with the tests' random graphs and
designs (tests/test_sim.py), a precision, an even batch 2-16 and a bandwidth and SRAM factor in
0.05-0.95, runs every micro-batch of the batch's chain whole at the design, at less bandwidth and at
less SRAM, and prints for each rule how often (and how far) it breaks:

* batch: per-image time, energy or off-chip bytes rising along the chain of doublings;
* bandwidth / SRAM: time as run falling when bandwidth or SRAM shrinks (worst ratio printed).

Rules: ``energy-first`` (`accelsim.model.batching.choose`, what `simulate` runs) and ``time`` (the
fastest micro-batch, ties to the larger: the rule it replaced). Derandomized: the same N gives the
same figures.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator
from accelsim.ir import LayerGraph, uniform_policy
from accelsim.model import batching
from accelsim.model.layer_plan import graph_batch
from accelsim.model.results import SimResult
from accelsim.model.sim import simulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_sim import accels, graphs  # noqa: E402  (the tests' generators, not a package)

Rule = Callable[[Sequence[SimResult | None]], SimResult]


def fastest(runs: Sequence[SimResult | None]) -> SimResult:
    best: SimResult | None = None
    for run in runs:
        if run is not None and (best is None or run.seconds_per_image <= best.seconds_per_image):
            best = run
    assert best is not None
    return best


RULES: dict[str, Rule] = {"energy-first": batching.choose, "time": fastest}


@dataclass
class Tally:
    points: int = 0
    batch_up: list[int] = field(default_factory=lambda: [0, 0, 0])  # time, energy, bytes
    bw_slower: int = 0
    bw_worst: float = 1.0
    sram_faster: int = 0
    sram_worst: float = 1.0


def runs_of(chain: list[LayerGraph], accel: Accelerator) -> list[SimResult | None]:
    out: list[SimResult | None] = []
    for g in chain:
        try:
            out.append(simulate(g, accel, micro_batching=False))
        except InputError:
            out.append(None)
    return out


def tally(t: Tally, rule: Rule, base: list, less_bw: list, less_sram: list) -> None:
    t.points += 1
    picks = [rule(base[: j + 1]) for j in range(len(base)) if base[0] is not None]
    for i, metric in enumerate(("seconds_per_image", "energy_per_image_uj", "offchip_bytes_per_image")):
        t.batch_up[i] += any(getattr(b, metric) > getattr(a, metric) for a, b in zip(picks, picks[1:]))
    now = rule(base).seconds_per_image
    ratio = rule(less_bw).seconds_per_image / now
    t.bw_slower += ratio < 1 - 1e-12
    t.bw_worst = min(t.bw_worst, ratio)
    if less_sram[0] is not None:
        ratio = rule(less_sram).seconds_per_image / now
        t.sram_faster += ratio < 1 - 1e-12
        t.sram_worst = min(t.sram_worst, ratio)


def main(n: int) -> dict[str, Tally]:
    tallies = {name: Tally() for name in RULES}

    @settings(max_examples=n, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(graphs(), accels, st.sampled_from([2, 4, 8, 16]), st.integers(1, 8), st.floats(0.05, 0.95))
    def point(graph: LayerGraph, accel: Accelerator, bits: int, half: int, factor: float) -> None:
        batch = 2 * half  # even: an odd batch has one micro-batch
        g = batching.rebatch(graph, graph_batch(graph), batch)
        assert g is not None
        chain = batching.chain(g.with_policy(uniform_policy(bits, None)), batch)
        base = runs_of(chain, accel)
        if base[0] is None:
            return
        less_bw = runs_of(chain, replace(accel, bw_gb_per_s=accel.bw_gb_per_s * factor))
        less_sram = runs_of(chain, replace(accel, sram_bytes=max(accel.cores, int(accel.sram_bytes * factor))))
        for name, rule in RULES.items():
            tally(tallies[name], rule, base, less_bw, less_sram)

    point()
    return tallies


if __name__ == "__main__":
    for name, t in main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500).items():
        print(
            f"{name:>12}: {t.points} points | batch: time/energy/bytes rose at "
            f"{t.batch_up[0]}/{t.batch_up[1]}/{t.batch_up[2]} | less bandwidth faster at {t.bw_slower} "
            f"(worst x{t.bw_worst:.4f}) | less SRAM faster at {t.sram_faster} (worst x{t.sram_worst:.4f})"
        )
