"""The workload zoo: published networks as `LayerGraph`s, built in code, one module per family.

`load(name, batch)` builds a network with batch `N` as the leading axis of every shape;
`names()` lists what it knows. Decoder LLMs (`workloads.llm`) are built per inference phase:
`load("llama2_7b", phase="decode,ctx=2048")`; without a phase they decode with half their
positions cached. Builders are pure functions of `batch`, so the same call gives an
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
from workloads.llm import llm, parse_phase
from workloads.llm_config import ZOO as LLM_ZOO
from workloads.llm_config import LLMConfig, from_hf_config
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
    return sorted([*_REGISTRY, *LLM_ZOO])


def canonical_name(name: object) -> str | None:
    """The zoo name `name` means (case-insensitive, '-' and '.' read as '_'), or None."""
    if not isinstance(name, str):
        return None
    key = name.strip().lower().replace("-", "_").replace(".", "_")
    return key if key in _REGISTRY or key in LLM_ZOO else None


def load(name: str, batch: int = 1, phase: str | None = None) -> LayerGraph:
    """Build network `name` with batch size `batch`; `phase` (``decode,ctx=2048``) for LLMs only.

    Names are matched case-insensitively with '-' read as '_' (``ResNet50``, ``mobilenet-v2``,
    ``llama2-7b``). Raises InputError for an unknown name (listing the known ones), a batch that is
    not a positive int, or a phase given to a network that is not an LLM.
    """
    key = canonical_name(name)
    if key is None:
        raise InputError("workload", name, f"must be one of {', '.join(names())}")
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise InputError("batch", batch, "must be a positive int")
    if key in LLM_ZOO:
        return llm(LLM_ZOO[key], parse_phase(phase or "", LLM_ZOO[key], batch))
    if phase is not None:
        raise InputError("workload", f"{name}:{phase}", f"phases apply to the LLMs only ({', '.join(sorted(LLM_ZOO))})")
    return _REGISTRY[key](batch)


__all__ = ["LLMConfig", "LLM_ZOO", "canonical_name", "from_hf_config", "llm", "load", "names", "parse_phase"]
