"""MobileNetV2 (width 1.0, 224x224) as torchvision builds it.

Sources: Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018
(arXiv:1801.04381), Table 2; torchvision `models/mobilenetv2.py` (`InvertedResidual`,
`mobilenet_v2`): every conv is bias-free and followed by BatchNorm; ReLU6 after the stem, the
expansion and the depthwise convs; the projection is linear; a residual Add where stride is 1 and
channels match; classifier = dropout + Linear(1280, 1000).

Names follow torchvision's `features.N` indices (0 = stem, 1-17 = inverted residual blocks,
18 = the final 1x1 conv) with the block's parts spelled out: `features.2.expand`,
`features.2.dw`, `features.2.project`, `features.3.add`.
"""

from __future__ import annotations

from accelsim.ir import LayerGraph
from workloads._builder import Builder

#: (expansion t, output channels c, repeats n, first stride s): the paper's Table 2.
_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def _inverted_residual(b: Builder, prefix: str, x: str, out_channels: int, stride: int, expand: int) -> str:
    in_channels = b.shape(x)[1]
    hidden = in_channels * expand
    y = x
    if expand != 1:
        y = b.conv(f"{prefix}.expand", y, hidden, 1, act="relu6")
    y = b.conv(f"{prefix}.dw", y, hidden, 3, stride, 1, groups=hidden, act="relu6")
    y = b.conv(f"{prefix}.project", y, out_channels, 1, act="none")
    if stride == 1 and in_channels == out_channels:
        y = b.add(f"{prefix}.add", [y, x])
    return y


def mobilenet_v2(batch: int = 1) -> LayerGraph:
    """MobileNetV2 1.0: 3,504,872 params, ~300.8 MMAC (torchvision)."""
    b = Builder(
        "mobilenet_v2",
        (batch, 3, 224, 224),
        source="torchvision.models.mobilenet_v2; Sandler et al., CVPR 2018",
        dataset="imagenet",
    )
    x = b.conv("features.0", None, 32, 3, 2, 1, act="relu6")
    index = 1
    for t, c, n, s in _SETTINGS:
        for i in range(n):
            x = _inverted_residual(b, f"features.{index}", x, c, s if i == 0 else 1, t)
            index += 1
    x = b.conv(f"features.{index}", x, 1280, 1, act="relu6")
    x = b.global_avg_pool("avgpool", x)
    x = b.flatten("flatten", x)
    b.dense("fc", x, 1000, act="softmax")
    return b.graph


__all__ = ["mobilenet_v2"]
