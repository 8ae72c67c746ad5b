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


Texts = dict[tuple[int, int, bool], tuple[object, str]]


class Memo:
    """Texts of dicts already written, by object, indentation and key order. It holds the
    objects, so an id is never reused while the memo lives; the dicts must not change
    meanwhile."""

    def __init__(self) -> None:
        self.texts: Texts = {}


def dumps(value: Any, *, sort_keys: bool = False, memo: Memo | None = None) -> str:
    """Equal to `json.dumps(value, indent=2, sort_keys=sort_keys)` for the types above."""
    out: list[str] = []
    _value(value, "\n", out, sort_keys, None if memo is None else memo.texts)
    return "".join(out)


def _value(value: Any, newline: str, out: list[str], sort_keys: bool, texts: Texts | None) -> None:
    """Append `value`; `newline` is a line break plus the current indentation. With
    `texts` (a Memo's), each non-empty dict is written once per indentation."""
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
        _dict(value, newline, out, sort_keys, texts)
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
            _value(item, inner, out, sort_keys, texts)
        out.append(newline)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not written by jsontext")


def _dict(
    value: dict[Any, Any], newline: str, out: list[str], sort_keys: bool, texts: Texts | None
) -> None:
    """Append a dict: from the memo's `texts` if written there at this indentation."""
    if not value:
        out.append("{}")
        return
    if texts is not None:
        memo_key = (id(value), len(newline), sort_keys)
        found = texts.get(memo_key)
        if found is not None:
            out.append(found[1])
            return
    target = out if texts is None else []
    inner = newline + "  "
    target.append("{")
    first = True
    for key, item in sorted(value.items()) if sort_keys else value.items():
        if type(key) is not str:
            raise TypeError(f"key {key!r}: only str keys")
        target.append(inner if first else "," + inner)
        first = False
        target.append(_escape(key))
        target.append(": ")
        _value(item, inner, target, sort_keys, texts)
    target.append(newline)
    target.append("}")
    if texts is not None:
        text = "".join(target)
        texts[memo_key] = (value, text)
        out.append(text)
