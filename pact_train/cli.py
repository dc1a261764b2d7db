"""``pact-train``: train, compare and export PACT/DoReFa/SAWB-quantized networks.

    pact-train train --model resnet20 --dataset fashion-mnist --bits 4 --out runs/r20-pact4
    pact-train train --resume runs/r20-pact4 --epochs 20
    pact-train compare --epochs 15                # FP vs DoReFa vs PACT at 2/3/4/5 bits
    pact-train export runs/r20-pact4 -o model.json --deploy model.npz
    pact-train verify-int model.npz               # integer-only inference vs the fake-quantized network
    pact-train train --init runs/fp --bits 2 --out runs/ft2   # fine-tune from a float run
    pact-train ptq runs/fp --bits 4               # post-training quantization baseline
    pact-train train --bits-per-layer policy.json --out runs/mixed   # per-layer bits of an accelsim graph

Exit status: 0 success, 1 training diverged (or verify-int outside its tolerance), 2 bad input (one
line on stderr naming the field and value), 130 interrupted. Progress goes to stderr (tqdm; off when
stderr is not a terminal or with --quiet); results go to stdout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from accelsim.errors import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, InputError
from pact_train.cli_options import PROG, build_parser

#: The quantization options of `train`, each a `QuantConfig` field of the same name.
_QUANT_OPTIONS = ("act_quant", "weight_quant", "bits", "first_bits", "last_bits", "alpha_init", "alpha_per_channel")


def _quant_from(args: argparse.Namespace, *names: str) -> Any:
    """A `QuantConfig` from the parsed options `names` (same names as its fields; the rest keep their defaults)."""
    from pact_train.models import QuantConfig

    return QuantConfig(**{name: getattr(args, name) for name in names})


def _config_from(args: argparse.Namespace, quant: Any = None) -> Any:
    from pact_train.train import TrainConfig

    if quant is None:
        quant = _quant_from(args, *_QUANT_OPTIONS)
    return TrainConfig(
        model=args.model,
        dataset=args.dataset,
        data_dir=args.data_dir,
        train_limit=args.train_limit,
        test_limit=args.test_limit,
        width=args.width,
        quant=quant,
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        lr=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        lambda_alpha=args.lambda_alpha,
        alpha_lr_mult=args.alpha_lr_mult,
        lr_steps=tuple(args.lr_steps),
        lr_gamma=args.lr_gamma,
        seed=args.seed,
        init=getattr(args, "init", None),
        init_calib=getattr(args, "calib", "percentile"),
        init_percentile=getattr(args, "percentile", 99.99),
        layer_bits=_layer_bits(getattr(args, "bits_per_layer", None)),
    )


def _layer_bits(path: Path | None) -> dict[str, list[int]] | None:
    from pact_train.policy import read_layer_bits

    return None if path is None else read_layer_bits(path)


def _progress(total: int, quiet: bool, desc: str, leave: bool = False) -> Any:
    """A tqdm bar on stderr: off with -q, and (tqdm's disable=None) when stderr is not a terminal."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="img",
        desc=desc,
        file=sys.stderr,
        disable=True if quiet else None,
        dynamic_ncols=True,
        leave=leave,
    )


def _epoch_line(row: dict[str, float]) -> str:
    alphas = [v for k, v in row.items() if k.startswith("alpha:")]
    a = f" alpha {min(alphas):.2f}..{max(alphas):.2f}" if alphas else ""
    return (
        f"epoch {int(row['epoch'])}: loss {row['train_loss']:.4f} train {row['train_acc']:.4f} "
        f"test {row['test_acc']:.4f} ({row['seconds']:.1f} s){a}"
    )


