"""Micro-batch choice rules compared on random points (docs/model.md section 10).

`PYTHONPATH=$PWD python bench/batch_rules.py [N]` draws N points with the tests' random graphs and
designs (tests/test_sim.py), a precision, an even batch 2-16 and a bandwidth and SRAM factor in
0.05-0.95, runs every micro-batch of the batch's chain whole at the design, at less bandwidth and at
less SRAM, and prints for each rule how many points break:

* batch: per-image time, energy, off-chip bytes or energy x time rising along the chain of doublings;
* bandwidth / SRAM: time as run falling when bandwidth or SRAM shrinks (worst ratio printed; the
  engine's own bounded 2 % is not subtracted, so a fixed plan's anomaly counts too).

Rules: ``latency``, ``energy`` and ``edp`` (`accelsim.model.batching.choose` with that objective:
what `simulate` runs); ``time`` (the fastest micro-batch, ties to the larger: the rule before the
objective); ``admission`` (a doubling admitted when no costlier in energy and bytes than the last
admitted, the fastest admitted runs: the rule of commit 424a098). Derandomized: the same N gives
the same figures.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator
from accelsim.ir import LayerGraph, uniform_policy
from accelsim.model import batching
from accelsim.model.layer_plan import graph_batch
from accelsim.model.mapper import OBJECTIVES
from accelsim.model.results import SimResult
from accelsim.model.sim import simulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_sim import accels, graphs  # noqa: E402  (the tests' generators, not a package)

Rule = Callable[[Sequence[SimResult | None]], SimResult]
METRICS = ("time", "energy", "bytes", "edp")


def per_image(run: SimResult) -> tuple[float, float, float, float]:
    t, e = run.seconds_per_image, run.energy_per_image_uj
    return (t, e, run.offchip_bytes_per_image, t * e)


def fastest(runs: Sequence[SimResult | None]) -> SimResult:
    best: SimResult | None = None
    for run in runs:
        if run is not None and (best is None or run.seconds_per_image <= best.seconds_per_image):
            best = run
    assert best is not None
    return best


def admitted_fastest(runs: Sequence[SimResult | None]) -> SimResult:
    admitted: list[SimResult] = []
    for run in runs:
        if run is not None and (
            not admitted
            or (
                run.energy_per_image_uj <= admitted[-1].energy_per_image_uj
                and run.offchip_bytes_per_image <= admitted[-1].offchip_bytes_per_image
            )
        ):
            admitted.append(run)
    return fastest(admitted)


RULES: dict[str, Rule] = {
    **{objective: partial(batching.choose, objective=objective) for objective in OBJECTIVES},
    "time": fastest,
    "admission": admitted_fastest,
}


@dataclass
class Tally:
    points: int = 0
    batch_up: list[int] = field(default_factory=lambda: [0] * len(METRICS))
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
    picks = [per_image(rule(base[: j + 1])) for j in range(len(base))]
    for i in range(len(METRICS)):
        t.batch_up[i] += any(b[i] > a[i] for a, b in zip(picks, picks[1:], strict=False))
    now = rule(base).seconds_per_image
    ratio = rule(less_bw).seconds_per_image / now
    t.bw_slower += ratio < 1
    t.bw_worst = min(t.bw_worst, ratio)
    if less_sram[0] is not None:
        ratio = rule(less_sram).seconds_per_image / now
        t.sram_faster += ratio < 1
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
    tallies = main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
    print(f"{next(iter(tallies.values())).points} points; counts of points where the rule breaks each monotonicity")
    for name, t in tallies.items():
        up = "/".join(str(c) for c in t.batch_up)
        print(
            f"{name:>9}: batch: {'/'.join(METRICS)} rose at {up} | less bandwidth faster at {t.bw_slower} "
            f"(worst x{t.bw_worst:.4f}) | less SRAM faster at {t.sram_faster} (worst x{t.sram_worst:.4f})"
        )
