"""PACT Table 1 at small scale: full precision vs DoReFa vs PACT at several bit widths.

As in the paper (section 5.2, Table 1), both quantized columns use DoReFa weights; "DoReFa"
quantizes activations with DoReFa's fixed clip at 1 and "PACT" with the learned clip alpha. Every
run shares the base config (model, data, budget, seed) and differs only in its `QuantConfig`, so
the columns are a like-for-like comparison.

The table's last row joins the two halves of the product: each configuration's trained network,
exported with its per-layer bits, simulated by accelsim on the iso-area design at its body
precision and compared with the same network at 16 bits on the 16-bit base design (the paper's
section 6 baseline). A float layer (``none`` first/last bits, or the FP run) runs at the base's 16
bits: the accelerator has fixed-point MACs only. With `out_dir`, a rerun reuses every run whose
folder already holds a checkpoint of the same configuration (and finishes an interrupted one).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from accelsim.errors import InputError
from accelsim.hardware.bandwidth import bw_label, describe_bw, parse_bw
from accelsim.hardware.design import Accelerator, iso_area
from accelsim.ir.graph import LayerGraph, Precision
from accelsim.model.sim import simulate
from pact_train.data import Dataset, load_dataset
from pact_train.models import QuantConfig
from pact_train.train import CHECKPOINT, RunResult, TrainConfig, read_config, resumed_images, train

SCHEMES = ("fp", "dorefa", "pact")


@dataclass(frozen=True, slots=True)
class CompareRun:
    """One cell of the table: scheme, bits (None for full precision), final test accuracy."""

    scheme: str
    bits: int | None
    test_acc: float
    train_acc: float
    alphas: dict[str, float]
    seconds: float
    speedup: float | None = None


def simulated_speedup(
    graph: LayerGraph, bits: int | None, bw: str | float = "64", base: Accelerator | None = None
) -> float:
    """Iso-area speedup of `graph` (its own per-layer bits) at body precision `bits` over 16 bits.

    Reference: every layer at the base precision on `base` (default: accelsim's default system) at
    `bw` GB/s; candidate: the graph's per-layer bits on ``iso_area(base, bits)``. `bits=None`
    (full precision) is the reference itself: 1.0.
    """
    if bits is None:
        return 1.0
    base = replace(Accelerator() if base is None else base, bw_gb_per_s=parse_bw(bw))
    reference = graph.copy()
    for name in reference.names():
        reference.set_precision(name, Precision(base.mac_w_bits, base.mac_a_bits))
    t_ref = simulate(reference, base).seconds_per_image
    t_bits = simulate(graph.capped(base.mac_w_bits, base.mac_a_bits), iso_area(base, bits)).seconds_per_image
    return t_ref / t_bits


def quant_for(scheme: str, bits: int | None, base: QuantConfig) -> QuantConfig:
    """The QuantConfig of a table column; first/last-layer bits and alpha settings come from `base`."""
    if scheme == "fp":
        return QuantConfig(act_quant="none", weight_quant="none", bits=None)
    act = {"dorefa": "dorefa", "pact": "pact"}[scheme]
    return replace(base, act_quant=act, weight_quant="dorefa", bits=bits)


def table_cells(bits: Sequence[int]) -> list[tuple[str, int | None]]:
    """The (scheme, bits) runs of a comparison, in Table 1's column order: FP, DoReFa..., PACT..."""
    return [("fp", None)] + [(s, b) for s in ("dorefa", "pact") for b in bits]


def _resume(run_dir: Path | None, config: TrainConfig) -> bool:
    """Whether `run_dir` holds a checkpoint of `config` to continue (True) or nothing yet (False)."""
    if run_dir is None or not (run_dir / CHECKPOINT).is_file():
        return False
    stored = read_config(run_dir, "out")  # a damaged or non-UTF-8 config.json is one InputError
    if stored != config:
        raise InputError("out", str(run_dir), "holds a run of another configuration; use a new --out folder")
    return True


def compare(
    base: TrainConfig,
    bits: Sequence[int] = (2, 3, 4, 5),
    *,
    out_dir: str | Path | None = None,
    data: Dataset | None = None,
    bw: str | float | None = "64",
    on_run: Callable[[str, int | None], None] | None = None,
    on_batch: Callable[[int, float], None] | None = None,
) -> list[CompareRun]:
    """Train FP once and DoReFa/PACT at each of `bits`; simulate each network's iso-area speedup.

    With `out_dir`, each run keeps its run folder and a rerun reuses (or finishes) them. `bw` is
    the external bandwidth of the simulated system (GB/s or "inf"); None skips the simulation.
    """
    if data is None:
        data = load_dataset(base.dataset, base.data_dir)
    data = data.subset(base.train_limit, base.test_limit)
    cells = table_cells(bits)
    results = []
    simulated: dict[tuple[object, ...], float] = {}

    def _speedup(graph: LayerGraph, b: int | None, bw: str | float) -> float:
        # the DoReFa and PACT networks of one bit width have the same layers and bits: simulate once
        key = (b, *(graph.precision(n) for n in graph.names()))
        if key not in simulated:
            simulated[key] = simulated_speedup(graph, b, bw)
        return simulated[key]

    for scheme, b in cells:
        if on_run is not None:
            on_run(scheme, b)
        config = replace(base, quant=quant_for(scheme, b, base.quant))
        run_dir = None if out_dir is None else Path(out_dir) / (scheme if b is None else f"{scheme}{b}")
        resume = _resume(run_dir, config)
        if resume and on_batch is not None and run_dir is not None:  # progress: count what the checkpoint holds
            n = len(data.y_train)
            on_batch(min(resumed_images(run_dir, config, n), config.epochs * n), math.nan)
        r: RunResult = train(config, run_dir, resume=resume, data=data, on_batch=on_batch)
        last = r.history[-1] if r.history else {}
        alphas = {k[len("alpha:") :]: v for k, v in last.items() if k.startswith("alpha:")}
        speedup = None if bw is None else _speedup(r.model.to_graph(1), b, bw)
        results.append(
            CompareRun(
                scheme,
                b,
                r.test_acc,
                float(last.get("train_acc", math.nan)),
                alphas,
                sum(h["seconds"] for h in r.history),
                speedup,
            )
        )
    return results


def _fmt(v: float | None, spec: str = ".3f", suffix: str = "") -> str:
    return "-" if v is None or math.isnan(v) else f"{v:{spec}}{suffix}"


def format_table(results: Sequence[CompareRun], network: str, bw: str | float | None = None) -> str:
    """A Markdown table shaped like PACT Table 1 (top-1 accuracy as a fraction).

    With `bw`, a second row gives each column's simulated iso-area speedup at `bw` GB/s.
    """
    bits = sorted({r.bits for r in results if r.bits is not None})
    cols = table_cells(bits)
    by_cell = {(r.scheme, r.bits): r for r in results}

    def pick(key: tuple[str, int | None], attr: str) -> float | None:
        run = by_cell.get(key)
        return None if run is None else getattr(run, attr)

    head = ["Network", "FullPrec"] + [f"DoReFa {b}b" for b in bits] + [f"PACT {b}b" for b in bits]
    rows = [[network] + [_fmt(pick(c, "test_acc")) for c in cols]]
    if bw is not None:
        label = f"iso-area speedup, {describe_bw(bw_label(bw))}"
        rows.append([label] + [_fmt(pick(c, "speedup"), ".2f", "x") for c in cols])
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def results_csv(results: Sequence[CompareRun]) -> str:
    """Machine-readable rows: scheme,bits,test_acc,train_acc,seconds,sim_speedup (empty when absent)."""
    lines = ["scheme,bits,test_acc,train_acc,seconds,sim_speedup"]
    for r in results:
        speedup = "" if r.speedup is None else f"{r.speedup:.4f}"
        lines.append(
            f"{r.scheme},{'' if r.bits is None else r.bits},{r.test_acc:.6f},{r.train_acc:.6f},"
            f"{r.seconds:.2f},{speedup}"
        )
    return "\n".join(lines) + "\n"


__all__ = ["CompareRun", "SCHEMES", "compare", "format_table", "quant_for", "results_csv", "simulated_speedup"]
