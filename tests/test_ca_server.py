"""The rendered CA, run for real: fabric-ca-server v1.5.21 started by the rendered start
script with the rendered config files, on 127.0.0.1."""

from __future__ import annotations

import base64
import datetime as dt
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from compiler.render.ca import SERVER_TLS_HOURS
from tests.ca_harness import LocalCA, running_ca

# every character that could break YAML or shell quoting of the registrar
REGISTRAR = ("registrar", "p@ss\"w:rd\\ #{x}$HOME'")


@dataclass
class RunningCA:
    url: str
    operations: str
    home: Path
    config: Path
    context: ssl.SSLContext

    def post(self, path: str, body: dict[str, Any], auth: tuple[str, str] | None = None) -> Any:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST"
        )
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return json.loads(exc.read())


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCA]:
    local = LocalCA(tmp_path_factory.mktemp("ca"), REGISTRAR)
    assert local.container_env >= {
        "FABRIC_CA_SERVER_HOME",
        "HLFC_CA_CONFIG_DIR",
        "CA_REGISTRAR_USERNAME",
        "CA_REGISTRAR_PASSWORD",
    }
    assert local.command[1].endswith("/start.sh")
    local.start()
    try:
        yield RunningCA(local.url, local.operations, local.home, local.config, local.context())
    finally:
        local.stop()


def _chain_subject(info: dict[str, Any]) -> str:
    pem = base64.b64decode(info["result"]["CAChain"])
    return x509.load_pem_x509_certificate(pem).subject.rfc4514_string()


def test_ca_and_tls_ca_answer_cainfo(ca: RunningCA) -> None:
    main = ca.post("/api/v1/cainfo", {})
    tls = ca.post("/api/v1/cainfo", {"caname": "tlsca"})
    assert main["success"] and tls["success"]
    assert main["result"]["CAName"] == "ca"
    assert tls["result"]["CAName"] == "tlsca"
    assert main["result"]["Version"] == "1.5.21"
    assert "CN=ca.org1" in _chain_subject(main)
    assert "CN=tlsca.org1" in _chain_subject(tls)
    assert main["result"]["CAChain"] != tls["result"]["CAChain"]  # two distinct roots


def test_server_tls_certificate_covers_every_service_name(ca: RunningCA) -> None:
    cert = x509.load_pem_x509_certificate((ca.home / "tls-cert.pem").read_bytes())
    names = set(
        cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value.get_values_for_type(x509.DNSName)
    )
    assert {
        "org1-ca",
        "org1-ca.org1",
        "org1-ca.org1.svc",
        "org1-ca.org1.svc.cluster.local",
        "localhost",
    } <= names


def test_operations_healthz(ca: RunningCA) -> None:
    with urllib.request.urlopen(f"{ca.operations}/healthz", timeout=5) as response:
        assert json.loads(response.read())["status"] == "OK"


def _enroll_body(caname: str) -> dict[str, Any]:
    """An enroll request for the registrar at `caname`, with a fresh key's CSR."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, REGISTRAR[0])]))
        .sign(key, hashes.SHA256())
    )
    return {
        "certificate_request": csr.public_bytes(serialization.Encoding.PEM).decode(),
        "caname": caname,
    }


@pytest.mark.parametrize("caname", ["ca", "tlsca"])
def test_registrar_from_the_secret_can_enroll_at_both_cas(ca: RunningCA, caname: str) -> None:
    body = _enroll_body(caname)
    refused = ca.post("/api/v1/enroll", body, auth=(REGISTRAR[0], "wrong"))
    assert not refused["success"]
    answer = ca.post("/api/v1/enroll", body, auth=REGISTRAR)
    assert answer["success"], answer["errors"]
    cert = x509.load_pem_x509_certificate(base64.b64decode(answer["result"]["Cert"]))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == REGISTRAR[0]


def test_nothing_is_written_beside_the_read_only_config(ca: RunningCA) -> None:
    assert sorted(p.name for p in ca.config.iterdir()) == ["ca.yaml", "start.sh", "tlsca.yaml"]
    installed = ca.home / "fabric-ca-server-config.yaml"
    assert oct(installed.stat().st_mode & 0o777) == "0o600"  # holds the registrar password


def _lifetime(cert: x509.Certificate) -> dt.timedelta:
    return cert.not_valid_after_utc - cert.not_valid_before_utc


def test_the_server_tls_certificate_outlives_the_certificates_it_issues(ca: RunningCA) -> None:
    """fabric-ca-server issues its own TLS certificate once, from the enrollment CA's "tls"
    profile, and never renews it: at the blueprint's certificateLifetime every client would
    be refused once that had passed (seen on the twin with 20-minute certificates)."""
    server = x509.load_pem_x509_certificate((ca.home / "tls-cert.pem").read_bytes())
    assert _lifetime(server) >= dt.timedelta(hours=SERVER_TLS_HOURS)
    body = _enroll_body("tlsca") | {"profile": "tls"}
    answer = ca.post("/api/v1/enroll", body, auth=REGISTRAR)
    assert answer["success"], answer["errors"]
    node = x509.load_pem_x509_certificate(base64.b64decode(answer["result"]["Cert"]))
    # minimal's certificateLifetime, 8760h, plus Fabric CA's backdating of notBefore
    assert dt.timedelta(hours=8760) <= _lifetime(node) <= dt.timedelta(hours=8761)


def test_each_start_issues_a_new_server_tls_certificate_clients_still_trust(
    tmp_path: Path,
) -> None:
    with running_ca(tmp_path, REGISTRAR) as local:
        cert = local.home / "tls-cert.pem"
        first = x509.load_pem_x509_certificate(cert.read_bytes())
        local.stop()
        local.start()  # wait_ready verifies the TLS handshake against the CA's root
        second = x509.load_pem_x509_certificate(cert.read_bytes())
        assert second.serial_number != first.serial_number
        assert second.not_valid_after_utc >= first.not_valid_after_utc
        served = ssl.get_server_certificate(("localhost", local.port))
        assert x509.load_pem_x509_certificate(served.encode()) == second
