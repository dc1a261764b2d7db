"""Validate accelsim against ZigZag: its TPU-like example on ResNet-18, per-layer latency side by side.

Not a test and not a dependency: ZigZag (pip ``zigzag-dse``, MIT; its 3.9.1 wheel also needs
``six``) is optional. Install both into your environment to run it::

    pip install zigzag-dse six
    PYTHONPATH=$PWD python bench/zigzag_compare.py [--zigzag-json zz.json] [--objective latency]

ZigZag side: ``get_hardware_performance_zigzag`` on the ResNet-18 ONNX, hardware and mapping of
its own ``inputs/`` folder (``tpu_like.yaml``: one 32 x 32 weight-stationary array, 2 MB SRAM,
64-bit DRAM port), LOMA temporal-mapping search, objective latency. Its latency per layer is
``latency_total2`` = data onloading + computation (with stalls) + data offloading, in cycles.
``--zigzag-json`` keeps its per-layer numbers in a file (written on the first run, read on the
next: the ZigZag run takes about a minute of CPU).

accelsim side: the same design as ``configs/tpu-like.toml`` (1 core, 32 x 32, WS only, 8-bit MACs,
2 MB, 8 bytes per cycle) running ResNet-18 at 8 bits, with the fixed mapping and with
``--mapper search``; its per-layer span in cycles. docs/model.md ("The mapper", validation)
explains every layer more than 20 % apart.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accelsim.hardware.design import load_accelerator  # noqa: E402
from accelsim.ir.graph import uniform_policy  # noqa: E402
from accelsim.model.mapper import MapperConfig  # noqa: E402
from accelsim.model.sim import simulate  # noqa: E402
from workloads import load as load_workload  # noqa: E402

#: Layers whose accelsim / ZigZag ratio lies outside [1 / FLAG, FLAG] are marked for explanation.
FLAG = 1.2


def accelsim_name(onnx_name: str) -> str:
    """'/layer2/layer2.0/downsample/downsample.0/Conv' -> 'layer2.0.downsample'; '/fc/Gemm' -> 'fc'."""
    parts = [p for p in onnx_name.split("/") if p][:-1]  # drop the op type
    if parts and parts[-1].startswith("downsample."):
        parts = parts[:-1]
    return ".".join(parts[1:] if len(parts) > 1 else parts) or onnx_name


def run_zigzag() -> dict[str, object]:
    """ZigZag's TPU-like example on ResNet-18 (about a minute of CPU); per-layer cycles."""
    import zigzag
    from zigzag.api import get_hardware_performance_zigzag

    inputs = Path(zigzag.__file__).parent / "inputs"
    cpu, wall = time.process_time(), time.time()
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"accelsim-zigzag-{os.getpid()}")
    _, _, cmes = get_hardware_performance_zigzag(
        workload=str(inputs / "workload" / "resnet18.onnx"),
        accelerator=str(inputs / "hardware" / "tpu_like.yaml"),
        mapping=str(inputs / "mapping" / "tpu_like.yaml"),
        opt="latency",
        dump_folder=out,
        loma_show_progress_bar=False,
    )
    layers = []
    for cme, _ in cmes[0][1]:
        layers.append(
            {
                "onnx_name": cme.layer.name,
                "name": accelsim_name(cme.layer.name),
                "latency": float(cme.latency_total2),
                "ideal": float(cme.ideal_cycle),
                "onloading": float(cme.data_onloading_cycle),
                "offloading": float(cme.data_offloading_cycle),
                "spatial": str(cme.spatial_mapping),
            }
        )
    return {"zigzag_cpu_s": time.process_time() - cpu, "zigzag_wall_s": time.time() - wall, "layers": layers}


def zigzag_results(path: str | None) -> dict[str, object]:
    if path and Path(path).exists():
        return json.loads(Path(path).read_text())
    data = run_zigzag()
    if path:
        Path(path).write_text(json.dumps(data, indent=1))
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--zigzag-json", metavar="FILE", help="ZigZag's per-layer results: read if present, else written"
    )
    parser.add_argument("--objective", default="latency", choices=("latency", "energy", "edp"))
    args = parser.parse_args()
    zz = zigzag_results(args.zigzag_json)
    design = load_accelerator(ROOT / "configs" / "tpu-like.toml")
    graph = load_workload("resnet18").with_policy(uniform_policy(8, None))
    t = time.perf_counter()
    fixed = simulate(graph, design)
    t_fixed = time.perf_counter() - t
    t = time.perf_counter()
    found = simulate(graph, design, mapper=MapperConfig("search", args.objective))
    t_search = time.perf_counter() - t
    print(f"ZigZag TPU-like vs accelsim ({design.describe()}), ResNet-18 at 8 bits, cycles per layer")
    head = (
        f"{'layer':22s} {'zigzag':>9s} {'zz ideal':>9s} {'fixed':>9s} {'search':>9s} {'mapping':18s} "
        f"{'fix/zz':>6s} {'srch/zz':>7s}"
    )
    print(head)
    print("-" * len(head))
    tot = {"zz": 0.0, "fixed": 0.0, "search": 0.0}
    flagged = []
    for row in zz["layers"]:  # type: ignore[union-attr]
        name = row["name"]
        try:
            lf, ls = fixed.layer(name), found.layer(name)
        except KeyError:
            print(f"{name:22s} {row['latency']:9.0f} (no accelsim layer of this name)")
            continue
        r_fixed, r_search = lf.cycles / row["latency"], ls.cycles / row["latency"]
        tot["zz"] += row["latency"]
        tot["fixed"] += lf.cycles
        tot["search"] += ls.cycles
        mark = " *" if not 1 / FLAG <= r_search <= FLAG else ""
        if mark:
            flagged.append(name)
        print(
            f"{name:22s} {row['latency']:9.0f} {row['ideal']:9.0f} {lf.cycles:9.0f} {ls.cycles:9.0f} "
            f"{ls.mapping:18s} {r_fixed:6.2f} {r_search:7.2f}{mark}"
        )
    print(
        f"{'TOTAL (these layers)':22s} {tot['zz']:9.0f} {'':9s} {tot['fixed']:9.0f} {tot['search']:9.0f} {'':18s} "
        f"{tot['fixed'] / tot['zz']:6.2f} {tot['search'] / tot['zz']:7.2f}"
    )
    print(f"\n* = accelsim (search) and ZigZag more than {FLAG - 1:.0%} apart: {', '.join(flagged) or 'none'}")
    print(
        f"time: ZigZag {zz['zigzag_cpu_s']:.1f} CPU-s ({zz['zigzag_wall_s']:.1f} s wall); accelsim fixed "
        f"{t_fixed * 1e3:.0f} ms, mapper search + simulation {t_search * 1e3:.0f} ms (this process, cold)"
    )


if __name__ == "__main__":
    main()
