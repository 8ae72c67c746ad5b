"""A direct YAML writer for manifests, byte-identical to the libyaml path it shortcuts.

Profiling a 1,007-node render put about 70 % of the time in PyYAML's pure-Python
representer (a node object per scalar, a resolver call per scalar, alias bookkeeping),
not in libyaml. Manifests are plain trees of str/int/bool/None in mappings and lists, so
this module writes them in one recursive pass, keys ordered as `writer.normalise` orders
them, and decides each distinct string's style once (memoised) with the rules of libyaml's
emitter (`yaml_emitter_analyze_scalar` / `select_scalar_style`).

It covers only what it can match exactly: printable-ASCII strings that libyaml writes
plain, single-quoted, or as a `|`/`|-` literal block (never folded), and no one-line
string with a space long enough that libyaml might fold it at its 4096-column width.
Anything else (another type, a non-ASCII or control character, a string libyaml would
double-quote, a key that cannot be a simple key) raises `Unsupported`, and the caller
hands that document to libyaml. tests/test_fastyaml.py checks the bytes against libyaml
on every committed manifest and on generated trees.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from compiler.emit import order


class Unsupported(Exception):
    """The tree has something this writer does not match libyaml on; use libyaml."""


_STR_TAG = "tag:yaml.org,2002:str"
_resolver = yaml.resolver.Resolver()
# printable ASCII only (libyaml's "special characters" and unicode are left to libyaml)
_ASCII_LINE = re.compile(r"[\x20-\x7e]*\Z")
_WIDE = 2000  # far below libyaml's width (4096) even with indentation added
_MEMO_MAX = 1_000_000
_SIMPLE_KEY_MAX = 128  # libyaml: longer keys are written as complex `? ` keys


# libyaml's indicators that rule out a plain one-line scalar in block context: a document
# marker or an indicator first, `: ` or `:` at the end, ` #`, a leading or trailing space
_NOT_PLAIN = re.compile(r"\A(?:---|\.\.\.|[#,\[\]{}&*!|>'\"%@`]|[?:-](?: |\Z))|: |:\Z| #|\A | \Z")
# printable ASCII and line breaks only; a literal block's lines then need no escaping
_ASCII_TEXT = re.compile(r"[\x20-\x7e\n]*\Z")


# first characters of YAML 1.1's implicit types (bool, int, float, null, timestamp, merge,
# value, yaml): the resolver only tries the patterns registered for a string's first char
_IMPLICIT_FIRST = frozenset(k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k)


def _implicit_plain(text: str) -> bool:
    """libyaml writes a str plain only if reading it back gives a str (not 1, true, null)."""
    if text[0] not in _IMPLICIT_FIRST:
        return True
    tag = _resolver.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == _STR_TAG)


# each distinct string's rendering, decided once; bounded for long-lived processes
_value_cache: dict[str, str] = {}
_key_cache: dict[str, str] = {}


def _single_line(text: str) -> str:
    """A one-line string as libyaml writes it as a value (or as a simple key)."""
    if not _ASCII_LINE.match(text) or (len(text) > _WIDE and " " in text):
        raise Unsupported(text[:40])  # libyaml folds long lines only at spaces
    if not text:
        return "''"
    if not _NOT_PLAIN.search(text) and _implicit_plain(text):
        return text
    # one printable-ASCII line: single quotes are always allowed
    return "'" + text.replace("'", "''") + "'"


def _key(text: str) -> str:
    cached = _key_cache.get(text)
    if cached is None:
        if "\n" in text or len(text) > _SIMPLE_KEY_MAX:
            raise Unsupported(text[:40])
        if len(_key_cache) > _MEMO_MAX:
            _key_cache.clear()
        cached = _key_cache[text] = _single_line(text)
    return cached


def _literal_header(text: str) -> str | None:
    """`|` or `|-` when libyaml writes this multi-line string as a literal block with no
    indentation indicator and no keep-chomping; None when it would not (or would add them).
    libyaml refuses a block for a trailing space or a space before a line break."""
    if text[0] in " \n" or text.endswith(" ") or " \n" in text:
        return None
    if not _ASCII_TEXT.match(text):
        return None
    if not text.endswith("\n"):
        return "|-"
    if text.endswith("\n\n"):
        return None  # `|+` and an open-ended document: libyaml's business
    return "|"


def _string(text: str, indent: int, out: list[str]) -> None:
    """Append ` value` (after `key:` or `-`) for a string; literal blocks at `indent`."""
    if "\n" not in text:
        cached = _value_cache.get(text)
        if cached is None:
            if len(_value_cache) > _MEMO_MAX:
                _value_cache.clear()
            cached = _value_cache[text] = _single_line(text)
        out.append(cached)
        return
    header = _literal_header(text)
    if header is None:
        raise Unsupported(text[:40])
    out.append(header)
    out.append("\n")
    out.append(_block_body(text, header, indent))


def _block_body(text: str, header: str, indent: int) -> str:
    """The lines of a literal block: every non-empty line indented; libyaml writes empty
    lines with no indentation. By str.replace, not a regex with a lookahead (0.5 s of a
    1,007-node dump under the profiler). A line of spaces only cannot occur
    (`_literal_header` refuses a space before a line break), so the indentation followed
    by a line break marks exactly the empty lines."""
    pad = " " * indent
    body = text[:-1] if header == "|" else text
    found = pad + body.replace("\n", "\n" + pad)
    return found.replace(pad + "\n", "\n") if "\n\n" in body else found


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if type(value) is int:
        return str(value)
    raise Unsupported(type(value).__name__)


_sort_keys: dict[str, tuple[int, str]] = {}


def _sort_key(key: Any) -> tuple[int, str]:
    """order.key_order, memoised: a large render sorts a few hundred distinct keys
    hundreds of thousands of times."""
    if type(key) is not str:  # (1 and True hash alike: memoise strings only)
        return order.key_order(str(key))
    found = _sort_keys.get(key)
    if found is None:
        found = _sort_keys[key] = order.key_order(key)
    return found


# A render writes a few hundred shapes of mapping (a container, a port, a probe) hundreds
# of thousands of times, each with its keys in the order its renderer built it: the
# written order of each key sequence is decided once. Only all-string key sequences are
# kept (1 and True hash alike; their written names differ).
_orders: dict[tuple[Any, ...], list[Any]] = {}


def _ordered(value: Mapping[Any, Any]) -> list[Any]:
    keys = tuple(value)
    found = _orders.get(keys)
    if found is None:
        found = sorted(keys, key=_sort_key)
        if all(type(k) is str for k in keys):
            if len(_orders) > _MEMO_MAX:
                _orders.clear()
            _orders[keys] = found
    return found


# per indentation: key -> its line start, "\n<indent>key:" (the key's style decided once)
_key_lines: list[dict[str, str]] = []


def _key_line(indent: int, name: str) -> str:
    while len(_key_lines) <= indent:
        _key_lines.append({})
    table = _key_lines[indent]
    line = table.get(name)
    if line is None:
        if len(table) > _MEMO_MAX:
            table.clear()
        line = table[name] = "\n" + " " * indent + _key(name) + ":"
    return line


# one-line string values as written after `key:` or `-`: with their leading space
_spaced: dict[str, str] = {}


def _spaced_value(text: str) -> str:
    found = _spaced.get(text)
    if found is None:
        if len(_spaced) > _MEMO_MAX:
            _spaced.clear()
        found = _spaced[text] = " " + _single_line(text)
    return found


def _mapping(value: Mapping[Any, Any], indent: int, out: list[str], first: bool) -> None:
    """Entries at column `indent`; `first`: the first entry continues the current line
    (after `- `). The common types are dispatched here, inline: this loop runs once per
    key of every manifest."""
    append = out.append
    lines = _key_lines[indent] if indent < len(_key_lines) else None
    inner = indent + 2
    for key in _ordered(value):
        name = key if type(key) is str else str(key)
        line = lines.get(name) if lines is not None else None
        if line is None:
            line = _key_line(indent, name)
            lines = _key_lines[indent]
        if first:
            append(line[indent + 1 :])  # no line break and indentation: after `- `
            first = False
        else:
            append(line)
        item = value[key]
        kind = type(item)
        if kind is str:
            if "\n" in item:
                append(" ")
                _string(item, inner, out)
            else:
                spaced = _spaced.get(item)
                append(spaced if spaced is not None else _spaced_value(item))
        elif kind is dict:
            if item:
                _mapping(item, inner, out, first=False)
            else:
                append(" {}")
        elif kind is list:
            if item:
                _sequence(item, name, indent, out)
            else:
                append(" []")
        else:
            _value(item, name, indent, out)


def _sequence(items: list[Any], field: str | None, indent: int, out: list[str]) -> None:
    """Items at column `indent` (`- ` first), each on its own line after the current."""
    if field in order.UNORDERED_LISTS:
        keys = order.UNORDERED_LISTS[field]
        items = sorted(items, key=lambda item: order.item_key(item, keys))
    append = out.append
    dash = "\n" + " " * indent + "-"
    inner = indent + 2
    for item in items:
        append(dash)
        kind = type(item)
        if kind is dict and item:
            append(" ")
            _mapping(item, inner, out, first=True)
        elif kind is str and "\n" not in item:
            spaced = _spaced.get(item)
            append(spaced if spaced is not None else _spaced_value(item))
        else:
            _item(item, indent, out)


def _value(value: Any, field: str, indent: int, out: list[str]) -> None:
    """After `key:`: the value, at the mapping's `indent`."""
    if isinstance(value, str):
        out.append(" ")
        _string(value, indent + 2, out)
    elif isinstance(value, Mapping):
        if value:
            _mapping(value, indent + 2, out, first=False)
        else:
            out.append(" {}")
    elif isinstance(value, list | tuple):
        if value:
            # libyaml's indentless sequence: items at the key's own column
            _sequence(list(value), field, indent, out)
        else:
            out.append(" []")
    else:
        out.append(" ")
        out.append(_scalar(value))


def _item(value: Any, indent: int, out: list[str]) -> None:
    """After `-` at column `indent`."""
    if isinstance(value, str):
        out.append(" ")
        _string(value, indent + 2, out)
    elif isinstance(value, Mapping):
        if value:
            out.append(" ")
            _mapping(value, indent + 2, out, first=True)
        else:
            out.append(" {}")
    elif isinstance(value, list | tuple):
        if value:
            out.append(" ")
            _nested_sequence(list(value), indent + 2, out)
        else:
            out.append(" []")
    else:
        out.append(" ")
        out.append(_scalar(value))


def _nested_sequence(items: list[Any], indent: int, out: list[str]) -> None:
    """A list inside a list: the first item continues the line, the rest at `indent`."""
    pad = " " * indent
    for i, item in enumerate(items):
        if i:
            out.append("\n")
            out.append(pad)
        out.append("-")
        _item(item, indent, out)


def dump(obj: Mapping[str, Any]) -> str:
    """The document libyaml writes for `writer.normalise(obj)` with the writer's options.
    Raises Unsupported where it cannot promise the same bytes."""
    if not obj:
        return "{}\n"
    out: list[str] = []
    _mapping(obj, 0, out, first=True)
    out.append("\n")
    return "".join(out)
