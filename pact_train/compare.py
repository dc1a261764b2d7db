"""PACT Table 1 at small scale: full precision vs DoReFa vs PACT at several bit widths.

As in the paper (section 5.2, Table 1), both quantized columns use DoReFa weights; "DoReFa"
quantizes activations with DoReFa's fixed clip at 1 and "PACT" with the learned clip alpha. Every
run shares the base config (model, data, budget, seed) and differs only in its `QuantConfig`, so
the columns are a like-for-like comparison. The table's speedup column belongs to the simulator
and is not produced here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pact_train.data import Dataset, load_dataset
from pact_train.models import QuantConfig
from pact_train.train import RunResult, TrainConfig, train

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


def quant_for(scheme: str, bits: int | None, base: QuantConfig) -> QuantConfig:
    """The QuantConfig of a table column; first/last-layer bits and alpha settings come from `base`."""
    if scheme == "fp":
        return QuantConfig(act_quant="none", weight_quant="none", bits=None)
    act = {"dorefa": "dorefa", "pact": "pact"}[scheme]
    return replace(base, act_quant=act, weight_quant="dorefa", bits=bits)


def compare(
    base: TrainConfig,
    bits: Sequence[int] = (2, 3, 4, 5),
    *,
    out_dir: str | Path | None = None,
    data: Dataset | None = None,
    on_run: Callable[[str, int | None], None] | None = None,
    on_batch: Callable[[int, float], None] | None = None,
) -> list[CompareRun]:
    """Train FP once and DoReFa/PACT at each of `bits`; with `out_dir`, each run keeps its run folder."""
    if data is None:
        data = load_dataset(base.dataset, base.data_dir)
    cells: list[tuple[str, int | None]] = [("fp", None)] + [(s, b) for s in ("dorefa", "pact") for b in bits]
    results = []
    for scheme, b in cells:
        if on_run is not None:
            on_run(scheme, b)
        config = replace(base, quant=quant_for(scheme, b, base.quant))
        run_dir = None if out_dir is None else Path(out_dir) / (scheme if b is None else f"{scheme}{b}")
        r: RunResult = train(config, run_dir, data=data, on_batch=on_batch)
        last = r.history[-1] if r.history else {}
        alphas = {k[len("alpha:"):]: v for k, v in last.items() if k.startswith("alpha:")}
        results.append(CompareRun(scheme, b, r.test_acc, float(last.get("train_acc", math.nan)), alphas,
                                  sum(h["seconds"] for h in r.history)))
    return results


def format_table(results: Sequence[CompareRun], network: str) -> str:
    """A Markdown table shaped like PACT Table 1 (top-1 accuracy as a fraction)."""
    bits = sorted({r.bits for r in results if r.bits is not None})
    cell = {(r.scheme, r.bits): r.test_acc for r in results}

    def fmt(v: float | None) -> str:
        return "-" if v is None or math.isnan(v) else f"{v:.3f}"

    head = ["Network", "FullPrec"] + [f"DoReFa {b}b" for b in bits] + [f"PACT {b}b" for b in bits]
    row = [network, fmt(cell.get(("fp", None)))]
    row += [fmt(cell.get(("dorefa", b))) for b in bits] + [fmt(cell.get(("pact", b))) for b in bits]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|", "| " + " | ".join(row) + " |"]
    return "\n".join(lines)


def results_csv(results: Sequence[CompareRun]) -> str:
    """Machine-readable rows: scheme,bits,test_acc,train_acc,seconds (bits empty for FP)."""
    lines = ["scheme,bits,test_acc,train_acc,seconds"]
    for r in results:
        lines.append(f"{r.scheme},{'' if r.bits is None else r.bits},{r.test_acc:.6f},{r.train_acc:.6f},{r.seconds:.2f}")
    return "\n".join(lines) + "\n"


__all__ = ["CompareRun", "SCHEMES", "compare", "format_table", "quant_for", "results_csv"]
