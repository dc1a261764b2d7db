"""The networks: ResNet20 (CIFAR-style), the PACT paper's SVHN network, and a small CNN.

Every model is a `Net` of units (conv+BN+pool+activation, residual blocks, the classifier head)
built from `pact_train.layers`, and every unit also emits itself into an accelsim `LayerGraph`
with the shapes it trains on (`Net.to_graph`), so the accelerator simulator sees exactly the
trained network: per-layer weight bits and the bits of the activations each layer reads.

Quantization follows PACT section 5: activations by the chosen scheme after every BatchNorm,
weights by DoReFa (or SAWB), the first and last layers at `first_bits`/`last_bits` (8 by default,
PACT section 6 and appendix A.3), with the image itself quantized to the first layer's bits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from accelsim.errors import InputError
from pact_train import layers as L
from pact_train.quant import WEIGHT_SCHEMES, WeightQuantizer, check_bits

#: bits written to the IR for a full-precision (float32) tensor
FP_BITS = 32


@dataclass(frozen=True, slots=True, kw_only=True)
class QuantConfig:
    """How a network is quantized.

    act_quant: ``none`` (float ReLU), ``pact`` (learned clip), ``dorefa`` (clip at 1),
    ``relu-max`` (ReLU quantized over its observed max, no clipping).
    weight_quant: ``none``, ``dorefa``, ``sawb``.
    bits: weights and activations of the body layers; None = not quantized.
    first_bits / last_bits: the first conv (weights and the image it reads) and the last dense
    layer (weights and the activations it reads); None = full precision.
    alpha_init / alpha_per_channel: PACT's initial clipping level and its scope.
    """

    act_quant: str = "pact"
    weight_quant: str = "dorefa"
    bits: int | None = 4
    first_bits: int | None = 8
    last_bits: int | None = 8
    alpha_init: float = 10.0
    alpha_per_channel: bool = False

    def __post_init__(self) -> None:
        if self.act_quant not in L.ACT_SCHEMES:
            raise InputError("act_quant", self.act_quant, f"must be one of {', '.join(L.ACT_SCHEMES)}")
        if self.weight_quant not in WEIGHT_SCHEMES:
            raise InputError("weight_quant", self.weight_quant, f"must be one of {', '.join(WEIGHT_SCHEMES)}")
        check_bits("bits", self.bits)
        check_bits("first_bits", self.first_bits)
        check_bits("last_bits", self.last_bits)
        if not (isinstance(self.alpha_init, (int, float)) and np.isfinite(self.alpha_init) and self.alpha_init > 0):
            raise InputError("alpha_init", self.alpha_init, "must be a finite number > 0")
        if not self.quantized:  # a float network has no quantized first/last layer either
            for name in ("bits", "first_bits", "last_bits"):
                object.__setattr__(self, name, None)

    @property
    def quantized(self) -> bool:
        return self.act_quant != "none" or self.weight_quant != "none"

    def wq(self, bits: int | None) -> WeightQuantizer:
        return WeightQuantizer(self.weight_quant if bits is not None else "none", bits)

    def act(self, bits: int | None, channels: int) -> L.Activation:
        return L.make_activation(
            self.act_quant, bits, alpha_init=self.alpha_init, channels=channels if self.alpha_per_channel else None
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuantConfig:
        return cls(**data)


def _ir_bits(bits: int | None) -> int:
    return FP_BITS if bits is None else bits


def _nchw(shape_nhwc: tuple[int, ...]) -> tuple[int, int, int, int]:
    n, h, w, c = shape_nhwc
    return (n, c, h, w)


def _record_alpha(g: Any, layer: str, act: L.Activation | None) -> None:
    """Note in the graph's metadata the clipping level of the activation applied to `layer`'s output."""
    value = act.alpha_value() if act is not None else None
    if value is not None:
        g.metadata.setdefault("alphas", {})[layer] = value


# --- units ---------------------------------------------------------------------------------------


class Unit(L.Sequential):
    """A Sequential that can also write itself into a LayerGraph."""

    def emit(
        self, g: Any, name: str, src: list[str], shape: tuple[int, ...], bits: int | None
    ) -> tuple[list[str], tuple[int, ...], int | None]:
        """Add this unit's layers to `g` reading `src` (NCHW `shape`, `bits` wide); return (outputs, shape, bits)."""
        raise NotImplementedError

    def activation_modules(self) -> list[tuple[str, L.Activation]]:
        return [(n, m) for n, m in self.modules() if isinstance(m, L.Activation)]

    def weight_nodes(self, name: str) -> list[tuple[str, Any]]:
        """(IR node name, Conv2d/Dense module) of every weight layer `emit` writes for this unit."""
        raise NotImplementedError

    def activation_nodes(self, name: str) -> list[tuple[str, L.Activation]]:
        """(IR node carrying the activation's output, activation module) for every activation here."""
        raise NotImplementedError


