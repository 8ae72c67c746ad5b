"""What one enrollment Job does, read from the JSON the compiler renders into its ConfigMap."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class EnrollConfig:
    ca_url: str  # https://<ca host>:<port>, in-cluster or external
    ca_name: str
    tlsca_name: str
    enrollment_id: str  # the node's identity name (its workload name)
    identity_type: str  # peer | orderer | client | admin
    msp_id: str
    namespace: str
    msp_secret: str
    tls_secret: str
    hosts: tuple[str, ...]  # TLS SANs: every name the node is dialled by
    registrar_username: str
    registrar_password: str
    renew_at: float = 0.8
    deadline_seconds: float = 300.0
    ca_root_pem: str | None = None  # pinned root (an imported CA root), else trust on first use
    restart_pod: str | None = None  # the node that reads these Secrets, restarted on renewal
    attrs: tuple[tuple[str, str], ...] = ()  # into the enrollment certificate (ABAC)
    affiliation: str = ""
    # where the registrar's enrollments are kept for the organisation's next Job (flow.py)
    registrar_secret: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any], registrar: tuple[str, str]) -> EnrollConfig:
        return cls(
            ca_url=str(data["caURL"]),
            ca_name=str(data["caName"]),
            tlsca_name=str(data["tlsCAName"]),
            enrollment_id=str(data["enrollmentID"]),
            identity_type=str(data["type"]),
            msp_id=str(data["mspID"]),
            namespace=str(data["namespace"]),
            msp_secret=str(data["mspSecret"]),
            tls_secret=str(data["tlsSecret"]),
            hosts=tuple(str(h) for h in data.get("hosts", [])),
            registrar_username=registrar[0],
            registrar_password=registrar[1],
            renew_at=float(data.get("renewAt", 0.8)),
            deadline_seconds=float(data.get("deadlineSeconds", 300)),
            ca_root_pem=data.get("caRootPEM"),
            restart_pod=data.get("restartPod"),
            attrs=tuple(sorted((str(k), str(v)) for k, v in data.get("attrs", {}).items())),
            affiliation=str(data.get("affiliation", "")),
            registrar_secret=data.get("registrarSecret"),
        )

    @classmethod
    def load(cls, path: Path, registrar: tuple[str, str]) -> EnrollConfig:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")), registrar)
