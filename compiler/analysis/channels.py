"""Who does what to create and join each channel (ARCHITECTURE.md decision 6), derived once.

A *party* is one organisation in one cluster acting on one channel with its own admin:
an orderer organisation joining its consenters there, or a member organisation joining
its peers there and setting its anchor peers. Exactly one party, the one holding the
channel's first consenter, may make the genesis block, and only when no consenter has the
channel yet; every other party uses the block a joined orderer serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from compiler.analysis.endpoints import ExchangeEndpoint, endpoint, exchange_endpoint
from compiler.analysis.network import ChannelInfo, Network, Node, OrdererNode, Org, PeerNode

Role = Literal["orderer", "peer"]


@dataclass(frozen=True)
class Party:
    channel: ChannelInfo
    org: Org
    cluster: str
    role: Role
    nodes: tuple[Node, ...]  # its consenters of this channel, or its peers, in `cluster`
    creator: bool

    @property
    def job(self) -> str:
        """Job and ConfigMap name: one per channel, organisation, role and cluster (a
        cluster holds one namespace per organisation)."""
        return f"{self.channel.name}-{self.org.name}-{self.role}-join"


def member_orgs(network: Network, channel: ChannelInfo) -> tuple[Org, ...]:
    by_name = {o.name: o for o in network.orgs}
    return tuple(by_name[m] for m in channel.spec.members if m in by_name)


def orderer_orgs(network: Network, channel: ChannelInfo) -> tuple[Org, ...]:
    """Organisations with consenters on the channel: the Orderer section's members."""
    by_name = {o.name: o for o in network.orgs}
    named = [by_name[n] for n in channel.spec.orderer_organizations if n in by_name]
    return tuple(o for o in named if any(c.org == o.name for c in channel.consenters))


def consenters_of(channel: ChannelInfo, org: Org) -> tuple[OrdererNode, ...]:
    return tuple(c for c in channel.consenters if c.org == org.name)


def anchor_peers(network: Network, org: Org) -> tuple[tuple[str, int], ...]:
    """The organisation's anchor peers as every other organisation dials them."""
    out = []
    for peer in org.peers:
        if peer.anchor:
            ep = endpoint(network, peer)
            host, _, port = ep.advertised.rpartition(":")
            out.append((host, int(port)))
    return tuple(out)


def parties(network: Network, channel: ChannelInfo) -> tuple[Party, ...]:
    # asked for each party's Job, sidecar and network policy: computed once per channel
    known: dict[str, tuple[Party, ...]] = network.memo.setdefault("parties", {})
    if channel.name not in known:
        known[channel.name] = _parties(network, channel)
    return known[channel.name]


def _parties(network: Network, channel: ChannelInfo) -> tuple[Party, ...]:
    out: list[Party] = []
    first = channel.consenters[0] if channel.consenters else None
    for org in orderer_orgs(network, channel):
        mine = consenters_of(channel, org)
        for cluster in sorted({c.cluster for c in mine}):
            consenters = tuple(c for c in mine if c.cluster == cluster)
            creator = first is not None and first in consenters
            out.append(Party(channel, org, cluster, "orderer", consenters, creator))
    for org in member_orgs(network, channel):
        peers: tuple[PeerNode, ...] = org.peers
        for cluster in sorted({p.cluster for p in peers}):
            here = tuple(p for p in peers if p.cluster == cluster)
            out.append(Party(channel, org, cluster, "peer", here, False))
    return tuple(out)


def proposer(network: Network, channel: ChannelInfo) -> Party | None:
    """The party that proposes the channel's config updates: its creator party."""
    return next((p for p in parties(network, channel) if p.creator), None)


def exchange_of(network: Network, channel: ChannelInfo) -> ExchangeEndpoint | None:
    """Where the channel's proposer takes signatures (README: day 2)."""
    prop = proposer(network, channel)
    if prop is None:
        return None
    remote = any(p.cluster != prop.cluster for p in parties(network, channel))
    return exchange_endpoint(network, channel.name, prop.org.namespace, prop.cluster, remote)


def all_parties(network: Network) -> tuple[Party, ...]:
    return tuple(p for channel in network.channels for p in parties(network, channel))
