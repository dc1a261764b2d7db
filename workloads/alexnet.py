"""AlexNet in two forms: torchvision's single-tower model and the DoReFa/PACT BatchNorm variant.

Sources:
- Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep Convolutional Neural
  Networks", NIPS 2012.
- `alexnet`: torchvision `models/alexnet.py` (the "one weird trick" single-GPU variant,
  arXiv:1404.5997): convs 64-192-384-256-256, fc 4096-4096-1000, all with bias, no normalization;
  61,100,840 params, ~0.71 GMAC. torchvision's adaptive 6x6 average pool is the identity at
  224x224 and is left out.
- `alexnet_dorefa`: tensorpack `examples/DoReFa-Net/alexnet-dorefa.py` (Zhou et al. 2016,
  arXiv:1606.06160), the network PACT trains (Choi et al. 2018, section 5: "5 parallel-CONV layers
  followed by 3 FC layers. BatchNorm is used before ReLU"; appendix B: LRN replaced by BatchNorm,
  built on tensorpack's default networks). conv0 96@12x12/4 valid with no bias and no BN; conv1,
  conv3, conv4 are two-tower convs (groups=2); BN after conv1-4, fc0 and fc1, which have no bias
  (the 2017 script, contemporary with PACT, sets `use_bias=False` for Conv2D and FullyConnected;
  later versions give fc0 a redundant bias, +4,096 params); fct has a bias.
  tensorpack's "SAME" max pools pad one side only; the symmetric pad of 1 used here gives the
  same output sizes (54 -> 27 -> 14).
"""

from __future__ import annotations

from accelsim.ir import LayerGraph
from workloads._builder import Builder


def alexnet(batch: int = 1) -> LayerGraph:
    """torchvision AlexNet at 224x224: 61,100,840 params, 714,188,480 MACs."""
    b = Builder(
        "alexnet",
        (batch, 3, 224, 224),
        source="torchvision.models.alexnet; Krizhevsky et al., NIPS 2012",
        dataset="imagenet",
    )
    x = b.conv("conv1", None, 64, 11, 4, 2, bias=True, bn=False)
    x = b.pool("pool1", x, 3, 2)
    x = b.conv("conv2", x, 192, 5, 1, 2, bias=True, bn=False)
    x = b.pool("pool2", x, 3, 2)
    x = b.conv("conv3", x, 384, 3, 1, 1, bias=True, bn=False)
    x = b.conv("conv4", x, 256, 3, 1, 1, bias=True, bn=False)
    x = b.conv("conv5", x, 256, 3, 1, 1, bias=True, bn=False)
    x = b.pool("pool5", x, 3, 2)
    x = b.flatten("flatten", x)
    x = b.dense("fc6", x, 4096, act="relu")
    x = b.dense("fc7", x, 4096, act="relu")
    b.dense("fc8", x, 1000, act="softmax")
    return b.graph


def alexnet_dorefa(batch: int = 1) -> LayerGraph:
    """The DoReFa-Net / PACT AlexNet at 224x224: 60,981,224 params, 1,937,082,368 MACs; names as tensorpack."""
    b = Builder(
        "alexnet_dorefa",
        (batch, 3, 224, 224),
        source="tensorpack examples/DoReFa-Net/alexnet-dorefa.py; PACT (Choi et al. 2018) appendix B",
        dataset="imagenet",
    )
    x = b.conv("conv0", None, 96, 12, 4, 0, bn=False)  # 224 -> 54
    x = b.conv("conv1", x, 256, 5, 1, 2, groups=2, act="none")
    x = b.pool("pool1", x, 3, 2, 1, act="relu")  # 54 -> 27; BN, pool, then activation
    x = b.conv("conv2", x, 384, 3, 1, 1, act="none")
    x = b.pool("pool2", x, 3, 2, 1, act="relu")  # 27 -> 14
    x = b.conv("conv3", x, 384, 3, 1, 1, groups=2)
    x = b.conv("conv4", x, 256, 3, 1, 1, groups=2, act="none")
    x = b.pool("pool4", x, 3, 2, 0, act="relu")  # 14 -> 6, "VALID"
    x = b.flatten("flatten", x)
    x = b.dense("fc0", x, 4096, bias=False, bn=True, act="relu")
    x = b.dense("fc1", x, 4096, bias=False, bn=True, act="relu")
    b.dense("fct", x, 1000, act="softmax")
    return b.graph


__all__ = ["alexnet", "alexnet_dorefa"]
