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
