"""The MSP folder and TLS pair a Fabric node reads, as Secret contents."""

from __future__ import annotations

import json

NODE_OUS = """NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: orderer
"""


def msp_secret(sign_cert: bytes, key: bytes, ca_root: bytes, tls_root: bytes) -> dict[str, bytes]:
    """Keys match compiler/render/identity.py's MSP_LAYOUT (the pod's projection)."""
    return {
        "signcert.pem": sign_cert,
        "key.pem": key,
        "cacert.pem": ca_root,
        "tlscacert.pem": tls_root,
        "config.yaml": NODE_OUS.encode(),
    }


# The peer's CCaaS builder reads this (as CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG) to fill the
# `root_cert` of a chaincode package's connection.json: the TLS CA root the chaincode server's
# certificate chains to, known only once the CA exists (compiler/render/ccaas.py).
BUILDER_CONFIG_KEY = "ccaas-builder.json"


def builder_config(tls_root: bytes) -> bytes:
    return json.dumps({"tls_root": tls_root.decode()}, sort_keys=True).encode()


def tls_secret(cert: bytes, key: bytes, tls_root: bytes) -> dict[str, bytes]:
    return {
        "tls.crt": cert,
        "tls.key": key,
        "ca.crt": tls_root,
        BUILDER_CONFIG_KEY: builder_config(tls_root),
    }