def _cmd_train(args: argparse.Namespace) -> int:
    from pact_train.data import load_dataset
    from pact_train.train import completed_epochs, read_config, resumed_images, train

    if args.resume is not None:
        _refuse_flags_on_resume(args.argv)
        config = read_config(args.resume, "resume")
        if args.epochs_given:
            config = replace(config, epochs=args.epochs)
        run_dir, resume = args.resume, True
        done = completed_epochs(run_dir)
        if config.epochs <= done:  # nothing would run: say so rather than exit 0 having done nothing
            raise InputError(
                "epochs", config.epochs, f"{run_dir} already holds {done} epochs; give a larger --epochs to continue"
            )
    else:
        config, run_dir, resume, done = _config_from(args), args.out, False, 0
        if config.epochs < 1:  # the library allows 0 (build without training); a training run does not
            raise InputError("epochs", config.epochs, "must be at least 1 for a training run")
    data = load_dataset(config.dataset, config.data_dir).subset(config.train_limit, config.test_limit)
    n = len(data.y_train)
    remaining = config.epochs * n - (resumed_images(run_dir, config, n) if resume else 0)
    bar = _progress(remaining, args.quiet, f"{config.model}/{config.dataset}")

    def on_epoch(row: dict[str, float]) -> None:
        if not args.quiet:
            bar.write(_epoch_line(row), file=sys.stderr)

    def on_batch(images: int, loss: float) -> None:
        bar.update(images)
        bar.set_postfix(loss=f"{loss:.3f}", refresh=False)

    try:
        result = train(
            config,
            run_dir,
            resume=resume,
            data=data,
            on_batch=on_batch,
            on_epoch=on_epoch,
            checkpoint_every=args.checkpoint_every,
        )
    finally:
        bar.close()
    print(f"{run_dir}: {len(result.history)} epochs, test accuracy {result.test_acc:.4f}")
    return EXIT_OK


#: Options a resumed run accepts: the stored config.json rules everything else.
_RESUME_OPTIONS = {"--resume", "--epochs", "-q", "--quiet", "--threads", "--checkpoint-every"}


def _refuse_flags_on_resume(argv: Sequence[str]) -> None:
    """A training flag given with --resume would be silently ignored (the run keeps its config): refuse it."""
    for token in argv:
        flag = token.split("=", 1)[0]
        if flag.startswith("-") and flag not in _RESUME_OPTIONS and flag not in ("train", "-h", "--help"):
            raise InputError(
                flag.lstrip("-").replace("-", "_"),
                token,
                "cannot change a resumed run (its config.json rules; only --epochs may grow)",
            )


def _cmd_compare(args: argparse.Namespace) -> int:
    from pact_train.compare import compare, format_table, results_csv
    from pact_train.data import load_dataset

    base_q = _quant_from(args, "first_bits", "last_bits", "alpha_init", "alpha_per_channel")  # schemes per run
    base = _config_from(args, quant=base_q)
    data = load_dataset(base.dataset, base.data_dir).subset(base.train_limit, base.test_limit)
    runs, n = 1 + 2 * len(args.bits), len(data.y_train)
    bars: list[Any] = []  # one bar per run: its images, "run i/N scheme bits" in front

    def on_run(scheme: str, bits: int | None) -> None:
        if bars:
            bars[-1].close()
        label = f"run {len(bars) + 1}/{runs} {scheme}{'' if bits is None else bits}"
        bars.append(_progress(base.epochs * n, args.quiet, label, leave=True))  # finished runs stay listed

    try:
        results = compare(
            base,
            args.bits,
            out_dir=args.out,
            data=data,
            bw=args.bw,
            on_run=on_run,
            on_batch=lambda images, loss: bars[-1].update(images),
        )
    finally:
        for bar in bars:
            bar.close()
    table = format_table(results, f"{base.model}/{base.dataset}", args.bw)
    print(table)
    print(
        f"({base.epochs} epochs, batch {base.batch_size}, {base.optimizer} lr {base.lr}, seed {base.seed}, "
        f"{len(data.y_train)} train / {len(data.y_test)} test images; first/last layers "
        f"{args.first_bits or 'fp'}/{args.last_bits or 'fp'} bits; weights DoReFa)"
    )
    if args.bw is not None:
        from accelsim.hardware.bandwidth import describe_bw

        print(
            f"(speedup: accelsim, each trained network at batch 1 with its per-layer bits on the iso-area design "
            f"at its body bits vs. all layers at 16 bits on the default 16-bit system, {describe_bw(args.bw)})"
        )
    if args.out is not None:
        from accelsim.atomic import atomic_write

        atomic_write(args.out / "compare.csv", results_csv(results))
        atomic_write(args.out / "compare.md", table + "\n")
    return EXIT_OK


