"""`json.dumps(value, indent=2)`'s exact text, several times faster.

Python 3.11's C encoder only runs without `indent`; with it, every value goes through the
pure-Python generator encoder, which was a third of a 1,007-node render (the connection
profiles: a thousand peers in each). This writes the same text with one recursive pass
and the C string escaper. Only what the renderers emit: dict (str keys), list, tuple,
str, int, float, bool, None; anything else raises TypeError, like json.dumps would for most.

A `Memo` shared by several calls writes each dict *object* once per indentation: the
connection profiles of a network hold the same endpoint objects (and the same `peers`
section) many times over, a thousand peers in each of fifty profiles.
"""

from __future__ import annotations

import json.encoder
import math
from typing import Any

_escape = json.encoder.encode_basestring_ascii  # the C escaper json.dumps uses


def _float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


class Memo:
    """Texts of dicts already written, by object, indentation and key order. It holds the
    objects, so an id is never reused while the memo lives; the dicts must not change
    meanwhile."""

    def __init__(self) -> None:
        self.texts: dict[tuple[int, int, bool], tuple[object, str]] = {}


def dumps(value: Any, *, sort_keys: bool = False, memo: Memo | None = None) -> str:
    """Equal to `json.dumps(value, indent=2, sort_keys=sort_keys)` for the types above."""
    out: list[str] = []
    if memo is None:
        _value(value, "\n", out, sort_keys)
    else:
        _memo_value(value, "\n", out, sort_keys, memo.texts)
    return "".join(out)


def _memo_value(
    value: Any,
    newline: str,
    out: list[str],
    sort_keys: bool,
    texts: dict[tuple[int, int, bool], tuple[object, str]],
) -> None:
    """`_value` with each non-empty dict written once per indentation."""
    if type(value) is not dict or not value:
        if type(value) is list or type(value) is tuple:
            if not value:
                out.append("[]")
                return
            inner = newline + "  "
            out.append("[")
            first = True
            for item in value:
                out.append(inner if first else "," + inner)
                first = False
                _memo_value(item, inner, out, sort_keys, texts)
            out.append(newline)
            out.append("]")
            return
        _value(value, newline, out, sort_keys)
        return
    key = (id(value), len(newline), sort_keys)
    found = texts.get(key)
    if found is not None:
        out.append(found[1])
        return
    mine: list[str] = []
    inner = newline + "  "
    mine.append("{")
    first = True
    for name, item in sorted(value.items()) if sort_keys else value.items():
        if type(name) is not str:
            raise TypeError(f"key {name!r}: only str keys")
        mine.append(inner if first else "," + inner)
        first = False
        mine.append(_escape(name))
        mine.append(": ")
        _memo_value(item, inner, mine, sort_keys, texts)
    mine.append(newline)
    mine.append("}")
    text = "".join(mine)
    texts[key] = (value, text)
    out.append(text)


def _value(value: Any, newline: str, out: list[str], sort_keys: bool) -> None:
    """Append `value`; `newline` is a line break plus the current indentation."""
    if type(value) is str:
        out.append(_escape(value))
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif type(value) is int:
        out.append(int.__repr__(value))
    elif type(value) is float:
        out.append(_float(value))
    elif type(value) is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        out.append("{")
        first = True
        for key, item in sorted(value.items()) if sort_keys else value.items():
            if type(key) is not str:
                raise TypeError(f"key {key!r}: only str keys")
            out.append(inner if first else "," + inner)
            first = False
            out.append(_escape(key))
            out.append(": ")
            _value(item, inner, out, sort_keys)
        out.append(newline)
        out.append("}")
    elif type(value) is list or type(value) is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        out.append("[")
        first = True
        for item in value:
            out.append(inner if first else "," + inner)
            first = False
            _value(item, inner, out, sort_keys)
        out.append(newline)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not written by jsontext")
