"""Examples shown under every command's --help (argparse epilogs), kept in one place.

tests/test_cli_help.py runs each example's argument parsing, so an example cannot name a flag that
does not exist.
"""

from __future__ import annotations

#: command -> (what it does, the command line) pairs, two or three each.
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "workloads": (
        ("the zoo with MACs, parameters and weight MB per precision", "accelsim workloads"),
        ("the same as CSV, at batch 8", "accelsim workloads --batch 8 --format csv"),
    ),
    "layers": (
        ("every layer of ResNet-50: shape, GEMM M/N/K, MACs", "accelsim layers resnet50"),
        ("a SCALE-Sim topology or your own LayerGraph, as CSV", "accelsim layers model.json --format csv"),
    ),
    "sweep": (
        ("PACT Fig. 6c: speedup at 16/8/4/2 bits and 32/64/unconstrained GB/s", "accelsim sweep"),
        (
            "your accelerator, two networks, three memory sizes, plotted",
            "accelsim sweep --config configs/tpu-v1.toml --workload resnet50,mobilenet_v2 --bits 8,4 --sram "
            "8MB,16MB,28MiB",
        ),
        (
            "recompute instead of reusing the store; every field as CSV",
            "accelsim sweep --bits 16,4 --bw 64 --fresh --format csv",
        ),
    ),
    "run": (
        (
            "ResNet-50 at 4 bits, 64 GB/s, layer by layer, plus per-core compute, traffic and SRAM over time",
            "accelsim run --bits 4 --bw 64 --timeline timeline.png",
        ),
        (
            "TPU v1 on an ONNX model, with per-layer and roofline figures",
            "accelsim run --config configs/tpu-v1.toml --workload model.onnx --plot layers.png --roofline roof.png",
        ),
        (
            "each layer's mapping searched on a flexible OS/WS/IS array (docs/mapper.md); some columns",
            "accelsim run --bits 4 --mapper search --dataflows os,ws,is --columns name,mapping,cycles,bound",
        ),
    ),
    "fit": (
        ("what fits in the default 16 MB at each precision", "accelsim fit"),
        (
            "on your accelerator, for a SCALE-Sim topology",
            "accelsim fit --config configs/edge-npu.toml --workload net.csv",
        ),
    ),
    "results": (
        ("every point of a store", "accelsim results dse.db"),
        ("only ResNet-50 at 4 bits, as JSON", "accelsim results dse.db --workload resnet50 --bits 4 --format json"),
    ),
    "pareto": (
        ("one front per workload in time, area and energy, plotted", "accelsim pareto dse.db --plot front.png"),
        (
            "time vs energy for one workload at 64 GB/s",
            "accelsim pareto dse.db --workload resnet50 --bw 64 --objectives seconds_per_image,energy_per_image_uj",
        ),
    ),
    "config": (
        (
            "the effective TPU v1 design with peak TOPS, area and SRAM per core",
            "accelsim config show configs/tpu-v1.toml",
        ),
        ("the built-in default system", "accelsim config show"),
    ),
    "export-topology": (
        ("ResNet-50 as a SCALE-Sim conv topology", "accelsim export-topology resnet50 r50.csv"),
        ("a transformer-like graph in the GEMM (M, N, K) form", "accelsim export-topology model.json mm.csv --gemm"),
    ),
    "import": (
        (
            "an ONNX model as a LayerGraph JSON file (pip install 'accelsim[onnx]')",
            "accelsim import model.onnx -o graph.json",
        ),
        (
            "a SCALE-Sim topology whose Num Filter=1 rows are depthwise",
            "accelsim import mobilenet.csv -o mnv1.json --depthwise num_filter_1",
        ),
    ),
    "reproduce": (
        ("regenerate docs/reproducing-pact.md and its figures", "accelsim reproduce"),
        ("a quick, smaller run into another folder", "accelsim reproduce --quick --out /tmp/pact"),
    ),
    "llm-study": (
        ("regenerate docs/llm-decode.md: GPT-2 and Llama-2-7B decode at 16/8/4/2 bits and w4a16", "accelsim llm-study"),
        ("GPT-2 only at three precisions, into another folder", "accelsim llm-study --quick --out /tmp/llm"),
    ),
}
EXAMPLES["config show"] = EXAMPLES["config"]


def epilog(command: str) -> str:
    """The 'examples:' block for `command` (empty when there are none)."""
    lines = [f"  # {what}\n  {line}" for what, line in EXAMPLES.get(command, ())]
    return "examples:\n" + "\n".join(lines) if lines else ""


__all__ = ["EXAMPLES", "epilog"]
