"""One module per class of change, each a `check(context)` yielding Changes (like yamllint's
rules: small, named for what they find)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from compiler.plan.context import Context
from compiler.plan.model import Change
from compiler.plan.rules import (
    channel_update,
    consensus,
    data,
    identity,
    in_place,
    recreate,
    restart_quorum,
)

Rule = Callable[[Context], Iterator[Change]]

RULES: tuple[Rule, ...] = (
    data.check,
    identity.check,
    consensus.check,
    restart_quorum.check,
    recreate.check,
    channel_update.check,
    in_place.check,
)
