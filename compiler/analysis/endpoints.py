"""The endpoint table: every address a node is dialled by, derived once.

Peer gossip endpoints, orderer addresses, TLS SANs and NetworkPolicy egress all come from
here; renderers never build a host name themselves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from compiler.analysis.network import Network, Node

CLUSTER_DOMAIN = "cluster.local"

# Fabric's ports (fabric-runtime.md)
PEER_PORT = 7051
CHAINCODE_PORT = 7052
ORDERER_PORT = 7050
ORDERER_ADMIN_PORT = 7053
CA_PORT = 7054
OPERATIONS_PORT = 9443
COUCHDB_PORT = 5984
# a channel's config-update proposer serves its proposal and takes signatures here
EXCHANGE_PORT = 7060

MAIN_PORT = {"peer": PEER_PORT, "orderer": ORDERER_PORT, "ca": CA_PORT}


@dataclass(frozen=True)
class Endpoint:
    node: Node
    service_host: str  # <svc>.<ns>.svc.cluster.local, dialled inside the cluster
    port: int
    external_host: str | None  # dialled from other clusters, if the cluster is reachable
    external_port: int | None
    # an orderer's admin endpoint (7053) needs its own host: SNI routes one host to one port
    admin_external_host: str | None = None
    admin_external_port: int | None = None

    @property
    def internal(self) -> str:
        return f"{self.service_host}:{self.port}"

    @property
    def external(self) -> str | None:
        if self.external_host is None or self.external_port is None:
            return None
        return f"{self.external_host}:{self.external_port}"

    @property
    def advertised(self) -> str:
        """What other organisations and clusters are told to dial."""
        return self.external or self.internal

    def tls_hosts(self) -> tuple[str, ...]:
        """Every name a client may dial this node by: the TLS certificate's SANs."""
        node = self.node
        hosts = [
            node.workload,
            f"{node.workload}.{node.namespace}",
            f"{node.workload}.{node.namespace}.svc",
            self.service_host,
            f"{node.pod}.{node.headless_service}.{node.namespace}.svc.{CLUSTER_DOMAIN}",
            "localhost",
        ]
        hosts += [h for h in (self.external_host, self.admin_external_host) if h]
        return tuple(hosts)

    def external_routes(self) -> tuple[tuple[str, int], ...]:
        """(external host, target port in the pod) for every externally dialled port."""
        routes = []
        if self.external_host:
            routes.append((self.external_host, self.port))
        if self.admin_external_host:
            routes.append((self.admin_external_host, ORDERER_ADMIN_PORT))
        return tuple(routes)


def endpoint(network: Network, node: Node) -> Endpoint:
    # asked hundreds of thousands of times in a 1,000-node network: once per node instead
    known: dict[tuple[str, str, str, str], Endpoint] = network.memo.setdefault("endpoints", {})
    key = (node.kind, node.workload, node.namespace, node.cluster)
    found = known.get(key)
    if found is None:
        found = known[key] = _endpoint(network, node)
    return found


def _endpoint(network: Network, node: Node) -> Endpoint:
    cluster = network.cluster(node.cluster)
    port = MAIN_PORT[node.kind]
    external_host: str | None = None
    external_port: int | None = None
    admin_host: str | None = None
    admin_port: int | None = None
    if cluster is not None and cluster.external_domain and cluster.ingress.kind != "none":
        external_host = f"{node.workload}.{cluster.external_domain}"
        # a gateway (Istio, Gateway API) routes every endpoint through its one TLS port by
        # SNI; a LoadBalancer Service per node keeps Fabric's own port.
        by_sni = cluster.ingress.by_sni
        external_port = cluster.ingress.port if by_sni else port
        if node.kind == "orderer":
            admin_host = f"{node.workload}-admin.{cluster.external_domain}"
            admin_port = cluster.ingress.port if by_sni else ORDERER_ADMIN_PORT
    return Endpoint(
        node=node,
        service_host=f"{node.workload}.{node.namespace}.svc.{CLUSTER_DOMAIN}",
        port=port,
        external_host=external_host,
        external_port=external_port,
        admin_external_host=admin_host,
        admin_external_port=admin_port,
    )


@dataclass(frozen=True)
class ExchangeEndpoint:
    """Where a channel's config-update proposer (its creator party's Job) is dialled by the
    other parties' Jobs: the Service in its namespace, and an external name when a party
    sits in another cluster (README: day 2)."""

    service: str
    namespace: str
    cluster: str
    external_host: str | None
    external_port: int | None

    @property
    def service_host(self) -> str:
        return f"{self.service}.{self.namespace}.svc.{CLUSTER_DOMAIN}"

    def address(self, source_cluster: str) -> tuple[str, int]:
        if source_cluster == self.cluster or not self.external_host or not self.external_port:
            return self.service_host, EXCHANGE_PORT
        return self.external_host, self.external_port


