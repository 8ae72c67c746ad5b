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


def namespace(network: Network, cluster: str, name: str) -> Manifest:
    """A Namespace hlfc renders: the network's labels, its Pod Security level, never pruned."""
    level = network.blueprint.spec.security.pod_security
    return Manifest(
        cluster=cluster,
        directory=name,
        obj={
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "labels": common_labels(network.name) | pod_security_labels(level),
                "annotations": waves.annotation(waves.NAMESPACES) | waves.KEEP,
            },
        },
    )


def render(network: Network) -> Iterator[Manifest]:
    for cluster in network.clusters:
        for name in network.namespaces(cluster.name):
            yield namespace(network, cluster.name, name)
