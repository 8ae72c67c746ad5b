"""The twin of blueprints/global.yaml: three clusters, each on its own network, that reach
each other only through what their rendered Istio Gateways and VirtualServices route.

orderer2..4 run in us-west-2 and eu-west-1 while their organisation's CA runs in us-east-1:
their enrollment Jobs can only have reached it through us-east-1's ingress gateway.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from compiler.twin.cluster import TwinCluster
from compiler.twin.controllers import ROUTER_SLOT
from compiler.twin.sync import load
from compiler.twin.twin import Twin
from tests import twin_checks
from tests.conftest import ROOT

NETWORK = ROOT / "output" / "global-fabric-network"
pytestmark = [pytest.mark.tools, pytest.mark.twin]


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    if os.geteuid() != 0:
        pytest.fail("the twin needs root (network and mount namespaces, cgroups)")
    twin = Twin(NETWORK, log=print)
    twin.down()
    try:
        timings = twin.up()
        print("global twin timings (s):", {k: round(v, 1) for k, v in timings.items()})
        yield twin
    finally:
        twin.down()


def _clusters(twin: Twin) -> dict[str, TwinCluster]:
    return {c.name: c for c in twin.clusters()}


CLUSTERS = ["eu-west-1", "us-east-1", "us-west-2"]


@pytest.mark.parametrize("name", CLUSTERS)
def test_every_pod_is_admitted_under_restricted_and_ready(twin: Twin, name: str) -> None:
    kube = _clusters(twin)[name].kube
    twin_checks.admitted_under_restricted(kube, NETWORK / name)
    twin_checks.ready_by_own_probes(kube, NETWORK / name)


@pytest.mark.parametrize("name", CLUSTERS)
def test_every_enrollment_job_completed(twin: Twin, name: str) -> None:
    twin_checks.enrollment_completed(_clusters(twin)[name].kube, NETWORK / name)


@pytest.mark.parametrize(
    ("name", "namespace", "pod", "port"),
    [
        ("us-east-1", "org1", "org1-peer1-0", 7051),  # with its CouchDB, on a two-node cluster
        ("us-west-2", "orderer-org", "orderer-org-orderer3-0", 7050),
    ],
)
def test_a_deleted_node_pod_comes_back_with_its_identity_and_data(
    twin: Twin, name: str, namespace: str, pod: str, port: int
) -> None:
    twin_checks.comes_back_with_identity_and_data(_clusters(twin)[name], namespace, pod, port)


def _enroll_config(cluster: str, job: str) -> dict[str, Any]:
    for res in load(NETWORK / cluster):
        if res.kind == "ConfigMap" and res.name == f"{job}-config":
            data: dict[str, Any] = yaml.safe_load(next(iter(res.obj["data"].values())))
            return data
    raise AssertionError(f"no enroll config for {job} in {cluster}")


def test_remote_orderers_enrolled_through_the_ca_clusters_ingress(twin: Twin) -> None:
    clusters = _clusters(twin)
    remote = [
        (name, res)
        for name in ("us-west-2", "eu-west-1")
        for res in load(NETWORK / name)
        if res.kind == "Job" and res.name.startswith("orderer-org-orderer")
        and res.name.endswith("-enroll")
    ]  # fmt: skip
    assert remote
    for name, job in remote:
        live = clusters[name].kube.get("job", job.name, "-n", job.namespace or "")
        assert live["status"].get("succeeded") == 1, job.ref
    log = (clusters["us-east-1"].state / "logs" / "ingress-gateway.log").read_text()
    assert "no route" not in log


def _connects(netns: str, address: str, port: int) -> bool:
    script = (
        "import socket,sys\n"
        f"s=socket.socket();s.settimeout(3)\n"
        f"sys.exit(0 if s.connect_ex(('{address}',{port}))==0 else 1)\n"
    )
    return twin_checks.in_netns(netns, script, check=False).returncode == 0


def test_a_cluster_reaches_another_only_through_its_published_addresses(twin: Twin) -> None:
    clusters = _clusters(twin)
    east, west = clusters["us-east-1"], clusters["us-west-2"]
    # the API server and kubelet of us-east-1 are not reachable from us-west-2's node
    assert not _connects(west.net.netns, east.net.node_ip, 6443)
    assert not _connects(west.net.netns, east.net.node_ip, 10250)
    # its ingress gateway is, and its names resolve there in us-west-2's cluster DNS
    router_ip = east.net.ingress_ip(ROUTER_SLOT)
    assert _connects(west.net.netns, router_ip, 443)
    # a DNS query for the CA's public name to us-west-2's cluster DNS answers the gateway
    query = (
        "import socket\n"
        "name = 'orderer-org-ca.us-east-1.fabric.global'\n"
        "q = bytes.fromhex('123401000001000000000000')\n"
        "q += b''.join(bytes([len(p)]) + p.encode() for p in name.split('.'))\n"
        "q += bytes.fromhex('0000010001')\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)\n"
        f"s.sendto(q, ('{west.net.node_ip}', 53))\n"
        "print(socket.inet_ntoa(s.recv(512)[-4:]))\n"
    )
    assert twin_checks.in_netns(west.net.netns, query).stdout.decode().strip() == router_ip
