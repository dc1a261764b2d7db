"""Layers: parameters plus a forward that remembers what its backward needs.

A `Module` owns `Param`s and child modules as plain attributes (registration order = attribute
order, so parameter names and iteration are deterministic), runs the functional ops of
`pact_train.ops` / `pact_train.quant`, and keeps the op contexts of its last training forward.
``backward(dy)`` accumulates parameter gradients into ``Param.grad`` and returns the input
gradient. Activations are NHWC float32.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from pact_train import ops, quant
from pact_train.quant import WeightQuantizer

DTYPE = np.float32

#: Parameter kinds: the optimizer decays "weight" with the weight decay and "alpha" with
#: lambda_alpha; "bias" and "bn" (BatchNorm gamma/beta) are not decayed (tensorpack regularises W only).
PARAM_KINDS = ("weight", "bias", "bn", "alpha")


class Param:
    """A trainable array and its gradient buffer."""

    __slots__ = ("data", "grad", "kind")

    def __init__(self, data: np.ndarray, kind: str = "weight") -> None:
        if kind not in PARAM_KINDS:
            raise ValueError(f"kind={kind!r}: must be one of {PARAM_KINDS}")
        self.data = np.array(data, order="C")  # (ascontiguousarray would make a 0-d alpha 1-d)
        self.grad = np.zeros_like(self.data)
        self.kind = kind

    def __repr__(self) -> str:
        return f"Param({self.kind}, shape={self.data.shape})"


class Module:
    """Base class: parameter/buffer discovery, `zero_grad`, and the forward/backward contract."""

    #: names of non-trainable state arrays saved in checkpoints (BatchNorm running statistics, ...)
    buffers: tuple[str, ...] = ()

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def __call__(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        return self.forward(x, train)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def named_params(self, prefix: str = "") -> Iterator[tuple[str, Param]]:
        for name, value in vars(self).items():
            if isinstance(value, Param):
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value.named_params(f"{prefix}{name}.")

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        for name in self.buffers:
            yield prefix + name, getattr(self, name)
        for name, child in self.named_children():
            yield from child.named_buffers(f"{prefix}{name}.")

    def set_buffer(self, dotted: str, value: np.ndarray) -> None:
        head, _, rest = dotted.partition(".")
        if rest:
            getattr(self, head).set_buffer(rest, value)
        else:
            if head not in self.buffers:
                raise KeyError(dotted)
            setattr(self, head, np.asarray(value, dtype=getattr(self, head).dtype).copy())

    def modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every descendant, depth first, as (dotted name, module)."""
        yield prefix.rstrip("."), self
        for name, child in self.named_children():
            yield from child.modules(f"{prefix}{name}.")

    def zero_grad(self) -> None:
        for _, p in self.named_params():
            p.grad.fill(0)


class Sequential(Module):
    """Children run in the order given; their names become attribute (and parameter) names."""

    def __init__(self, **children: Module) -> None:
        for name, child in children.items():
            setattr(self, name, child)
        self.order = list(children)

    if TYPE_CHECKING:  # children are set by name at run time; tell type checkers what they are

        def __getattr__(self, name: str) -> Any: ...

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        for name in self.order:
            x = getattr(self, name).forward(x, train)
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        for name in reversed(self.order):
            dy = getattr(self, name).backward(dy)
            if dy is None:
                return None
        return dy


# --- layers with weights -------------------------------------------------------------------------


