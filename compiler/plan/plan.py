"""Compare two compiled networks: every rule over the same context, one sorted Plan."""

from __future__ import annotations

from collections.abc import Iterable

from compiler.analysis.network import Network
from compiler.plan.context import Context
from compiler.plan.model import Change, Plan
from compiler.plan.objects import Compared, index
from compiler.plan.rules import RULES
from compiler.render.manifest import Manifest


def compare(
    old: Network,
    new: Network,
    old_manifests: Iterable[Manifest],
    new_manifests: Iterable[Manifest],
    acknowledged: Iterable[str] = (),
) -> Plan:
    ctx = Context(old, new, Compared(index(old_manifests), index(new_manifests)))
    changes: list[Change] = [change for rule in RULES for change in rule(ctx)]
    unique = sorted(set(changes), key=Change.sort_key)
    return Plan(tuple(unique), frozenset(acknowledged))