class ConvUnit(Unit):
    """conv -> [BatchNorm] -> [pool] -> [activation] (tensorpack order: pool before the activation)."""

    def __init__(
        self,
        conv: L.Conv2d,
        bn: L.BatchNorm | None = None,
        pool: L.MaxPool | None = None,
        act: L.Activation | None = None,
    ) -> None:
        parts: dict[str, L.Module] = {"conv": conv}
        if bn is not None:
            parts["bn"] = bn
        if pool is not None:
            parts["pool"] = pool
        if act is not None:
            parts["act"] = act
        super().__init__(**parts)

    def weight_nodes(self, name: str) -> list[tuple[str, Any]]:
        return [(name, self.conv)]

    def activation_nodes(self, name: str) -> list[tuple[str, L.Activation]]:
        if not hasattr(self, "act"):
            return []
        return [(f"{name}.pool" if hasattr(self, "pool") else name, self.act)]

    def emit(self, g, name, src, shape, bits):  # type: ignore[no-untyped-def]
        from accelsim.ir import Conv2d, Pool, Precision

        conv: L.Conv2d = self.conv
        act: L.Activation | None = getattr(self, "act", None)
        node = Conv2d(
            name=name,
            in_shape=shape,
            out_channels=conv.out_channels,
            kernel=conv.kernel,
            stride=(conv.stride, conv.stride),
            padding=(conv.padding, conv.padding),
            groups=conv.groups,
            bias=hasattr(conv, "bias"),
            batchnorm=hasattr(self, "bn"),
            act=act.ir_act if act else "none",
        )
        g.add(node, inputs=src)
        g.set_precision(
            name, Precision(w_bits=_ir_bits(conv.wq.bits if conv.wq.active else None), a_bits=_ir_bits(bits))
        )
        out_bits = act.bits if act is not None else None
        _record_alpha(g, name, act)
        out, last = node.out_shape, name
        if hasattr(self, "pool"):
            # max-pooling commutes with a monotone activation, so "pool then act" (trained) is the
            # same function as the conv's act followed by the pool (what the IR records)
            p: L.MaxPool = self.pool
            pool = Pool(
                name=f"{name}.pool",
                in_shape=out,
                mode="avg" if isinstance(p, L.AvgPool) else "max",
                kernel=(p.kernel, p.kernel),
                stride=(p.stride, p.stride),
                padding=(p.padding, p.padding),
            )
            g.add(pool, inputs=[name])
            g.set_precision(pool.name, Precision(w_bits=_ir_bits(out_bits), a_bits=_ir_bits(out_bits)))
            out, last = pool.out_shape, pool.name
        return [last], out, out_bits