class Conv2d(Module):
    """2-D convolution, weight (kh, kw, C_in/groups, C_out), He-normal init, optional weight quantizer."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int | tuple[int, int],
        *,
        rng: np.random.Generator,
        stride: int = 1,
        padding: int = 0,
        groups: int = 1,
        bias: bool = False,
        wq: WeightQuantizer | None = None,
        need_dx: bool = True,
    ) -> None:
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide {in_channels} and {out_channels}")
        fan_in = kh * kw * in_channels // groups
        w = rng.standard_normal((kh, kw, in_channels // groups, out_channels)) * np.sqrt(2.0 / fan_in)
        self.weight = Param(w.astype(DTYPE))
        if bias:
            self.bias = Param(np.zeros(out_channels, DTYPE), "bias")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel, self.stride, self.padding, self.groups = (kh, kw), stride, padding, groups
        self.wq = wq or WeightQuantizer("none", None)
        self.need_dx = need_dx
        self._ctx: Any = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        wq, qctx = self.wq.forward(self.weight.data)
        y, ctx = ops.conv2d_forward(x, wq, self.stride, self.padding, self.groups, self.need_dx)
        if hasattr(self, "bias"):
            y += self.bias.data
        self._ctx = (ctx, qctx) if train else None
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        ctx, qctx = self._ctx
        dx, dwq = ops.conv2d_backward(ctx, dy)
        self.weight.grad += self.wq.backward(qctx, dwq)
        if hasattr(self, "bias"):
            self.bias.grad += ops._channel_sum(dy.reshape(-1, self.out_channels))
        self._ctx = None
        return dx


class Dense(Module):
    """Fully connected layer ``x @ W + b`` with W (in, out); optional weight quantizer."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        rng: np.random.Generator,
        bias: bool = True,
        wq: WeightQuantizer | None = None,
    ) -> None:
        w = rng.standard_normal((in_features, out_features)) * np.sqrt(1.0 / in_features)
        self.weight = Param(w.astype(DTYPE))
        if bias:
            self.bias = Param(np.zeros(out_features, DTYPE), "bias")
        self.in_features, self.out_features = in_features, out_features
        self.wq = wq or WeightQuantizer("none", None)
        self._ctx: Any = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        wq, qctx = self.wq.forward(self.weight.data)
        y, ctx = ops.dense_forward(x, wq, self.bias.data if hasattr(self, "bias") else None)
        self._ctx = (ctx, qctx) if train else None
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        ctx, qctx = self._ctx
        dx, dwq, db = ops.dense_backward(ctx, dy)
        self.weight.grad += self.wq.backward(qctx, dwq)
        if db is not None:
            self.bias.grad += db
        self._ctx = None
        return dx


class BatchNorm(Module):
    """Per-channel BatchNorm; running statistics updated as ``r = momentum*r + (1-momentum)*batch``."""

    buffers = ("running_mean", "running_var")

    def __init__(self, channels: int, momentum: float = 0.9, eps: float = 1e-5) -> None:
        self.gamma = Param(np.ones(channels, DTYPE), "bn")
        self.beta = Param(np.zeros(channels, DTYPE), "bn")
        self.running_mean = np.zeros(channels, DTYPE)
        self.running_var = np.ones(channels, DTYPE)
        self.momentum, self.eps = momentum, eps
        self._ctx: Any = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        if not train:
            y, _ = ops.batchnorm_eval_forward(
                x, self.gamma.data, self.beta.data, self.running_mean, self.running_var, self.eps
            )
            return y
        y, self._ctx, mean, var = ops.batchnorm_forward(x, self.gamma.data, self.beta.data, self.eps)
        m = x.size // x.shape[-1]
        mom = self.momentum
        self.running_mean = (mom * self.running_mean + (1 - mom) * mean).astype(DTYPE)
        self.running_var = (mom * self.running_var + (1 - mom) * var * (m / max(m - 1, 1))).astype(DTYPE)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx, dgamma, dbeta = ops.batchnorm_backward(self._ctx, dy)
        self.gamma.grad += dgamma
        self.beta.grad += dbeta
        self._ctx = None
        return dx


# --- layers without weights ----------------------------------------------------------------------


class MaxPool(Module):
    def __init__(self, kernel: int = 2, stride: int | None = None, padding: int = 0) -> None:
        self.kernel, self.stride, self.padding = kernel, kernel if stride is None else stride, padding
        self._ctx: Any = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        y, ctx = ops.maxpool_forward(x, self.kernel, self.stride, self.padding)
        self._ctx = ctx if train else None
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return ops.maxpool_backward(self._ctx, dy)


class AvgPool(MaxPool):
    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        y, ctx = ops.avgpool_forward(x, self.kernel, self.stride, self.padding)
        self._ctx = ctx if train else None
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return ops.avgpool_backward(self._ctx, dy)


class GlobalAvgPool(Module):
    """(N, H, W, C) -> (N, C)."""

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        y, self._ctx = ops.global_avgpool_forward(x)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return ops.global_avgpool_backward(self._ctx, dy)


class Flatten(Module):
    """(N, H, W, C) -> (N, H*W*C) (NHWC order; only used where H = W = 1 in the shipped models)."""

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy.reshape(self._shape)


