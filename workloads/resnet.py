"""ResNets: ImageNet ResNet-18 / ResNet-50 (torchvision) and CIFAR-10 ResNet-20.

Sources:
- He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016 (arXiv:1512.03385):
  Table 1 (ImageNet stages) and section 4.2 (CIFAR-10, 6n+2 layers, 16/32/64 channels).
- torchvision `models/resnet.py` (`BasicBlock`, `Bottleneck`, `resnet18`, `resnet50`): the
  layer names and the v1.5 choice of putting the stride on the 3x3 conv of a bottleneck (the
  original v1 strides the first 1x1; v1.5 costs 4.09 instead of 3.86 GMAC).

PACT (Choi et al. 2018, section 5 / appendix B) trains the ImageNet ResNets in the "full
pre-activation" form; we build torchvision's post-activation form because its MAC and parameter
counts are the published reference points (the conv/fc shapes, hence MACs and weights, are the
same; only where BatchNorm sits differs).
"""

from __future__ import annotations

from accelsim.ir import LayerGraph
from workloads._builder import Builder

_TORCHVISION = "torchvision.models.resnet; He et al., CVPR 2016 (arXiv:1512.03385)"


def _stem(b: Builder) -> str:
    """7x7/2 conv + BN + ReLU, then 3x3/2 max pool: 224 -> 56."""
    x = b.conv("conv1", None, 64, 7, 2, 3)
    return b.pool("maxpool", x, 3, 2, 1)


def _head(b: Builder, x: str, classes: int = 1000) -> str:
    x = b.global_avg_pool("avgpool", x)
    x = b.flatten("flatten", x)
    return b.dense("fc", x, classes, act="softmax")


def _basic_block(b: Builder, prefix: str, x: str, planes: int, stride: int) -> str:
    """Two 3x3 convs; a 1x1/stride conv + BN shortcut when the shape changes (torchvision)."""
    in_channels = b.shape(x)[1]
    y = b.conv(f"{prefix}.conv1", x, planes, 3, stride, 1)
    y = b.conv(f"{prefix}.conv2", y, planes, 3, 1, 1, act="none")
    shortcut = x
    if stride != 1 or in_channels != planes:
        shortcut = b.conv(f"{prefix}.downsample", x, planes, 1, stride, 0, act="none")
    return b.add(f"{prefix}.add", [y, shortcut], act="relu")


def _bottleneck(b: Builder, prefix: str, x: str, width: int, stride: int) -> str:
    """1x1 reduce, 3x3 (carries the stride: v1.5), 1x1 expand x4; projection shortcut on change."""
    out_channels = width * 4
    in_channels = b.shape(x)[1]
    y = b.conv(f"{prefix}.conv1", x, width, 1)
    y = b.conv(f"{prefix}.conv2", y, width, 3, stride, 1)
    y = b.conv(f"{prefix}.conv3", y, out_channels, 1, act="none")
    shortcut = x
    if stride != 1 or in_channels != out_channels:
        shortcut = b.conv(f"{prefix}.downsample", x, out_channels, 1, stride, 0, act="none")
    return b.add(f"{prefix}.add", [y, shortcut], act="relu")


def resnet18(batch: int = 1) -> LayerGraph:
    """ResNet-18 at 224x224: 11,689,512 params, ~1.81 GMAC (torchvision)."""
    b = Builder("resnet18", (batch, 3, 224, 224), source=_TORCHVISION, dataset="imagenet")
    x = _stem(b)
    for stage, (planes, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2)), start=1):
        for i in range(2):
            x = _basic_block(b, f"layer{stage}.{i}", x, planes, stride if i == 0 else 1)
    _head(b, x)
    return b.graph


def resnet50(batch: int = 1) -> LayerGraph:
    """ResNet-50 v1.5 at 224x224: 4,089,184,256 MACs, 25,557,032 params (torchvision)."""
    b = Builder(
        "resnet50", (batch, 3, 224, 224), source=_TORCHVISION + "; v1.5 (stride on the 3x3)", dataset="imagenet"
    )
    x = _stem(b)
    for stage, (width, blocks, stride) in enumerate(((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)), start=1):
        for i in range(blocks):
            x = _bottleneck(b, f"layer{stage}.{i}", x, width, stride if i == 0 else 1)
    _head(b, x)
    return b.graph


def resnet20(batch: int = 1) -> LayerGraph:
    """CIFAR-10 ResNet-20 (n = 3): 32x32 input, stages of 16/32/64 channels, 10 classes.

    Shortcut option B (He et al. section 3.3): a 1x1/2 conv + BN projection where the shape
    changes. The paper's CIFAR nets (and tensorpack's `cifar10-resnet.py`, which PACT builds on)
    use option A, a parameter-free stride-2 subsample with zero-padded channels; the IR has no
    channel zero-pad layer, so option A cannot be written as a shape-exact graph. Option B adds
    2 x 1x1 convs: +2,752 params and +262,144 MACs (0.6 %) over option A.
    """
    b = Builder(
        "resnet20",
        (batch, 3, 32, 32),
        source="He et al., CVPR 2016, section 4.2 (6n+2, n=3); shortcut option B",
        dataset="cifar10",
    )
    x = b.conv("conv1", None, 16, 3, 1, 1)
    for stage, (planes, stride) in enumerate(((16, 1), (32, 2), (64, 2)), start=1):
        for i in range(3):
            x = _basic_block(b, f"layer{stage}.{i}", x, planes, stride if i == 0 else 1)
    _head(b, x, classes=10)
    return b.graph


__all__ = ["resnet18", "resnet20", "resnet50"]