class BasicBlock(Unit):
    """ResNet basic block: conv-BN-act, conv-BN, + shortcut (identity or 1x1 conv-BN projection), act."""

    def __init__(
        self, cin: int, cout: int, stride: int, q: QuantConfig, rng: np.random.Generator, out_bits: int | None
    ) -> None:
        parts: dict[str, L.Module] = {
            "conv1": ConvUnit(
                L.Conv2d(cin, cout, 3, rng=rng, stride=stride, padding=1, wq=q.wq(q.bits)),
                L.BatchNorm(cout),
                act=q.act(q.bits, cout),
            ),
            "conv2": ConvUnit(L.Conv2d(cout, cout, 3, rng=rng, padding=1, wq=q.wq(q.bits)), L.BatchNorm(cout)),
        }
        if stride != 1 or cin != cout:
            parts["shortcut"] = ConvUnit(
                L.Conv2d(cin, cout, 1, rng=rng, stride=stride, wq=q.wq(q.bits)), L.BatchNorm(cout)
            )
        parts["act"] = q.act(out_bits, cout)
        super().__init__(**parts)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        y = self.conv2.forward(self.conv1.forward(x, train), train)
        s = self.shortcut.forward(x, train) if hasattr(self, "shortcut") else x
        return self.act.forward(y + s, train)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        d = self.act.backward(dy)
        dx = self.conv1.backward(self.conv2.backward(d))
        return dx + (self.shortcut.backward(d) if hasattr(self, "shortcut") else d)

    def _parts(self, name: str) -> list[tuple[str, ConvUnit]]:
        parts = [(f"{name}.conv1", self.conv1), (f"{name}.conv2", self.conv2)]
        return parts + ([(f"{name}.shortcut", self.shortcut)] if hasattr(self, "shortcut") else [])

    def weight_nodes(self, name: str) -> list[tuple[str, Any]]:
        return [node for part, unit in self._parts(name) for node in unit.weight_nodes(part)]

    def activation_nodes(self, name: str) -> list[tuple[str, L.Activation]]:
        inner = [node for part, unit in self._parts(name) for node in unit.activation_nodes(part)]
        return [*inner, (f"{name}.add", self.act)]

    def emit(self, g, name, src, shape, bits):  # type: ignore[no-untyped-def]
        from accelsim.ir import Add, Precision

        c1, s1, b1 = self.conv1.emit(g, f"{name}.conv1", src, shape, bits)
        c2, s2, _ = self.conv2.emit(g, f"{name}.conv2", c1, s1, b1)
        sc = self.shortcut.emit(g, f"{name}.shortcut", src, shape, bits)[0] if hasattr(self, "shortcut") else src
        add = Add(name=f"{name}.add", shape=s2, act=self.act.ir_act)
        g.add(add, inputs=[*c2, *sc])
        # The pre-add conv2 output is taken to be summed in conv2's epilogue (never stored), so
        # the add is recorded at the block's activation bits.
        g.set_precision(add.name, Precision(w_bits=_ir_bits(self.act.bits), a_bits=_ir_bits(self.act.bits)))
        _record_alpha(g, add.name, self.act)
        return [add.name], s2, self.act.bits


class Head(Unit):
    """Global average pool (or flatten of a 1x1 map) then the last dense layer."""

    def __init__(self, pool: L.Module, fc: L.Dense) -> None:
        super().__init__(pool=pool, fc=fc)

    def weight_nodes(self, name: str) -> list[tuple[str, Any]]:
        return [(f"{name}.fc", self.fc)]

    def activation_nodes(self, name: str) -> list[tuple[str, L.Activation]]:
        return []

    def emit(self, g, name, src, shape, bits):  # type: ignore[no-untyped-def]
        from accelsim.ir import Dense, Flatten, Pool, Precision

        fp = Precision(w_bits=_ir_bits(bits), a_bits=_ir_bits(bits))
        if isinstance(self.pool, L.GlobalAvgPool):
            pool = Pool(name=f"{name}.pool", in_shape=shape, mode="avg", kernel=(shape[2], shape[3]), stride=(1, 1))
            g.add(pool, inputs=src)
            g.set_precision(pool.name, fp)
            src, shape = [pool.name], pool.out_shape
        flat = Flatten(name=f"{name}.flatten", in_shape=shape)
        g.add(flat, inputs=src)
        g.set_precision(flat.name, fp)
        fc: L.Dense = self.fc
        dense = Dense(
            name=f"{name}.fc",
            in_shape=flat.out_shape,
            out_features=fc.out_features,
            bias=hasattr(fc, "bias"),
            act="none",
        )
        g.add(dense, inputs=[flat.name])
        g.set_precision(
            dense.name, Precision(w_bits=_ir_bits(fc.wq.bits if fc.wq.active else None), a_bits=_ir_bits(bits))
        )
        return [dense.name], dense.out_shape, None


