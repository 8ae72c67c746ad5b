"""Kubernetes quantities ("20Gi", "500M") as numbers, to tell a shrink from a growth."""

from __future__ import annotations

import re
from fractions import Fraction

_SUFFIX = {
    "": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}  # fmt: skip
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$")


def parse(text: str | int | None) -> Fraction | None:
    if text is None:
        return None
    match = _QUANTITY.match(str(text).strip())
    if not match or match.group(2) not in _SUFFIX:
        return None
    return Fraction(match.group(1)) * _SUFFIX[match.group(2)]
