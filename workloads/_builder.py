"""A thin helper over `LayerGraph.add` so each network module states only what changes per layer.

Every method reads the producer's output shape from the graph (or the network input shape when the
producer is None), so a builder never repeats a shape by hand and a wrong stride or channel count
fails at `add` time with the layer's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accelsim.ir import Add, Conv2d, Dense, Flatten, Layer, LayerGraph, MatMul, Pool, Reshape
from accelsim.ir.vector_layers import Embedding, KVCache, Mul, VectorLayer

Shape = tuple[int, ...]


class Builder:
    """Builds one `LayerGraph`; `src=None` means "reads the network input"."""

    def __init__(self, name: str, input_shape: Shape, **metadata: Any) -> None:
        self.input_shape = input_shape
        self.graph = LayerGraph(name, metadata={"input_shape": list(input_shape), "batch": input_shape[0], **metadata})

    def shape(self, src: str | None) -> Shape:
        """Output shape of `src` (the network input for None)."""
        return self.input_shape if src is None else self.graph.layer(src).out_shape

    def _add(self, layer: Layer, srcs: Sequence[str | None]) -> str:
        inputs = [s for s in srcs if s is not None]
        return self.graph.add(layer, inputs)

    def conv(
        self,
        name: str,
        src: str | None,
        out_channels: int,
        kernel: int,
        stride: int = 1,
        padding: int = 0,
        *,
        groups: int = 1,
        bias: bool = False,
        bn: bool = True,
        act: str = "relu",
    ) -> str:
        """Square-kernel convolution; defaults are the modern conv-BN-ReLU unit (no conv bias)."""
        layer = Conv2d(
            name=name,
            in_shape=self.shape(src),
            out_channels=out_channels,
            kernel=(kernel, kernel),
            stride=(stride, stride),
            padding=(padding, padding),
            groups=groups,
            bias=bias,
            batchnorm=bn,
            act=act,
        )
        return self._add(layer, [src])

    def pool(
        self,
        name: str,
        src: str | None,
        kernel: int,
        stride: int,
        padding: int = 0,
        *,
        mode: str = "max",
        act: str = "none",
    ) -> str:
        layer = Pool(
            name=name,
            in_shape=self.shape(src),
            mode=mode,
            kernel=(kernel, kernel),
            stride=(stride, stride),
            padding=(padding, padding),
            act=act,
        )
        return self._add(layer, [src])

    def global_avg_pool(self, name: str, src: str | None) -> str:
        """Adaptive average pool to 1x1: one window the size of the feature map."""
        shape = self.shape(src)
        window = (shape[2], shape[3])
        return self._add(Pool(name=name, in_shape=shape, mode="avg", kernel=window, stride=window), [src])

    def flatten(self, name: str, src: str | None) -> str:
        return self._add(Flatten(name=name, in_shape=self.shape(src)), [src])

    def dense(
        self, name: str, src: str | None, out_features: int, *, bias: bool = True, bn: bool = False, act: str = "none"
    ) -> str:
        layer = Dense(name=name, in_shape=self.shape(src), out_features=out_features, bias=bias, batchnorm=bn, act=act)
        return self._add(layer, [src])

    def add(self, name: str, srcs: Sequence[str], *, act: str = "none") -> str:
        """Element-wise sum of producers of one shape (a residual join)."""
        layer = Add(name=name, shape=self.shape(srcs[0]), n_inputs=len(srcs), act=act)
        return self.graph.add(layer, list(srcs))

    def reshape(self, name: str, src: str | None, to_shape: Shape) -> str:
        """A zero-cost layout change (head split/merge, transpose) so operands chain exactly."""
        return self._add(Reshape(name=name, in_shape=self.shape(src), to_shape=to_shape), [src])

    def matmul(self, name: str, a: str, b: str, *, act: str = "none") -> str:
        """Activation x activation product (attention): both operands are tensors of the graph."""
        layer = MatMul(name=name, a_shape=self.shape(a), b_shape=self.shape(b), act=act)
        return self.graph.add(layer, [a, b])

    def vector(self, cls: type[VectorLayer], name: str, src: str | None, **fields: Any) -> str:
        """A shape-preserving vector layer (Softmax, LayerNorm, RMSNorm, Activation, Rotary) on `src`."""
        return self._add(cls(name=name, shape=self.shape(src), **fields), [src])

    def mul(self, name: str, srcs: Sequence[str]) -> str:
        """Element-wise product of producers of one shape (a gated FFN's gate x up)."""
        return self.graph.add(Mul(name=name, shape=self.shape(srcs[0]), n_inputs=len(srcs)), list(srcs))

    def embedding(self, name: str, vocab: int, dim: int, *, tied: bool = False) -> str:
        """A table lookup of the network input's (N, T) ids."""
        return self._add(Embedding(name=name, in_shape=self.input_shape, vocab=vocab, dim=dim, tied=tied), [None])

    def kv_cache(self, name: str, src: str, past: int, heads: int, *, transpose: bool = False) -> str:
        """Append `src`'s new keys or values to `past` cached tokens; presents the whole cache."""
        layer = KVCache(name=name, in_shape=self.shape(src), past=past, heads=heads, transpose=transpose)
        return self._add(layer, [src])
