"""What one enrollment Job does, read from the JSON the compiler renders into its ConfigMap.

Two Jobs read it: an identity's (EnrollConfig), and the organisation's registrar Job
(CAConfig: the CA and where its registrar's enrollment is kept, no identity).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self


@dataclass(frozen=True, kw_only=True)
class CAConfig:
    ca_url: str  # https://<ca host>:<port>, in-cluster or external
    ca_name: str
    tlsca_name: str
    namespace: str
    registrar_username: str
    registrar_password: str
    renew_at: float = 0.8
    deadline_seconds: float = 300.0
    ca_root_pem: str | None = None  # pinned root (an imported CA root), else trust on first use
    # where the registrar's enrollments are kept for the organisation's Jobs (registrar.py)
    registrar_secret: str | None = None

    @staticmethod
    def _ca_fields(data: dict[str, Any], registrar: tuple[str, str]) -> dict[str, Any]:
        return {
            "ca_url": str(data["caURL"]),
            "ca_name": str(data["caName"]),
            "tlsca_name": str(data["tlsCAName"]),
            "namespace": str(data["namespace"]),
            "registrar_username": registrar[0],
            "registrar_password": registrar[1],
            "renew_at": float(data.get("renewAt", 0.8)),
            "deadline_seconds": float(data.get("deadlineSeconds", 300)),
            "ca_root_pem": data.get("caRootPEM"),
            "registrar_secret": data.get("registrarSecret"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], registrar: tuple[str, str]) -> Self:
        return cls(**cls._ca_fields(data, registrar))

    @classmethod
    def load(cls, path: Path, registrar: tuple[str, str]) -> Self:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")), registrar)


@dataclass(frozen=True, kw_only=True)
class EnrollConfig(CAConfig):
    enrollment_id: str  # the node's identity name (its workload name)
    identity_type: str  # peer | orderer | client | admin
    msp_id: str
    msp_secret: str
    tls_secret: str
    hosts: tuple[str, ...]  # TLS SANs: every name the node is dialled by
    restart_pod: str | None = None  # the node that reads these Secrets, restarted on renewal
    attrs: tuple[tuple[str, str], ...] = ()  # into the enrollment certificate (ABAC)
    affiliation: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any], registrar: tuple[str, str]) -> Self:
        return cls(
            **cls._ca_fields(data, registrar),
            enrollment_id=str(data["enrollmentID"]),
            identity_type=str(data["type"]),
            msp_id=str(data["mspID"]),
            msp_secret=str(data["mspSecret"]),
            tls_secret=str(data["tlsSecret"]),
            hosts=tuple(str(h) for h in data.get("hosts", [])),
            restart_pod=data.get("restartPod"),
            attrs=tuple(sorted((str(k), str(v)) for k, v in data.get("attrs", {}).items())),
            affiliation=str(data.get("affiliation", "")),
        )
