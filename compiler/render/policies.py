"""Per namespace: a default-deny NetworkPolicy with allow lists per component, and
PodDisruptionBudgets sized from the Raft arithmetic.

NetworkPolicy cannot name hosts, only addresses, and other clusters' gateways have
addresses hlfc cannot know; cross-cluster egress is therefore allowed to any address on
the ingress port only, and only for networks that span clusters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler.analysis.endpoints import (
    CA_PORT,
    CHAINCODE_PORT,
    OPERATIONS_PORT,
    ORDERER_ADMIN_PORT,
    ORDERER_PORT,
    PEER_PORT,
    endpoint,
)
from compiler.analysis.network import Network, Node
from compiler.analysis.quorum import quorum_table
from compiler.render import waves
from compiler.render.manifest import Manifest, common_labels

Rule = dict[str, Any]


def _meta(network: Network, name: str, namespace: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": common_labels(network.name, "policy"),
        "annotations": waves.annotation(waves.POLICIES),
    }


def _network_pods(network: Network) -> dict[str, Any]:
    """Any pod of this network, in any of its namespaces, in this cluster."""
    part_of = {"app.kubernetes.io/part-of": network.name}
    return {"namespaceSelector": {"matchLabels": part_of}, "podSelector": {"matchLabels": part_of}}


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _ports(*numbers: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": n} for n in numbers]


def _external_ports(network: Network, cluster: str) -> list[int]:
    """Ports on which other clusters' gateways are dialled, if this network spans clusters."""
    if len({n.cluster for n in network.nodes}) < 2:
        return []
    # the same for every namespace of a cluster: worked out once per cluster
    known: dict[str, list[int]] = network.memo.setdefault("external-ports", {})
    if cluster not in known:
        known[cluster] = sorted(
            {
                ep.external_port
                for node in network.nodes
                if node.cluster != cluster
                and (ep := endpoint(network, node)).external_port is not None
            }
        )
    return list(known[cluster])


def _ingress_sources(network: Network, cluster: str) -> list[dict[str, Any]]:
    """Where traffic from other clusters enters: the namespace of the gateway's proxies
    (Istio, Gateway API), or anywhere for a LoadBalancer (its clients keep their own source
    addresses)."""
    spec = network.cluster(cluster)
    if spec is None or spec.ingress.kind == "none":
        return []
    gateway = network.gateway(cluster)
    if gateway is not None:  # the gateway's proxies
        return [_namespace(spec.ingress.proxy_namespace or gateway[0])]
    return [{"ipBlock": {"cidr": "0.0.0.0/0"}}]


def _component_policy(
    network: Network,
    *,
    cluster: str,
    namespace: str,
    kind: str,
    ingress: list[Rule],
    egress_ports: list[int],
) -> dict[str, Any]:
    egress: list[Rule] = []
    if egress_ports:
        egress.append({"to": [_network_pods(network)], "ports": _ports(*egress_ports)})
    external = _external_ports(network, cluster)
    if external and kind != "ca":
        egress.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _ports(*external)})
    monitoring = network.blueprint.spec.monitoring
    scraped = [OPERATIONS_PORT]
    if monitoring.blackbox is not None:  # TLS probes of the main listener
        scraped.append({"ca": CA_PORT, "peer": PEER_PORT, "orderer": ORDERER_PORT}[kind])
    ingress = [*ingress, {"from": [_namespace(monitoring.namespace)], "ports": _ports(*scraped)}]
    spec: dict[str, Any] = {
        "podSelector": {
            "matchLabels": {
                "app.kubernetes.io/part-of": network.name,
                "app.kubernetes.io/component": kind,
            }
        },
        "policyTypes": ["Ingress", "Egress"],
        "ingress": ingress,
        "egress": egress,
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(network, f"allow-{kind}", namespace),
        "spec": spec,
    }


