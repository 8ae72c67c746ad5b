"""Byte-level damage to a blueprint, drawn by hypothesis: the shared generator of the
fuzzing tests (tests/test_properties.py, tests/test_libyaml.py), each with its own inserts
and bounds."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st


def damaged(
    data: st.DataObject,
    original: bytes,
    inserts: Sequence[bytes],
    *,
    max_ops: int,
    flips: tuple[int, int],
    max_cut: int,
) -> bytes:
    """`original` after 1 to `max_ops` edits: a byte set to a value in `flips`, up to
    `max_cut` bytes cut, or one of `inserts` put in."""
    raw = bytearray(original)
    for _ in range(data.draw(st.integers(min_value=1, max_value=max_ops))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[at] = data.draw(st.integers(*flips))
        elif op == "cut":
            del raw[at : at + data.draw(st.integers(1, max_cut))]
        else:
            raw[at:at] = data.draw(st.sampled_from(inserts))
    return bytes(raw)
