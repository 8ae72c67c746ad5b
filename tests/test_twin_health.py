"""The twin judges health as Argo CD does: the Gateway API Gateway check, translated from
Argo CD's resource_customizations (gateway.networking.k8s.io/Gateway/health.lua)."""

from __future__ import annotations

from typing import Any

from compiler.twin.health import assess


def _gateway(
    status: dict[str, Any] | None, api: str = "gateway.networking.k8s.io/v1"
) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": api, "kind": "Gateway", "metadata": {"name": "g"}}
    if status is not None:
        obj["status"] = status
    return obj


def _cond(kind: str, status: str, message: str = "") -> dict[str, str]:
    return {"type": kind, "status": status, "message": message}


def test_a_gateway_waits_for_its_controller() -> None:
    assert assess(_gateway(None)).state == "Progressing"
    # what the API server defaults before any controller has looked at it
    pending = {"conditions": [_cond("Accepted", "Unknown"), _cond("Programmed", "Unknown")]}
    assert assess(_gateway(pending)).state == "Progressing"


def test_a_programmed_gateway_is_healthy_and_a_refused_one_degraded() -> None:
    listener = {"name": "fabric-tls", "conditions": [_cond("Programmed", "True")]}
    programmed = {
        "conditions": [_cond("Accepted", "True"), _cond("Programmed", "True")],
        "listeners": [listener],
    }
    assert assess(_gateway(programmed)).state == "Healthy"
    refused = {"conditions": [_cond("Accepted", "False", "unsupported class")]}
    assert assess(_gateway(refused)).state == "Degraded"
    bad_listener = programmed | {
        "listeners": [{"name": "fabric-tls", "conditions": [_cond("ResolvedRefs", "False", "x")]}]
    }
    status = assess(_gateway(bad_listener))
    assert (status.state, status.message) == ("Degraded", "Listener: x")


def test_istio_gateways_keep_argo_cds_default() -> None:
    # Argo CD has no check for networking.istio.io Gateways: Healthy with no status at all
    assert assess(_gateway(None, api="networking.istio.io/v1")).state == "Healthy"