def _cmd_ptq(args: argparse.Namespace) -> int:
    from pact_train.data import load_dataset
    from pact_train.train import float_config, post_training_quantize

    quant = _quant_from(args, "act_quant", "weight_quant", "bits", "first_bits", "last_bits")
    stored = float_config(args.run_dir)
    data = load_dataset(stored.dataset, stored.data_dir).subset(
        stored.train_limit, args.test_limit or stored.test_limit
    )
    _, acc = post_training_quantize(args.run_dir, quant, data, args.calib, args.percentile)
    level = "max" if args.calib == "max" else f"p{args.percentile:g}"
    print(
        f"| PTQ {args.bits}b ({args.weight_quant} weights, {args.act_quant} alpha {level}, first/last "
        f"{args.first_bits or 'fp'}/{args.last_bits or 'fp'}) | {acc:.4f} | {len(data.y_test)} test images |"
    )
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from pact_train.export import export_run

    g = export_run(args.run_dir, args.output, args.batch)
    acc = g.metadata.get("test_accuracy")
    print(f"{args.output}: {len(g)} layers, {g.total_macs():,} MACs, test accuracy {acc:.4f}")
    if args.deploy is not None:
        from pact_train.deploy import export_deployable

        program = export_deployable(args.run_dir, args.deploy)
        print(
            f"{args.deploy}: integer model, {len(program['units'])} units, fake-quantized test accuracy "
            f"{program['fake_quant_test_acc']:.4f}"
        )
    return EXIT_OK


def _cmd_verify_int(args: argparse.Namespace) -> int:
    from pact_train.intinfer import DEFAULT_TOLERANCE, verify_int

    tol = DEFAULT_TOLERANCE if args.tolerance is None else args.tolerance
    if not tol >= 0:
        raise InputError("tolerance", args.tolerance, "must be a number of points >= 0")
    bar = _progress(0, args.quiet, "integer inference")

    def on_batch(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        r = verify_int(args.export, tol, on_batch=on_batch)
    finally:
        bar.close()
    print(f"integer inference:     test accuracy {r.int_acc:.4f} ({r.images} images)")
    print(f"fake-quantized (fp32): test accuracy {r.fake_quant_acc:.4f}")
    print(
        f"difference {r.gap_points:+.2f} points (tolerance {tol:g}); same prediction on {r.agreement:.2%} of images: "
        f"{'OK' if r.ok else 'FAIL'}"
    )
    return EXIT_OK if r.ok else EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pact-train`` console script; returns the exit status."""
    own_process = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.epochs_given = any(a == "--epochs" or a.startswith("--epochs=") for a in argv)
    args.argv = argv
    from pact_train.perf import blas_threads, tune_allocator

    if own_process:  # the console script owns its process; an in-process caller keeps its allocator
        tune_allocator()
    try:
        with blas_threads(args.threads):
            if args.command == "train":
                return _cmd_train(args)
            if args.command == "compare":
                return _cmd_compare(args)
            if args.command == "ptq":
                return _cmd_ptq(args)
            if args.command == "verify-int":
                return _cmd_verify_int(args)
            return _cmd_export(args)
    except InputError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_INPUT
    except FloatingPointError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        hint = f" (continue with: {PROG} train --resume {args.out or args.resume})" if args.command == "train" else ""
        sys.stderr.write(f"{PROG}: interrupted{hint}\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