def network_policies(network: Network, cluster: str, namespace: str) -> Iterator[dict[str, Any]]:
    here = [n for n in network.nodes if n.cluster == cluster and n.namespace == namespace]
    kinds = sorted({n.kind for n in here})
    yield {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(network, "default-deny", namespace),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    yield {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(network, "allow-dns", namespace),
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            **_namespace("kube-system"),
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        },
    }
    inbound = _ingress_sources(network, cluster)
    peers_of_network = [_network_pods(network)]
    if "ca" in kinds:
        yield _component_policy(
            network,
            cluster=cluster,
            namespace=namespace,
            kind="ca",
            ingress=[{"from": peers_of_network + inbound, "ports": _ports(CA_PORT)}],
            egress_ports=[],
        )
    if "orderer" in kinds:
        yield _component_policy(
            network,
            cluster=cluster,
            namespace=namespace,
            kind="orderer",
            ingress=[
                # clients, peers and the other consenters (Raft shares port 7050)
                {"from": peers_of_network + inbound, "ports": _ports(ORDERER_PORT)},
                # osnadmin: only the organisation's own channel Jobs, in its own namespace
                # (each organisation joins its own consenters, in their own cluster)
                {
                    "from": [
                        {
                            "podSelector": {
                                "matchLabels": {
                                    "app.kubernetes.io/part-of": network.name,
                                    "app.kubernetes.io/component": "channel",
                                }
                            }
                        }
                    ],
                    "ports": _ports(ORDERER_ADMIN_PORT),
                },
            ],
            egress_ports=[ORDERER_PORT, CA_PORT],
        )
    if "peer" in kinds:
        yield _component_policy(
            network,
            cluster=cluster,
            namespace=namespace,
            kind="peer",
            ingress=[
                {"from": peers_of_network + inbound, "ports": _ports(PEER_PORT)},
            ],
            # CHAINCODE_PORT: the peer dials the chaincode servers (chaincode as a service)
            egress_ports=[PEER_PORT, ORDERER_PORT, CA_PORT, CHAINCODE_PORT],
        )


def orderer_disruption_budget(network: Network, cluster: str, org: str) -> int:
    """How many of an organisation's consenters in one cluster may be drained at once.

    Each channel tolerates f = n - quorum failures. Every other cluster hosting consenters
    of the channel may drain one at the same time, so this cluster gets what is left,
    f - (hosting clusters - 1), and at least 1 (a budget of 0 would block every node
    drain forever; the quorum analysis already guarantees that losing any one whole
    cluster is survivable when safety.tolerateClusterLoss >= 1).
    """
    mine = [
        o for o in network.nodes if o.kind == "orderer" and o.cluster == cluster and o.org == org
    ]
    budget = len(mine)
    for channel, q in zip(network.channels, quorum_table(network), strict=True):
        if any(c.cluster == cluster and c.org == org for c in channel.consenters):
            budget = min(budget, q.tolerated_node_failures - (q.hosting_clusters - 1))
    return max(1, min(budget, len(mine)))


def _pdb(network: Network, node: Node, name: str, max_unavailable: int) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(network, name, node.namespace),
        "spec": {
            "maxUnavailable": max_unavailable,
            # a pod that is not ready serves nothing: never let it block a node drain
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
            "selector": {
                "matchLabels": {
                    "app.kubernetes.io/part-of": network.name,
                    "app.kubernetes.io/component": node.kind,
                    "hlfc.dev/organization": node.org,
                }
            },
        },
    }


def disruption_budgets(network: Network, cluster: str, namespace: str) -> Iterator[dict[str, Any]]:
    firsts: dict[tuple[str, str], Node] = {}
    for node in network.nodes:
        if node.cluster == cluster and node.namespace == namespace and node.kind != "ca":
            firsts.setdefault((node.org, node.kind), node)
    for (org, kind), node in sorted(firsts.items()):
        if kind == "peer":
            yield _pdb(network, node, f"{org}-peers", 1)
        else:
            yield _pdb(
                network, node, f"{org}-orderers", orderer_disruption_budget(network, cluster, org)
            )


def render(network: Network) -> Iterator[Manifest]:
    enabled = network.blueprint.spec.security.network_policies
    for cluster in network.clusters:
        for namespace in network.namespaces(cluster.name):
            objects = list(disruption_budgets(network, cluster.name, namespace))
            if enabled:
                objects += network_policies(network, cluster.name, namespace)
            for obj in objects:
                yield Manifest(cluster.name, namespace, obj)
