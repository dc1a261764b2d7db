"""The SVHN digit network of DoReFa-Net and PACT: 7 conv + 1 FC on 40x40 RGB.

Sources: PACT (Choi et al. 2018) section 5 ("7 CONV layers followed by 1 FC layer") and
appendix B (32x32 crops resized to 40x40); the model itself is tensorpack
`examples/DoReFa-Net/svhn-digit-dorefa.py` (Zhou et al. 2016, arXiv:1606.06160), which PACT
builds on. Shapes, paddings and names follow that script:

    conv0 48@5x5 valid (+bias, no BN) 40->36, maxpool 2 -> 18
    conv1 64@3x3 same, conv2 64@3x3 same, maxpool 2 -> 9
    conv3 128@3x3 valid -> 7, conv4 128@3x3 same, conv5 128@3x3 valid -> 5
    conv6 512@5x5 valid -> 1, fc1 10 (+bias)

conv1-conv6 have no bias and are followed by BatchNorm (gamma and beta). PACT replaces the seven
activations act0-act6 with its clipped ReLU; here they are plain ReLU (the full-precision
baseline), carried by the layer the activation follows (the pool where a pool comes first).
"""

from __future__ import annotations

from accelsim.ir import LayerGraph
from workloads._builder import Builder


def svhn(batch: int = 1) -> LayerGraph:
    """SVHN 7-conv net: 2,082,378 params (2,080,272 weights), 41,735,424 MACs per image."""
    b = Builder(
        "svhn",
        (batch, 3, 40, 40),
        source="tensorpack examples/DoReFa-Net/svhn-digit-dorefa.py; PACT (Choi et al. 2018) appendix B",
        dataset="svhn",
    )
    x = b.conv("conv0", None, 48, 5, 1, 0, bias=True, bn=False, act="none")
    x = b.pool("pool0", x, 2, 2, act="relu")
    x = b.conv("conv1", x, 64, 3, 1, 1)
    x = b.conv("conv2", x, 64, 3, 1, 1, act="none")
    x = b.pool("pool1", x, 2, 2, act="relu")
    x = b.conv("conv3", x, 128, 3, 1, 0)
    x = b.conv("conv4", x, 128, 3, 1, 1)
    x = b.conv("conv5", x, 128, 3, 1, 0)
    x = b.conv("conv6", x, 512, 5, 1, 0)
    x = b.flatten("flatten", x)
    b.dense("fc1", x, 10, act="softmax")
    return b.graph


__all__ = ["svhn"]
