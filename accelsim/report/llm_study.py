"""`accelsim llm-study`: decoder-LLM decode on iso-area designs, 16 -> 8 -> 4 -> 2 bits, as a report.

Writes ``<out>/llm-decode.md`` and ``<out>/figures/llm_*.png`` (byte-stable, like `accelsim
reproduce`): GPT-2 small and Llama-2-7B decode at batch 1 on the default system (64 GB/s,
LPDDR4-class) and on an HBM-class system (one HBM2 stack), uniform bits (weights, activations and
KV cache) and weight-only bits (w8a16, w4a16, w2a16), over two context lengths; a prefill table
(time to first token); and the back-of-envelope check of the decode rate against
bytes per token / bandwidth.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from accelsim.atomic import atomic_write
from accelsim.hardware.design import MB, Accelerator, iso_area
from accelsim.ir.bits_spec import BitsSpec, parse_bits_token
from accelsim.ir.graph import LayerGraph
from accelsim.model.llm_metrics import LLMStep, llm_step
from accelsim.model.sim import simulate

REPORT = "llm-decode.md"
FIGURES = "figures"


@dataclass(frozen=True, slots=True)
class System:
    """A base design (the 16-bit system every iso-area point keeps the area of) and its DRAM."""

    label: str
    memory: str
    bw_gb_per_s: float


@dataclass(frozen=True, slots=True)
class StudyOptions:
    """What the study runs; `quick()` is the reduced set the tests use."""

    models: tuple[tuple[str, tuple[int, ...]], ...] = (("gpt2", (128, 512)), ("llama2_7b", (512, 2048)))
    bits: tuple[str, ...] = ("16", "8", "4", "2", "w8a16", "w4a16", "w2a16")
    systems: tuple[System, ...] = field(default_factory=lambda: _default_systems())
    prompt: int = 512
    batches: tuple[int, ...] = (1, 4, 16)

    @classmethod
    def quick(cls) -> StudyOptions:
        return cls(models=(("gpt2", (128,)),), bits=("16", "4", "w4a16"), prompt=64, batches=(1, 4))


def _default_systems() -> tuple[System, ...]:
    import tech

    hbm = tech.memory("hbm2")
    return (
        System("default (64 GB/s, LPDDR4-class)", "lpddr4", 64.0),
        System(f"HBM-class ({hbm.bw_gb_per_s:g} GB/s, one HBM2 stack)", "hbm2", hbm.bw_gb_per_s),
    )


@dataclass(frozen=True, slots=True)
class Point:
    model: str
    system: System
    bits: BitsSpec
    design: Accelerator
    step: LLMStep

    @property
    def label(self) -> str:
        """The bits token, marked when the MACs are dedicated to mixed operands."""
        return self.bits.label + (" ded." if self.design.mac_mode == "dedicated" else "")


def run_point(model: str, phase: str, spec: BitsSpec, system: System, mode: str = "configurable") -> Point:
    """One design point: iso-area to the 16-bit base at `spec`'s MAC operands, the graph at `spec`."""
    import workloads

    graph: LayerGraph = workloads.load(model, phase=phase).with_policy(spec.policy(first_last_bits=None))
    base = Accelerator(bw_gb_per_s=system.bw_gb_per_s)
    design = iso_area(base, spec.w_bits, mode, a_bits=spec.a_bits)
    result = simulate(graph, design, memory=system.memory)
    return Point(model, system, spec, design, llm_step(graph, result))


def _mb(v: float) -> str:
    return f"{v / MB:,.1f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _decode_table(points: Sequence[Point]) -> str:
    base = {(p.system, p.step.ctx): p.step for p in points if p.label == "16"}
    rows = []
    for p in points:
        s, ref = p.step, base[(p.system, p.step.ctx)]
        rows.append(
            [
                p.label,
                p.design.macs_per_cycle,
                f"{s.tokens_per_s:,.1f}",
                f"{s.tokens_per_s / ref.tokens_per_s:.2f}x",
                f"{ref.offchip_bytes / s.offchip_bytes:.2f}x",
                "all" if s.weights_on_chip else _mb(s.pinned_weight_bytes),
                "yes" if s.kv_on_chip else "no",
                _mb(s.weight_bytes),
                _mb(s.kv_bytes),
                _mb(s.other_bytes),
                f"{s.roofline_tokens_per_s:,.1f}",
                f"{s.compute_bound_tokens_per_s:,.0f}",
                f"{s.roofline_ratio:.3f}",
            ]
        )
    return _table(
        [
            "bits",
            "MACs/cycle",
            "tokens/s",
            "speedup vs 16 b",
            "fewer bytes vs 16 b",
            "weight MB pinned",
            "KV on chip",
            "weight MB/token",
            "KV MB/token",
            "other MB/token",
            "bytes/bw bound tokens/s",
            "compute-only tokens/s",
            "sim / bound",
        ],
        rows,
    )


