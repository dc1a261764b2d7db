"""The ``pact-train`` command line's parser: argument types (one-line errors, exit 2), the options
training shares between ``train`` and ``compare``, and the subcommands. `pact_train.cli` runs them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

from accelsim.errors import InputError
from accelsim.ir.checks import MAX_BITS, MIN_BITS
from pact_train.train import DEFAULT_CHECKPOINT_EVERY  # (the package imports train anyway)

PROG = "pact-train"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2 (no usage dump, no traceback)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{PROG}: error: {message}\n")
        raise SystemExit(2)


def _bits(text: str) -> int | None:
    if text.lower() in ("none", "fp", "32"):
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"bits={text!r}: must be an integer in {MIN_BITS}..{MAX_BITS} or none"
        ) from None
    if not MIN_BITS <= value <= MAX_BITS:
        raise argparse.ArgumentTypeError(f"bits={text!r}: must be an integer in {MIN_BITS}..{MAX_BITS} or none")
    return value


def _bits_list(text: str) -> list[int]:
    out = []
    for token in text.split(","):
        b = _bits(token.strip())
        if b is None:
            raise argparse.ArgumentTypeError(
                f"bits={token!r}: the list takes integers in {MIN_BITS}..{MAX_BITS} (FP is always run)"
            )
        out.append(b)
    return out


def _bandwidth(text: str) -> str | None:
    from accelsim.hardware.bandwidth import bw_label, parse_bw

    if text.lower() == "none":
        return None
    try:
        return bw_label(parse_bw(text))
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _int_list(text: str) -> list[int]:
    if not text.strip():
        return []
    try:
        return [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"lr_steps={text!r}: must be comma-separated epoch numbers") from None


def _int_at_least(text: str, lo: int, rule: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: {rule}") from None
    if v < lo:
        raise argparse.ArgumentTypeError(f"{text!r}: {rule}")
    return v


def _non_negative_int(text: str) -> int:
    return _int_at_least(text, 0, "must be an integer >= 0")


def _positive_int(text: str) -> int:
    return _int_at_least(text, 1, "must be a positive integer")


def _add_train_options(p: argparse.ArgumentParser, *, for_compare: bool = False) -> None:
    from pact_train.data import DATASETS
    from pact_train.layers import ACT_SCHEMES
    from pact_train.models import MODELS
    from pact_train.optim import OPTIMIZERS
    from pact_train.quant import WEIGHT_SCHEMES

    g = p.add_argument_group("model and data")
    g.add_argument("--model", choices=sorted(MODELS), default="small")
    g.add_argument("--width", type=_positive_int, default=16, help="base channel count of small/resnet20 (16)")
    g.add_argument("--dataset", choices=DATASETS, default="digits")
    g.add_argument("--data-dir", help="folder of Fashion-MNIST IDX files (default: Debian's, or $PACT_TRAIN_DATA)")
    g.add_argument("--train-limit", type=_positive_int, help="use only the first N training images")
    g.add_argument("--test-limit", type=_positive_int, help="use only the first N test images")
    q = p.add_argument_group("quantization")
    if not for_compare:
        q.add_argument("--act-quant", choices=ACT_SCHEMES, default="pact")
        q.add_argument("--weight-quant", choices=WEIGHT_SCHEMES, default="dorefa")
        q.add_argument("--bits", type=_bits, default=4, help="body weights and activations; none = float (4)")
    q.add_argument("--first-bits", type=_bits, default=8, help="first conv's weights and input image (8; none = float)")
    q.add_argument("--last-bits", type=_bits, default=8, help="last layer's weights and input activations (8)")
    if not for_compare:
        q.add_argument(
            "--bits-per-layer",
            type=Path,
            metavar="GRAPH_JSON",
            help="per-layer w_bits/a_bits from an accelsim layer graph (e.g. a pact-train export or a "
            "design-space study's pick); overrides --bits/--first-bits/--last-bits layer by layer",
        )
    q.add_argument("--alpha-init", type=float, default=10.0, help="PACT's initial alpha (10, as in the paper)")
    q.add_argument("--alpha-per-channel", action="store_true", help="one alpha per channel instead of per layer")
    o = p.add_argument_group("optimization")
    o.add_argument("--epochs", type=int, default=15 if for_compare else 10)
    o.add_argument("--batch-size", type=_positive_int, default=64 if for_compare else 128)
    o.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd")
    o.add_argument("--lr", type=float, default=0.05 if for_compare else 0.1)
    o.add_argument("--momentum", type=float, default=0.9)
    o.add_argument("--weight-decay", type=float, default=2e-4, help="L2 on conv/dense weights (2e-4, CIFAR setting)")
    o.add_argument("--lambda-alpha", type=float, help="L2 on PACT alphas (default: the weight decay)")
    o.add_argument("--alpha-lr-mult", type=float, default=1.0, help="learning-rate multiplier for alphas (1)")
    o.add_argument("--lr-steps", type=_int_list, default=[], help="epochs where lr is multiplied by --lr-gamma")
    o.add_argument("--lr-gamma", type=float, default=0.1)
    o.add_argument("--seed", type=int, default=0)
    if not for_compare:
        _add_calib_options(q)


def _add_calib_options(g: Any) -> None:
    from pact_train.calibrate import CALIB_METHODS, DEFAULT_PERCENTILE

    g.add_argument(
        "--calib",
        choices=CALIB_METHODS,
        default="percentile",
        help="with --init / ptq: clipping levels from a percentile of the float activations, or their max",
    )
    g.add_argument(
        "--percentile",
        type=float,
        default=DEFAULT_PERCENTILE,
        help=f"the percentile of --calib percentile ({DEFAULT_PERCENTILE}, NVIDIA's calibrator default)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The `pact-train` parser: global options, then one subcommand per job."""
    parser = _Parser(prog=PROG, description="NumPy PACT / DoReFa / SAWB quantization-aware training.")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or per-epoch lines")
    parser.add_argument(
        "--threads",
        type=_positive_int,
        default=1,
        help="BLAS threads (1: best on a shared 2-core box; needs threadpoolctl to take effect)",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    _add_train_command(sub)
    _add_compare_command(sub)
    _add_ptq_command(sub)
    _add_export_command(sub)
    _add_verify_int_command(sub)
    return parser


def _add_train_command(sub: Any) -> None:
    t = sub.add_parser("train", help="train one network", description="Train one network; writes a run folder.")
    _add_train_options(t)
    t.add_argument(
        "--init",
        metavar="RUN_OR_NPZ",
        help="start from a trained float network (run folder or checkpoint .npz): its weights and BN "
        "statistics, clipping levels calibrated from its activations (--calib)",
    )
    t.add_argument(
        "--checkpoint-every",
        type=_non_negative_int,
        default=DEFAULT_CHECKPOINT_EVERY,
        metavar="N",
        help="also checkpoint every N training steps, mid-epoch, so a kill loses at most N steps "
        f"(0: at epoch ends only; default {DEFAULT_CHECKPOINT_EVERY}, about a minute of the slowest "
        "example on a 2-core machine); resuming from one gives the same weights and log as an "
        "uninterrupted run, bit for bit",
    )
    where = t.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="new run folder (config.json, log.csv, checkpoint.npz)")
    where.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="continue a run from its last checkpoint; its config.json rules, except that --epochs may raise the total",
    )


