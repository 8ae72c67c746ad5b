"""Consensus hazards: Raft changes its membership one consenter at a time; a channel that
loses or gains several at once, or an orderer that moves clusters, can lose quorum or its
leader for good. The quorum figures come from the same analysis as `hlfc analyze`."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.quorum import channel_quorum
from compiler.plan.context import Context
from compiler.plan.model import CONSENSUS, Change


def check(ctx: Context) -> Iterator[Change]:
    old_channels = {c.name: c for c in ctx.old.channels}
    for channel in ctx.new.channels:
        before = old_channels.get(channel.name)
        if before is None:
            continue
        old_set = {(c.org, c.name): c for c in before.consenters}
        new_set = {(c.org, c.name): c for c in channel.consenters}
        removed = sorted(old_set.keys() - new_set.keys())
        added = sorted(new_set.keys() - old_set.keys())
        moved = sorted(k for k in old_set.keys() & new_set.keys()
                       if old_set[k].cluster != new_set[k].cluster)  # fmt: skip
        subject = f"channel {channel.name}"
        for org, name in moved:
            yield Change(
                CONSENSUS, subject,
                f"consenter {org}/{name} moves {old_set[(org, name)].cluster} → "
                f"{new_set[(org, name)].cluster}: a new orderer with a new TLS certificate, so "
                "a consenter removal and an addition: two steps",
                hazard=True,
                action="add an orderer in the new cluster as a consenter, let it catch up, "
                "then remove the old one (two changes)",
            )  # fmt: skip
        steps = len(removed) + len(added) + 2 * len(moved)
        if steps > 1:
            listed = [f"-{o}/{n}" for o, n in removed] + [f"+{o}/{n}" for o, n in added]
            listed += [f"~{o}/{n}" for o, n in moved]
            yield Change(
                CONSENSUS, subject,
                f"{steps} consenter changes in one sync ({', '.join(listed)}): Raft reconfigures "
                f"one consenter per config update, so the channel Jobs make {steps} updates in "
                "order (additions, certificate changes, removals), each once every consenter "
                "serves the latest configuration; the set tolerates fewer failures meanwhile",
                hazard=True,
                action="acknowledge the stepped change, or make one consenter change per sync",
            )  # fmt: skip
        q_before, q_after = channel_quorum(ctx.old, before), channel_quorum(ctx.new, channel)
        if q_after.survivable_cluster_losses < q_before.survivable_cluster_losses:
            yield Change(
                CONSENSUS, subject,
                f"survives losing {q_after.survivable_cluster_losses} cluster(s), was "
                f"{q_before.survivable_cluster_losses} (placement {q_before.placement_text()} → "
                f"{q_after.placement_text()})",
                hazard=True,
                action="keep the consenters spread, or acknowledge the lower tolerance",
            )  # fmt: skip
