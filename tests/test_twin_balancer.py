"""The twin's load balancers: which node takes a Service's traffic (fast; the consortium
twin sends real traffic through them, across clusters of two nodes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from compiler.twin import api
from compiler.twin.controllers import Controllers
from compiler.twin.network import ClusterNet


class _Slices:
    """What the API server answers for a Service's EndpointSlices: this one, and one of a
    Service of the same name in another namespace."""

    def __init__(self, endpoints: list[dict[str, Any]]) -> None:
        self.endpoints = endpoints
        self.asked: list[tuple[str, ...]] = []

    def items(self, *args: str) -> list[dict[str, Any]]:
        self.asked.append(args)
        elsewhere = [{"nodeName": "beta-node2", "conditions": {"ready": True}}]
        return [
            {"metadata": {"namespace": "other"}, "endpoints": elsewhere},
            {"metadata": {"namespace": "ord-b"}, "endpoints": self.endpoints},
        ]


def _controllers(tmp_path: Path, endpoints: list[dict[str, Any]]) -> Controllers:
    controllers = Controllers(ClusterNet("beta", 1), tmp_path, tmp_path)
    controllers.api = _Slices(endpoints)  # type: ignore[assignment]
    return controllers


def _service(policy: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "ord-b-ca-external", "namespace": "ord-b"},
        "spec": {"type": "LoadBalancer", "externalTrafficPolicy": policy},
    }


def test_a_local_policy_balancer_goes_to_the_node_running_a_ready_endpoint(
    tmp_path: Path,
) -> None:
    controllers = _controllers(
        tmp_path,
        [
            {"nodeName": "beta-node", "conditions": {"ready": False}},
            {"nodeName": "beta-node1", "conditions": {"ready": True}},
        ],
    )
    assert controllers._node_for(_service("Local")) == 1
    assert controllers.api.asked == [  # type: ignore[attr-defined]
        (api.ENDPOINT_SLICES, "kubernetes.io/service-name=ord-b-ca-external")
    ]


def test_a_cluster_policy_balancer_and_one_without_a_ready_endpoint_use_the_first_node(
    tmp_path: Path,
) -> None:
    ready_elsewhere = [{"nodeName": "beta-node1", "conditions": {"ready": True}}]
    assert _controllers(tmp_path, ready_elsewhere)._node_for(_service("Cluster")) == 0
    not_ready = [{"nodeName": "beta-node1", "conditions": {"ready": False}}]
    assert _controllers(tmp_path, not_ready)._node_for(_service("Local")) == 0
    other_cluster = [{"nodeName": "alpha-node1", "conditions": {"ready": True}}]
    assert _controllers(tmp_path, other_cluster)._node_for(_service("Local")) == 0
