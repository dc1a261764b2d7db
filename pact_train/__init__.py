"""pact_train: a NumPy trainer for PACT-quantized networks (Choi et al. 2018, arXiv:1805.06085).

One concept per module, data flowing one way:

``scratch``  reused scratch arrays for the convolution kernels
``conv_flat`` convolution without im2col (one GEMM per tap) for thin layers; polyphase input gradients
``conv``     the convolution: im2col + GEMM over cache blocks, 1x1 without columns, dispatch to conv_flat
``ops``      differentiable NumPy ops, each a ``*_forward`` -> ``(out, ctx)`` and a ``*_backward``
``quant``    quantizers with straight-through backward: PACT, DoReFa, SAWB, ReLU-max, fixed clip
``layers``   `Param`, `Module` and the layers/activations built on the ops
``models``   ResNet20, the paper's SVHN network, a small CNN; `QuantConfig`; LayerGraph emission
``data``     offline data: scikit-learn's bundled digits, Fashion-MNIST IDX files
``optim``    SGD with momentum, Adam, step schedule; L2 on weights and on PACT's alpha
``calibrate`` clipping levels from a float network's activations (fine-tuning, PTQ)
``policy``   per-layer bits from an accelsim layer graph (``--bits-per-layer``)
``train``    `TrainConfig`, the seeded loop, run folders, .npz checkpoints, resume, --init and PTQ
``compare``  FP vs DoReFa vs PACT at several bit widths (PACT Table 1 at small scale)
``export``   a trained run as an accelsim `LayerGraph` JSON
``deploy``   the deployable integer model (.npz): integer weights, scales, alphas, BN folded
``intinfer`` integer-only inference from that file and its check against the fake-quantized net
``cli``      the ``pact-train`` command
"""

from __future__ import annotations

from pact_train.compare import compare, format_table
from pact_train.data import Dataset, load_dataset
from pact_train.export import export_run, graph_for_run
from pact_train.models import Net, QuantConfig, build_model
from pact_train.quant import SAWB_COEFFS, WeightQuantizer
from pact_train.train import TrainConfig, evaluate, load_run, train

__version__ = "0.1.0"

__all__ = [
    "Dataset",
    "Net",
    "QuantConfig",
    "SAWB_COEFFS",
    "TrainConfig",
    "WeightQuantizer",
    "__version__",
    "build_model",
    "compare",
    "evaluate",
    "export_run",
    "format_table",
    "graph_for_run",
    "load_dataset",
    "load_run",
    "train",
]
