"""Checks every twin test makes of every cluster: what Kubernetes and Fabric really did
with the objects of one cluster directory of output/."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from compiler.twin.cluster import TwinCluster
from compiler.twin.kube import Kube
from compiler.twin.sync import load
from compiler.twin.twin import Twin


def running(
    network: Path,
    extra_images: tuple[str, ...] = (),
    spare_cpu: Mapping[str, float] | None = None,
) -> Iterator[tuple[Twin, dict[str, float]]]:
    """A module's twin: whatever an interrupted run left is removed first, and nothing is
    left after."""
    if os.geteuid() != 0:
        pytest.fail("the twin needs root (network and mount namespaces, cgroups)")
    twin = Twin(network, log=print, extra_images=extra_images, spare_cpu=spare_cpu or {})
    twin.down()
    try:
        timings = twin.up()
        print(f"{network.name} twin timings (s):", {k: round(v, 1) for k, v in timings.items()})
        yield twin, timings
    finally:
        twin.down()


def rendered(directory: Path, kind: str) -> list[dict[str, Any]]:
    return [r.obj for r in load(directory) if r.kind == kind]


def admitted_under_restricted(kube: Kube, directory: Path) -> None:
    """Namespaces enforce Pod Security `restricted` and admitted every pod."""
    for ns in rendered(directory, "Namespace"):
        live = kube.get("namespace", ns["metadata"]["name"])
        assert live["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    refused = [
        e
        for e in kube.items("events", "-A")
        if e["reason"] == "FailedCreate" and "PodSecurity" in e.get("message", "")
    ]
    assert refused == []
    for sts in rendered(directory, "StatefulSet"):
        meta = sts["metadata"]
        for i in range(sts["spec"]["replicas"]):
            pod = kube.get("pod", f"{meta['name']}-{i}", "-n", meta["namespace"])
            assert pod["status"]["phase"] == "Running"


def ready_by_own_probes(kube: Kube, directory: Path) -> None:
    for sts in rendered(directory, "StatefulSet"):
        meta = sts["metadata"]
        live = kube.get("statefulset", meta["name"], "-n", meta["namespace"])
        assert live["status"].get("readyReplicas") == sts["spec"]["replicas"], meta["name"]
        pod = kube.get("pod", f"{meta['name']}-0", "-n", meta["namespace"])
        for container in pod["spec"]["containers"]:
            assert {"readinessProbe", "livenessProbe"} <= set(container), container["name"]


def enrollment_completed(kube: Kube, directory: Path) -> None:
    jobs = [j for j in rendered(directory, "Job") if j["metadata"]["annotations"].get(
        "argocd.argoproj.io/hook") == "Sync" and j["metadata"]["labels"][
        "app.kubernetes.io/component"] == "enroll"]  # fmt: skip
    assert jobs
    for job in jobs:
        meta = job["metadata"]
        live = kube.get("job", meta["name"], "-n", meta["namespace"])
        assert live["status"].get("succeeded") == 1, meta["name"]
        identity = meta["labels"].get("hlfc.dev/identity")
        if identity is None:  # the organisation's registrar Job: its Secret, no identity
            kept = kube.get("secret", meta["name"], "-n", meta["namespace"])
            assert {"ca.crt", "ca.key", "tlsca.crt", "tlsca.key"} == set(kept["data"])
            continue
        msp = kube.get("secret", f"{identity}-msp", "-n", meta["namespace"])
        tls = kube.get("secret", f"{identity}-tls", "-n", meta["namespace"])
        assert {"signcert.pem", "key.pem", "cacert.pem", "config.yaml"} <= set(msp["data"])
        assert {"tls.crt", "tls.key", "ca.crt"} <= set(tls["data"])


def in_netns(netns: str, script: str, *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run a Python script inside a node's network namespace: what a process there sees."""
    return subprocess.run(
        ["ip", "netns", "exec", netns, "python3", "-c", script], capture_output=True, check=check
    )


def served_certificate(cluster: TwinCluster, pod: dict[str, Any], port: int) -> bytes:
    """The certificate the pod presents in a TLS handshake, read in its node's namespace."""
    node = next(n for n in cluster.nodes if n.net.node_ip == pod["status"]["hostIP"])
    script = (
        "import ssl,socket,sys\n"
        "ctx=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
        "ctx.check_hostname=False;ctx.verify_mode=ssl.CERT_NONE\n"
        f"s=ctx.wrap_socket(socket.create_connection(('{pod['status']['podIP']}',{port}),timeout=5))\n"
        "sys.stdout.buffer.write(s.getpeercert(binary_form=True))\n"
    )
    # Ready is not serving: Fabric answers /healthz (the readiness probe) as soon as its
    # operations server starts, and serves gRPC only once its ledgers are open
    # (internal/peer/node/start.go: opsSystem.Start at line 234, peerServer.Start at 922),
    # which after a restart waits for CouchDB. Until then a handshake times out.
    deadline = time.monotonic() + 180
    while True:
        done = in_netns(node.net.netns, script, check=False)
        if done.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def wait_ready(kube: Kube, namespace: str, name: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = kube.run(["get", "pod", name, "-n", namespace, "-o", "json"], check=False)
        if done.returncode == 0:
            pod: dict[str, Any] = json.loads(done.stdout)
            statuses = pod.get("status", {}).get("containerStatuses") or []
            deleting = pod["metadata"].get("deletionTimestamp") is not None
            if statuses and all(s.get("ready") for s in statuses) and not deleting:
                return pod
        time.sleep(1)
    raise AssertionError(f"{namespace}/{name} not Ready after {timeout}s")


def comes_back_with_identity_and_data(
    cluster: TwinCluster, namespace: str, name: str, port: int
) -> None:
    """Delete a node's pod: it returns serving the same certificate, on the same volumes,
    with what it had written."""
    kube = cluster.kube
    pod = wait_ready(kube, namespace, name)
    cert = served_certificate(cluster, pod, port)
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
    back = wait_ready(kube, namespace, name)
    assert back["metadata"]["uid"] != pod["metadata"]["uid"]
    assert served_certificate(cluster, back, port) == cert
    assert {
        c: kube.get("pvc", c, "-n", namespace)["spec"]["volumeName"] for c in claims.values()
    } == volumes
    assert set(before) <= {p.name for p in Path(ledger).iterdir()}


def nothing_left(cluster: TwinCluster) -> list[str]:
    """What a torn-down cluster left on the machine: namespaces, links, mounts, cgroups,
    processes, state."""
    left: list[str] = []
    netns = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=True
    ).stdout
    left += [f"netns {n.net.netns}" for n in cluster.nodes if n.net.netns in netns.split()]
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    left += [f"link {n.net.veth}" for n in cluster.nodes if f" {n.net.veth}@" in links]
    mounts = Path("/proc/self/mountinfo").read_text()
    left += [line for line in mounts.splitlines() if str(cluster.state) in line]
    left += [
        str(p) for n in cluster.nodes for p in Path("/sys/fs/cgroup").glob(f"*/{n.cgroup_root}")
    ]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(cluster.state) in cmdline or any(
                str(n.containerd_socket) in cmdline for n in cluster.nodes
            ):
                left.append(f"process {proc.name}: {cmdline[:80]}")
    if cluster.state.exists():
        left.append(f"state {cluster.state}")
    return left
