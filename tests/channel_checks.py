"""What the rendered channel Jobs really did, judged on the running twin.

Everything expected comes from output/ (the Jobs' rendered job.json); everything observed
comes from Fabric itself: each node's own Prometheus metrics read through the API server's
pod proxy, the channel configuration fetched by a peer and decoded by configtxlator.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compiler.twin.kube import Kube
from compiler.twin.paths import tools_dir
from tests.tooling import object_in
from tests.twin_checks import rendered

METRIC = re.compile(r"^(\w+)\{([^}]*)\} (\S+)$")


@dataclass(frozen=True)
class Party:
    cluster: str
    namespace: str
    job: str
    config: dict[str, Any]  # the rendered job.json

    @property
    def channel(self) -> str:
        return str(self.config["channel"])

    @property
    def role(self) -> str:
        return str(self.config["role"])

    def pods(self) -> list[str]:
        return [f"{n['name']}-0" for n in self.config["nodes"]]


def parties(directories: Mapping[str, Path]) -> list[Party]:
    """Every channel Job of the network, from each cluster directory's ConfigMaps."""
    out = []
    for cluster, directory in sorted(directories.items()):
        jobs = {
            j["metadata"]["name"]
            for j in rendered(directory, "Job")
            if j["metadata"]["labels"].get("app.kubernetes.io/component") == "channel"
        }
        for cm in rendered(directory, "ConfigMap"):
            meta = cm["metadata"]
            if meta["name"] in jobs:
                out.append(
                    Party(
                        cluster, meta["namespace"], meta["name"], json.loads(cm["data"]["job.json"])
                    )
                )
    return out


def metrics(kube: Kube, namespace: str, pod: str) -> dict[tuple[str, str], float]:
    """(metric, channel) -> value, from the node's operations endpoint; nothing while the
    pod is not there to answer (restarting): the callers poll."""
    raw = kube.run(
        ["get", "--raw", f"/api/v1/namespaces/{namespace}/pods/{pod}:9443/proxy/metrics"],
        check=False,
    )
    out: dict[tuple[str, str], float] = {}
    if raw.returncode != 0:
        return out
    for line in raw.stdout.splitlines():
        match = METRIC.match(line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))
            if "channel" in labels:
                out[(match.group(1), labels["channel"])] = float(match.group(3))
    return out


@dataclass(frozen=True)
class NodeState:
    cluster: str
    pod: str
    role: str
    height: float | None
    leader: float | None = None
    status: float | None = None  # participation_status: 1 active
    cluster_size: float | None = None
    active_nodes: float | None = None
    peers_known: float | None = None


def observe(kubes: Mapping[str, Kube], everyone: Iterable[Party], channel: str) -> list[NodeState]:
    out = []
    for party in everyone:
        if party.channel != channel:
            continue
        for pod in party.pods():
            m = metrics(kubes[party.cluster], party.namespace, pod)
            out.append(
                NodeState(
                    party.cluster,
                    pod,
                    party.role,
                    m.get(("ledger_blockchain_height", channel)),
                    m.get(("consensus_etcdraft_is_leader", channel)),
                    m.get(("participation_status", channel)),
                    m.get(("consensus_etcdraft_cluster_size", channel)),
                    m.get(("consensus_etcdraft_active_nodes", channel)),
                    m.get(("gossip_membership_total_peers_known", channel)),
                )
            )
    return out


def converged(
    kubes: Mapping[str, Kube],
    everyone: list[Party],
    channel: str,
    *,
    minimum: int = 2,
    timeout: float = 120,
) -> list[NodeState]:
    """Every consenter active with one Raft leader among them and the whole consenter set
    connected; every peer joined; all at one height of at least `minimum`."""
    consenters = {
        c["name"] for p in everyone if p.channel == channel for c in p.config["consenters"]
    }
    deadline = time.monotonic() + timeout
    while True:
        states = observe(kubes, everyone, channel)
        orderers = [s for s in states if s.role == "orderer"]
        heights = {s.height for s in states}
        problems = []
        if {s.pod.removesuffix("-0") for s in orderers} != consenters:
            problems.append(
                f"consenters observed {sorted(s.pod for s in orderers)}, "
                f"rendered {sorted(consenters)}"
            )
        if any(s.status != 1 or s.cluster_size != len(consenters) for s in orderers):
            problems.append("a consenter is not active in a set of the rendered size")
        if any(s.active_nodes != len(consenters) for s in orderers):
            problems.append("a consenter does not see every other one")
        if sum(s.leader or 0 for s in orderers) != 1:
            problems.append(f"{sum(s.leader or 0 for s in orderers):.0f} Raft leaders")
        if len(heights) != 1 or None in heights or min(h or 0 for h in heights) < minimum:
            problems.append(f"heights {sorted((s.pod, s.height) for s in states)}")
        if not problems:
            return states
        if time.monotonic() > deadline:
            raise AssertionError(f"channel {channel} did not converge: {'; '.join(problems)}")
        time.sleep(3)