def _figure(points: Sequence[Point], model: str, path: Path) -> None:
    """tokens/s vs weight bits at the longest context: one colour per system, one line style per kind of
    precision (uniform, weight-only on configurable MACs, weight-only on dedicated MACs)."""
    from matplotlib.figure import Figure

    from accelsim.report.plot import save_figure

    ctx = max(p.step.ctx for p in points)
    fig = Figure(figsize=(6.4, 4.4), dpi=100)
    ax = fig.add_subplot()
    kinds = (
        ("uniform wXaXkvX", "-", lambda p: p.bits.uniform),
        ("weight-only wXa16, configurable", "--", lambda p: not p.bits.uniform and p.design.mac_mode == "configurable"),
        ("weight-only wXa16, dedicated", ":", lambda p: not p.bits.uniform and p.design.mac_mode == "dedicated"),
    )
    colours = ("tab:blue", "tab:red", "tab:green", "tab:purple")
    for colour, system in zip(colours, dict.fromkeys(p.system for p in points), strict=False):
        sel = [p for p in points if p.system == system and p.step.ctx == ctx]
        start = next(p for p in sel if p.label == "16")
        for name, style, keep in kinds:
            line = sorted([start, *(p for p in sel if keep(p) and p is not start)], key=lambda p: -p.bits.w_bits)
            if len(line) > 1:
                ax.plot(
                    [p.bits.w_bits for p in line],
                    [p.step.tokens_per_s for p in line],
                    style,
                    marker="o",
                    color=colour,
                    label=f"{system.label.split(' (')[0]}: {name}",
                )
    ax.set_xscale("log", base=2)
    ax.set_xticks([16, 8, 4, 2], ["16", "8", "4", "2"])
    ax.invert_xaxis()
    ax.set_yscale("log")
    ax.set_xlabel("weight bits")
    ax.set_ylabel("decode tokens/s (batch 1)")
    ax.set_title(f"{model}: decode at context {ctx}, iso-area designs")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    save_figure(fig, path)


@dataclass(frozen=True, slots=True)
class StudyReport:
    markdown: Path
    figures: tuple[Path, ...]
    numbers: dict[str, float]


def llm_study(
    out: str | Path = "docs", *, options: StudyOptions | None = None, log: Callable[[str], None] | None = None
) -> StudyReport:
    """Run the study and write the report and figures under `out`; returns paths and key numbers."""
    opts = options or StudyOptions()
    say = log or (lambda _m: None)
    out = Path(out)
    (out / FIGURES).mkdir(parents=True, exist_ok=True)
    specs = [parse_bits_token(b) for b in opts.bits]
    sections, figures, numbers = [_header(opts)], list[Path](), dict[str, float]()
    for model, contexts in opts.models:
        say(f"{model}: decode, {len(specs)} precisions x {len(opts.systems)} systems x {len(contexts)} contexts")
        points = [
            run_point(model, f"decode,ctx={ctx}", spec, system, mode)
            for system in opts.systems
            for ctx in contexts
            for spec in specs
            for mode in _modes(spec)
        ]
        fig = out / FIGURES / f"llm_{model}_decode.png"
        _figure(points, model, fig)
        figures.append(fig)
        sections.append(_model_section(model, points, fig.name, numbers))
    say("decode batch sweep")
    sections.append(_batch_section(opts))
    say("prefill (time to first token)")
    sections.append(_prefill_section(opts, specs))
    markdown = out / REPORT
    atomic_write(markdown, "\n\n".join(sections) + "\n")
    return StudyReport(markdown, tuple(figures), numbers)


def _modes(spec: BitsSpec) -> tuple[str, ...]:
    """Mixed-operand points also run on MACs dedicated to them (tech model area, `iso_area` dedicated)."""
    return ("configurable",) if spec.uniform else ("configurable", "dedicated")


def _header(opts: StudyOptions) -> str:
    systems = "; ".join(s.label for s in opts.systems)
    return f"""# Decoder LLMs on iso-area accelerators: decode at 16, 8, 4 and 2 bits

Generated by `accelsim llm-study` (do not edit by hand). Every point is iso-area to the 16-bit
default system (14 nm, 4 cores of 16x32 configurable MACs, 16 MB on chip), with the MACs rebuilt
for the point's weight x activation bits (`accelsim.hardware.design.iso_area`; weight-only ``wXa16`` points
keep 16-bit activations, so configurable MACs stay as many as the base's; rows marked "ded." use MACs
built for w x 16-bit operands, whose smaller area (`tech` MAC area model) buys more of them). Systems: {systems}. \
Batch 1; all
layers, the LM head included, at the point's bits; the KV cache at the activation bits. Numbers are
per decode step (one token); "weight MB pinned" is what the memory plan keeps on chip (the rest
streams every step); "other" bytes are activations and operands re-read when a tile did not fit. Models: \
`workloads.llm` (shapes from the published Hugging Face configs)."""


