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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Compare:
    """``name op raw``: one comparison, the literal as written (read per row as its column's type)."""

    name: str
    op: str
    raw: str


@dataclass(frozen=True)
class Logic:
    """``and``/``or`` of its parts, or ``not`` of its single part."""

    kind: str  # "and", "or", "not"
    parts: tuple[Node, ...]


Node = Compare | Logic


def parse_where(text: str, columns: set[str] | None = None) -> Predicate:
    """A predicate on row dicts from a `--where` expression; InputError naming the problem otherwise.

    `columns`, when given, are the names a row can have: any other name is refused up front.
    """
    return predicate(parse_tree(text, columns), text)


def parse_tree(text: str, columns: set[str] | None = None) -> Node:
    """The expression's syntax tree (see `parse_where`)."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("where", text, "is empty; give e.g. 'bits<=4 and bw==\"64\"'")
    if len(text) > MAX_LENGTH:
        raise InputError("where", text[:40] + "...", f"is longer than {MAX_LENGTH} characters")
    parser = _Parser(text, _tokens(text), columns)
    tree = parser.expr(0)
    if parser.pos != len(parser.toks):
        raise InputError("where", text, f"has {parser.toks[parser.pos][1]!r} where 'and', 'or' or the end was expected")
    return tree


class _Parser:
    """Recursive descent over the tokens (the grammar in the module docstring)."""

    def __init__(self, text: str, toks: list[tuple[str, str]], columns: set[str] | None) -> None:
        self.text, self.toks, self.columns, self.pos = text, toks, columns, 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.toks):
            raise InputError("where", self.text, "ends early (a comparison such as bits<=4 is missing)")
        self.pos += 1
        return self.toks[self.pos - 1]

    def expr(self, depth: int) -> Node:
        if depth > 50:
            raise InputError("where", self.text, "nests parentheses more than 50 deep")
        return self._joined("or", lambda: self._joined("and", lambda: self.unary(depth)))

    def _joined(self, word: str, part: Callable[[], Node]) -> Node:
        parts = [part()]
        while self.peek() == ("word", word):
            self.take()
            parts.append(part())
        return parts[0] if len(parts) == 1 else Logic(word, tuple(parts))

    def unary(self, depth: int) -> Node:
        text = self.text
        kind, tok = self.take()
        if (kind, tok) == ("word", "not"):
            return Logic("not", (self.unary(depth + 1),))
        if (kind, tok) == ("paren", "("):
            inner = self.expr(depth + 1)
            if self.take() != ("paren", ")"):
                raise InputError("where", text, "has a '(' without its ')'")
            return inner
        if kind != "word" or tok in ("and", "or"):
            raise InputError("where", text, f"expected a column name, found {tok!r}")
        name = _ALIASES.get(tok, tok)
        if self.columns is not None and name not in self.columns:
            raise InputError("where", tok, f"is not a column (columns: {', '.join(sorted(self.columns))})")
        op_kind, op = self.take()
        if op_kind != "op":
            raise InputError("where", text, f"expected a comparison (== != <= >= < >) after {tok}, found {op!r}")
        value_kind, value = self.take()
        if value_kind not in ("word", "str"):
            raise InputError("where", text, f"expected a value after {tok}{op}, found {value!r}")
        return Compare(name, op, value)


def predicate(node: Node, text: str) -> Predicate:
    """The Python test of a syntax tree on a row dict (`text` names the filter in errors)."""
    if isinstance(node, Compare):
        return _comparison(text, node.name, _OPS[node.op], node.raw)
    parts = [predicate(p, text) for p in node.parts]
    if node.kind == "not":
        inner = parts[0]
        return lambda row: not inner(row)
    if node.kind == "and":
        return lambda row: all(p(row) for p in parts)
    return lambda row: any(p(row) for p in parts)


def to_sql(node: Node, columns: Mapping[str, str]) -> tuple[str, list[Any]] | None:
    """A SQL condition that every row the filter keeps satisfies, over the typed `columns` (name ->
    SQL type), with its parameters; None when no part of the filter can be said in SQL.

    Exact where it can be (each comparison is ``coalesce(col op ?, 0)``, so a missing value is
    false as in Python and ``not`` stays a plain negation); an ``and`` keeps the parts it can say,
    an ``or`` or ``not`` needs all of its parts. The caller still applies the Python predicate to
    the rows that come back, so a partial condition only narrows what is read.
    """
    sql = _sql_exact(node, columns)
    if sql is not None:
        return sql
    if isinstance(node, Logic) and node.kind == "and":
        said = [s for s in (to_sql(p, columns) for p in node.parts) if s is not None]
        if said:
            return " AND ".join(f"({s})" for s, _ in said), [v for _, vals in said for v in vals]
    return None


def _sql_exact(node: Node, columns: Mapping[str, str]) -> tuple[str, list[Any]] | None:
    """The filter as an exactly equivalent SQL condition, or None."""
    if isinstance(node, Compare):
        value = _sql_value(node, columns)
        if value is None:
            return None
        return f"coalesce({node.name} {'=' if node.op == '==' else node.op} ?, 0)", [value]
    parts = [_sql_exact(p, columns) for p in node.parts]
    if any(p is None for p in parts):
        return None
    said = [p for p in parts if p is not None]
    if node.kind == "not":
        return f"NOT ({said[0][0]})", said[0][1]
    joined = f" {node.kind.upper()} ".join(f"({s})" for s, _ in said)
    return joined, [v for _, vals in said for v in vals]


def _sql_value(node: Compare, columns: Mapping[str, str]) -> Any:
    """The literal as the typed column holds it, or None when SQL would not compare it as Python does."""
    from accelsim.ir.units import parse_bw, parse_size

    kind = columns.get(node.name)
    if kind is None:
        return None
    raw = node.raw
    try:
        if node.name == "bw_gb_per_s":
            return parse_bw(raw)
        if node.name == "sram_bytes":
            return parse_size("sram", raw)
        if node.name == "array":  # "RxC" text: equality only (Python compares the lists)
            if node.op in ("==", "!=") and re.fullmatch(r"\d+x\d+", raw.lower()):
                return "x".join(str(int(v)) for v in raw.lower().split("x"))
            return None
        if kind in ("INTEGER", "REAL", ""):  # bits (an int, or a token: text sorts after numbers in both)
            return float(raw)
        return raw if kind == "TEXT" else None
    except (InputError, ValueError):
        return None  # Python reads it per row (and names a bad literal)


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


__all__ = ["MAX_LENGTH", "Compare", "Logic", "Node", "parse_tree", "parse_where", "predicate", "to_sql"]
