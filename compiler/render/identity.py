"""Where a node's identity lives: two Secrets, written in the cluster by the enrollment Job
(keys never touch git), projected into the MSP folder layout Fabric expects.

The Secret names and keys below are the contract between the pods rendered here and the
`hlfc enroll` Job, which gets them from its rendered configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler.analysis.network import Node

FABRIC_DIR = "/var/hyperledger/fabric"
MSP_DIR = f"{FABRIC_DIR}/msp"
TLS_DIR = f"{FABRIC_DIR}/tls"
CONFIG_DIR = "/etc/hyperledger/fabric"

# MSP Secret key → path inside the MSP folder (fabric-runtime.md: MSP folder a node needs)
MSP_LAYOUT: tuple[tuple[str, str], ...] = (
    ("signcert.pem", "signcerts/cert.pem"),
    ("key.pem", "keystore/key.pem"),
    ("cacert.pem", "cacerts/ca.pem"),
    ("tlscacert.pem", "tlscacerts/tlsca.pem"),
    ("config.yaml", "config.yaml"),
)
# TLS Secret (type kubernetes.io/tls): tls.crt, tls.key, ca.crt (the TLS CA root)


@dataclass(frozen=True)
class IdentityPaths:
    msp: str = MSP_DIR
    tls_cert: str = f"{TLS_DIR}/tls.crt"
    tls_key: str = f"{TLS_DIR}/tls.key"
    tls_ca: str = f"{TLS_DIR}/ca.crt"


PATHS = IdentityPaths()


def msp_secret(node: Node) -> str:
    return f"{node.workload}-msp"


def tls_secret(node: Node) -> str:
    return f"{node.workload}-tls"


def secret_volumes(msp: str, tls: str, prefix: str = "") -> list[dict[str, Any]]:
    """The MSP Secret projected into the MSP folder layout, and the TLS Secret as is."""
    return [
        {
            "name": f"{prefix}msp",
            "secret": {
                "secretName": msp,
                "defaultMode": 0o440,
                "items": [{"key": key, "path": path} for key, path in MSP_LAYOUT],
            },
        },
        {
            "name": f"{prefix}tls",
            "secret": {
                "secretName": tls,
                "defaultMode": 0o440,
                "items": [{"key": k, "path": k} for k in ("tls.crt", "tls.key", "ca.crt")],
            },
        },
    ]


def volumes(node: Node) -> list[dict[str, Any]]:
    return secret_volumes(msp_secret(node), tls_secret(node))


def mounts() -> list[dict[str, Any]]:
    return [
        {"name": "msp", "mountPath": MSP_DIR, "readOnly": True},
        {"name": "tls", "mountPath": TLS_DIR, "readOnly": True},
    ]
