"""Property tests: whatever a mutated blueprint looks like, hlfc answers with diagnostics,
never an exception; a mutation that stays valid also renders."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.pipeline import check_file, render_files
from tests.conftest import GLOBAL, MINIMAL

SEEDS = [yaml.safe_load(MINIMAL.read_text()), yaml.safe_load(GLOBAL.read_text())]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["local", "org1", "orderer0", "us-east-1", "peer0", "OrdererMSP", "-1", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=6,
)


def _containers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if isinstance(node, dict | list) else []
    if isinstance(node, dict):
        for k, v in node.items():
            found += _containers(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _containers(v, (*path, i))
    return found


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        places = _containers(doc)
        target = _at(doc, draw(st.sampled_from(places)))
        op = draw(st.sampled_from(["delete", "replace", "insert", "duplicate"]))
        if isinstance(target, dict):
            keys = sorted(target, key=str)
            if op == "insert" or not keys:
                target[draw(st.text(max_size=12))] = draw(values)
            elif op == "delete":
                del target[draw(st.sampled_from(keys))]
            else:
                target[draw(st.sampled_from(keys))] = draw(values)
        elif isinstance(target, list):
            if op == "insert" or not target:
                target.append(draw(values))
            elif op == "delete":
                target.pop(draw(st.integers(0, len(target) - 1)))
            elif op == "duplicate":
                target.append(copy.deepcopy(target[draw(st.integers(0, len(target) - 1))]))
            else:
                target[draw(st.integers(0, len(target) - 1))] = draw(values)
    return doc


def _check_and_render(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "b.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        result = check_file(path)
        for d in result.diagnostics:
            assert d.file == str(path) and d.position.line >= 1 and d.position.column >= 1
            d.render()
        if result.ok:
            assert render_files([path], Path(tmp) / "out").ok


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_blueprints_never_raise(doc: Any) -> None:
    _check_and_render(yaml.safe_dump(doc, allow_unicode=True))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_damaged_text_never_raises(data: st.DataObject) -> None:
    raw = bytearray(MINIMAL.read_bytes())
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del raw[at : at + data.draw(st.integers(1, 40))]
        else:
            raw[at:at] = data.draw(
                st.sampled_from([b":", b"- ", b"\t", b"{", b"&a ", b"*a", b"!!", b"\n  x: ["])
            )
    _check_and_render(bytes(raw))
