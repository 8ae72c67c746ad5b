"""Pieces every Fabric pod shares: images, security contexts, resources, probes, labels."""

from __future__ import annotations

import hashlib
from typing import Any

from compiler.analysis.network import Network, Node
from compiler.blueprint.models import Resources
from compiler.render import waves
from compiler.render.manifest import common_labels

TMP_VOLUME = "tmp"
# kube-linter's probe checks are for long-running pods; a Job runs to completion, bounded
# by activeDeadlineSeconds, and has nothing to probe
JOB_NO_PROBES = {
    f"ignore-check.kube-linter.io/{check}": "run-to-completion Job: bounded by "
    "activeDeadlineSeconds, nothing to probe"
    for check in ("no-liveness-probe", "no-readiness-probe")
}


def image(repository: str, version: str) -> str:
    """The blueprint's reference as given when it has a tag or digest; else tagged `version`."""
    if "@" in repository or ":" in repository.rsplit("/", 1)[-1]:
        return repository
    return f"{repository}:{version}"


def node_unit(node: Node) -> str:
    """The file a node's objects share (its workload, config, Services, ingress route):
    "peer-org1-peer0" is <cluster>/org1/peer-org1-peer0.yaml."""
    return f"{node.kind}-{node.workload}"


def node_labels(network: Network, node: Node) -> dict[str, str]:
    """Labels that select one node's pods. Stable: never change them on a running network."""
    return common_labels(network.name, node.kind) | {
        "app.kubernetes.io/name": node.workload,
        "app.kubernetes.io/instance": f"{network.name}-{node.workload}",
        "hlfc.dev/organization": node.org,
    }


def selector(network: Network, node: Node) -> dict[str, str]:
    return {"app.kubernetes.io/instance": f"{network.name}-{node.workload}"}


def spread(network: Network, node: Node) -> dict[str, Any]:
    """Nodes of one kind and organisation on different hosts and, where the cluster has
    them, different zones: losing a host or a zone leaves the organisation working."""
    same_kind = {
        "app.kubernetes.io/component": node.kind,
        "app.kubernetes.io/part-of": network.name,
        "hlfc.dev/organization": node.org,
    }
    return {
        "affinity": {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "labelSelector": {"matchLabels": same_kind},
                            "topologyKey": "kubernetes.io/hostname",
                        },
                    }
                ]
            }
        },
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": same_kind},
            }
        ],
    }


def pod_security(network: Network) -> dict[str, Any]:
    security = network.blueprint.spec.security
    return {
        "runAsNonRoot": True,
        "runAsUser": security.run_as_user,
        "runAsGroup": security.run_as_group,
        "fsGroup": security.fs_group,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security(run_as_user: int | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
    }
    if run_as_user is not None:
        context["runAsUser"] = run_as_user
        context["runAsGroup"] = run_as_user
    return context


def resources(spec: Resources) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("requests", "limits"):
        values = getattr(spec, key).model_dump(exclude_none=True)
        if values:
            out[key] = values
    return out


def http_probe(
    path: str, port: str, *, scheme: str = "HTTP", period: int = 10, failures: int = 3
) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port, "scheme": scheme},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def probes(path: str, port: str, *, scheme: str = "HTTP") -> dict[str, Any]:
    """Startup allows 5 minutes (ledger replay on a large peer); then 10 s checks."""
    return {
        "startupProbe": http_probe(path, port, scheme=scheme, period=5, failures=60),
        "readinessProbe": http_probe(path, port, scheme=scheme),
        "livenessProbe": http_probe(path, port, scheme=scheme, failures=6),
    }


def tmp_volume() -> dict[str, Any]:
    # The root filesystem is read-only; Fabric and the Go runtime still want a /tmp.
    return {"name": TMP_VOLUME, "emptyDir": {"sizeLimit": "256Mi"}}


def config_checksum(*texts: str) -> str:
    """Pod template annotation: a config change rolls the pod (subPath mounts never update)."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def volume_claim(name: str, size: str, storage_class: str | None) -> dict[str, Any]:
    """A volumeClaimTemplate. apiVersion/kind set (else Argo CD shows it OutOfSync forever),
    no tracking labels in its metadata, and never pruned or deleted by a sync."""
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
    }
    if storage_class:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name,
            "annotations": dict(waves.KEEP),
        },
        "spec": spec,
    }


def statefulset(
    network: Network,
    node: Node,
    *,
    wave: int,
    config: dict[str, str],
    pod_spec: dict[str, Any],
    claims: list[dict[str, Any]],
) -> dict[str, Any]:
    """The StatefulSet every Fabric node runs in: one replica (one identity per pod), a
    stable name through its headless Service, claims kept when it is deleted or scaled,
    and a pod that restarts when its rendered config changes."""
    labels = node_labels(network, node)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": node.workload,
            "namespace": node.namespace,
            "labels": labels,
            "annotations": waves.annotation(wave),
        },
        "spec": {
            "replicas": 1,
            "serviceName": node.headless_service,
            "selector": {"matchLabels": selector(network, node)},
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate"},
            "persistentVolumeClaimRetentionPolicy": {
                "whenDeleted": "Retain",
                "whenScaled": "Retain",
            },
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {"hlfc.dev/config-checksum": config_checksum(*config.values())},
                },
                "spec": {
                    "serviceAccountName": node.workload,
                    "automountServiceAccountToken": False,
                    "securityContext": pod_security(network),
                    **pod_spec,
                },
            },
            "volumeClaimTemplates": claims,
        },
    }
