"""Cross-cluster reachability, from the endpoint table (compiler/analysis/endpoints.py).

- Istio: TLS passes through the gateway untouched (Fabric does its own mutual TLS) and is
  routed by SNI: a Gateway server per namespace for its hosts, and a VirtualService per
  externally dialled endpoint (peer 7051, orderer 7050 and its admin 7053, CA 7054).
- loadBalancer: a LoadBalancer Service per node on Fabric's own ports, with the external
  host for external-dns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler.analysis.endpoints import ORDERER_ADMIN_PORT, Endpoint, endpoint
from compiler.analysis.network import Network, Node
from compiler.render import pod, waves
from compiler.render.manifest import Manifest, common_labels

PORT_NAMES = {7050: "grpc", 7051: "grpc", 7053: "admin", 7054: "https"}


def _meta(network: Network, name: str, node: Node, wave: int) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": node.namespace,
        "labels": common_labels(network.name, "ingress"),
        "annotations": waves.annotation(wave) | waves.CUSTOM,
    }


def gateway_name(network: Network) -> str:
    return f"{network.name}-fabric"


def _wave(node: Node) -> int:
    return {"ca": waves.CA, "orderer": waves.ORDERERS, "peer": waves.PEERS}[node.kind]


def istio(
    network: Network, cluster: str, namespace: str, nodes: list[Node]
) -> Iterator[dict[str, Any]]:
    spec = network.cluster(cluster)
    assert spec is not None and spec.ingress.gateway is not None
    routes = [
        (n, ep, host, port)
        for n in nodes
        for ep in [endpoint(network, n)]
        for host, port in ep.external_routes()
    ]
    if not routes:
        return
    gateway_selector = {"istio": spec.ingress.gateway.split("/", 1)[1]}
    yield {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": _meta(network, gateway_name(network), nodes[0], waves.CA),
        "spec": {
            "selector": gateway_selector,
            "servers": [
                {
                    "port": {"number": spec.ingress.port, "name": "tls-fabric", "protocol": "TLS"},
                    "tls": {"mode": "PASSTHROUGH"},
                    "hosts": sorted(host for _, _, host, _ in routes),
                }
            ],
        },
    }
    for node, ep, host, port in routes:
        name = node.workload if port != ORDERER_ADMIN_PORT else f"{node.workload}-admin"
        yield {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": _meta(network, name, node, _wave(node)),
            "spec": {
                "hosts": [host],
                "gateways": [f"{namespace}/{gateway_name(network)}"],
                "tls": [
                    {
                        "match": [{"port": spec.ingress.port, "sniHosts": [host]}],
                        "route": [
                            {"destination": {"host": ep.service_host, "port": {"number": port}}}
                        ],
                    }
                ],
            },
        }


def load_balancer(network: Network, node: Node, ep: Endpoint) -> dict[str, Any]:
    ports = sorted({port for _, port in ep.external_routes()})
    meta = _meta(network, f"{node.workload}-external", node, _wave(node))
    meta["labels"] = pod.node_labels(network, node) | {"hlfc.dev/service": "external"}
    meta["annotations"]["external-dns.alpha.kubernetes.io/hostname"] = ",".join(
        host for host, _ in ep.external_routes()
    )
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "selector": pod.selector(network, node),
            "ports": [
                {"name": PORT_NAMES[p], "port": p, "targetPort": PORT_NAMES[p], "protocol": "TCP"}
                for p in ports
            ],
        },
    }


def render(network: Network) -> Iterator[Manifest]:
    for cluster in network.clusters:
        if cluster.ingress.kind == "none" or not cluster.external_domain:
            continue
        for namespace in network.namespaces(cluster.name):
            nodes = [
                n for n in network.nodes if n.cluster == cluster.name and n.namespace == namespace
            ]
            if cluster.ingress.kind == "istio":
                for obj in istio(network, cluster.name, namespace, nodes):
                    yield Manifest(cluster.name, namespace, obj)
            else:
                for node in nodes:
                    service = load_balancer(network, node, endpoint(network, node))
                    yield Manifest(cluster.name, namespace, service)
