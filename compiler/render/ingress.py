"""Cross-cluster reachability, from the endpoint table (compiler/analysis/endpoints.py).

- Istio: TLS passes through the gateway untouched (Fabric does its own mutual TLS) and is
  routed by SNI: a Gateway server per namespace for its hosts, and a VirtualService per
  externally dialled endpoint (peer 7051, orderer 7050 and its admin 7053, CA 7054), and
  per channel config-update proposer (7060) when the channel's parties span clusters.
- gatewayApi: the same passthrough by SNI, with Gateway API: one Gateway per cluster (a TLS
  listener in Passthrough mode for `*.<externalDomain>`, taking TLSRoutes from the network's
  namespaces only) and a TLSRoute per externally dialled endpoint, beside its Service. The
  Gateway's namespace is rendered too, unless it is an organisation's.
- loadBalancer: a LoadBalancer Service per node on Fabric's own ports, with the external
  host for external-dns.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from compiler.analysis.channels import exchange_of
from compiler.analysis.endpoints import EXCHANGE_PORT, ORDERER_ADMIN_PORT, Endpoint, endpoint
from compiler.analysis.network import Network, Node
from compiler.render import namespaces, pod, waves
from compiler.render.manifest import Manifest, common_labels

PORT_NAMES = {7050: "grpc", 7051: "grpc", 7053: "admin", 7054: "https"}
GATEWAY_API = "gateway.networking.k8s.io"
LISTENER = "fabric-tls"


def _meta(network: Network, name: str, namespace: str, wave: int) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": common_labels(network.name, "ingress"),
        "annotations": waves.annotation(wave) | waves.CUSTOM,
    }


def gateway_name(network: Network) -> str:
    return f"{network.name}-fabric"


def _wave(node: Node) -> int:
    return {"ca": waves.CA, "orderer": waves.ORDERERS, "peer": waves.PEERS}[node.kind]


@dataclass(frozen=True)
class Route:
    name: str  # the VirtualService's
    host: str  # the SNI name dialled
    service_host: str
    port: int
    wave: int


def _node_routes(network: Network, nodes: list[Node]) -> list[Route]:
    routes = []
    for node in nodes:
        ep = endpoint(network, node)
        for host, port in ep.external_routes():
            name = node.workload if port != ORDERER_ADMIN_PORT else f"{node.workload}-admin"
            routes.append(Route(name, host, ep.service_host, port, _wave(node)))
    return routes


def _exchange_routes(network: Network, cluster: str, namespace: str) -> list[Route]:
    """The config-update proposers of channels whose parties span clusters (README: day 2)."""
    routes = []
    for channel in network.channels:
        ep = exchange_of(network, channel)
        if ep and ep.external_host and (ep.cluster, ep.namespace) == (cluster, namespace):
            host, wave = ep.external_host, waves.CHANNEL_JOBS
            routes.append(Route(ep.service, host, ep.service_host, EXCHANGE_PORT, wave))
    return routes


def istio(
    network: Network, cluster: str, namespace: str, nodes: list[Node]
) -> Iterator[dict[str, Any]]:
    spec = network.cluster(cluster)
    assert spec is not None and spec.ingress.gateway is not None
    routes = _node_routes(network, nodes) + _exchange_routes(network, cluster, namespace)
    if not routes:
        return
    gateway_selector = {"istio": spec.ingress.gateway.split("/", 1)[1]}
    yield {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": _meta(network, gateway_name(network), namespace, waves.CA),
        "spec": {
            "selector": gateway_selector,
            "servers": [
                {
                    "port": {"number": spec.ingress.port, "name": "tls-fabric", "protocol": "TLS"},
                    "tls": {"mode": "PASSTHROUGH"},
                    "hosts": sorted(r.host for r in routes),
                }
            ],
        },
    }
    for r in routes:
        yield {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": _meta(network, r.name, namespace, r.wave),
            "spec": {
                "hosts": [r.host],
                "gateways": [f"{namespace}/{gateway_name(network)}"],
                "tls": [
                    {
                        "match": [{"port": spec.ingress.port, "sniHosts": [r.host]}],
                        "route": [
                            {"destination": {"host": r.service_host, "port": {"number": r.port}}}
                        ],
                    }
                ],
            },
        }


def _cluster_routes(network: Network, cluster: str) -> dict[str, list[Route]]:
    """namespace -> its routes, for every namespace of the network in `cluster`."""
    out = {}
    for namespace in network.namespaces(cluster):
        nodes = [n for n in network.nodes if n.cluster == cluster and n.namespace == namespace]
        routes = _node_routes(network, nodes) + _exchange_routes(network, cluster, namespace)
        if routes:
            out[namespace] = routes
    return out


def _node_units(network: Network, cluster: str) -> dict[tuple[str, str], str]:
    """(namespace, route name) -> the file of the node a route leads to: a node's route
    sits beside its Services."""
    return {
        (n.namespace, n.workload): pod.node_unit(n) for n in network.nodes if n.cluster == cluster
    }


def gateway_api(network: Network, cluster: str) -> Iterator[Manifest]:
    spec = network.cluster(cluster)
    gateway = network.gateway(cluster)
    assert spec is not None and gateway is not None and spec.ingress.gateway_class is not None
    by_namespace = _cluster_routes(network, cluster)
    if not by_namespace:
        return
    gw_namespace, gw_name = gateway
    if gw_namespace not in network.namespaces(cluster):
        yield namespaces.namespace(network, cluster, gw_namespace)
    # routes are taken from the network's own namespaces (every one carries part-of), not
    # from any namespace that happens to name this Gateway
    selector = {"matchLabels": {"app.kubernetes.io/part-of": network.name}}
    yield Manifest(
        cluster,
        gw_namespace,
        {
            "apiVersion": f"{GATEWAY_API}/v1",
            "kind": "Gateway",
            "metadata": _meta(network, gw_name, gw_namespace, waves.CA),
            "spec": {
                "gatewayClassName": spec.ingress.gateway_class,
                "listeners": [
                    {
                        "name": LISTENER,
                        "protocol": "TLS",
                        "port": spec.ingress.port,
                        "hostname": f"*.{spec.external_domain}",
                        "tls": {"mode": "Passthrough"},
                        "allowedRoutes": {
                            "namespaces": {"from": "Selector", "selector": selector},
                            "kinds": [{"group": GATEWAY_API, "kind": "TLSRoute"}],
                        },
                    }
                ],
            },
        },
    )
    parent = {
        "group": GATEWAY_API,
        "kind": "Gateway",
        "namespace": gw_namespace,
        "name": gw_name,
        "sectionName": LISTENER,
    }
    units = _node_units(network, cluster)
    for namespace, routes in by_namespace.items():
        for r in routes:
            service = r.service_host.split(".", 1)[0]  # the Service beside the route
            yield Manifest(
                cluster,
                namespace,
                {
                    "apiVersion": f"{GATEWAY_API}/v1",
                    "kind": "TLSRoute",
                    "metadata": _meta(network, r.name, namespace, r.wave),
                    "spec": {
                        "parentRefs": [parent],
                        "hostnames": [r.host],
                        "rules": [{"backendRefs": [{"name": service, "port": r.port}]}],
                    },
                },
                units.get((namespace, r.name)),
            )


def load_balancer(network: Network, node: Node, ep: Endpoint) -> dict[str, Any]:
    ports = sorted({port for _, port in ep.external_routes()})
    meta = _meta(network, f"{node.workload}-external", node.namespace, _wave(node))
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
        if cluster.ingress.kind == "gatewayApi":
            yield from gateway_api(network, cluster.name)
            continue
        units = _node_units(network, cluster.name)
        for namespace in network.namespaces(cluster.name):
            nodes = [
                n for n in network.nodes if n.cluster == cluster.name and n.namespace == namespace
            ]
            if cluster.ingress.kind == "istio":
                for obj in istio(network, cluster.name, namespace, nodes):
                    unit = units.get((namespace, obj["metadata"]["name"]))
                    yield Manifest(cluster.name, namespace, obj, unit)
            else:
                for node in nodes:
                    service = load_balancer(network, node, endpoint(network, node))
                    yield Manifest(cluster.name, namespace, service, pod.node_unit(node))
