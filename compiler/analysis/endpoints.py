"""The endpoint table: every address a node is dialled by, derived once.

Peer gossip endpoints, orderer addresses, TLS SANs and NetworkPolicy egress all come from
here; renderers never build a host name themselves.
"""

from __future__ import annotations

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

MAIN_PORT = {"peer": PEER_PORT, "orderer": ORDERER_PORT, "ca": CA_PORT}


@dataclass(frozen=True)
class Endpoint:
    node: Node
    service_host: str  # <svc>.<ns>.svc.cluster.local, dialled inside the cluster
    port: int
    external_host: str | None  # dialled from other clusters, if the cluster is reachable
    external_port: int | None

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
        if self.external_host:
            hosts.append(self.external_host)
        return tuple(hosts)


def endpoint(network: Network, node: Node) -> Endpoint:
    cluster = network.cluster(node.cluster)
    port = MAIN_PORT[node.kind]
    external_host: str | None = None
    external_port: int | None = None
    if cluster is not None and cluster.external_domain and cluster.ingress.kind != "none":
        external_host = f"{node.workload}.{cluster.external_domain}"
        # Istio routes every endpoint through the gateway's one TLS port by SNI; a
        # LoadBalancer Service per node keeps Fabric's own port.
        external_port = cluster.ingress.port if cluster.ingress.kind == "istio" else port
    return Endpoint(
        node=node,
        service_host=f"{node.workload}.{node.namespace}.svc.{CLUSTER_DOMAIN}",
        port=port,
        external_host=external_host,
        external_port=external_port,
    )
