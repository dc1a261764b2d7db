"""Turn a user's `--workload` string into a `LayerGraph`: a zoo name or a LayerGraph JSON file.

The CLI and the sweep both call this one function, so every command accepts the same inputs.
"""

from __future__ import annotations

from pathlib import Path

import workloads
from accelsim.errors import InputError
from accelsim.inputfiles import check_regular_file, load_json_file
from accelsim.io.onnx_import import import_onnx
from accelsim.io.scalesim import read_topology
from accelsim.ir.checks import check_batch
from accelsim.ir.graph import LayerGraph


def load_workload(spec: str, batch: int = 1) -> LayerGraph:
    """A zoo network by name (`resnet50`), a LayerGraph JSON file (`model.json`), a SCALE-Sim
    topology (`net.csv`), an ONNX model (`model.onnx`), or a decoder LLM phase: a zoo LLM or a
    Hugging Face ``config.json`` followed by ``:phase`` (`llama2-7b:decode,ctx=2048,batch=1`,
    `my/config.json:prefill,prompt=512`).

    A JSON file's shapes carry their own batch, so `batch` must stay 1 for it; a topology has no
    batch (`batch` sets it) and an ONNX model takes `batch` for a dynamic first axis.
    """
    check_batch(batch)
    base, sep, phase = spec.partition(":") if isinstance(spec, str) else (spec, "", "")
    if sep and workloads.canonical_name(base) is not None:
        return workloads.load(base, batch=batch, phase=phase)
    if sep or _is_hf_config(Path(base)):
        return _hf_llm(base, phase, batch)
    suffix = Path(spec).suffix.lower()
    if suffix in (".csv", ".onnx"):  # explicit foreign formats, dispatched before the zoo lookup
        check_regular_file(spec, "workload")
        if suffix == ".csv":
            return read_topology(spec, batch=batch)
        return import_onnx(spec, batch=batch)

    if workloads.canonical_name(spec) is not None:
        return workloads.load(spec, batch=batch)
    path = Path(spec)
    if path.suffix.lower() == ".json" or path.exists():
        if batch != 1:
            raise InputError("batch", batch, f"applies to zoo workloads only; {spec} fixes its own batch")
        check_regular_file(path, "workload")
        return LayerGraph.load(path)
    raise InputError("workload", spec, f"is neither a file nor a zoo network ({', '.join(workloads.names())})")


def _is_hf_config(path: Path) -> bool:
    """A Hugging Face config: a file named config.json, or a JSON object with ``model_type``."""
    if path.name == "config.json":
        return True
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        head = load_json_file(path, "workload")
    except InputError:
        return False  # LayerGraph.load reports the problem
    return isinstance(head, dict) and "model_type" in head and "layers" not in head


def _hf_llm(path: str, phase: str, batch: int) -> LayerGraph:
    if not Path(path).is_file():
        raise InputError("workload", path, "is neither a zoo LLM nor a Hugging Face config.json file")
    # The io layer reads the file (regular files only, size and nesting bounded); workloads only builds.
    folder = Path(path).resolve().parent.name if Path(path).name == "config.json" else Path(path).stem
    config = workloads.from_hf_config(load_json_file(path, "workload"), folder)
    return workloads.llm(config, workloads.parse_phase(phase, config, batch))


__all__ = ["load_workload"]
