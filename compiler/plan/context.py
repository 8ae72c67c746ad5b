"""What every plan rule reads: the two analysed networks and their compiled objects."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.analysis.network import Network, Node
from compiler.plan.objects import Compared


@dataclass(frozen=True)
class Context:
    old: Network
    new: Network
    objects: Compared

    def old_nodes(self) -> dict[tuple[str, str], Node]:
        """(org, node name) → node, in the base network."""
        return {(n.org, n.name): n for n in self.old.nodes}

    def new_nodes(self) -> dict[tuple[str, str], Node]:
        return {(n.org, n.name): n for n in self.new.nodes}
