"""Layer records of the IR: shapes in NCHW terms, each layer a frozen dataclass.

Every layer answers the questions the cost model asks — output shape, MACs, weight elements, input
and output elements, and its GEMM view (M, N, K) on a systolic array — from its own fields alone, so
the mapping functions never special-case a layer type beyond `gemm()`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from accelsim.errors import InputError

Shape = tuple[int, ...]
Pair = tuple[int, int]

#: Nonlinearities that may follow a layer; this is where PACT puts its clipped, quantized activation.
ACTIVATIONS = ("none", "relu", "relu6", "gelu", "softmax", "pact")


@dataclass(frozen=True, slots=True)
class GemmView:
    """A layer as `groups` independent GEMMs of (M x K) @ (K x N).

    M: output rows (pixels x batch, or tokens), N: output columns (filters / features),
    K: reduction length. Depthwise convolution is `groups = C` GEMMs with N = 1, which is why it
    uses a systolic array so poorly.
    """

    m: int
    n: int
    k: int
    groups: int = 1

    @property
    def macs(self) -> int:
        return self.groups * self.m * self.n * self.k


def _prod(values: Shape) -> int:
    return math.prod(values)


def _check_shape(layer: str, name: str, shape: Any, rank: int | tuple[int, ...]) -> Shape:
    ranks = (rank,) if isinstance(rank, int) else rank
    if (
        not isinstance(shape, tuple)
        or len(shape) not in ranks
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
    ):
        want = " or ".join(str(r) for r in ranks)
        raise InputError(f"{layer}.{name}", shape, f"must be a tuple of {want} positive ints")
    return shape


def _check_pair(layer: str, name: str, pair: Any, minimum: int) -> Pair:
    if (
        not isinstance(pair, tuple)
        or len(pair) != 2
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= minimum for d in pair)
    ):
        raise InputError(f"{layer}.{name}", pair, f"must be a pair of ints >= {minimum}")
    return pair


def _check_positive(layer: str, name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InputError(f"{layer}.{name}", value, "must be a positive int")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Layer:
    """Common fields and the cost-model contract every layer fulfils."""

    kind: ClassVar[str] = "Layer"
    #: number of tensors the layer reads (-1: any number >= 2)
    arity: ClassVar[int] = 1

    name: str
    act: str = "none"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InputError("name", self.name, "must be a non-empty string")
        if self.act not in ACTIVATIONS:
            raise InputError(f"{self.name}.act", self.act, f"must be one of {', '.join(ACTIVATIONS)}")

    # --- shapes -------------------------------------------------------------------------------
    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        raise NotImplementedError

    @property
    def out_shape(self) -> Shape:
        raise NotImplementedError

    # --- counts -------------------------------------------------------------------------------
    def gemm(self) -> GemmView | None:
        """The layer as GEMMs on a systolic array, or None when it does no multiply-accumulate."""
        return None

    @property
    def macs(self) -> int:
        view = self.gemm()
        return 0 if view is None else view.macs

    @property
    def weight_elems(self) -> int:
        """Conv/dense weight elements only (what `w_bits` applies to)."""
        return 0

    @property
    def param_elems(self) -> int:
        """Trainable parameters: weights plus bias and BatchNorm gamma/beta."""
        return self.weight_elems

    @property
    def side_read_elems(self) -> int:
        """Elements read besides the input tensors and the MAC weights: norm gains, embedding rows."""
        return 0

    @property
    def in_elems(self) -> int:
        return sum(_prod(s) for s in self.input_shapes)

    @property
    def out_elems(self) -> int:
        return _prod(self.out_shape)

    @property
    def has_weights(self) -> bool:
        return self.weight_elems > 0

    # --- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields; tuples become lists."""
        out: dict[str, Any] = {"type": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Conv2d(Layer):
    """2D convolution on an NCHW tensor; `groups == C_in == C_out` is depthwise."""

    kind: ClassVar[str] = "Conv2d"

    in_shape: Shape
    out_channels: int
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = False
    batchnorm: bool = False

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        n = self.name
        _check_shape(n, "in_shape", self.in_shape, 4)
        _check_positive(n, "out_channels", self.out_channels)
        _check_pair(n, "kernel", self.kernel, 1)
        _check_pair(n, "stride", self.stride, 1)
        _check_pair(n, "padding", self.padding, 0)
        _check_pair(n, "dilation", self.dilation, 1)
        _check_positive(n, "groups", self.groups)
        c_in = self.in_shape[1]
        if c_in % self.groups or self.out_channels % self.groups:
            raise InputError(
                f"{n}.groups", self.groups, f"must divide in channels ({c_in}) and out_channels ({self.out_channels})"
            )
        for axis, size in zip("hw", self._out_hw(), strict=True):
            if size < 1:
                raise InputError(f"{n}.kernel", self.kernel, f"larger than the padded input along {axis}")

    def _out_hw(self) -> Pair:
        _, _, h, w = self.in_shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.kernel, self.stride, self.padding, self.dilation
        return (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return (self.in_shape,)

    @property
    def out_shape(self) -> Shape:
        ho, wo = self._out_hw()
        return (self.in_shape[0], self.out_channels, ho, wo)

    def gemm(self) -> GemmView:
        n, _, ho, wo = self.out_shape
        k = (self.in_shape[1] // self.groups) * self.kernel[0] * self.kernel[1]
        return GemmView(m=n * ho * wo, n=self.out_channels // self.groups, k=k, groups=self.groups)

    @property
    def weight_elems(self) -> int:
        return self.out_channels * (self.in_shape[1] // self.groups) * self.kernel[0] * self.kernel[1]

    @property
    def param_elems(self) -> int:
        extra = self.out_channels * (int(self.bias) + 2 * int(self.batchnorm))
        return self.weight_elems + extra


@dataclass(frozen=True, slots=True, kw_only=True)
class Dense(Layer):
    """Fully connected layer on the last axis: (..., K) @ (K, out_features).

    Leading axes are batch/tokens, so a transformer's linear layer on (N, S, K) is one GEMM with
    M = N*S.
    """

    kind: ClassVar[str] = "Dense"

    in_shape: Shape
    out_features: int
    bias: bool = True
    batchnorm: bool = False

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        _check_shape(self.name, "in_shape", self.in_shape, (2, 3))
        _check_positive(self.name, "out_features", self.out_features)

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return (self.in_shape,)

    @property
    def out_shape(self) -> Shape:
        return (*self.in_shape[:-1], self.out_features)

    def gemm(self) -> GemmView:
        return GemmView(m=_prod(self.in_shape[:-1]), n=self.out_features, k=self.in_shape[-1])

    @property
    def weight_elems(self) -> int:
        return self.in_shape[-1] * self.out_features

    @property
    def param_elems(self) -> int:
        return self.weight_elems + self.out_features * (int(self.bias) + 2 * int(self.batchnorm))


@dataclass(frozen=True, slots=True, kw_only=True)
class MatMul(Layer):
    """Batched product of two activation tensors, (B, M, K) @ (B, K, N): attention scores and context.

    No weights: both operands are activations, so both are counted at `a_bits`.
    """

    kind: ClassVar[str] = "MatMul"
    arity: ClassVar[int] = 2

    a_shape: Shape
    b_shape: Shape

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        _check_shape(self.name, "a_shape", self.a_shape, 3)
        _check_shape(self.name, "b_shape", self.b_shape, 3)
        if self.a_shape[0] != self.b_shape[0] or self.a_shape[2] != self.b_shape[1]:
            raise InputError(
                f"{self.name}.b_shape", self.b_shape, f"does not chain with a_shape {self.a_shape} as (B,M,K)@(B,K,N)"
            )

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return (self.a_shape, self.b_shape)

    @property
    def out_shape(self) -> Shape:
        return (self.a_shape[0], self.a_shape[1], self.b_shape[2])

    def gemm(self) -> GemmView:
        b, m, k = self.a_shape
        return GemmView(m=m, n=self.b_shape[2], k=k, groups=b)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool(Layer):
    """Max or average pooling window; a global pool is a window the size of the input."""

    kind: ClassVar[str] = "Pool"

    in_shape: Shape
    mode: str = "max"
    kernel: Pair = (2, 2)
    stride: Pair = (2, 2)
    padding: Pair = (0, 0)

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        n = self.name
        _check_shape(n, "in_shape", self.in_shape, 4)
        if self.mode not in ("max", "avg"):
            raise InputError(f"{n}.mode", self.mode, "must be 'max' or 'avg'")
        _check_pair(n, "kernel", self.kernel, 1)
        _check_pair(n, "stride", self.stride, 1)
        _check_pair(n, "padding", self.padding, 0)
        if min(self.out_shape[2:]) < 1:
            raise InputError(f"{n}.kernel", self.kernel, "larger than the padded input")

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return (self.in_shape,)

    @property
    def out_shape(self) -> Shape:
        n, c, h, w = self.in_shape
        ho = (h + 2 * self.padding[0] - self.kernel[0]) // self.stride[0] + 1
        wo = (w + 2 * self.padding[1] - self.kernel[1]) // self.stride[1] + 1
        return (n, c, ho, wo)


@dataclass(frozen=True, slots=True, kw_only=True)
class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W): explicit, so shape checks along edges stay exact."""

    kind: ClassVar[str] = "Flatten"

    in_shape: Shape

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        _check_shape(self.name, "in_shape", self.in_shape, (2, 3, 4))

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return (self.in_shape,)

    @property
    def out_shape(self) -> Shape:
        return (self.in_shape[0], _prod(self.in_shape[1:]))


@dataclass(frozen=True, slots=True, kw_only=True)
class Reshape(Layer):
    """Any zero-cost layout change with the same element count: reshape, transpose, head split.

    It does no arithmetic; it exists so that operands such as attention heads, (N, S, H) ->
    (N*heads, S, H/heads), chain with exact shapes into a MatMul.
    """

    kind: ClassVar[str] = "Reshape"

    in_shape: Shape
    to_shape: Shape

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        _check_shape(self.name, "in_shape", self.in_shape, (1, 2, 3, 4, 5))
        _check_shape(self.name, "to_shape", self.to_shape, (1, 2, 3, 4, 5))
        if _prod(self.in_shape) != _prod(self.to_shape):
            raise InputError(
                f"{self.name}.to_shape", self.to_shape, f"holds a different element count than {self.in_shape}"
            )

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return (self.in_shape,)

    @property
    def out_shape(self) -> Shape:
        return self.to_shape


@dataclass(frozen=True, slots=True, kw_only=True)
class Add(Layer):
    """Element-wise sum of `n_inputs` tensors of one shape (residual connections)."""

    kind: ClassVar[str] = "Add"
    arity: ClassVar[int] = -1

    shape: Shape
    n_inputs: int = 2

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        _check_shape(self.name, "shape", self.shape, (2, 3, 4))
        if not isinstance(self.n_inputs, int) or self.n_inputs < 2:
            raise InputError(f"{self.name}.n_inputs", self.n_inputs, "must be an int >= 2")

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return (self.shape,) * self.n_inputs

    @property
    def out_shape(self) -> Shape:
        return self.shape


@dataclass(frozen=True, slots=True, kw_only=True)
class Concat(Layer):
    """Concatenation along `axis` (channels by default)."""

    kind: ClassVar[str] = "Concat"
    arity: ClassVar[int] = -1

    in_shapes: tuple[Shape, ...]
    axis: int = 1

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        if not isinstance(self.in_shapes, tuple) or len(self.in_shapes) < 2:
            raise InputError(f"{self.name}.in_shapes", self.in_shapes, "must hold at least 2 shapes")
        for i, s in enumerate(self.in_shapes):
            _check_shape(self.name, f"in_shapes[{i}]", s, len(self.in_shapes[0]))
        rank = len(self.in_shapes[0])
        if not isinstance(self.axis, int) or not 0 < self.axis < rank:
            raise InputError(f"{self.name}.axis", self.axis, f"must be in 1..{rank - 1}")
        for i, s in enumerate(self.in_shapes):
            if any(a != b for d, (a, b) in enumerate(zip(s, self.in_shapes[0], strict=True)) if d != self.axis):
                raise InputError(
                    f"{self.name}.in_shapes[{i}]", s, f"differs from {self.in_shapes[0]} off axis {self.axis}"
                )

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return self.in_shapes

    @property
    def out_shape(self) -> Shape:
        first = list(self.in_shapes[0])
        first[self.axis] = sum(s[self.axis] for s in self.in_shapes)
        return tuple(first)


__all__ = [
    "ACTIVATIONS",
    "Add",
    "Concat",
    "Conv2d",
    "Dense",
    "Flatten",
    "GemmView",
    "Layer",
    "MatMul",
    "Pool",
    "Reshape",
    "Shape",
]
