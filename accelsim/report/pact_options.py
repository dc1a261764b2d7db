"""What PACT says (the numbers quoted from the paper), the study's settings, and the report's records."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from accelsim.hardware.design import Accelerator

#: Fig. 6(b): "~14x improvement in density when ... uniformly reduced from 16 bits to 2 bits".
PAPER_DENSITY_2BIT = 14.0
#: "quantizing from 16 to 4 bits leads to a 4x increase in peak FLOPs but a 4.5x improvement in
#: performance" -- at 64 GB/s.
PAPER_PEAK_4BIT = 4.0
PAPER_SPEEDUP_4BIT_64 = 4.5
PAPER_BW_CONSTRAINED = "64"
#: "If we are able to quantize the first and last layers as well to 4 or 2 bits, we estimate an
#: additional 1.24x improvement in performance".
PAPER_FIRST_LAST_GAIN = 1.24
#: Our reading of "near-linear increase in performance for up-to 4 bits" (unconstrained bandwidth):
#: speedup at least this fraction of the peak ratio. A stated threshold, not a result.
NEAR_LINEAR = 0.9
#: A model number "matches" a paper number when within this relative distance.
MATCH_TOL = 0.05

BITS = (16, 8, 4, 2)
BANDWIDTHS = ("32", "64", "inf")
MAIN = "resnet50"
OTHERS = ("resnet18", "alexnet", "mobilenet_v2", "bert_base")
#: The iso-area variants of the sensitivity table: (mac mode, where the MACs go).
PLACEMENTS = (("configurable", "cores"), ("configurable", "array"), ("configurable", "lanes"), ("dedicated", "array"))
DENSITY_BITS = (16, 12, 8, 6, 4, 3, 2)
REPORT = "reproducing-pact.md"
FIGURES = "figures"

DISPLAY = {
    "resnet50": "ResNet-50",
    "resnet18": "ResNet-18",
    "alexnet": "AlexNet",
    "mobilenet_v2": "MobileNetV2",
    "bert_base": "BERT-base",
}


def display(name: str) -> str:
    return DISPLAY.get(name, name)


@dataclass(frozen=True)
class Options:
    """What the report runs. `quick()` is the reduced set the tests use."""

    main: str = MAIN
    others: tuple[str, ...] = OTHERS
    bits: tuple[int, ...] = BITS
    bandwidths: tuple[str, ...] = BANDWIDTHS
    first_last_bits: int = 8
    placements: tuple[tuple[str, str], ...] = PLACEMENTS
    base: Accelerator = field(default_factory=Accelerator)
    quick: bool = False

    @classmethod
    def reduced(cls) -> Options:
        return cls(main="resnet18", others=("alexnet",), quick=True)


@dataclass(frozen=True)
class FigureInfo:
    """What a generated figure shows: read back from the matplotlib objects before saving."""

    name: str
    path: Path
    title: str
    xlabel: str
    ylabel: str
    legend: tuple[str, ...]
    caption: str


@dataclass(frozen=True)
class Report:
    """The files written and the key numbers (the same ones the markdown prints)."""

    markdown: Path
    figures: tuple[FigureInfo, ...]
    sections: tuple[str, ...]
    numbers: dict[str, float]


__all__ = [
    "BANDWIDTHS",
    "BITS",
    "DENSITY_BITS",
    "DISPLAY",
    "FIGURES",
    "FigureInfo",
    "MAIN",
    "MATCH_TOL",
    "NEAR_LINEAR",
    "OTHERS",
    "Options",
    "PAPER_BW_CONSTRAINED",
    "PAPER_DENSITY_2BIT",
    "PAPER_FIRST_LAST_GAIN",
    "PAPER_PEAK_4BIT",
    "PAPER_SPEEDUP_4BIT_64",
    "PLACEMENTS",
    "REPORT",
    "Report",
    "display",
]
