"""Bit-width tokens: ``4`` (everything at 4 bits), ``w4a16`` (weight-only), ``w8a8``, ``w4a16kv8``.

LLM quantization is named by its operands (LLM-Viewer's w_bit / a_bit / kv_bit; GPTQ and AWQ are
``w4a16``, SmoothQuant ``w8a8``): weights, activations and the KV cache each have their own bits.
One token parses to one `BitsSpec`, which turns into the `PrecisionPolicy` a graph is quantized with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accelsim.errors import InputError
from accelsim.ir.graph import PrecisionPolicy, check_bits

_TOKEN = re.compile(r"w(?P<w>\d+)a(?P<a>\d+)(?:kv(?P<kv>\d+))?")
_RULE = "must be an integer in 1..32 or a token like w4a16, w8a8 or w4a16kv8"


@dataclass(frozen=True, slots=True)
class BitsSpec:
    """Bits of weights, activations and KV cache; `kv_bits` defaults to `a_bits` in tokens."""

    w_bits: int
    a_bits: int
    kv_bits: int

    def __post_init__(self) -> None:
        check_bits("w_bits", self.w_bits)
        check_bits("a_bits", self.a_bits)
        check_bits("kv_bits", self.kv_bits)

    @property
    def uniform(self) -> bool:
        return self.w_bits == self.a_bits == self.kv_bits

    @property
    def label(self) -> str:
        """The shortest token that parses back to this spec (``4``, ``w4a16``, ``w4a16kv8``)."""
        if self.uniform:
            return str(self.w_bits)
        kv = "" if self.kv_bits == self.a_bits else f"kv{self.kv_bits}"
        return f"w{self.w_bits}a{self.a_bits}{kv}"

    def policy(self, first_last_bits: int | None = None) -> PrecisionPolicy:
        """The graph policy: these bits everywhere, first and last MAC layers at `first_last_bits`."""
        return PrecisionPolicy(
            bits=self.w_bits, a_bits=self.a_bits, kv_bits=self.kv_bits, first_last_bits=first_last_bits
        )


def parse_bits_token(raw: Any, field: str = "bits") -> BitsSpec:
    """``4`` / ``"4"`` -> all at 4 bits; ``"w4a16"`` -> weights 4, activations and KV 16; ``"w4a16kv8"``.

    Raises InputError naming `field` and the token for anything else, or bits outside 1..32.
    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    elif isinstance(raw, str):
        text = raw.strip().lower()
    else:
        raise InputError(field, raw, _RULE)
    if text.isdigit():
        bits = int(text)
        spec_args = (bits, bits, bits)
    else:
        match = _TOKEN.fullmatch(text)
        if match is None:
            raise InputError(field, raw, _RULE)
        w, a = int(match["w"]), int(match["a"])
        spec_args = (w, a, a if match["kv"] is None else int(match["kv"]))
    for name, value in zip(("w_bits", "a_bits", "kv_bits"), spec_args, strict=True):
        if not 1 <= value <= 32:
            raise InputError(field, raw, f"{name}={value} must be in 1..32")
    return BitsSpec(*spec_args)


def bits_value(spec: BitsSpec) -> int | str:
    """How sweeps and stores carry a precision: the int for uniform bits (as before), else the token."""
    return spec.w_bits if spec.uniform else spec.label


def token_policy(bits: int | str, first_last_bits: int | None) -> PrecisionPolicy:
    """PACT's policy for a precision token: first and last MAC layers at `first_last_bits` when the
    body's weights are narrower, never below the body (as `accelsim.model.fit.policy_for` for plain bits)."""
    spec = parse_bits_token(bits)
    edge = None if first_last_bits is None or first_last_bits <= spec.w_bits else first_last_bits
    return spec.policy(edge)


__all__ = ["BitsSpec", "bits_value", "parse_bits_token", "token_policy"]
