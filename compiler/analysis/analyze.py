"""Run every rule over a loaded blueprint and place each diagnostic in the source."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from compiler.analysis.network import Network, build_network
from compiler.analysis.rules import RULES
from compiler.blueprint.loader import Loaded
from compiler.blueprint.source import SourceMap
from compiler.diagnostics import Diagnostic, has_errors, sorted_diagnostics


@dataclass(frozen=True)
class Analysis:
    network: Network
    diagnostics: tuple[Diagnostic, ...]
    source: SourceMap

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def analyze(loaded: Loaded) -> Analysis:
    network = build_network(loaded.blueprint)
    found = [loaded.source.place(d) for d in _rules(network)]
    return Analysis(network, tuple(sorted_diagnostics(found)), loaded.source)


def check_rules(loaded: Loaded) -> list[Diagnostic]:
    """Every rule's findings on the blueprint, unplaced (paths into the blueprint)."""
    return list(_rules(build_network(loaded.blueprint)))


def _rules(network: Network) -> Iterator[Diagnostic]:
    for rule in RULES:
        yield from rule.check(network)
