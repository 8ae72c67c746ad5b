"""Services, ServiceAccounts and config ConfigMaps: the same shape for every node kind."""

from __future__ import annotations

from typing import Any

from compiler.analysis.network import Network, Node
from compiler.render import pod, waves


def service_account(network: Network, node: Node, wave: int) -> dict[str, Any]:
    # Fabric nodes never call the Kubernetes API: no token in the pod.
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": node.workload,
            "namespace": node.namespace,
            "labels": pod.node_labels(network, node),
            "annotations": waves.annotation(wave),
        },
        "automountServiceAccountToken": False,
    }


def services(
    network: Network, node: Node, ports: list[tuple[str, int]], wave: int
) -> list[dict[str, Any]]:
    """A client Service and the headless Service that gives the pod its stable DNS name."""
    port_list = [
        {"name": name, "port": number, "targetPort": name, "protocol": "TCP"}
        for name, number in ports
    ]

    def service(name: str, headless: bool) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "type": "ClusterIP",
            "selector": pod.selector(network, node),
            "ports": port_list,
        }
        if headless:
            spec["clusterIP"] = "None"
            spec["publishNotReadyAddresses"] = True  # peers find each other while starting
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": name,
                "namespace": node.namespace,
                "labels": pod.node_labels(network, node)
                | {
                    # ServiceMonitors scrape the client Service only, and name the job
                    "hlfc.dev/service": "headless" if headless else "client",
                    "hlfc.dev/job": f"{network.name}-{node.kind}",
                },
                "annotations": waves.annotation(wave),
            },
            "spec": spec,
        }

    return [service(node.workload, False), service(node.headless_service, True)]


def config_map(network: Network, node: Node, data: dict[str, str], wave: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{node.workload}-config",
            "namespace": node.namespace,
            "labels": pod.node_labels(network, node),
            "annotations": waves.annotation(wave),
        },
        "data": data,
    }
