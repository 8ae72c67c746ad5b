"""Diagnostics as values: every problem hlfc finds is one of these, never an exception.

A diagnostic names a place in the blueprint by its *path* (keys and list indexes from the
document root). The loader's source map turns that path into a line and column, so rules
stay pure functions of the model and never deal with YAML positions themselves.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

PathPart = str | int
Path = tuple[PathPart, ...]


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    path: Path
    message: str
    file: str = "<blueprint>"
    position: Position = field(default_factory=lambda: Position(1, 1))

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        return (
            self.file,
            self.position.line,
            self.position.column,
            self.code,
            format_path(self.path),
            self.message,
        )

    def render(self) -> str:
        """`file:line:col: severity[CODE]: path: message`, the one text form hlfc prints."""
        where = f"{self.file}:{self.position.line}:{self.position.column}"
        return f"{where}: {self.severity}[{self.code}]: {format_path(self.path)}: {self.message}"


def format_path(path: Path) -> str:
    """`spec.channels[0].consenters[1]`; the document root is `<root>`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "<root>"


def error(code: str, path: Path, message: str) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, path, message)


def warning(code: str, path: Path, message: str) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, path, message)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diagnostics), key=Diagnostic.sort_key)
