"""The core use cases, returning results as values: check files, render them.

The CLI formats these results; nothing here prints or exits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from compiler.analysis.analyze import Analysis, analyze
from compiler.blueprint.loader import load
from compiler.diagnostics import Diagnostic, error, has_errors, sorted_diagnostics
from compiler.emit.writer import WriteReport, plan, write_tree
from compiler.render.network import render_network


@dataclass(frozen=True)
class FileResult:
    file: str
    diagnostics: tuple[Diagnostic, ...]
    analysis: Analysis | None  # None when the file did not load

    @property
    def ok(self) -> bool:
        return self.analysis is not None and not has_errors(self.diagnostics)


def check_file(file: str | Path) -> FileResult:
    loaded, diagnostics = load(file)
    if loaded is None:
        return FileResult(str(file), tuple(sorted_diagnostics(diagnostics)), None)
    analysis = analyze(loaded)
    every = sorted_diagnostics([*diagnostics, *analysis.diagnostics])
    return FileResult(str(file), tuple(every), analysis)


def check_files(files: Iterable[str | Path]) -> list[FileResult]:
    return [check_file(f) for f in files]


@dataclass(frozen=True)
class RenderResult:
    checks: tuple[FileResult, ...]
    writes: tuple[WriteReport, ...]  # empty unless every file was valid

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _one_file_per_network(checks: list[FileResult]) -> tuple[FileResult, ...]:
    """Two files rendering one network would overwrite each other's output: refuse it."""
    first: dict[str, str] = {}
    out: list[FileResult] = []
    for check in checks:
        if check.analysis is None:
            out.append(check)
            continue
        name = check.analysis.network.name
        if name in first:
            clash = check.analysis.source.place(
                error(
                    "N005",
                    ("metadata", "name"),
                    f"network {name!r} is already defined by {first[name]}; each blueprint "
                    "must name its own network",
                )
            )
            every = tuple(sorted_diagnostics([*check.diagnostics, clash]))
            out.append(FileResult(check.file, every, check.analysis))
            continue
        first[name] = check.file
        out.append(check)
    return tuple(out)


def render_files(files: Iterable[str | Path], out_dir: Path) -> RenderResult:
    """Render every file, or nothing at all if any of them is invalid."""
    checks = _one_file_per_network(check_files(files))
    if not all(c.ok for c in checks):
        return RenderResult(checks, ())
    networks = [c.analysis.network for c in checks if c.analysis is not None]
    writes = tuple(
        write_tree(out_dir, network.name, plan(render_network(network))) for network in networks
    )
    return RenderResult(checks, writes)
