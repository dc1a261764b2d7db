"""Vector (element-wise) layers of the IR: the transformer operations that do no multiply-accumulate.

Softmax, LayerNorm, RMSNorm, pointwise activations (GELU, SiLU, ReLU), element-wise products,
embedding lookups, rotary position embeddings and the KV cache. None has a GEMM view: they run on a
core's vector (post-processing) unit, not on the systolic array. Each one states

- `elems`: elements it processes (one pass of the vector unit per element),
- `ops`: elementary vector operations, `elems x OPS_PER_ELEM[op]` (counts derived below),
- `side_read_elems`: parameters or tables it reads besides its input tensors (norm gains, the
  embedding rows, rotary cos/sin), which the memory model moves like any other read.

Operation counts per element, from the textbook formulas (exp, tanh, rsqrt count as one operation
each, as on a vector unit with a special-function path, e.g. NVDLA's SDP LUT):
- softmax: scale by 1/sqrt(d), running max, subtract, exp, sum, multiply by the reciprocal = 6.
- layernorm: mean (add), subtract, square, variance (add), scale by rsqrt, gain, bias = 7.
- rmsnorm: square, sum (add), scale by rsqrt, gain = 4.
- gelu (tanh form, GPT-2's ``gelu_new``): x^2, x^3, *0.044715, +x, *sqrt(2/pi), tanh, +1, *x, *0.5 = 9.
- silu: exp(-x), +1, divide into x = 3.   relu: one max = 1.
- mul / add of n tensors: n - 1 per output element.
- rope: x*cos + rotate_half(x)*sin = 2 multiplies + 1 add = 3.
- embedding and kv cache: 0 (data movement only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from accelsim.errors import InputError
from accelsim.ir.layers import Layer, Shape, _check_positive, _check_shape

#: Elementary vector operations per processed element, by operation (derivations in the module doc).
OPS_PER_ELEM: dict[str, int] = {
    "softmax": 6,
    "layernorm": 7,
    "rmsnorm": 4,
    "gelu": 9,
    "silu": 3,
    "relu": 1,
    "mul": 1,
    "rope": 3,
    "embedding": 0,
    "kv_cache": 0,
}

#: Pointwise nonlinearities an `Activation` layer applies.
ACTIVATION_FUNCTIONS = ("gelu", "silu", "relu")

_RANKS = (2, 3, 4)


@dataclass(frozen=True, slots=True, kw_only=True)
class VectorLayer(Layer):
    """A layer that runs on the vector unit: one shape in, the same shape out unless it says so."""

    kind: ClassVar[str] = "VectorLayer"

    shape: Shape

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        _check_shape(self.name, "shape", self.shape, _RANKS)

    @property
    def op(self) -> str:
        """The operation's key in `OPS_PER_ELEM` (the vector unit's throughput table)."""
        return self.kind.lower()

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return (self.shape,)

    @property
    def out_shape(self) -> Shape:
        return self.shape

    @property
    def elems(self) -> int:
        return math.prod(self.out_shape)

    @property
    def ops(self) -> int:
        return self.elems * OPS_PER_ELEM[self.op]


@dataclass(frozen=True, slots=True, kw_only=True)
class Softmax(VectorLayer):
    """Softmax over the last axis (attention probabilities), with the 1/sqrt(d) score scale folded in."""

    kind: ClassVar[str] = "Softmax"


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerNorm(VectorLayer):
    """LayerNorm over the last axis with a gain and (unless `bias=False`) a bias per feature."""

    kind: ClassVar[str] = "LayerNorm"

    bias: bool = True

    @property
    def param_elems(self) -> int:
        return self.shape[-1] * (1 + int(self.bias))

    @property
    def side_read_elems(self) -> int:
        return self.param_elems


@dataclass(frozen=True, slots=True, kw_only=True)
class RMSNorm(VectorLayer):
    """RMSNorm (Zhang and Sennrich 2019) over the last axis: a gain per feature, no mean, no bias."""

    kind: ClassVar[str] = "RMSNorm"

    @property
    def param_elems(self) -> int:
        return self.shape[-1]

    @property
    def side_read_elems(self) -> int:
        return self.param_elems


@dataclass(frozen=True, slots=True, kw_only=True)
class Activation(VectorLayer):
    """A pointwise nonlinearity as its own layer (`fn` in ACTIVATION_FUNCTIONS)."""

    kind: ClassVar[str] = "Activation"

    fn: str

    def __post_init__(self) -> None:
        VectorLayer.__post_init__(self)
        if self.fn not in ACTIVATION_FUNCTIONS:
            raise InputError(f"{self.name}.fn", self.fn, f"must be one of {', '.join(ACTIVATION_FUNCTIONS)}")

    @property
    def op(self) -> str:
        return self.fn


@dataclass(frozen=True, slots=True, kw_only=True)
class Mul(VectorLayer):
    """Element-wise product of `n_inputs` tensors of one shape (a gated FFN's gate x up)."""

    kind: ClassVar[str] = "Mul"
    arity: ClassVar[int] = -1

    n_inputs: int = 2

    def __post_init__(self) -> None:
        VectorLayer.__post_init__(self)
        if not isinstance(self.n_inputs, int) or isinstance(self.n_inputs, bool) or self.n_inputs < 2:
            raise InputError(f"{self.name}.n_inputs", self.n_inputs, "must be an int >= 2")

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return (self.shape,) * self.n_inputs

    @property
    def ops(self) -> int:
        return self.elems * (self.n_inputs - 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rotary(VectorLayer):
    """Rotary position embedding (Su et al. 2021, RoFormer) on (N, T, heads x head_dim) queries or keys.

    Reads a cos and a sin row of `head_dim` per token position (the tables are not parameters).
    """

    kind: ClassVar[str] = "Rotary"

    head_dim: int

    def __post_init__(self) -> None:
        VectorLayer.__post_init__(self)
        _check_positive(self.name, "head_dim", self.head_dim)
        if len(self.shape) != 3 or self.shape[-1] % self.head_dim or self.head_dim % 2:
            raise InputError(
                f"{self.name}.head_dim",
                self.head_dim,
                f"must be even and divide the last axis of (N, T, features) {self.shape}",
            )

    @property
    def op(self) -> str:
        return "rope"

    @property
    def side_read_elems(self) -> int:
        return 2 * self.shape[1] * self.head_dim


@dataclass(frozen=True, slots=True, kw_only=True)
class Embedding(Layer):
    """Table lookup: token (or position) ids (N, T) -> rows (N, T, dim) of a `vocab x dim` table.

    Only the N x T rows looked up are read. With `tied=True` the table is another layer's weight
    (the LM head's), so it is not counted again as a parameter here.
    """

    kind: ClassVar[str] = "Embedding"

    in_shape: Shape
    vocab: int
    dim: int
    tied: bool = False

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        _check_shape(self.name, "in_shape", self.in_shape, 2)
        _check_positive(self.name, "vocab", self.vocab)
        _check_positive(self.name, "dim", self.dim)
        if not isinstance(self.tied, bool):
            raise InputError(f"{self.name}.tied", self.tied, "must be true or false")

    op: ClassVar[str] = "embedding"

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return (self.in_shape,)

    @property
    def out_shape(self) -> Shape:
        return (*self.in_shape, self.dim)

    @property
    def elems(self) -> int:
        return math.prod(self.out_shape)

    @property
    def ops(self) -> int:
        return 0

    @property
    def param_elems(self) -> int:
        return 0 if self.tied else self.vocab * self.dim

    @property
    def side_read_elems(self) -> int:
        return self.elems


@dataclass(frozen=True, slots=True, kw_only=True)
class KVCache(Layer):
    """One attention layer's key or value cache: appends the step's new rows to `past` cached ones.

    Reads the new (N, T, heads x head_dim) keys or values and presents the whole cache head-major,
    (N x heads, past + T, head_dim), or transposed for keys, (N x heads, head_dim, past + T), so the
    attention MatMul chains with exact shapes. Stored at the layer's `kv_bits`.
    `cached_elems` is what a step must read back; `appended_elems` what it writes.
    """

    kind: ClassVar[str] = "KVCache"
    op: ClassVar[str] = "kv_cache"

    in_shape: Shape
    past: int
    heads: int
    transpose: bool = False

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        _check_shape(self.name, "in_shape", self.in_shape, 3)
        if not isinstance(self.past, int) or isinstance(self.past, bool) or self.past < 0:
            raise InputError(f"{self.name}.past", self.past, "must be an int >= 0")
        _check_positive(self.name, "heads", self.heads)
        if self.in_shape[-1] % self.heads:
            raise InputError(f"{self.name}.heads", self.heads, f"must divide the feature axis of {self.in_shape}")
        if not isinstance(self.transpose, bool):
            raise InputError(f"{self.name}.transpose", self.transpose, "must be true or false")

    @property
    def head_dim(self) -> int:
        return self.in_shape[-1] // self.heads

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return (self.in_shape,)

    @property
    def out_shape(self) -> Shape:
        n, t, _ = self.in_shape
        length = self.past + t
        tail = (self.head_dim, length) if self.transpose else (length, self.head_dim)
        return (n * self.heads, *tail)

    @property
    def cached_elems(self) -> int:
        return self.in_shape[0] * self.past * self.in_shape[-1]

    @property
    def appended_elems(self) -> int:
        return math.prod(self.in_shape)

    @property
    def elems(self) -> int:
        return self.out_elems

    @property
    def ops(self) -> int:
        return 0


#: Every vector layer kind, for `accelsim.ir.layer_registry`.
VECTOR_LAYERS: tuple[type[Layer], ...] = (Softmax, LayerNorm, RMSNorm, Activation, Mul, Rotary, Embedding, KVCache)

__all__ = [
    "ACTIVATION_FUNCTIONS",
    "OPS_PER_ELEM",
    "VECTOR_LAYERS",
    "Activation",
    "Embedding",
    "KVCache",
    "LayerNorm",
    "Mul",
    "RMSNorm",
    "Rotary",
    "Softmax",
    "VectorLayer",
]
