"""R004/T002: channel members need peers to join, and an anchor peer for cross-org gossip."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.network import Network
from compiler.analysis.rules.base import Rule
from compiler.diagnostics import Diagnostic, error, warning


def check(network: Network) -> Iterator[Diagnostic]:
    orgs = {o.name: o for o in network.orgs}
    for channel in network.channels:
        for i, name in enumerate(channel.spec.members):
            org = orgs.get(name)
            if org is None:
                continue  # reported by the reference rule
            where = (*channel.path, "members", i)
            if not org.peers:
                yield error(
                    "R004",
                    where,
                    f"organisation {name!r} is a member of channel {channel.name!r} but has "
                    "no peers to join it",
                )
            elif not any(p.anchor for p in org.peers):
                yield warning(
                    "T002",
                    where,
                    f"organisation {name!r} has no anchor peer: peers of other organisations "
                    f"on channel {channel.name!r} will not discover it through gossip; set "
                    "`anchor: true` on one of its peers",
                )


RULE = Rule(id="channel-members", codes=("R004", "T002"), check=check)
