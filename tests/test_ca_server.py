"""The rendered CA, run for real: fabric-ca-server v1.5.21 started by the rendered start
script with the rendered config files, on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import time
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

from tests.tooling import free_port, rendered, tool

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


def _wait(url: str, deadline: float, context: ssl.SSLContext | None = None) -> None:
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, context=context, timeout=2):
                return
        except (OSError, urllib.error.URLError) as exc:
            last = exc
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer: {last}")


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCA]:
    server = tool("fabric-ca-server")
    config_map = rendered("minimal", "local", "org1", "ConfigMap", "org1-ca-config")
    statefulset = rendered("minimal", "local", "org1", "StatefulSet", "org1-ca")
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    root = tmp_path_factory.mktemp("ca")
    config, home = root / "config", root / "home"
    config.mkdir()
    home.mkdir()
    for key, text in config_map["data"].items():  # what the ConfigMap volume would hold
        (config / key).write_text(text)
    port, ops = free_port(), free_port()
    env = {
        "PATH": f"{server.parent}:{os.environ['PATH']}",
        # the container's own env, with paths mapped to this machine
        "FABRIC_CA_SERVER_HOME": str(home),
        "HLFC_CA_CONFIG_DIR": str(config),
        "CA_REGISTRAR_USERNAME": REGISTRAR[0],
        "CA_REGISTRAR_PASSWORD": REGISTRAR[1],
        # one unique port per listener on 127.0.0.1 instead of the pod's 7054/9443
        "FABRIC_CA_SERVER_PORT": str(port),
        "FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS": f"127.0.0.1:{ops}",
    }
    assert {e["name"] for e in container["env"]} >= {
        "FABRIC_CA_SERVER_HOME",
        "HLFC_CA_CONFIG_DIR",
        "CA_REGISTRAR_USERNAME",
        "CA_REGISTRAR_PASSWORD",
    }
    shell, script = container["command"]
    assert script.endswith("/start.sh")
    log = (root / "ca.log").open("w")
    process = subprocess.Popen([shell, str(config / "start.sh")], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        _wait(f"http://127.0.0.1:{ops}/healthz", deadline)
        context = ssl.create_default_context(cafile=str(home / "ca-cert.pem"))
        _wait(f"https://localhost:{port}/cainfo", deadline, context)
        yield RunningCA(
            f"https://localhost:{port}", f"http://127.0.0.1:{ops}", home, config, context
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


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


@pytest.mark.parametrize("caname", ["ca", "tlsca"])
def test_registrar_from_the_secret_can_enroll_at_both_cas(ca: RunningCA, caname: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, REGISTRAR[0])]))
        .sign(key, hashes.SHA256())
    )
    body = {
        "certificate_request": csr.public_bytes(serialization.Encoding.PEM).decode(),
        "caname": caname,
    }
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