def _model_section(model: str, points: Sequence[Point], figure: str, numbers: dict[str, float]) -> str:
    parts = [f"## {model}: decode", f"![{figure}]({FIGURES}/{figure})"]
    for system in dict.fromkeys(p.system for p in points):
        for ctx in sorted({p.step.ctx for p in points}):
            sel = [p for p in points if p.system == system and p.step.ctx == ctx]
            parts.append(f"### {system.label}, context {ctx}\n\n{_decode_table(sel)}")
    default = points[0].system
    ref = max((p for p in points if p.system == default and p.label == "16"), key=lambda p: p.step.ctx)
    numbers[f"{model}_16b_tokens_per_s"] = ref.step.tokens_per_s
    numbers[f"{model}_16b_roofline_ratio"] = ref.step.roofline_ratio
    parts.append(_check_text(ref))
    parts.append(
        _speedup_text([p for p in points if p.system == default and p.step.ctx == ref.step.ctx], default.label)
    )
    hbm = [p for p in points if p.system != default and p.step.ctx == ref.step.ctx]
    if hbm:
        parts.append(_compute_text(hbm, ref.design.bw_gb_per_s))
    return "\n\n".join(parts)


def _check_text(ref: Point) -> str:
    s = ref.step
    return f"""### Back-of-envelope check ({ref.system.label}, 16 bits, context {s.ctx})

At batch 1 a decode step moves every weight not pinned on chip and the KV cache once:
{_mb(s.weight_bytes)} MB of weights (the memory plan pins {_mb(s.pinned_weight_bytes)} MB) + {_mb(s.kv_bytes)} MB of
KV cache = {_mb(s.weight_bytes + s.kv_bytes)} MB per token. \
At {ref.design.bw_gb_per_s * ref.design.dram_efficiency:g} GB/s
sustained that bounds decode at {s.roofline_tokens_per_s:,.2f} tokens/s
({1e3 / s.roofline_tokens_per_s:,.2f} ms per token). The simulation gives {s.tokens_per_s:,.2f} tokens/s
({s.seconds * 1e3:,.2f} ms), {s.roofline_ratio:.1%} of the bound. The gap: {_mb(s.other_bytes)} MB more traffic
({s.other_bytes / (s.weight_bytes + s.kv_bytes):.1%}: attention operands re-read when a K or V tile does not fit
the streaming buffer, activations spilled), and time the memory channel idles because each layer starts
after a barrier (its first tile's load and last tile's compute and store overlap nothing). Compute
alone would allow {s.compute_bound_tokens_per_s:,.1f} tokens/s: the step is memory-bound."""


def _speedup_text(points: Sequence[Point], label: str) -> str:
    ref = next(p.step for p in points if p.label == "16")
    w_fit = [p.label for p in points if p.step.weights_on_chip]
    lines = []
    for p in points:
        if p.label == "16":
            continue
        speed, fewer = p.step.tokens_per_s / ref.tokens_per_s, ref.offchip_bytes / p.step.offchip_bytes
        ratio = 16 / p.bits.w_bits
        kind = (
            "super-linear"
            if speed > 1.03 * ratio
            else "sub-linear"
            if speed < 0.97 * ratio
            else "about linear (within 3%)"
        )
        lines.append(
            f"- {p.label}: {speed:.2f}x for {fewer:.2f}x fewer bytes ({kind} against 16/w = {ratio:g}x)"
            + (", KV cache on chip" if p.step.kv_on_chip and not ref.kv_on_chip else "")
        )
    return f"""### Super-linear or not ({label}, context {ref.ctx})

Decode at batch 1 is memory-bound, so a precision speeds it up by the ratio of bytes per token, not
of MACs. A speedup beyond 16/w needs traffic to vanish beyond the weights' shrinking: the KV cache
coming to fit on chip, a larger share of the weights pinned, or operands no longer re-read once
their tiles fit. All weights on chip ({points[0].design.sram_bytes / MB:g} MB): \
{", ".join(w_fit) if w_fit else "at none of these precisions"}.

""" + "\n".join(lines)