# --- activations ---------------------------------------------------------------------------------


class Activation(Module):
    """Common fields: `bits` (None = not quantized) and the IR name of the nonlinearity."""

    bits: int | None = None
    ir_act = "relu"

    def alpha_value(self) -> float | list[float] | None:
        """The clipping level in force (learned for PACT, fixed for DoReFa), or None."""
        return None


class ReLU(Activation):
    """Full-precision ReLU."""

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        y, self._ctx = ops.relu_forward(x)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return ops.relu_backward(self._ctx, dy)


class PACT(Activation):
    """PACT activation with a learned clipping level alpha (one per layer, or one per channel)."""

    ir_act = "pact"

    def __init__(self, bits: int | None, alpha_init: float = 10.0, channels: int | None = None) -> None:
        self.bits = quant.check_bits("a_bits", bits)
        shape = () if channels is None else (channels,)
        self.alpha = Param(np.full(shape, alpha_init, DTYPE), "alpha")
        self._ctx: Any = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        y, ctx = quant.pact_forward(x, self.alpha.data, self.bits)
        self._ctx = ctx if train else None
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx, dalpha = quant.pact_backward(self._ctx, dy)
        self.alpha.grad += dalpha
        self._ctx = None
        return dx

    def alpha_value(self) -> float | list[float]:
        a = self.alpha.data
        return float(a) if a.ndim == 0 else [float(v) for v in a]


class ClipQuant(Activation):
    """DoReFa activation: clip to [0, clip] (fixed, 1 by default), then quantize."""

    def __init__(self, bits: int | None, clip: float = 1.0) -> None:
        self.bits = quant.check_bits("a_bits", bits)
        self.clip = float(clip)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        y, self._ctx = quant.clip_quant_forward(x, self.bits, self.clip)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return quant.clip_quant_backward(self._ctx, dy)

    def alpha_value(self) -> float:
        return self.clip


class ReLUQuant(Activation):
    """ReLU quantized over [0, batch max] in training; inference uses the running max (EMA)."""

    buffers = ("running_top",)

    def __init__(self, bits: int | None, momentum: float = 0.9) -> None:
        self.bits = quant.check_bits("a_bits", bits)
        self.momentum = momentum
        self.running_top = np.zeros((), DTYPE)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        if not train:
            top = float(self.running_top) if self.running_top > 0 else None
            return quant.relu_quant_forward(x, self.bits, top)[0]
        y, self._ctx = quant.relu_quant_forward(x, self.bits, None)
        t = self._ctx["top"]
        prev = float(self.running_top)
        self.running_top = np.asarray(t if prev == 0 else self.momentum * prev + (1 - self.momentum) * t, DTYPE)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return quant.relu_quant_backward(self._ctx, dy)

    def alpha_value(self) -> float:
        return float(self.running_top)


class InputQuant(Module):
    """Quantizes the image in [0, 1] to the first layer's input bits; no gradient flows to the data."""

    def __init__(self, bits: int | None) -> None:
        self.bits = quant.check_bits("first_bits", bits)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        return quant.quantize_input(x, self.bits)

    def backward(self, dy: np.ndarray) -> None:
        return None


ACT_SCHEMES = ("none", "pact", "dorefa", "relu-max")


def make_activation(
    scheme: str, bits: int | None, *, alpha_init: float = 10.0, channels: int | None = None
) -> Activation:
    """The activation module of a scheme: none = FP ReLU, pact, dorefa = clip at 1, relu-max."""
    if scheme == "none":
        return ReLU()
    if scheme == "pact":
        return PACT(bits, alpha_init, channels)
    if scheme == "dorefa":
        return ClipQuant(bits)
    if scheme == "relu-max":
        return ReLUQuant(bits) if bits is not None else ReLU()
    raise ValueError(f"act_quant={scheme!r}: must be one of {ACT_SCHEMES}")


__all__ = [
    "ACT_SCHEMES",
    "Activation",
    "AvgPool",
    "BatchNorm",
    "ClipQuant",
    "Conv2d",
    "DTYPE",
    "Dense",
    "Flatten",
    "GlobalAvgPool",
    "InputQuant",
    "MaxPool",
    "Module",
    "PACT",
    "Param",
    "ReLU",
    "ReLUQuant",
    "Sequential",
    "make_activation",
]
