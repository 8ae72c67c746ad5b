"""Run every rule over a loaded blueprint and place each diagnostic in the source."""

from __future__ import annotations

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
    found = [loaded.source.place(d) for rule in RULES for d in rule.check(network)]
    return Analysis(network, tuple(sorted_diagnostics(found)), loaded.source)
