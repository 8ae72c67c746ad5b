"""jsontext writes exactly `json.dumps(value, indent=2)`, or refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.render import jsontext

scalars = st.text() | st.integers() | st.floats() | st.booleans() | st.none()
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=500, deadline=None)
@given(values)
def test_same_text_as_json_dumps_with_indent(value: Any) -> None:
    assert jsontext.dumps(value) == json.dumps(value, indent=2)
    assert jsontext.dumps(value, sort_keys=True) == json.dumps(value, indent=2, sort_keys=True)


@pytest.mark.parametrize("value", [{1: "a"}, {"b": b"x"}, {"s": {1, 2}}])
def test_refuses_what_it_does_not_write(value: Any) -> None:
    with pytest.raises(TypeError):
        jsontext.dumps(value)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), values, min_size=1, max_size=4), values)
def test_a_memo_shared_by_calls_writes_the_same_text(shared: dict[str, Any], other: Any) -> None:
    """The same dict object at several depths, in several calls, in both key orders."""
    memo = jsontext.Memo()
    first = {"a": shared, "b": [shared, {"c": shared}], "d": other}
    second = [{"e": shared}, shared, other]
    for value in (first, second, first):
        for sort_keys in (False, True):
            expected = json.dumps(value, indent=2, sort_keys=sort_keys)
            assert jsontext.dumps(value, sort_keys=sort_keys, memo=memo) == expected
    # kept by object: the later calls took the shared dict's text from the memo
    assert any(obj is shared for obj, _ in memo.texts.values())
