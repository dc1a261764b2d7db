"""Small graphs the tests share (imported as `_graphs`: pytest puts tests/ on sys.path)."""

from __future__ import annotations

from accelsim.ir import Conv2d, Dense, Flatten, LayerGraph, Pool


def tiny_graph(hw: int = 8, channels: int = 4) -> LayerGraph:
    """conv 3x3 (3 -> `channels`) on an `hw` x `hw` image, global average pool, flatten, dense 10."""
    g = LayerGraph("tiny")
    g.add(Conv2d(name="conv1", in_shape=(1, 3, hw, hw), out_channels=channels, kernel=(3, 3), padding=(1, 1)))
    g.add(Pool(name="gap", in_shape=(1, channels, hw, hw), mode="avg", kernel=(hw, hw), stride=(1, 1)), ["conv1"])
    g.add(Flatten(name="flat", in_shape=(1, channels, 1, 1)), ["gap"])
    g.add(Dense(name="fc", in_shape=(1, channels), out_features=10), ["flat"])
    return g
