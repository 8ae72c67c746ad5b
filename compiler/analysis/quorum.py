"""Raft quorum across clusters, decided at compile time (design decision 5).

For a channel with n consenters, Raft needs q = n // 2 + 1 of them alive. Losing a set of
clusters removes every consenter in them. The worst loss of k clusters is the k clusters
holding the most consenters, so "every k-cluster loss is survivable" reduces to one
subtraction over the counts sorted in descending order; no subset enumeration is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.analysis.network import ChannelInfo, Network


@dataclass(frozen=True)
class ChannelQuorum:
    channel: str
    # (cluster, consenters there), every cluster of the network in blueprint order
    placement: tuple[tuple[str, int], ...]
    size: int
    quorum: int
    survivable_cluster_losses: int  # largest k such that *any* k clusters may be lost
    # the smallest set of clusters whose loss breaks quorum (None: no consenters at all)
    breaking_loss: tuple[str, ...] | None

    @property
    def tolerated_node_failures(self) -> int:
        return max(self.size - self.quorum, 0)

    @property
    def hosting_clusters(self) -> int:
        return sum(1 for _, n in self.placement if n > 0)

    def remaining_after(self, clusters: tuple[str, ...]) -> int:
        return self.size - sum(n for c, n in self.placement if c in clusters)

    def single_losses(self) -> tuple[tuple[str, int, bool], ...]:
        """(cluster, consenters left, quorum kept) for losing each hosting cluster alone."""
        return tuple(
            (c, self.size - n, self.size - n >= self.quorum) for c, n in self.placement if n > 0
        )

    def placement_text(self) -> str:
        return ", ".join(f"{c}={n}" for c, n in self.placement if n > 0)


def raft_quorum(size: int) -> int:
    return size // 2 + 1


def channel_quorum(network: Network, channel: ChannelInfo) -> ChannelQuorum:
    counts = {c.name: 0 for c in network.clusters}
    for orderer in channel.consenters:
        counts[orderer.cluster] = counts.get(orderer.cluster, 0) + 1
    placement = tuple(counts.items())
    size = len(channel.consenters)
    quorum = raft_quorum(size)
    # Largest first; ties keep blueprint order, so the reported breaking set is stable.
    ranked = sorted((item for item in placement if item[1] > 0), key=lambda item: -item[1])
    remaining = size
    survivable = 0
    breaking: tuple[str, ...] | None = None
    for k, (_, count) in enumerate(ranked, start=1):
        remaining -= count
        if remaining >= quorum:
            survivable = k
        else:
            breaking = tuple(c for c, _ in ranked[:k])
            break
    return ChannelQuorum(
        channel=channel.name,
        placement=placement,
        size=size,
        quorum=quorum,
        survivable_cluster_losses=survivable if size else 0,
        breaking_loss=breaking if size else None,
    )


def quorum_table(network: Network) -> tuple[ChannelQuorum, ...]:
    return tuple(channel_quorum(network, ch) for ch in network.channels)
