"""The workload zoo: published networks as `LayerGraph`s, built in code, one module per family.

`load(name, batch)` builds a network with batch `N` as the leading axis of every shape;
`names()` lists what it knows. Builders are pure functions of `batch`, so the same call gives an
equal graph every time (and the same JSON).

Conventions shared by all networks:
- A conv followed by BatchNorm in the real network has `batchnorm=True` (gamma and beta count as
  parameters); biases are as in the reference implementation (torchvision unless the module says
  otherwise).
- The activation sits on the layer it follows (a pool when the reference pools before the
  nonlinearity); a residual's ReLU sits on its Add. Classifiers end in `act="softmax"` (PACT
  appendix B: "Softmax is used for the FC layer"); torchvision leaves it to the loss.
- Dropout (an identity at inference) and adaptive pools that are the identity at the stated input
  size are left out.

Each module's docstring cites its sources and says what is exact and what is approximated.
"""

from __future__ import annotations

from collections.abc import Callable

from accelsim.errors import InputError
from accelsim.ir import LayerGraph
from workloads.alexnet import alexnet, alexnet_dorefa
from workloads.bert import bert_base
from workloads.mobilenet import mobilenet_v2
from workloads.resnet import resnet18, resnet20, resnet50
from workloads.svhn import svhn
from workloads.vgg import vgg16

#: name -> builder(batch); one entry per network, names as `load` accepts them.
_REGISTRY: dict[str, Callable[[int], LayerGraph]] = {
    "alexnet": alexnet,
    "alexnet_dorefa": alexnet_dorefa,
    "bert_base": bert_base,
    "mobilenet_v2": mobilenet_v2,
    "resnet18": resnet18,
    "resnet20": resnet20,
    "resnet50": resnet50,
    "svhn": svhn,
    "vgg16": vgg16,
}


def names() -> list[str]:
    """Names `load` accepts, sorted."""
    return sorted(_REGISTRY)


def load(name: str, batch: int = 1) -> LayerGraph:
    """Build network `name` with batch size `batch`.

    Names are matched case-insensitively with '-' read as '_' (``ResNet50``, ``mobilenet-v2``).
    Raises InputError for an unknown name (listing the known ones) or a batch that is not a
    positive int.
    """
    key = name.strip().lower().replace("-", "_") if isinstance(name, str) else None
    if key not in _REGISTRY:
        raise InputError("workload", name, f"must be one of {', '.join(names())}")
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise InputError("batch", batch, "must be a positive int")
    return _REGISTRY[key](batch)


__all__ = ["load", "names"]
