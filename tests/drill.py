"""Failure drills on the running twin: cut whole clusters off the others, order a block.

A cut drops, on the host's bridge (bridged frames pass the host's iptables FORWARD chain),
every packet between a cut cluster's addresses (its nodes, pods and published addresses)
and any other cluster's. The host itself still reaches every cluster, so the test keeps
observing all of them. Restoring removes the rules; nothing in the clusters is touched.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from compiler.twin.cluster import TwinCluster
from compiler.twin.kube import Kube
from tests.tooling import object_in

CHAIN = "HLFC-DRILL"


def _iptables(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["iptables", "-w", *args], capture_output=True, check=check)


def addresses(cluster: TwinCluster) -> list[str]:
    net = cluster.net
    nodes = [f"{net.sibling(k).node_ip}/32" for k in range(net.nodes)]
    published = f"10.250.{1 + net.index}.0/24"
    return [*nodes, published, net.cluster_cidr]


class Cuts:
    def __init__(self, clusters: Iterable[TwinCluster]) -> None:
        self.clusters = list(clusters)
        self.cut_off: list[str] = []
        if _iptables("-n", "-L", CHAIN, check=False).returncode != 0:
            _iptables("-N", CHAIN)
        if _iptables("-C", "FORWARD", "-j", CHAIN, check=False).returncode != 0:
            _iptables("-I", "FORWARD", "1", "-j", CHAIN)

    def cut(self, name: str) -> None:
        cluster = next(c for c in self.clusters if c.name == name)
        for other in self.clusters:
            if other.name == name:
                continue
            for a in addresses(cluster):
                for b in addresses(other):
                    _iptables("-A", CHAIN, "-s", a, "-d", b, "-j", "DROP")
                    _iptables("-A", CHAIN, "-s", b, "-d", a, "-j", "DROP")
        self.cut_off.append(name)

    def restore(self) -> None:
        _iptables("-F", CHAIN, check=False)
        _iptables("-D", "FORWARD", "-j", CHAIN, check=False)
        _iptables("-X", CHAIN, check=False)
        self.cut_off = []


def variant_job(
    kube: Kube, directory: Path, namespace: str, job: str, change: dict[str, Any]
) -> tuple[bool, str]:
    """Run a copy of a rendered channel Job whose job.json has `change` applied; whether it
    succeeded, and its logs. The copy has its own name, so the rendered Job is untouched."""
    name = f"{job}-drill"
    cm = object_in(directory / namespace, "ConfigMap", job)
    spec = object_in(directory / namespace, "Job", job)
    config = json.loads(cm["data"]["job.json"]) | change
    cm["metadata"]["name"] = name
    cm["data"]["job.json"] = json.dumps(config, indent=2)
    spec["metadata"]["name"] = name
    spec["spec"]["backoffLimit"] = 0
    for volume in spec["spec"]["template"]["spec"]["volumes"]:
        if volume.get("configMap", {}).get("name") == job:
            volume["configMap"]["name"] = name
    kube.run(
        ["delete", "job,configmap", name, "-n", namespace, "--ignore-not-found", "--wait=true"]
    )
    kube.run(["apply", "-f", "-"], stdin=yaml.safe_dump_all([cm, spec]))
    timeout = int(config["deadlineSeconds"]) + 240
    done = kube.run(
        ["wait", f"job/{name}", "-n", namespace, f"--timeout={timeout}s",
         "--for=jsonpath={.status.conditions[0].status}=True"],
        timeout=timeout + 30,
    )  # fmt: skip
    live = kube.get("job", name, "-n", namespace)
    succeeded = live["status"].get("succeeded") == 1
    logs = kube.run(["logs", f"job/{name}", "-n", namespace, "-c", "channel"], check=False)
    assert done.returncode == 0
    return succeeded, logs.stdout + logs.stderr
