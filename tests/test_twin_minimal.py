"""The twin of blueprints/minimal.yaml: output/minimal/ synced onto a real Kubernetes (etcd,
kube-apiserver, controller-manager, scheduler, kubelet, containerd, runc, kube-proxy,
CoreDNS) with images of real Fabric 2.5.16 and Fabric CA 1.5.21 built here.

Everything is judged by the real components: Pod Security admission admits the pods, the
CA and the nodes are Ready by their own rendered probes, the enrollment Jobs write their
Secrets through the real API server under the rendered Roles.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compiler.twin.kube import Kube
from compiler.twin.paths import binary
from compiler.twin.sync import load
from compiler.twin.twin import Twin
from tests.conftest import ROOT

NETWORK = ROOT / "output" / "minimal"
CLUSTER = NETWORK / "local"
pytestmark = [pytest.mark.tools, pytest.mark.twin]


def _output_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(NETWORK.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(NETWORK)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Twin, dict[str, float], str]]:
    if os.geteuid() != 0:
        pytest.fail("the twin needs root (network and mount namespaces, cgroups)")
    before = _output_digest()
    twin = Twin(NETWORK, log=print)
    twin.down()  # whatever an interrupted run left
    try:
        timings = twin.up()
        yield twin, timings, before
    finally:
        twin.down()


@pytest.fixture(scope="module")
def kube(twin: tuple[Twin, dict[str, float], str]) -> Kube:
    return twin[0].clusters()[0].kube


def _rendered(kind: str) -> list[dict[str, Any]]:
    return [r.obj for r in load(CLUSTER) if r.kind == kind]


def test_the_twin_applies_output_unchanged(twin: tuple[Twin, dict[str, float], str]) -> None:
    _, timings, before = twin
    print("twin timings (s):", json.dumps({k: round(v, 1) for k, v in timings.items()}))
    assert _output_digest() == before


def test_namespaces_enforce_restricted_and_every_pod_is_admitted(kube: Kube) -> None:
    for ns in _rendered("Namespace"):
        live = kube.get("namespace", ns["metadata"]["name"])
        assert live["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    refused = [
        e
        for e in kube.items("events", "-A")
        if e["reason"] == "FailedCreate" and "PodSecurity" in e.get("message", "")
    ]
    assert refused == []
    for sts in _rendered("StatefulSet"):
        meta = sts["metadata"]
        pod = kube.get("pod", f"{meta['name']}-0", "-n", meta["namespace"])
        assert pod["status"]["phase"] == "Running"


def test_every_workload_is_ready_by_its_own_probes(kube: Kube) -> None:
    for sts in _rendered("StatefulSet"):
        meta = sts["metadata"]
        live = kube.get("statefulset", meta["name"], "-n", meta["namespace"])
        assert live["status"].get("readyReplicas") == sts["spec"]["replicas"], meta["name"]
        pod = kube.get("pod", f"{meta['name']}-0", "-n", meta["namespace"])
        probes = {k for k in ("startupProbe", "readinessProbe", "livenessProbe")
                  if k in pod["spec"]["containers"][0]}  # fmt: skip
        assert {"readinessProbe", "livenessProbe"} <= probes


def test_every_enrollment_job_completed_and_wrote_its_secrets(kube: Kube) -> None:
    jobs = [j for j in _rendered("Job") if j["metadata"]["annotations"].get(
        "argocd.argoproj.io/hook") == "Sync"]  # fmt: skip
    assert jobs
    for job in jobs:
        meta = job["metadata"]
        live = kube.get("job", meta["name"], "-n", meta["namespace"])
        assert live["status"].get("succeeded") == 1, meta["name"]
        identity = meta["labels"]["hlfc.dev/identity"]
        msp = kube.get("secret", f"{identity}-msp", "-n", meta["namespace"])
        tls = kube.get("secret", f"{identity}-tls", "-n", meta["namespace"])
        assert {"signcert.pem", "key.pem", "cacert.pem", "config.yaml"} <= set(msp["data"])
        assert {"tls.crt", "tls.key", "ca.crt"} <= set(tls["data"])


def _as_service_account(kube: Kube, namespace: str, account: str, *args: str) -> str:
    """kubectl with a real token of the ServiceAccount: what its Job's pod could do."""
    token = kube.run(["create", "token", account, "-n", namespace]).stdout.strip()
    config = json.loads(kube.run(["config", "view", "--minify", "--raw", "-o", "json"]).stdout)
    cluster = config["clusters"][0]["cluster"]
    done = subprocess.run(
        [
            str(binary("kubectl")),
            "--kubeconfig=/dev/null",
            f"--server={cluster['server']}",
            f"--certificate-authority={cluster['certificate-authority']}",
            f"--token={token}",
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


def test_an_enrollment_identity_reaches_only_its_own_secrets(kube: Kube) -> None:
    """The real RBAC authorizer judges the rendered Role with a real ServiceAccount token."""
    own = _as_service_account(
        kube,
        "org1",
        "org1-peer0-enroll",
        "get",
        "secret",
        "org1-peer0-tls",
        "-n",
        "org1",
        "-o",
        "name",
    )
    assert own.strip() == "secret/org1-peer0-tls"
    other = _as_service_account(
        kube, "org1", "org1-peer0-enroll", "get", "secret", "org1-admin-msp", "-n", "org1"
    )
    assert "Forbidden" in other and "org1-admin-msp" in other
    label = '{"metadata":{"labels":{"x":"y"}}}'
    patch = _as_service_account(
        kube, "org1", "org1-peer0-enroll",
        "patch", "secret", "org1-admin-tls", "-n", "org1", "--type=merge", "-p", label,
    )  # fmt: skip
    assert "Forbidden" in patch
    listing = _as_service_account(kube, "org1", "org1-peer0-enroll", "get", "secrets", "-n", "org1")
    assert "Forbidden" in listing


def _served_certificate(twin: Twin, pod: dict[str, Any], port: int) -> bytes:
    """The certificate the pod presents in a TLS handshake, read inside the cluster's netns."""
    netns = twin.clusters()[0].net.netns
    script = (
        "import ssl,socket,sys\n"
        "ctx=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT);ctx.check_hostname=False;ctx.verify_mode=ssl.CERT_NONE\n"
        f"s=ctx.wrap_socket(socket.create_connection(('{pod['status']['podIP']}',{port}),timeout=5))\n"
        "sys.stdout.buffer.write(s.getpeercert(binary_form=True))\n"
    )
    done = subprocess.run(
        ["ip", "netns", "exec", netns, "python3", "-c", script], capture_output=True, check=True
    )
    return done.stdout


def _wait_ready(kube: Kube, namespace: str, name: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = kube.run(["get", "pod", name, "-n", namespace, "-o", "json"], check=False)
        if done.returncode == 0:
            pod = json.loads(done.stdout)
            statuses = pod.get("status", {}).get("containerStatuses") or []
            if (
                statuses
                and all(s.get("ready") for s in statuses)
                and pod["metadata"].get("deletionTimestamp") is None
            ):
                return pod  # type: ignore[no-any-return]
        time.sleep(1)
    raise AssertionError(f"{namespace}/{name} not Ready after {timeout}s")


@pytest.mark.parametrize(
    ("namespace", "name", "port"),
    [("org1", "org1-peer0-0", 7051), ("orderer-org", "orderer-org-orderer1-0", 7050)],
)
def test_a_deleted_node_pod_comes_back_with_its_identity_and_data(
    twin: tuple[Twin, dict[str, float], str], kube: Kube, namespace: str, name: str, port: int
) -> None:
    pod = _wait_ready(kube, namespace, name)
    cert = _served_certificate(twin[0], pod, port)
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
              for v in pod["spec"]["volumes"] if "persistentVolumeClaim" in v}  # fmt: skip
    volumes = {
        c: kube.get("pvc", c, "-n", namespace)["spec"]["volumeName"] for c in claims.values()
    }
    # the claim holding the ledger: "ledger" for a peer, "data" for an orderer
    ledger_claim = claims["ledger"] if "ledger" in claims else claims["data"]
    ledger = kube.get("pv", volumes[ledger_claim])["spec"]["local"]["path"]
    before = sorted(p.name for p in Path(ledger).iterdir())
    assert before, "the node wrote nothing to its ledger volume"
    kube.run(["delete", "pod", name, "-n", namespace, "--wait=true"])
    back = _wait_ready(kube, namespace, name)
    assert back["metadata"]["uid"] != pod["metadata"]["uid"]
    assert _served_certificate(twin[0], back, port) == cert
    assert {
        c: kube.get("pvc", c, "-n", namespace)["spec"]["volumeName"] for c in claims.values()
    } == volumes
    assert set(before) <= {p.name for p in Path(ledger).iterdir()}
