"""The rule registry. Each module holds one rule (an ID and the codes it owns)."""

from __future__ import annotations

from compiler.analysis.rules import (
    chaincodes,
    channel_members,
    consensus,
    delivery,
    name_limits,
    references,
    topology,
    unique_names,
)
from compiler.analysis.rules.base import Rule

RULES: tuple[Rule, ...] = (
    unique_names.RULE,
    name_limits.RULE,
    references.RULE,
    channel_members.RULE,
    consensus.RULE,
    topology.RULE,
    delivery.RULE,
    chaincodes.RULE,
)
