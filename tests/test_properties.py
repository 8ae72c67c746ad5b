"""Property tests: whatever a mutated blueprint looks like, hlfc answers with positioned
diagnostics within a deadline, never an exception; a mutation that stays valid also renders.

`make test` runs a fixed-seed slice (derandomized); `make fuzz` runs the same generators at
HLFC_FUZZ_EXAMPLES inputs each, randomly seeded (structure-aware mutations of the example
networks, and byte-level damage including alias and nesting attacks)."""

from __future__ import annotations

import copy
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.pipeline import check_file, render_files
from tests.conftest import GLOBAL, MINIMAL
from tests.damage import damaged

FUZZ = int(os.environ.get("HLFC_FUZZ_EXAMPLES", "0"))
DEADLINE_S = 10  # per input: a hang is a failure, not a slow test
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


class Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Hang(f"no answer within {DEADLINE_S} s")


def _check_and_render(text: str | bytes) -> None:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(DEADLINE_S)
    try:
        _judge(text)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _judge(text: str | bytes) -> None:
    lines = (text.encode() if isinstance(text, str) else text).count(b"\n") + 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "b.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        result = check_file(path)
        for d in result.diagnostics:
            assert d.file == str(path) and 1 <= d.position.line <= lines + 1, d
            assert d.position.column >= 1, d
            d.render()
        if result.ok:
            assert render_files([path], Path(tmp) / "out").ok


def _settings(slice_examples: int) -> settings:
    return settings(
        max_examples=FUZZ or slice_examples,
        derandomize=not FUZZ,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


@_settings(300)
@given(mutated())
def test_mutated_blueprints_never_raise(doc: Any) -> None:
    _check_and_render(yaml.safe_dump(doc, allow_unicode=True))


BOMB = b"".join(
    [b"x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"]
    + [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n".encode() for i in range(1, 9)]
)
ATTACKS = [b":", b"- ", b"\t", b"{", b"&a ", b"*a", b"!!", b"\n  x: [", b"{a: " * 5000,
           b"[" * 3000, b"&a [*a]", BOMB]  # fmt: skip


@_settings(200)
@given(st.data())
def test_damaged_text_never_raises(data: st.DataObject) -> None:
    raw = damaged(data, MINIMAL.read_bytes(), ATTACKS, max_ops=5, flips=(0, 255), max_cut=40)
    _check_and_render(raw)
