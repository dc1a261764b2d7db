"""Training speed of the NumPy trainer: ResNet20 on 32x32 input, per conv layer, vs this machine's sgemm.

    python bench/train_speed.py [--batch 128] [--steps 5] [--threads 1] [--quant pact4|fp]

Clock: CPU time of this process (``time.process_time``: every thread of the process, user +
system), not wall time. The machine is shared; another job's time slices make wall clocks
longer but are not charged to this process, so CPU time measures what the code costs. What CPU
time cannot remove is contention for caches and memory bandwidth: figures taken on a loaded box
are still lower bounds, hence best-of-N, and the load average printed with them. With more than
one BLAS thread, CPU seconds add up over the threads: GFLOP/s is then per CPU-second (per core).

Per layer: fwd+bwd of every conv (weight quantization, copies, GEMMs) timed on its own in each
of N full training steps, best of N. Against it, measured the same way (process_time, best of N):
the float32 sgemm peak (n x n x n), and the layer's own GEMMs alone (the im2col GEMM shapes of its
forward, dW and dX, on in-cache blocks: what the layer would cost with free data movement). FLOPs
count 2 per MAC; a conv's backward is 2x its forward (dW and dX), except the first conv's (dW only).
"""

from __future__ import annotations

import argparse
import os
import sys


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=5, help="timed steps after one warm-up step (N of best-of-N)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (set before NumPy loads)")
    p.add_argument("--quant", choices=("pact4", "fp"), default="pact4")
    p.add_argument("--gemm-n", type=int, default=2048, help="square GEMM size for the peak")
    return p.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from pact_train import layers as L  # noqa: E402
from pact_train import ops  # noqa: E402
from pact_train.conv import BLOCK_BYTES  # noqa: E402
from pact_train.models import QuantConfig, resnet20  # noqa: E402
from pact_train.optim import SGD  # noqa: E402
from pact_train.perf import machine_summary, tune_allocator  # noqa: E402

clock = time.process_time


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """Smallest CPU time of `repeats` calls (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def sgemm_peak(n: int, repeats: int) -> float:
    """Best-of-`repeats` float32 GFLOP/s of an n x n x n matmul."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    return 2 * n**3 / best_of(lambda: a @ b, repeats) / 1e9


