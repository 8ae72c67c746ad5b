"""Argo CD's health assessment of live objects (gitops-engine pkg/health), for the kinds
hlfc renders. A kind Argo CD has no health check for counts as Healthy, as it does there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Status:
    state: str  # Healthy | Progressing | Degraded | Suspended | Missing
    message: str = ""


def _conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in obj.get("status", {}).get("conditions") or []}


def _generation_seen(obj: dict[str, Any]) -> bool:
    observed = obj.get("status", {}).get("observedGeneration", 0)
    return bool(observed) and obj["metadata"].get("generation", 0) <= observed


def statefulset(obj: dict[str, Any]) -> Status:
    spec, status = obj["spec"], obj.get("status", {})
    if not _generation_seen(obj):
        return Status("Progressing", "Waiting for statefulset spec update to be observed...")
    replicas = spec.get("replicas", 1)
    ready = status.get("readyReplicas", 0)
    if ready < replicas:
        return Status("Progressing", f"Waiting for {replicas - ready} pods to be ready...")
    strategy = spec.get("updateStrategy", {})
    if strategy.get("type", "RollingUpdate") == "OnDelete":
        return Status("Healthy", "statefulset has no rolling update strategy")
    partition = strategy.get("rollingUpdate", {}).get("partition", 0)
    if partition:
        if status.get("updatedReplicas", 0) < replicas - partition:
            return Status("Progressing", "Waiting for partitioned roll out to finish")
        return Status("Healthy", "partitioned roll out complete")
    if status.get("updateRevision") != status.get("currentRevision"):
        return Status("Progressing", "waiting for statefulset rolling update to complete")
    return Status("Healthy", "statefulset rolling update complete")


def deployment(obj: dict[str, Any]) -> Status:
    spec, status = obj["spec"], obj.get("status", {})
    if spec.get("paused"):
        return Status("Suspended", "Deployment is paused")
    if not _generation_seen(obj):
        return Status("Progressing", "Waiting for rollout to finish: generation not observed")
    progressing = _conditions(obj).get("Progressing", {})
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return Status("Degraded", "Deployment exceeded its progress deadline")
    replicas = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    if updated < replicas:
        return Status("Progressing", f"{updated} of {replicas} updated replicas are available")
    if status.get("replicas", 0) > updated:
        return Status("Progressing", "old replicas are pending termination")
    if status.get("availableReplicas", 0) < updated:
        return Status("Progressing", "updated replicas are not all available")
    return Status("Healthy")


def job(obj: dict[str, Any]) -> Status:
    conditions = _conditions(obj)
    if conditions.get("Failed", {}).get("status") == "True":
        return Status("Degraded", conditions["Failed"].get("message", "job failed"))
    if conditions.get("Complete", {}).get("status") == "True":
        return Status("Healthy", "job completed")
    if obj["spec"].get("suspend"):
        return Status("Suspended", "job is suspended")
    return Status("Progressing", "job is running")


def persistent_volume_claim(obj: dict[str, Any]) -> Status:
    phase = obj.get("status", {}).get("phase", "Pending")
    if phase == "Lost":
        return Status("Degraded", "claim is lost")
    return Status("Healthy" if phase == "Bound" else "Progressing", phase)


def service(obj: dict[str, Any]) -> Status:
    if obj["spec"].get("type") != "LoadBalancer":
        return Status("Healthy")
    if obj.get("status", {}).get("loadBalancer", {}).get("ingress"):
        return Status("Healthy")
    return Status("Progressing", "waiting for a load balancer address")


def external_secret(obj: dict[str, Any]) -> Status:
    # Argo CD's built-in check (resource_customizations/external-secrets.io/ExternalSecret)
    ready = _conditions(obj).get("Ready")
    if ready and ready.get("status") == "False":
        return Status("Degraded", ready.get("message", ""))
    if ready and ready.get("status") == "True":
        return Status("Healthy", ready.get("message", ""))
    return Status("Progressing", "Waiting for ExternalSecret")


def _failed(conditions: list[dict[str, Any]], *kinds: str) -> str | None:
    for c in conditions:
        if c.get("type") in kinds and c.get("status") == "False":
            return str(c.get("message") or f"Failed condition: {c['type']}")
    return None


def _not_programmed(conditions: list[dict[str, Any]]) -> str | None:
    for c in conditions:
        if c.get("type") == "Programmed" and c.get("status") != "True":
            return str(c.get("message") or "still being programmed")
    return None


def gateway_api_gateway(obj: dict[str, Any]) -> Status:
    # Argo CD's check (resource_customizations/gateway.networking.k8s.io/Gateway/health.lua)
    status = obj.get("status")
    if status is None:
        return Status("Progressing", "Waiting for Gateway status")
    conditions = status.get("conditions") or []
    if failed := _failed(conditions, "ResolvedRefs", "Accepted"):
        return Status("Degraded", failed)
    if waiting := _not_programmed(conditions):
        return Status("Progressing", waiting)
    listeners = status.get("listeners") or []
    for listener in listeners:
        found = listener.get("conditions") or []
        if failed := _failed(found, "ResolvedRefs", "Accepted"):
            return Status("Degraded", f"Listener: {failed}")
        if waiting := _not_programmed(found):
            return Status("Progressing", f"Listener: {waiting}")
    if "conditions" in status or listeners:
        return Status("Healthy", "Gateway is healthy")
    return Status("Progressing", "Waiting for Gateway status")


# checks by (API group, kind) first: Istio's Gateway has none
_GROUP_CHECKS = {("gateway.networking.k8s.io", "Gateway"): gateway_api_gateway}

_CHECKS = {
    "ExternalSecret": external_secret,
    "StatefulSet": statefulset,
    "Deployment": deployment,
    "Job": job,
    "PersistentVolumeClaim": persistent_volume_claim,
    "Service": service,
}


def assess(obj: dict[str, Any]) -> Status:
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    check = _GROUP_CHECKS.get((group, obj["kind"])) or _CHECKS.get(obj["kind"])
    return check(obj) if check else Status("Healthy")