def _add_compare_command(sub: Any) -> None:
    c = sub.add_parser(
        "compare",
        help="FP vs DoReFa vs PACT at several bit widths (PACT Table 1)",
        description="Train FP, DoReFa and PACT at each bit width with one budget and seed; "
        "print a table shaped like PACT's Table 1.",
    )
    _add_train_options(c, for_compare=True)
    c.add_argument("--bits", type=_bits_list, default=[2, 3, 4, 5], help="bit widths (2,3,4,5)")
    c.add_argument(
        "--out",
        type=Path,
        help="keep every run folder under this folder, plus compare.csv; a rerun reuses the finished runs there",
    )
    c.add_argument(
        "--bw",
        type=_bandwidth,
        default="64",
        help="external bandwidth (GB/s or inf) of the simulated accelerator for the speedup row; "
        "none skips the simulation (64)",
    )


def _add_ptq_command(sub: Any) -> None:
    pt = sub.add_parser(
        "ptq",
        help="post-training quantization of a float run (no training): its test accuracy",
        description="Quantize a trained float network without training: weights by the weight "
        "quantizer (SAWB by default: its scale is fitted to the weights), clipping "
        "levels calibrated from the float activations; prints the test accuracy.",
    )
    pt.add_argument("run_dir", type=Path, metavar="RUN_OR_NPZ")
    pt.add_argument("--bits", type=_bits, required=True, help="body weights and activations")
    pt.add_argument("--first-bits", type=_bits, default=8)
    pt.add_argument("--last-bits", type=_bits, default=8)
    pt.add_argument(
        "--act-quant",
        choices=("pact", "relu-max"),
        default="pact",
        help="activation quantizer whose level is calibrated (pact: alpha; relu-max: running max)",
    )
    pt.add_argument("--weight-quant", choices=("sawb", "dorefa"), default="sawb")
    pt.add_argument("--test-limit", type=_positive_int, help="use only the first N test images")
    _add_calib_options(pt)


def _add_export_command(sub: Any) -> None:
    e = sub.add_parser("export", help="write a trained run as an accelsim layer graph (JSON)")
    e.add_argument("run_dir", type=Path)
    e.add_argument("-o", "--output", type=Path, required=True, help="model.json to write")
    e.add_argument("--batch", type=_positive_int, default=1, help="batch size of the graph's shapes (1)")
    e.add_argument(
        "--deploy",
        type=Path,
        metavar="NPZ",
        help="also write the deployable integer model: integer weights, per-layer scales, alphas, "
        "BatchNorm folded, fixed-point requantization (.npz, no pickle)",
    )


def _add_verify_int_command(sub: Any) -> None:
    v = sub.add_parser(
        "verify-int",
        help="integer-only inference from a deployable export vs the fake-quantized net",
        description="Run the exported network in integer arithmetic on the test set it was exported "
        "with; print its accuracy next to the fake-quantized one. Exit 1 when they differ "
        "by more than the tolerance.",
    )
    v.add_argument("export", type=Path, metavar="EXPORT_NPZ")
    v.add_argument(
        "--tolerance", type=float, default=None, help="accepted |accuracy difference| in points (default 0.5)"
    )


__all__ = ["PROG", "build_parser"]
