"""JSON from untrusted files (configs, figures): nesting depth and number length checked before parsing."""

from __future__ import annotations

import json
import re

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40  # far beyond any real value; a 5,000-digit integer would cost a quadratic conversion
_STRUCTURE = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')  # a string (skipped whole) or a bracket


class JSONError(ValueError):
    """Untrusted JSON that was refused; the message says why without echoing the text."""


def depth(text: str | bytes, stop_above: int | None = None) -> int:
    """The deepest nesting of arrays and objects, counted in one linear pass that skips strings; the count
    stops as soon as it passes stop_above."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    level = deepest = 0
    for m in _STRUCTURE.finditer(data):
        token = m.group()
        if token in (b"[", b"{"):
            level += 1
            deepest = max(deepest, level)
            if stop_above is not None and deepest > stop_above:
                break
        elif token in (b"]", b"}"):
            level -= 1
    return deepest


def _number(kind):
    def parse(s: str):
        if len(s) > MAX_NUMBER_CHARS:
            raise JSONError(f"a number of {len(s):,} characters; at most {MAX_NUMBER_CHARS} are read")
        return kind(s)
    return parse


def _unique(pairs: list[tuple[str, object]]) -> dict:
    """An object whose keys are all different: with a key twice, the last would silently win."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise JSONError(f"holds the key {key[:40]!r} twice in one object")
        out[key] = value
    return out


def loads(text: str | bytes, max_depth: int = MAX_DEPTH):
    """json.loads for untrusted text: JSONError when it is nested deeper than max_depth, holds an absurdly
    long number, or does not parse."""
    if depth(text, max_depth) > max_depth:
        raise JSONError(f"nested more than {max_depth} levels deep")
    try:
        return json.loads(text, parse_int=_number(int), parse_float=_number(float), object_pairs_hook=_unique)
    except JSONError:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # JSONDecodeError says where, never what: its message holds no text from the document.
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise JSONError(f"is not valid JSON{where}") from None
