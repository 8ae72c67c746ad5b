"""What a rule is: an ID, the codes it may emit, and a pure check over the Network."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from compiler.analysis.network import Network
from compiler.diagnostics import Diagnostic


@dataclass(frozen=True)
class Rule:
    id: str
    codes: tuple[str, ...]
    check: Callable[[Network], Iterator[Diagnostic]]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    match = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""
