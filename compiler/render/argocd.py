"""Argo CD delivery: an AppProject, one Application per cluster, and a root app-of-apps.

App-of-apps rather than an ApplicationSet: every Application is a file in git that review
sees as it will be applied (an ApplicationSet's output exists only in the cluster), and
the AppProject's allow lists are computed here from exactly what was rendered.

Child Applications carry no resources-finalizer: removing one from git (say, a cluster
leaves the network) orphans its resources instead of deleting ledgers with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from compiler.analysis.network import Network
from compiler.blueprint.models import Cluster
from compiler.render.manifest import Manifest, common_labels

ARGOCD_DIR = "_argocd"  # the root app's directory, beside the cluster directories
IN_CLUSTER = "https://kubernetes.default.svc"
CLUSTER_WIDE = {
    ("", "Namespace"),
    ("storage.k8s.io", "StorageClass"),
    ("snapshot.storage.k8s.io", "VolumeSnapshotClass"),
}
ARGO_KINDS = [("argoproj.io", "AppProject"), ("argoproj.io", "Application")]


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def destination(cluster: Cluster) -> dict[str, str]:
    if cluster.argocd.server:
        return {"server": cluster.argocd.server}
    # a cluster registered in Argo CD under its name (the default: the blueprint's name)
    return {"name": cluster.argocd.name or cluster.name}


DEFAULT_PATH = "output"  # where nothing says otherwise (plan, tests): the layout's own


def _source(network: Network, directory: str) -> dict[str, str]:
    argocd = network.blueprint.spec.argocd
    base = (argocd.path or DEFAULT_PATH).strip("/")
    parts = [p for p in (base, network.name, directory) if p and p != "."]
    path = "/".join(parts)
    return {"repoURL": argocd.repo_url, "targetRevision": argocd.target_revision, "path": path}


def _sync_policy() -> dict[str, Any]:
    return {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": ["ServerSideApply=true", "CreateNamespace=false", "PruneLast=true"],
        "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
    }


def _application(
    network: Network, name: str, directory: str, dest: dict[str, str]
) -> dict[str, Any]:
    argocd = network.blueprint.spec.argocd
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": argocd.namespace,
            "labels": common_labels(network.name, "delivery"),
            "annotations": {"argocd.argoproj.io/sync-wave": "0"},
        },
        "spec": {
            "project": argocd.project,
            "source": _source(network, directory),
            "destination": dest,
            "syncPolicy": _sync_policy(),
        },
    }


def app_project(network: Network, manifests: Iterable[Manifest]) -> dict[str, Any]:
    argocd = network.blueprint.spec.argocd
    rendered = list(manifests)
    clusters = {c.name: c for c in network.clusters}
    destinations = {
        (tuple(sorted(destination(clusters[m.cluster]).items())), m.directory)
        for m in rendered
        if m.directory is not None
    }
    kinds = {(_group(m.obj["apiVersion"]), m.kind) for m in rendered}
    # a Namespace object sits in its own namespace's directory, but the kind is cluster-wide
    cluster_wide = sorted(
        {(_group(m.obj["apiVersion"]), m.kind) for m in rendered if m.directory is None}
        | ({("", "Namespace")} & kinds)
    )
    namespaced = sorted(kinds - set(cluster_wide))
    unexpected = set(cluster_wide) - CLUSTER_WIDE
    if unexpected:
        raise ValueError(f"hlfc rendered cluster-scoped kinds it does not allow: {unexpected}")
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {
            "name": argocd.project,
            "namespace": argocd.namespace,
            "labels": common_labels(network.name, "delivery"),
            "annotations": {"argocd.argoproj.io/sync-wave": "-1"},
        },
        "spec": {
            "description": f"Hyperledger Fabric network {network.name}, rendered by hlfc",
            "sourceRepos": [argocd.repo_url],
            "destinations": [
                {**dict(dest), "namespace": namespace} for dest, namespace in sorted(destinations)
            ]
            + [{"server": IN_CLUSTER, "namespace": argocd.namespace}],
            "clusterResourceWhitelist": [{"group": g, "kind": k} for g, k in cluster_wide],
            "namespaceResourceWhitelist": [
                {"group": g, "kind": k} for g, k in sorted(set(namespaced) | set(ARGO_KINDS))
            ],
        },
    }


def render(network: Network, manifests: list[Manifest]) -> Iterator[Manifest]:
    argocd = network.blueprint.spec.argocd
    objects = [app_project(network, manifests)]
    used = sorted({m.cluster for m in manifests})
    for cluster in network.clusters:
        if cluster.name in used:
            objects.append(
                _application(
                    network, f"{network.name}-{cluster.name}", cluster.name, destination(cluster)
                )
            )
    objects.append(
        _application(
            network, network.name, ARGOCD_DIR, {"server": IN_CLUSTER, "namespace": argocd.namespace}
        )
    )
    for obj in objects:
        yield Manifest(ARGOCD_DIR, argocd.namespace, obj)