def _compute_text(points: Sequence[Point], base_bw: float) -> str:
    worst = min((p for p in points if p.design.mac_mode == "configurable"), key=lambda p: p.step.roofline_ratio)
    s = worst.step
    dedicated = next((p for p in points if p.design.mac_mode == "dedicated" and p.bits == worst.bits), None)
    extra = (
        ""
        if dedicated is None
        else (
            f" MACs dedicated to w{worst.bits.w_bits} x 16-bit operands fit {dedicated.design.macs_per_cycle} per "
            "cycle in the same"
            f" area and reach {dedicated.step.tokens_per_s:,.1f} tokens/s ({dedicated.step.roofline_ratio:.0%} of "
            "the bound)."
        )
    )
    return f"""### When decode stops being memory-bound ({worst.system.label}, context {s.ctx})

With {worst.design.bw_gb_per_s / base_bw:g}x the bandwidth, weight-only points hit the array instead: {worst.label} \
reaches only
{s.roofline_ratio:.0%} of its bytes bound because compute alone allows {s.compute_bound_tokens_per_s:,.1f} tokens/s. A
decode GEMV has one row (M = 1 at batch 1), so an output-stationary array keeps one of its
{worst.design.rows} rows busy, and configurable MACs running 16-bit activations are no more numerous than the
base's.{extra} Uniform low bits add MACs and keep gaining; larger batches fill the rows."""


def _batch_section(opts: StudyOptions) -> str:
    model, contexts = opts.models[-1]
    system, ctx = opts.systems[-1], min(contexts)
    rows = []
    for token in ("16", "4", "w4a16"):
        for batch in opts.batches:
            s = run_point(model, f"decode,ctx={ctx},batch={batch}", parse_bits_token(token), system).step
            rows.append(
                [
                    token,
                    batch,
                    f"{s.tokens_per_s:,.1f}",
                    f"{s.roofline_tokens_per_s:,.1f}",
                    f"{s.compute_bound_tokens_per_s:,.1f}",
                    _mb(s.weight_bytes),
                    _mb(s.kv_bytes),
                ]
            )
    table = _table(
        [
            "bits",
            "batch",
            "tokens/s",
            "bytes/bw bound tokens/s",
            "compute-only tokens/s",
            "weight MB/step",
            "KV MB/step",
        ],
        rows,
    )
    return f"""## Decode batch ({model}, {system.label}, context {ctx})

A step of batch B reads the weights once for B tokens (the KV cache once per sequence) and gives the
array B rows, so tokens/s grows with B until either bound binds.

{table}"""


def _prefill_section(opts: StudyOptions, specs: Sequence[BitsSpec]) -> str:
    system = opts.systems[0]
    rows, verdicts = [], []
    for model, _ in opts.models:
        for spec in specs:
            if spec.label not in ("16", "8", "4", "w4a16"):
                continue
            p = run_point(model, f"prefill,prompt={opts.prompt}", spec, system)
            s = p.step
            rows.append(
                [
                    model,
                    spec.label,
                    f"{s.seconds * 1e3:,.2f}",
                    f"{s.tokens_per_s:,.0f}",
                    f"{s.compute_bound_tokens_per_s:,.0f}",
                    _mb(s.weight_bytes),
                    _mb(s.other_bytes),
                ]
            )
            verdicts.append(f"{model} {spec.label}: {s.tokens_per_s / s.compute_bound_tokens_per_s:.0%}")
    table = _table(
        [
            "model",
            "bits",
            "time to first token (ms)",
            "prompt tokens/s",
            "compute-bound tokens/s",
            "weight MB",
            "other MB",
        ],
        rows,
    )
    return f"""## Prefill: time to first token ({system.label}, prompt {opts.prompt}, batch 1)

A prefill step needs every weight only once for the whole prompt, so in principle it is compute-bound.
What the model moves is in the table: "other" counts activations spilled off chip and operands
re-read because their tiles do not fit the 16 MB chip (scores of P x P per head, wide FFN
activations); where it dwarfs the weights, prefill is memory-bound after all, and lower bits help
twice (denser MACs, and tiles that fit). Compute-only time as a share of the time to first token
(100% = compute-bound): {"; ".join(verdicts)}.

{table}"""


def run_from_args(args: argparse.Namespace, log: Callable[[str], None] | None = None) -> int:
    import sys

    report = llm_study(
        args.out, options=StudyOptions.quick() if args.quick else None, log=log or (lambda m: print(m, file=sys.stderr))
    )
    print(report.markdown)
    for fig in report.figures:
        print(fig)
    for key, value in sorted(report.numbers.items()):
        print(f"{key} = {value:.4g}")
    return 0


__all__ = ["StudyOptions", "System", "llm_study", "run_point"]