class Net(L.Sequential):
    """A classifier: input quantizer, then units in order; `to_graph` writes the accelsim IR."""

    def __init__(self, arch: str, in_shape: tuple[int, int, int], classes: int, q: QuantConfig, **units: Unit) -> None:
        super().__init__(input=L.InputQuant(q.first_bits), **units)
        self.arch, self.in_shape, self.classes, self.q = arch, tuple(in_shape), classes, q

    def activation_modules(self) -> list[tuple[str, L.Activation]]:
        """Every activation in forward order, named by its module path."""
        return [(n, m) for n, m in self.modules() if isinstance(m, L.Activation)]

    def alphas(self) -> dict[str, float | list[float]]:
        """Clipping level of each activation (learned alpha for PACT; fixed clip or running max otherwise)."""
        out = {}
        for name, act in self.activation_modules():
            value = act.alpha_value()
            if value is not None:
                out[name] = value
        return out

    def units(self) -> list[tuple[str, Unit]]:
        """The units after the input quantizer, in order, by name."""
        return [(n, getattr(self, n)) for n in self.order[1:]]

    def to_graph(self, batch: int = 1, name: str | None = None) -> Any:
        """This network as an accelsim `LayerGraph` with batch `batch` (NCHW shapes, per-layer bits)."""
        from accelsim.ir import LayerGraph

        g = LayerGraph(name or self.arch)
        h, w, c = self.in_shape
        src: list[str] = []
        shape: tuple[int, ...] = (batch, c, h, w)
        bits = self.input.bits  # the image, at the first layer's input bits
        for unit_name in self.order[1:]:
            src, shape, bits = getattr(self, unit_name).emit(g, unit_name, src, shape, bits)
        return g


# --- the models ----------------------------------------------------------------------------------


def _first_conv(cin: int, cout: int, k: int, q: QuantConfig, rng: np.random.Generator, **kw: Any) -> L.Conv2d:
    # the image needs no gradient: skip the first layer's input gradient
    return L.Conv2d(cin, cout, k, rng=rng, wq=q.wq(q.first_bits), need_dx=False, **kw)


def resnet20(
    in_shape: tuple[int, int, int],
    classes: int,
    q: QuantConfig,
    rng: np.random.Generator,
    width: int = 16,
    blocks: int = 3,
) -> Net:
    """CIFAR ResNet (He et al. 2016): conv, 3 stages of `blocks` basic blocks (width, 2w, 4w), GAP, FC.

    blocks=3 is ResNet20 (19 convs + FC). Down-sampling blocks use a 1x1 conv-BN projection
    shortcut (option B), so the residual add maps onto the IR without a zero-pad op.
    """
    h, w, c = in_shape
    units: dict[str, Unit] = {
        "conv0": ConvUnit(_first_conv(c, width, 3, q, rng, padding=1), L.BatchNorm(width), act=q.act(q.bits, width)),
    }
    cin = width
    n_blocks = 3 * blocks
    for stage, cout in enumerate((width, 2 * width, 4 * width), start=1):
        for b in range(blocks):
            stride = 2 if (stage > 1 and b == 0) else 1
            last = len(units) == n_blocks  # the block feeding the classifier
            units[f"s{stage}b{b}"] = BasicBlock(cin, cout, stride, q, rng, q.last_bits if last else q.bits)
            cin = cout
    units["head"] = Head(L.GlobalAvgPool(), L.Dense(cin, classes, rng=rng, wq=q.wq(q.last_bits)))
    return Net("resnet20" if blocks == 3 else f"resnet{6 * blocks + 2}", in_shape, classes, q, **units)


