"""Training speed of the NumPy trainer: ResNet20 on 32x32 input vs this machine's float32 matmul peak.

    python bench/train_speed.py [--batch 128] [--steps 3] [--threads 1] [--quant pact4|fp]

Prints images/s for one full training step (forward, loss, backward, optimizer), the achieved
GFLOP/s of the conv layers (im2col, weight quantization and the GEMMs, forward and backward),
and next to it the float32 GEMM GFLOP/s measured in the same run with the same BLAS thread count,
so the ratio is meaningful on any machine. FLOPs count 2 per MAC; a conv's backward does 2x its
forward (dW and dX), except the first conv, which skips dX.
"""

from __future__ import annotations

import argparse
import os
import sys


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=5, help="timed steps after one warm-up step")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (set before NumPy loads)")
    p.add_argument("--quant", choices=("pact4", "fp"), default="pact4")
    p.add_argument("--gemm-n", type=int, default=2048, help="square GEMM size for the peak")
    p.add_argument("--per-layer", action="store_true", help="print every conv layer")
    return p.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

from pact_train import layers as L  # noqa: E402
from pact_train import ops  # noqa: E402
from pact_train.models import QuantConfig, resnet20  # noqa: E402
from pact_train.optim import SGD  # noqa: E402
from pact_train.perf import tune_allocator  # noqa: E402


def matmul_peak(n: int, repeats: int = 5) -> float:
    """Best-of-`repeats` float32 GFLOP/s of an n x n x n matmul."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b  # warm-up
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


class ConvTimer:
    """Wraps every Conv2d's forward/backward with a wall-clock timer and counts its FLOPs."""

    def __init__(self, model: L.Module) -> None:
        self.convs = [(n, m) for n, m in model.modules() if isinstance(m, L.Conv2d)]
        self.seconds = {n: 0.0 for n, _ in self.convs}
        self.flops = {n: 0 for n, _ in self.convs}
        self.shapes: dict[str, tuple[int, ...]] = {}
        for name, conv in self.convs:
            self._wrap(name, conv)

    def _wrap(self, name: str, conv: L.Conv2d) -> None:
        fwd, bwd = conv.forward, conv.backward
        kh, kw = conv.kernel
        macs_per_out = kh * kw * conv.in_channels // conv.groups

        def forward(x, train=True):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            y = fwd(x, train)
            self.seconds[name] += time.perf_counter() - t0
            self.flops[name] += 2 * y.size * macs_per_out
            self.shapes[name] = (x.shape, y.shape)
            return y

        def backward(dy):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            dx = bwd(dy)
            self.seconds[name] += time.perf_counter() - t0
            self.flops[name] += 2 * dy.size * macs_per_out * (2 if conv.need_dx else 1)
            return dx

        conv.forward, conv.backward = forward, backward  # type: ignore[method-assign]

    def reset(self) -> None:
        for n in self.seconds:
            self.seconds[n], self.flops[n] = 0.0, 0


def main() -> int:
    args = ARGS
    assert args is not None
    tuned = tune_allocator()
    peak = matmul_peak(args.gemm_n)
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
    times, conv_s, conv_flops = [], [], []
    for _ in range(args.steps):
        timer.reset()
        times.append(_timed(step))
        conv_s.append(sum(timer.seconds.values()))
        conv_flops.append(sum(timer.flops.values()))
    # The box is shared: other jobs only ever slow a measurement down, so the best step and the
    # best GEMM (measured before and after the steps) are the estimates of what the machine does.
    peak = max(peak, matmul_peak(args.gemm_n))
    t, t_med = min(times), float(np.median(times))
    cs, cf = min(conv_s), conv_flops[0]
    conv_gflops = cf / cs / 1e9

    print(f"numpy {np.__version__}, BLAS threads {args.threads}, python {sys.version.split()[0]}, "
          f"glibc allocator tuned: {tuned}")
    print(f"float32 matmul peak ({args.gemm_n}^3, best of 2x5, before and after): {peak:.1f} GFLOP/s")
    print(f"ResNet20 training step, batch {args.batch}, 32x32x3, {args.quant}: best {t * 1e3:.0f} ms, "
          f"median {t_med * 1e3:.0f} ms of {args.steps} -> {args.batch / t:.1f} images/s (median {args.batch / t_med:.1f})")
    print(f"conv layers: {cf / 1e9:.2f} GFLOP fwd+bwd in {cs * 1e3:.0f} ms (best; {cs / t:.0%} of the best step) -> "
          f"{conv_gflops:.1f} GFLOP/s = {conv_gflops / peak:.0%} of the matmul peak")
    if args.per_layer:
        print(f"{'layer':<22} {'in (NHWC)':<20} {'GFLOP':>7} {'ms':>7} {'GFLOP/s':>8}")
        for name, _ in timer.convs:
            s, f = timer.seconds[name], timer.flops[name]
            print(f"{name:<22} {str(timer.shapes[name][0]):<20} {f / 1e9:7.3f} {s * 1e3:7.1f} {f / s / 1e9:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
