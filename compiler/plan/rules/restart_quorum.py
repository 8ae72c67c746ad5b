"""Restart quorum: orderers whose pod template changes restart on the sync. Argo CD applies
every changed StatefulSet of a sync wave at once, and each cluster's Application syncs on
its own when the commit lands, so every such orderer may be down at the same moment: each
channel must keep Raft quorum (and `safety.tolerateClusterLoss`) without all of them."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.quorum import raft_quorum
from compiler.plan.context import Context
from compiler.plan.model import RESTART_QUORUM, Change


def restarting_workloads(ctx: Context) -> set[tuple[str, str, str]]:
    """(cluster, namespace, StatefulSet) of every workload whose pods restart."""
    return {
        (key.cluster, key.namespace, key.name)
        for key, paths in ctx.objects.modified
        if key.kind == "StatefulSet" and any(p[:2] == ("spec", "template") for p in paths)
    }


def check(ctx: Context) -> Iterator[Change]:
    restarting = restarting_workloads(ctx)
    new_channels = {c.name for c in ctx.new.channels}
    tolerate = ctx.new.tolerate_cluster_loss
    for channel in ctx.old.channels:
        if channel.name not in new_channels:
            continue
        down = [c for c in channel.consenters if (c.cluster, c.namespace, c.workload) in restarting]
        if not down:
            continue
        size, quorum = len(channel.consenters), raft_quorum(len(channel.consenters))
        up = [c for c in channel.consenters if c not in down]
        per_cluster: dict[str, int] = {}
        for c in up:
            per_cluster[c.cluster] = per_cluster.get(c.cluster, 0) + 1
        worst_loss = sum(sorted(per_cluster.values(), reverse=True)[:tolerate])
        keeps = len(up) >= quorum
        tolerates = len(up) - worst_loss >= quorum
        names = ", ".join(f"{c.org}/{c.name}" for c in down)
        verdict = (
            f"quorum kept ({len(up)} of {size} up, {quorum} needed)"
            if keeps else f"QUORUM LOST: {len(up)} of {size} up, {quorum} needed; the "
            "channel orders nothing until they are back"
        )  # fmt: skip
        if keeps and not tolerates:
            verdict += (f", but losing {tolerate} more cluster(s) meanwhile would break it "
                        f"(safety.tolerateClusterLoss {tolerate})")  # fmt: skip
        yield Change(
            RESTART_QUORUM, f"channel {channel.name}",
            f"{len(down)} consenter(s) restart together ({names}): {verdict}",
            hazard=not (keeps and tolerates),
            pods=tuple(f"{c.cluster} {c.namespace}/{c.pod}" for c in down),
            action="" if keeps and tolerates else
            "change the orderers in separate commits, fewer than a quorum's margin each",
        )  # fmt: skip