def exchange_service(channel_name: str) -> str:
    """A Service name (a DNS label) for a channel name, which may hold dots and 249 chars."""
    name = f"{channel_name.replace('.', '-')}-updates"
    if len(name) > 63:
        name = f"{name[:54]}-{hashlib.sha256(channel_name.encode()).hexdigest()[:8]}"
    return name


def exchange_endpoint(
    network: Network, channel_name: str, namespace: str, cluster: str, remote: bool
) -> ExchangeEndpoint:
    """`remote`: some party of the channel sits in another cluster than the proposer."""
    service = exchange_service(channel_name)
    spec = network.cluster(cluster)
    external_host: str | None = None
    external_port: int | None = None
    if remote and spec is not None and spec.external_domain and spec.ingress.kind != "none":
        external_host = f"{service}.{namespace}.{spec.external_domain}"
        external_port = spec.ingress.port if spec.ingress.by_sni else EXCHANGE_PORT
    return ExchangeEndpoint(service, namespace, cluster, external_host, external_port)


@dataclass(frozen=True)
class Dial:
    """One connection the network makes: `source` dials `target` at `address`."""

    source: Node
    target: Node
    purpose: str
    host: str
    port: int


def address(
    network: Network, source: Node | None, target: Node, admin: bool = False
) -> tuple[str, int]:
    """Host and port `source` dials `target` on: in-cluster name, or external across clusters.

    `source=None` is a client outside every cluster: it dials what the network advertises."""
    ep = endpoint(network, target)
    same_cluster = source is not None and source.cluster == target.cluster
    if same_cluster or ep.external_host is None or ep.external_port is None:
        return ep.service_host, ORDERER_ADMIN_PORT if admin else ep.port
    if admin and ep.admin_external_host and ep.admin_external_port:
        return ep.admin_external_host, ep.admin_external_port
    return ep.external_host, ep.external_port


def dial_table(network: Network) -> tuple[Dial, ...]:
    """Who dials whom, on which host and port: in-cluster names within a cluster, the
    external names across clusters. Sorted, so that reports and tests are stable."""
    dials: set[tuple[str, str, str, str, int]] = set()
    found: list[Dial] = []

    def add(
        source: Node, target: Node, purpose: str, admin: bool = False, advertised: bool = False
    ) -> None:
        """`advertised`: the address comes from the channel configuration, one for every
        dialler (consenters, orderer endpoints, anchor peers), so even a node of the same
        cluster dials the external name when there is one."""
        if source is target:
            return
        host, port = address(network, source, target, admin)
        ep = endpoint(network, target)
        if advertised and ep.external_host and ep.external_port:
            host, port = ep.external_host, ep.external_port
        key = (source.workload, target.workload, purpose, host, port)
        if key not in dials:
            dials.add(key)
            found.append(Dial(source, target, purpose, host, port))

    orgs = {o.name: o for o in network.orgs}
    for org in network.orgs:
        for node in (*org.peers, *org.orderers):
            add(node, org.ca, "enrollment")  # the enrollment Job runs beside the node
    for channel in network.channels:
        members = [orgs[m] for m in channel.spec.members if m in orgs]
        peers = [p for org in members for p in org.peers]
        for a in channel.consenters:
            for b in channel.consenters:
                add(a, b, f"raft {channel.name}", advertised=True)
        for peer in peers:
            for orderer in channel.consenters:
                add(peer, orderer, f"deliver {channel.name}", advertised=True)
            for other in peers:
                if other.org == peer.org and other.cluster == peer.cluster:
                    add(peer, other, "gossip bootstrap")
                elif other.org == peer.org:  # an organisation spanning clusters
                    add(peer, other, f"gossip organisation {channel.name}", advertised=True)
                elif other.org != peer.org and other.anchor:
                    add(peer, other, f"gossip anchor {channel.name}", advertised=True)
        # channel Jobs run beside the first node of their organisation in their cluster;
        # each joins only its own organisation's nodes there (osnadmin, peer channel join)
        for consenter in channel.consenters:
            beside = next(
                c
                for c in channel.consenters
                if c.org == consenter.org and c.cluster == consenter.cluster
            )
            add(beside, consenter, f"osnadmin join {channel.name}", admin=True)
    return tuple(sorted(found, key=lambda d: (d.source.workload, d.purpose, d.target.workload)))
