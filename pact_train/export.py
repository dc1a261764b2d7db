"""Export a trained run as an accelsim `LayerGraph`: layers, per-layer bits, alphas, accuracy.

Per layer: ``w_bits`` are the bits of its weights and ``a_bits`` the bits of the activations it
reads (32 = float). The first conv reads the image at `first_bits`; the last dense layer has
`last_bits` weights and reads activations quantized to `last_bits`. ``metadata["alphas"]`` maps
each layer whose output goes through a clipping activation to its clipping level (learned for
PACT, 1 for DoReFa, the running maximum for ReLU-max).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pact_train.train import LOG, load_run, read_log

FORMAT_NOTES = [
    "w_bits: bits of the layer's weights; a_bits: bits of the activations it reads; 32 = float32",
    "max-pool after a monotone activation is recorded after it (the trainer pools first: same function)",
    "a residual Add is recorded at the block's activation bits (the pre-add conv output is taken to be "
    "summed in the conv's epilogue, never stored)",
]


def graph_for_run(run_dir: str | os.PathLike[str], batch: int = 1) -> Any:
    """The trained network of `run_dir` as a LayerGraph with metadata (accuracy, alphas, data set)."""
    config, model, info, data = load_run(run_dir)
    q = config.quant
    tag = "fp" if not q.quantized else f"{q.act_quant}-a{q.bits or 32}-w{q.weight_quant}"
    g = model.to_graph(batch, name=f"{model.arch}-{config.dataset}-{tag}")
    rows = read_log(Path(run_dir) / LOG)
    g.metadata.update(
        {
            "producer": "pact_train",
            "model": model.arch,
            "input_shape_nhwc": list(model.in_shape),
            "dataset": {
                "name": data.name,
                "source": data.source,
                "license": data.license,
                "train_images": int(len(data.y_train)),
                "test_images": int(len(data.y_test)),
            },
            "quant": q.to_dict(),
            "alpha_meaning": {
                "pact": "learned clipping level (PACT)",
                "dorefa": "fixed clip at 1 (DoReFa)",
                "relu-max": "running maximum (ReLU quantized without clipping)",
                "none": "no clipping (float ReLU)",
            }[q.act_quant],
            "epochs_trained": info["epoch"],
            "test_accuracy": info["test_acc"],
            "train_accuracy": rows[-1]["train_acc"] if rows else None,
            "seed": config.seed,
            "notes": FORMAT_NOTES,
        }
    )
    g.metadata.setdefault("alphas", {})
    return g


def export_run(run_dir: str | os.PathLike[str], out: str | os.PathLike[str], batch: int = 1) -> Any:
    """Write `run_dir`'s graph to `out` (JSON, atomically) and return it."""
    g = graph_for_run(run_dir, batch)
    g.save(out)
    return g


__all__ = ["export_run", "graph_for_run"]