def layer_gemms_seconds(conv: L.Conv2d, x_shape: tuple[int, ...], y_shape: tuple[int, ...], repeats: int) -> float:
    """CPU seconds of the layer's im2col GEMMs alone (fwd, dW, and dX unless skipped) on in-cache blocks."""
    n, _, _, c = x_shape
    _, ho, wo, k = y_shape
    kk = conv.kernel[0] * conv.kernel[1] * c
    rows = ho * wo * max(1, min(n, BLOCK_BYTES // max(ho * wo * kk * 4, 1)))
    rng = np.random.default_rng(0)
    cols = rng.standard_normal((rows, kk), dtype=np.float32)
    w = rng.standard_normal((kk, k), dtype=np.float32)
    dy = rng.standard_normal((rows, k), dtype=np.float32)
    y = np.empty((rows, k), np.float32)
    dcols = np.empty((rows, kk), np.float32)
    blocks = n * ho * wo / rows

    def gemms() -> None:
        np.matmul(cols, w, out=y)
        cols.T @ dy
        if conv.need_dx:
            np.matmul(dy, w.T, out=dcols)

    return best_of(gemms, repeats) * blocks


class ConvTimer:
    """Wraps every Conv2d's forward/backward with a CPU-time clock; keeps each step's fwd+bwd per layer."""

    def __init__(self, model: L.Module) -> None:
        self.convs = [(n, m) for n, m in model.modules() if isinstance(m, L.Conv2d)]
        self.step_seconds = {n: 0.0 for n, _ in self.convs}
        self.best = {n: float("inf") for n, _ in self.convs}
        self.flops = {n: 0 for n, _ in self.convs}
        self.shapes: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        for name, conv in self.convs:
            self._wrap(name, conv)

    def _wrap(self, name: str, conv: L.Conv2d) -> None:
        fwd, bwd = conv.forward, conv.backward
        macs_per_out = conv.kernel[0] * conv.kernel[1] * conv.in_channels // conv.groups

        def forward(x, train=True):  # type: ignore[no-untyped-def]
            t0 = clock()
            y = fwd(x, train)
            self.step_seconds[name] += clock() - t0
            self.flops[name] = 2 * y.size * macs_per_out * (3 if conv.need_dx else 2)
            self.shapes[name] = (x.shape, y.shape)
            return y

        def backward(dy):  # type: ignore[no-untyped-def]
            t0 = clock()
            dx = bwd(dy)
            self.step_seconds[name] += clock() - t0
            return dx

        conv.forward, conv.backward = forward, backward  # type: ignore[method-assign]

    def end_step(self) -> None:
        for n, s in self.step_seconds.items():
            self.best[n] = min(self.best[n], s)
            self.step_seconds[n] = 0.0


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"
    except OSError:
        return "load average unknown"


def _layer_table(timer: ConvTimer, steps: int, peak: float) -> None:
    """Per conv layer: its best time, GFLOP/s, share of sgemm, and its GEMMs' share timed alone."""
    print()
    print("| layer | in (NHWC) | kernel/stride | GFLOP | ms | GFLOP/s | % of sgemm | GEMMs alone, % of sgemm |")
    print("|---|---|---|---|---|---|---|---|")
    for name, conv in timer.convs:
        s, f = timer.best[name], timer.flops[name]
        xs, ys = timer.shapes[name]
        g = layer_gemms_seconds(conv, xs, ys, steps)
        print(
            f"| {name.removesuffix('.conv')} | {xs} | {conv.kernel[0]}x{conv.kernel[1]}/{conv.stride} | "
            f"{f / 1e9:.3f} | "
            f"{s * 1e3:.1f} | {f / s / 1e9:.1f} | {f / s / 1e9 / peak:.0%} | {f / g / 1e9 / peak:.0%} |"
        )


def main() -> int:
    args = ARGS
    assert args is not None
    tuned = tune_allocator()
    print(f"{machine_summary()}; python {sys.version.split()[0]}; glibc allocator tuned: {tuned}; {_load()} (before)")
    peak = sgemm_peak(args.gemm_n, args.steps)
    q = QuantConfig() if args.quant == "pact4" else QuantConfig(act_quant="none", weight_quant="none", bits=None)
    model = resnet20((32, 32, 3), 10, q, np.random.default_rng(0))
    opt = SGD(list(model.named_params()), momentum=0.9, weight_decay=2e-4)
    rng = np.random.default_rng(1)
    x = rng.random((args.batch, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, args.batch)
    timer = ConvTimer(model)

    def step() -> None:
        logits = model.forward(x, train=True)
        _, ctx = ops.softmax_cross_entropy_forward(logits, y)
        model.zero_grad()
        model.backward(ops.softmax_cross_entropy_backward(ctx))
        opt.step(0.01)

    step()  # warm-up
    timer.end_step()
    timer.best = {n: float("inf") for n in timer.best}
    cpu, wall = [], []
    for _ in range(args.steps):
        t0, w0 = clock(), time.perf_counter()
        step()
        cpu.append(clock() - t0)
        wall.append(time.perf_counter() - w0)
        timer.end_step()
    # other jobs only ever slow a measurement down: the best of N (step, layer, GEMM) is the estimate
    peak = max(peak, sgemm_peak(args.gemm_n, args.steps))
    conv_s = sum(timer.best.values())
    conv_f = sum(timer.flops.values())
    print(
        f"float32 sgemm peak ({args.gemm_n}^3, CPU time, best of 2x{args.steps}, before and after the steps): "
        f"{peak:.1f} GFLOP/s"
    )
    print(
        f"ResNet20 training step, batch {args.batch}, 32x32x3, {args.quant}: best {min(cpu) * 1e3:.0f} ms CPU "
        f"(median {np.median(cpu) * 1e3:.0f}; wall best {min(wall) * 1e3:.0f}) of {args.steps} -> "
        f"{args.batch / min(cpu):.1f} images per CPU-second"
    )
    print(
        f"conv layers: {conv_f / 1e9:.2f} GFLOP fwd+bwd in {conv_s * 1e3:.0f} ms (sum of per-layer bests, "
        f"{conv_s / min(cpu):.0%} of the best step) -> {conv_f / conv_s / 1e9:.1f} GFLOP/s = "
        f"{conv_f / conv_s / 1e9 / peak:.0%} of sgemm"
    )
    _layer_table(timer, args.steps, peak)
    print(f"\n({_load()} after)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
