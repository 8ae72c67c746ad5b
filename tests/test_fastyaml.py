"""The direct YAML writer writes exactly libyaml's bytes, or declines.

libyaml (through PyYAML's representer) is the reference: on every committed manifest and
on generated trees full of the strings that make YAML styles differ (indicators, numbers
and booleans as text, spaces at the edges, line breaks, non-ASCII), fastyaml either gives
the same bytes or raises Unsupported, and then the writer's `dump` still gives libyaml's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.emit import fastyaml
from compiler.emit.writer import dump, libyaml_dump
from tests.conftest import ROOT

MANIFESTS = sorted((ROOT / "output").rglob("*.yaml"))


def test_every_committed_manifest_is_written_directly_with_libyaml_bytes() -> None:
    objects = 0
    for path in MANIFESTS:
        docs = list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
        objects += len(docs)
        expected = [libyaml_dump(obj) for obj in docs]
        assert b"---\n".join(expected) == path.read_bytes(), path
        # the fast path covers every manifest hlfc renders today, not just some
        assert [fastyaml.dump(obj).encode("utf-8") for obj in docs] == expected, path
    assert objects > 500


# pieces that decide between plain, quoted and literal styles
_PIECES = [
    "a", "name", "-", "- ", ":", ": ", "#", " #", "?", "'", '"', "[", "{", "}", ",", "&", "*",
    "!", "|", ">", "%", "@", "`", " ", "  ", "\n", "\n\n", "\t", "true", "yes", "No", "on",
    "null", "~", "0", "012", "1.5", "1e3", "0x1F", ".inf", "2001-12-14", "=", "<<", "---",
    "...", "x" * 150, "y " * 1200,
]  # fmt: skip
_ELSEWHERE = ["é", "\u2028", "\x85", "\ufeff", "\t", "\x00", "\r"]
_FIELDS = ["apiVersion", "kind", "metadata", "name", "ports", "volumes"]


def _trees(pieces: list[str], text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    texts = st.lists(st.sampled_from(pieces), max_size=6).map("".join) | text
    keys = texts | st.sampled_from(_FIELDS)
    scalars = texts | st.integers() | st.booleans() | st.none()
    tree = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=20,
    )
    return st.dictionaries(keys, tree, max_size=5)


# printable ASCII and line breaks: what manifests hold, and what fastyaml writes itself
ascii_trees = _trees(_PIECES, st.text(st.characters(min_codepoint=32, max_codepoint=126)))
# anything: mostly declined, and then libyaml writes it
any_trees = _trees(_PIECES + _ELSEWHERE, st.text(max_size=12))


@settings(max_examples=600, deadline=None)
@given(ascii_trees | any_trees)
def test_generated_trees_same_bytes_or_declined(obj: dict[str, Any]) -> None:
    try:
        expected = libyaml_dump(obj)
    except (TypeError, yaml.YAMLError):
        return  # not a manifest libyaml can write either (e.g. an unsortable list)
    try:
        direct = fastyaml.dump(obj).encode("utf-8")
    except fastyaml.Unsupported:
        assert dump(obj) == expected
        return
    assert direct == expected
    assert dump(obj) == expected


@pytest.mark.parametrize(
    ("value", "declined"),
    [
        ("plain", False),
        ("line\nbreak\n", False),
        ("é", True),  # non-ASCII: libyaml's analysis of unicode is its own
        ("trailing \nspace", True),  # libyaml double-quotes it
        ("\nleading break", True),  # indentation indicator
        ("kept\n\n", True),  # `|+`
    ],
)
def test_what_is_declined(value: str, declined: bool, tmp_path: Path) -> None:
    obj = {"data": {"k": value}}
    if declined:
        with pytest.raises(fastyaml.Unsupported):
            fastyaml.dump(obj)
    else:
        assert fastyaml.dump(obj).encode("utf-8") == libyaml_dump(obj)
    assert dump(obj) == libyaml_dump(obj)
