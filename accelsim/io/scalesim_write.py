"""Writing a `LayerGraph`'s MAC layers as a SCALE-Sim topology CSV (conv or GEMM form).

The format itself (the two headers, the ``name#i`` naming of a batched MatMul's groups) is defined
here; `accelsim.io.scalesim` reads it back, and its module docstring says what each form means and
how a padded convolution or a MatMul is written so that SCALE-Sim computes the same MACs.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from accelsim.atomic import atomic_write
from accelsim.errors import InputError
from accelsim.ir.graph import LayerGraph
from accelsim.ir.layers import Conv2d, Dense, Layer, MatMul

#: Topology forms: ``auto`` writes GEMM when every MAC layer is Dense/MatMul, conv otherwise.
FORMS = ("auto", "conv", "gemm")

CONV_HEADER = (
    "Layer name",
    "IFMAP Height",
    "IFMAP Width",
    "Filter Height",
    "Filter Width",
    "Channels",
    "Num Filter",
    "Strides",
)
GEMM_HEADER = ("Layer", "M", "N", "K")

#: A GEMM-form row named ``base#i`` is group i of a batched MatMul (what the writer emits for one).
GROUP_RE = re.compile(r"^(?P<base>.+)#(?P<index>\d+)$")


@dataclass(frozen=True, slots=True)
class TopologyWrite:
    """What `write_topology` wrote: the form, the layers written (in order), and those skipped."""

    path: str
    form: str
    layers: tuple[str, ...]
    rows: int
    macs: int
    skipped: dict[str, str]
    skipped_macs: int


def _check_name(name: str, form: str, layer: Layer) -> str | None:
    if name != name.strip() or any(ch in name for ch in ',\r\n"'):
        return f"name {name!r} has a comma, quote, newline or edge space, which SCALE-Sim's CSV reader splits on"
    if form == "conv" and "DP" in name:
        return "a name containing 'DP' makes SCALE-Sim read the row as a depthwise layer"
    if form == "gemm" and GROUP_RE.match(name) and not isinstance(layer, MatMul):
        return "a name ending in '#<digits>' reads back as a MatMul group"
    return None


def topology_problem(layer: Layer, form: str) -> str | None:
    """Why `layer` cannot be a row of a `form` topology (None: it can, or it has no MACs to write)."""
    if form not in ("conv", "gemm"):
        raise InputError("form", form, "must be 'conv' or 'gemm'")
    if isinstance(layer, Conv2d):
        if layer.groups != 1:
            kind = "depthwise" if layer.groups == layer.in_shape[1] else "grouped"
            return f"{kind} convolution (groups={layer.groups}): a SCALE-Sim row is one dense convolution"
        if layer.dilation != (1, 1):
            return f"dilation {layer.dilation}: SCALE-Sim has no dilated convolution"
        if form == "conv" and layer.stride[0] != layer.stride[1]:
            return f"stride {layer.stride}: a SCALE-Sim row has one stride for both axes"
    elif isinstance(layer, MatMul):
        if form == "conv":
            return "MatMul of two activations: only the GEMM form can express it (--gemm)"
    elif not isinstance(layer, Dense):
        return None
    return _check_name(layer.name, form, layer)


def _conv_cells(layer: Layer) -> list[int]:
    """One conv-form row per sample: the batch is dropped (the reader's `batch` puts it back)."""
    if isinstance(layer, Conv2d):
        _, c, ho, wo = layer.out_shape
        (kh, kw), (sh, sw) = layer.kernel, layer.stride
        # the padded input less rows no window reaches: SCALE-Sim would round those up into an extra output
        return [(ho - 1) * sh + kh, (wo - 1) * sw + kw, kh, kw, layer.in_shape[1], layer.out_channels, sh]
    assert isinstance(layer, Dense)
    rows = math.prod(layer.in_shape[1:-1])  # (N, K) -> 1 row per sample; (N, S, K) -> S rows
    return [rows, 1, 1, 1, layer.in_shape[-1], layer.out_features, 1]


def _gemm_rows(layer: Layer) -> list[tuple[str, int, int, int]]:
    """GEMM-form rows: the whole GEMM (batch folded into M); a batched MatMul gives one row per group."""
    view = layer.gemm()
    assert view is not None
    if isinstance(layer, MatMul):
        return [(f"{layer.name}#{g}", view.m, view.n, view.k) for g in range(view.groups)]
    return [(layer.name, view.m, view.n, view.k)]


def _auto_form(layers: Iterable[Layer]) -> str:
    mac_layers = [layer for layer in layers if layer.macs]
    if mac_layers and all(isinstance(layer, (Dense, MatMul)) for layer in mac_layers):
        return "gemm"
    return "conv"


def write_topology(
    graph: LayerGraph, path: str | os.PathLike[str], *, form: str = "auto", skip_unsupported: bool = False
) -> TopologyWrite:
    """Write the MAC layers of `graph` as a SCALE-Sim topology CSV, atomically; layers without MACs
    (pools, adds, reshapes) are left out, since SCALE-Sim models only the arrays' GEMM work.

    Conv form: dense `Conv2d` (IFMAP = the padded input its windows read) and `Dense` (a 1x1 conv
    on a 1-pixel, or S-row, input), one row per sample. GEMM form: conv, dense and MatMul as
    (M, N, K), batch in M; a MatMul of G groups is G rows ``name#0 .. name#(G-1)``.
    ``form="auto"`` picks GEMM when every MAC layer is Dense or MatMul. A layer SCALE-Sim cannot
    express raises `InputError` naming it, unless
    `skip_unsupported`, which leaves it out and lists it (with the reason) in the result.
    """
    if form not in FORMS:
        raise InputError("form", form, f"must be one of {', '.join(FORMS)}")
    layers = graph.layers()
    if form == "auto":
        form = _auto_form(layers)
    lines = [", ".join(CONV_HEADER if form == "conv" else GEMM_HEADER) + ","]
    written: list[str] = []
    skipped: dict[str, str] = {}
    macs = skipped_macs = 0
    for layer in layers:
        if not layer.macs:
            continue
        problem = topology_problem(layer, form)
        if problem is not None:
            if not skip_unsupported:
                raise InputError(
                    f"{layer.name}", layer.kind, f"cannot be written as a SCALE-Sim topology row: {problem}"
                )
            skipped[layer.name] = problem
            skipped_macs += layer.macs
            continue
        if form == "conv":
            lines.append(", ".join([layer.name, *map(str, _conv_cells(layer))]) + ",")
        else:
            lines.extend(f"{name}, {m}, {n}, {k}," for name, m, n, k in _gemm_rows(layer))
        written.append(layer.name)
        macs += layer.macs
    if not written:
        raise InputError("graph", graph.name, f"has no layer a SCALE-Sim {form}-form topology can express")
    atomic_write(path, "\n".join(lines) + "\n")
    return TopologyWrite(
        path=str(path),
        form=form,
        layers=tuple(written),
        rows=len(lines) - 1,
        macs=macs,
        skipped=skipped,
        skipped_macs=skipped_macs,
    )


__all__ = ["CONV_HEADER", "FORMS", "GEMM_HEADER", "GROUP_RE", "TopologyWrite", "topology_problem", "write_topology"]
