"""Namespaces, one per organisation namespace per cluster where it runs something.

Deleting a Namespace deletes every PVC and Secret in it, so a sync must never prune or
delete one: they carry Prune=false,Delete=false like the data they hold.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.network import Network
from compiler.render import waves
from compiler.render.manifest import Manifest, common_labels


def pod_security_labels(level: str) -> dict[str, str]:
    return {
        f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")
    } | {f"pod-security.kubernetes.io/{mode}-version": "latest" for mode in ("enforce",)}


def render(network: Network) -> Iterator[Manifest]:
    level = network.blueprint.spec.security.pod_security
    for cluster in network.clusters:
        for namespace in network.namespaces(cluster.name):
            yield Manifest(
                cluster=cluster.name,
                directory=namespace,
                obj={
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {
                        "name": namespace,
                        "labels": common_labels(network.name) | pod_security_labels(level),
                        "annotations": waves.annotation(waves.NAMESPACES) | waves.KEEP,
                    },
                },
            )
