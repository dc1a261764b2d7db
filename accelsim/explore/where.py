"""`--where` filters: a small expression grammar over result rows, parsed without eval.

    expr    := and_expr ("or" and_expr)*
    and_expr:= unary ("and" unary)*
    unary   := "not" unary | "(" expr ")" | NAME OP VALUE
    OP      := == != <= >= < >
    VALUE   := a number, a quoted string ('64' or "64"), or a bare word (inf, 8MB, 16x32, true)

Names are row columns (``bits``, ``speedup``, ``seconds_per_image``...) or the short axis names
``bw``, ``sram``, ``efficiency``. A value is read the way its column is: ``bw=="64"`` compares the
bandwidth 64.0, ``sram>=8MB`` the bytes, ``array=="16x32"`` the array. A row without the column, or
with an empty value (a failed point), does not match. Example: ``bits<=4 and bw=="64"``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from accelsim.errors import InputError

Predicate = Callable[[Mapping[str, Any]], bool]

_ALIASES = {"bw": "bw_gb_per_s", "sram": "sram_bytes", "efficiency": "dram_efficiency"}
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
_TOKEN = re.compile(r"\s*(?:(==|!=|<=|>=|<|>|\(|\))|'([^']*)'|\"([^\"]*)\"|([A-Za-z0-9_.+\-]+))")

#: Longest expression accepted (a filter is a line, not a program).
MAX_LENGTH = 2_000


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: kind is "op", "paren", "str" (quoted) or "word"."""
    out, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        m = _TOKEN.match(text, at)
        if m is None:
            raise InputError("where", text, f"cannot read it at character {at + 1} ({text[at : at + 10]!r})")
        op, single, double, word = m.groups()
        if op in ("(", ")"):
            out.append(("paren", op))
        elif op:
            out.append(("op", op))
        elif word is not None:
            out.append(("word", word))
        else:
            out.append(("str", single if single is not None else double))
        at = m.end()
    return out


def parse_where(text: str, columns: set[str] | None = None) -> Predicate:
    """A predicate on row dicts from a `--where` expression; InputError naming the problem otherwise.

    `columns`, when given, are the names a row can have: any other name is refused up front.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError("where", text, "is empty; give e.g. 'bits<=4 and bw==\"64\"'")
    if len(text) > MAX_LENGTH:
        raise InputError("where", text[:40] + "...", f"is longer than {MAX_LENGTH} characters")
    toks = _tokens(text)
    pos = 0

    def peek() -> tuple[str, str] | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(toks):
            raise InputError("where", text, "ends early (a comparison such as bits<=4 is missing)")
        pos += 1
        return toks[pos - 1]

    def expr(depth: int) -> Predicate:
        if depth > 50:
            raise InputError("where", text, "nests parentheses more than 50 deep")
        parts = [conj(depth)]
        while peek() == ("word", "or"):
            take()
            parts.append(conj(depth))
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def conj(depth: int) -> Predicate:
        parts = [unary(depth)]
        while peek() == ("word", "and"):
            take()
            parts.append(unary(depth))
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def unary(depth: int) -> Predicate:
        kind, tok = take()
        if (kind, tok) == ("word", "not"):
            inner = unary(depth + 1)
            return lambda row: not inner(row)
        if (kind, tok) == ("paren", "("):
            inner = expr(depth + 1)
            if take() != ("paren", ")"):
                raise InputError("where", text, "has a '(' without its ')'")
            return inner
        if kind != "word" or tok in ("and", "or"):
            raise InputError("where", text, f"expected a column name, found {tok!r}")
        name = _ALIASES.get(tok, tok)
        if columns is not None and name not in columns:
            raise InputError("where", tok, f"is not a column (columns: {', '.join(sorted(columns))})")
        op_kind, op = take()
        if op_kind != "op":
            raise InputError("where", text, f"expected a comparison (== != <= >= < >) after {tok}, found {op!r}")
        value_kind, value = take()
        if value_kind not in ("word", "str"):
            raise InputError("where", text, f"expected a value after {tok}{op}, found {value!r}")
        return _comparison(text, name, _OPS[op], value)

    predicate = expr(0)
    if pos != len(toks):
        raise InputError("where", text, f"has {toks[pos][1]!r} where 'and', 'or' or the end was expected")
    return predicate


def _comparison(text: str, name: str, op: Callable[[Any, Any], bool], raw: str) -> Predicate:
    """`row[name] op value`, the literal read as the column's type (per row: columns are typed by value)."""

    def test(row: Mapping[str, Any]) -> bool:
        have = row.get(name)
        if have is None:
            return False
        want = _as_type_of(text, name, have, raw)
        try:
            return bool(op(have, want))
        except TypeError:
            return False

    return test


def _as_type_of(text: str, name: str, have: Any, raw: str) -> Any:
    from accelsim.ir.units import parse_bw, parse_size

    if isinstance(have, bool):
        if raw.lower() in ("true", "yes", "1"):
            return True
        if raw.lower() in ("false", "no", "0"):
            return False
        raise InputError("where", raw, f"{name} is yes/no: compare it with true or false")
    if isinstance(have, (int, float)):
        try:
            if name == "bw_gb_per_s":
                return parse_bw(raw)
            if name == "sram_bytes":
                return parse_size("sram", raw)
            return float(raw)
        except (InputError, ValueError):
            raise InputError("where", raw, f"{name} is a number: compare it with a number") from None
    if isinstance(have, (list, tuple)):
        return [int(v) for v in raw.lower().split("x")] if re.fullmatch(r"\d+(x\d+)*", raw.lower()) else raw
    return raw


__all__ = ["MAX_LENGTH", "parse_where"]
