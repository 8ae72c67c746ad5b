"""Fabric's own config files (core.yaml, orderer.yaml, fabric-ca-server-config.yaml) and the
CA's start script: text files under compiler/templates/ with named holes, and no logic.
Kubernetes objects are data, never templates.

A hole is `{{ name }}` or `{{ name.attribute }}` (an attribute, or a key of a mapping). It
takes a str or an int; a bool has no spelling here (Python's True is not YAML's true), so
the renderer spells it. A hole alone on its line takes a list of lines, and the line goes
with it when the list is empty: the renderer decides what is conditional or repeated.

Filling them by name replaced jinja2 (issue 16): its import and the compilation of these
four files were 35 ms of every `hlfc render`, a fifteenth of a small one, spent on
substitutions. Every file is checked when first read: a `{{` or `{%` that is not a hole, a
value nobody asked for, or a hole with no value is an error, as jinja2's StrictUndefined
made the last.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_HOLE = re.compile(r"\{\{ ([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*) \}\}")


class TemplateError(Exception):
    """A template and its values do not fit: a bug in hlfc, never in a blueprint."""


@dataclass(frozen=True)
class Template:
    name: str
    literals: tuple[str, ...]  # one more than holes: text, hole, text, ..., hole, text
    holes: tuple[tuple[tuple[str, ...], bool], ...]  # (dotted path, takes lines)

    def fill(self, values: Mapping[str, object]) -> str:
        asked = {path[0] for path, _ in self.holes}
        if unasked := sorted(set(values) - asked):
            raise TemplateError(f"{self.name}: no hole for {', '.join(unasked)}")
        out = [self.literals[0]]
        for (path, lines), literal in zip(self.holes, self.literals[1:], strict=True):
            value = self._lookup(values, path)
            out.append(self._lines(path, value) if lines else self._text(path, value))
            out.append(literal)
        return "".join(out)

    def _lookup(self, values: Mapping[str, object], path: tuple[str, ...]) -> object:
        if path[0] not in values:
            raise TemplateError(f"{self.name}: no value for {{{{ {'.'.join(path)} }}}}")
        value = values[path[0]]
        for part in path[1:]:
            value = value[part] if isinstance(value, Mapping) else getattr(value, part)
        return value

    def _text(self, path: tuple[str, ...], value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            kind = type(value).__name__
            raise TemplateError(f"{self.name}: {'.'.join(path)} is a {kind}, not a str or int")
        return str(value)

    def _lines(self, path: tuple[str, ...], value: object) -> str:
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise TemplateError(f"{self.name}: {'.'.join(path)} takes a list of lines")
        text = []
        for line in value:
            if not isinstance(line, str) or "\n" in line:
                raise TemplateError(f"{self.name}: {'.'.join(path)}: {line!r} is not a line")
            text.append(line + "\n")
        return "".join(text)


@cache
def _template(name: str) -> Template:
    return parse(name, (TEMPLATES / name).read_text(encoding="utf-8"))


def parse(name: str, text: str) -> Template:
    """A template's text cut at its holes (checked: see the module)."""
    literals: list[str] = []
    holes: list[tuple[tuple[str, ...], bool]] = []
    at = 0
    for match in _HOLE.finditer(text):
        # alone on its line: a line starts where it starts, and ends where it ends
        lines = text[match.start() - 1 : match.start()] in ("", "\n") and text.startswith(
            "\n", match.end()
        )
        literals.append(text[at : match.start()])
        holes.append((tuple(match[1].split(".")), lines))
        at = match.end() + (1 if lines else 0)  # a lines hole takes its line's newline
    literals.append(text[at:])
    for literal in literals:
        if "{{" in literal or "{%" in literal:
            raise TemplateError(f"{name}: a `{{{{` or `{{%` that is not a hole")
    return Template(name, tuple(literals), tuple(holes))


def render_template(name: str, **values: object) -> str:
    return _template(name).fill(values)


def yaml_bool(value: bool) -> str:
    return "true" if value else "false"
