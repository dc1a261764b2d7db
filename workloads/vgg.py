"""VGG-16 (configuration D) at 224x224, as torchvision builds it (no BatchNorm).

Sources: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015 (arXiv:1409.1556), Table 1 column D; torchvision `models/vgg.py`
(`vgg16`, cfg "D"). torchvision's adaptive 7x7 average pool is the identity at 224x224 and is left
out. Layer names are the paper's / Caffe's (`conv1_1` ... `conv5_3`, `fc6`-`fc8`) because they say
where a layer sits; torchvision's `features.N` indices do not.
"""

from __future__ import annotations

from accelsim.ir import LayerGraph
from workloads._builder import Builder

#: (channels, convs) per stage; every stage ends in a 2x2/2 max pool.
_STAGES = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))


def vgg16(batch: int = 1) -> LayerGraph:
    """VGG-16: 138,357,544 params, ~15.47 GMAC; every conv is 3x3/1 pad 1 with bias + ReLU."""
    b = Builder(
        "vgg16",
        (batch, 3, 224, 224),
        source="torchvision.models.vgg16; Simonyan & Zisserman, ICLR 2015",
        dataset="imagenet",
    )
    x: str | None = None
    for stage, (channels, convs) in enumerate(_STAGES, start=1):
        for i in range(1, convs + 1):
            x = b.conv(f"conv{stage}_{i}", x, channels, 3, 1, 1, bias=True, bn=False)
        x = b.pool(f"pool{stage}", x, 2, 2)
    x = b.flatten("flatten", x)
    x = b.dense("fc6", x, 4096, act="relu")
    x = b.dense("fc7", x, 4096, act="relu")
    b.dense("fc8", x, 1000, act="softmax")
    return b.graph


__all__ = ["vgg16"]
