"""The part of a blueprint that passed the schema, so the rules can check it in the same run.

A newcomer fixed nine schema errors only to meet eight rule errors in the next run. Now the
parts the schema refused are cut out (a refused value: its key, so the default applies; an
object missing a required key: the object, a list item or a mapping), the rest validated
again, until it passes or nothing is left to cut. The rules then check that remainder;
their findings are translated back to the file's own paths (list indices shift when items
are cut) and dropped where they would repeat what the schema already said: inside a cut
part, or naming something that was cut.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from compiler.diagnostics import Diagnostic, Path

M = TypeVar("M")
MAX_ROUNDS = 20  # each round cuts at least one more part; real files need two or three


@dataclass(frozen=True)
class Remainder:
    """What is left of a document after `cuts`, and how to find its parts in the file."""

    data: Any
    cuts: frozenset[Path]
    # original path of a list that lost items → the original index of each item kept
    kept: Mapping[Path, tuple[int, ...]]
    names: frozenset[str]  # names of the list items cut, or of those holding a cut part

    def original(self, path: Path) -> Path:
        out: list[str | int] = []
        for part in path:
            kept = self.kept.get(tuple(out)) if isinstance(part, int) else None
            out.append(kept[part] if kept and isinstance(part, int) and part < len(kept) else part)
        return tuple(out)

    def repeats(self, diagnostic: Diagnostic) -> bool:
        """A rule's finding that the schema's errors already explain."""
        path = self.original(diagnostic.path)
        if any(path[: len(cut)] == cut for cut in self.cuts):
            return True
        # case-blind: `members: [org1]` names the organisation refused for `name: Org1`
        message = diagnostic.message.lower()
        return any(f"'{name.lower()}'" in message for name in self.names)

    def translate(self, diagnostic: Diagnostic) -> Diagnostic:
        return dataclasses.replace(diagnostic, path=self.original(diagnostic.path))


def cut(data: Any, cuts: frozenset[Path]) -> Remainder:
    kept: dict[Path, tuple[int, ...]] = {}

    def walk(value: Any, path: Path) -> Any:
        if isinstance(value, Mapping):
            return {k: walk(v, (*path, k)) for k, v in value.items() if (*path, k) not in cuts}
        if isinstance(value, list):
            indices = tuple(i for i in range(len(value)) if (*path, i) not in cuts)
            if len(indices) != len(value):
                kept[path] = indices
            return [walk(value[i], (*path, i)) for i in indices]
        return value

    return Remainder(walk(data, ()), cuts, kept, frozenset(_names(data, cuts)))


def _names(data: Any, cuts: frozenset[Path]) -> set[str]:
    """The `name` of every list item on the way to a cut (the item itself included)."""
    found: set[str] = set()
    for path in cuts:
        node = data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
            if isinstance(part, int) and isinstance(node, Mapping):
                # `name`, or what a typo made of it (`nmae: east` is still that item's name)
                found |= {
                    value
                    for key, value in node.items()
                    if isinstance(value, str)
                    and value
                    and (key == "name" or difflib.get_close_matches(str(key), ["name"], 1, 0.6))
                }
    return found


def cut_point(diagnostic: Diagnostic) -> Path:
    """What to cut for a schema error: the object missing a key, else the refused part."""
    return diagnostic.path[:-1] if diagnostic.code == "S002" else diagnostic.path


def remainder(
    data: Any,
    first: list[Diagnostic],
    validate: Callable[[Any], tuple[M | None, list[Diagnostic]]],
) -> tuple[Remainder, M] | None:
    """Cut until `validate` (the schema: a model, or the diagnostics refusing it) accepts
    what is left. None when nothing valid is left (the document's root was refused)."""
    cuts = frozenset(cut_point(d) for d in first)
    for _ in range(MAX_ROUNDS):
        if () in cuts:
            return None
        rest = cut(data, cuts)
        model, found = validate(rest.data)
        if model is not None:
            return rest, model
        more = frozenset(rest.original(cut_point(d)) for d in found)
        if more <= cuts:
            return None
        cuts |= more
    return None