def configtxlator() -> Path:
    return tools_dir() / "fabric-2.5.16" / "bin" / "configtxlator"


def live_config(kube: Kube, party: Party, orderer_root: str) -> dict[str, Any]:
    """The channel's configuration as one of the party's peers fetches it, with the peer's
    own identity (a channel Reader), decoded by configtxlator here."""
    pod = party.pods()[0]
    consenter = party.config["consenters"][0]
    exec_ = ["exec", "-i", "-n", party.namespace, pod, "-c", "peer", "--"]
    kube.run([*exec_, "sh", "-c", "cat > /tmp/orderer-root.pem"], stdin=orderer_root)
    kube.run(
        [
            *exec_,
            "sh",
            "-c",
            f"peer channel fetch config /tmp/config.pb -c {party.channel} "
            f"-o {consenter['host']}:{consenter['port']} "
            "--tls --cafile /tmp/orderer-root.pem",
        ]
    )
    raw = subprocess.run(
        [
            str(tools_dir() / "bin" / "kubectl"),
            f"--kubeconfig={kube.kubeconfig}",
            *exec_,
            "cat",
            "/tmp/config.pb",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    with tempfile.NamedTemporaryFile(suffix=".pb") as block:
        Path(block.name).write_bytes(raw.stdout)
        decoded = subprocess.run(
            [str(configtxlator()), "proto_decode", "--type", "common.Block", "--input", block.name],
            capture_output=True,
            check=True,
            timeout=60,
        )
    config: dict[str, Any] = json.loads(decoded.stdout)["data"]["data"][0]["payload"]["data"][
        "config"
    ]
    return config


def consenter_tls_root(kubes: Mapping[str, Kube], party: Party) -> str:
    """The TLS root of the first consenter's organisation, from that consenter's Secret."""
    name = f"{party.config['consenters'][0]['name']}-tls"
    for kube in kubes.values():
        for secret in kube.items("secrets", "-A", f"--field-selector=metadata.name={name}"):
            return base64.b64decode(secret["data"]["ca.crt"]).decode()
    raise AssertionError(f"no Secret {name} in any cluster")


def anchor_peers(config: dict[str, Any], msp_id: str) -> list[dict[str, Any]]:
    group = config["channel_group"]["groups"]["Application"]["groups"][msp_id]
    found: list[dict[str, Any]] = (
        group["values"].get("AnchorPeers", {}).get("value", {}).get("anchor_peers", [])
    )
    return found


def rerun(kube: Kube, directory: Path, party: Party, timeout: float = 600) -> str:
    """Run the rendered Job again, as a second sync would; its logs."""
    return rerun_job(kube, directory, party.namespace, party.job, timeout)


def rerun_job(kube: Kube, directory: Path, namespace: str, job: str, timeout: float = 600) -> str:
    """Run the rendered admin Job (channel or chaincode lifecycle) again; its script's logs."""
    spec = object_in(directory / namespace, "Job", job)
    kube.run(["delete", "job", job, "-n", namespace, "--ignore-not-found", "--wait=true"])
    kube.run(["create", "-f", "-"], stdin=yaml.safe_dump(spec))
    kube.run(
        [
            "wait",
            "--for=condition=complete",
            f"job/{job}",
            "-n",
            namespace,
            f"--timeout={int(timeout)}s",
        ],
        timeout=timeout + 30,
    )
    return job_log(kube, namespace, job, check=True)


def job_log(kube: Kube, namespace: str, job: str, *, check: bool = False) -> str:
    """What a channel or lifecycle Job's script said (its `channel` container)."""
    return kube.run(["logs", f"job/{job}", "-n", namespace, "-c", "channel"], check=check).stdout