def svhn_net(in_shape: tuple[int, int, int], classes: int, q: QuantConfig, rng: np.random.Generator) -> Net:
    """The PACT/DoReFa SVHN network (7 conv + 1 FC; tensorpack ``svhn-digit-dorefa.py``).

    conv0 5x5/48 valid (+bias) -> maxpool 2 -> act; conv1 3x3/64; conv2 3x3/64 -> maxpool 2;
    conv3 3x3/128 valid; conv4 3x3/128; conv5 3x3/128 valid; conv6 5x5/512 valid; FC. On the
    paper's 40x40 input conv6 sees 5x5 and outputs 1x1; on a smaller input its kernel shrinks to
    the map it sees. Dropout before conv6 is left out. Needs an input of at least 24 px.
    """
    h, w, c = in_shape
    if min(h, w) < 24:
        raise InputError("model", "svhn", f"needs an input of at least 24x24 pixels, got {h}x{w}")
    size = (min(h, w) - 4) // 2 // 2 - 4  # map size conv6 sees
    k6 = min(5, size)

    def unit(cin: int, cout: int, k: int, pad: int, pool: bool = False, bits: int | None = q.bits) -> ConvUnit:
        return ConvUnit(
            L.Conv2d(cin, cout, k, rng=rng, padding=pad, wq=q.wq(q.bits)),
            L.BatchNorm(cout),
            L.MaxPool(2) if pool else None,
            q.act(bits, cout),
        )

    units: dict[str, Unit] = {
        "conv0": ConvUnit(_first_conv(c, 48, 5, q, rng, bias=True), None, L.MaxPool(2), q.act(q.bits, 48)),
        "conv1": unit(48, 64, 3, 1),
        "conv2": unit(64, 64, 3, 1, pool=True),
        "conv3": unit(64, 128, 3, 0),
        "conv4": unit(128, 128, 3, 1),
        "conv5": unit(128, 128, 3, 0),
        "conv6": unit(128, 512, k6, 0, bits=q.last_bits),
    }
    size6 = size - k6 + 1
    pool: L.Module = L.Flatten() if size6 == 1 else L.GlobalAvgPool()
    units["head"] = Head(pool, L.Dense(512, classes, rng=rng, wq=q.wq(q.last_bits)))
    return Net("svhn", in_shape, classes, q, **units)


def small_cnn(
    in_shape: tuple[int, int, int], classes: int, q: QuantConfig, rng: np.random.Generator, width: int = 16
) -> Net:
    """Quick-run CNN: three 3x3 conv-BN-act layers (w, 2w, 4w; max-pool after the first two), GAP, FC."""
    h, w, c = in_shape
    units: dict[str, Unit] = {
        "conv0": ConvUnit(
            _first_conv(c, width, 3, q, rng, padding=1), L.BatchNorm(width), L.MaxPool(2), q.act(q.bits, width)
        ),
        "conv1": ConvUnit(
            L.Conv2d(width, 2 * width, 3, rng=rng, padding=1, wq=q.wq(q.bits)),
            L.BatchNorm(2 * width),
            L.MaxPool(2),
            q.act(q.bits, 2 * width),
        ),
        "conv2": ConvUnit(
            L.Conv2d(2 * width, 4 * width, 3, rng=rng, padding=1, wq=q.wq(q.bits)),
            L.BatchNorm(4 * width),
            act=q.act(q.last_bits, 4 * width),
        ),
        "head": Head(L.GlobalAvgPool(), L.Dense(4 * width, classes, rng=rng, wq=q.wq(q.last_bits))),
    }
    if min(h, w) < 4:
        raise InputError("model", "small", f"needs an input of at least 4x4 pixels, got {h}x{w}")
    return Net("small", in_shape, classes, q, **units)


MODELS = {"small": small_cnn, "resnet20": resnet20, "svhn": svhn_net}


def build_model(arch: str, in_shape: tuple[int, int, int], classes: int, q: QuantConfig, seed: int, **kw: Any) -> Net:
    """Build a model by name with weights drawn from ``np.random.default_rng(seed)``; `kw` goes to the builder."""
    if arch not in MODELS:
        raise InputError("model", arch, f"must be one of {', '.join(MODELS)}")
    h, w, c = in_shape
    return MODELS[arch]((h, w, c), classes, q, np.random.default_rng(seed), **kw)


__all__ = ["FP_BITS", "MODELS", "Net", "QuantConfig", "build_model", "resnet20", "small_cnn", "svhn_net"]
