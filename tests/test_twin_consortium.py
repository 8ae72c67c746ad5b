"""The twin of blueprints/consortium.yaml: two clusters on their own networks, published by
one LoadBalancer Service per node; two orderer organisations share the channel's Raft set,
and the "shared" organisation has one peer in each cluster.

Each orderer organisation joins only its own consenters with its own admin; the shared
organisation's two peers, in two clusters, reach one height and see each other in gossip.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from compiler.twin.kube import Kube
from compiler.twin.twin import Twin
from tests import channel_checks, twin_checks
from tests.conftest import ROOT

NETWORK = ROOT / "output" / "consortium"
CLUSTERS = ["alpha", "beta"]
CHANNEL = "trade"
pytestmark = [pytest.mark.tools, pytest.mark.twin]


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    for running, _ in twin_checks.running(NETWORK):
        yield running


@pytest.fixture(scope="module")
def kubes(twin: Twin) -> dict[str, Kube]:
    return {c.name: c.kube for c in twin.clusters()}


def _parties() -> list[channel_checks.Party]:
    return channel_checks.parties({name: NETWORK / name for name in CLUSTERS})


@pytest.mark.parametrize("name", CLUSTERS)
def test_every_pod_is_admitted_and_ready(kubes: dict[str, Kube], name: str) -> None:
    twin_checks.admitted_under_restricted(kubes[name], NETWORK / name)
    twin_checks.ready_by_own_probes(kubes[name], NETWORK / name)


def test_each_orderer_organisation_joined_its_own_consenters(kubes: dict[str, Kube]) -> None:
    orderers = [p for p in _parties() if p.role == "orderer"]
    assert {p.config["mspID"] for p in orderers} == {"OrdererAMSP", "OrdererBMSP"}
    for party in orderers:
        logs = (
            kubes[party.cluster]
            .run(["logs", f"job/{party.job}", "-n", party.namespace, "-c", "channel"])
            .stdout
        )
        joined = {line.split()[-2] for line in logs.splitlines() if line.endswith(" joined")}
        assert joined == {n["admin"] for n in party.config["nodes"]}, logs
    states = channel_checks.converged(kubes, _parties(), CHANNEL)
    print({s.pod: s.height for s in states})


def test_an_organisation_in_two_clusters_is_one_gossip_community(kubes: dict[str, Kube]) -> None:
    everyone = _parties()
    shared = [p for p in everyone if p.config["organization"] == "shared"]
    assert {p.cluster for p in shared} == set(CLUSTERS)
    peers = sum(len(p.pods()) for p in everyone if p.role == "peer")
    deadline = time.monotonic() + 180
    while True:
        states = channel_checks.observe(kubes, everyone, CHANNEL)
        known = {s.pod: s.peers_known for s in states if s.role == "peer"}
        heights = {s.pod: s.height for s in states}
        if set(known.values()) == {peers - 1} or time.monotonic() > deadline:
            break
        time.sleep(5)
    assert set(known.values()) == {peers - 1}, known
    assert heights["shared-peer0-0"] == heights["shared-peer1-0"], heights
    assert (heights["shared-peer0-0"] or 0) >= 2, heights
    for party in (p for p in everyone if p.role == "peer"):
        root = channel_checks.consenter_tls_root(kubes, party)
        config = channel_checks.live_config(kubes[party.cluster], party, root)
        assert (
            channel_checks.anchor_peers(config, party.config["mspID"])
            == party.config["anchorPeers"]
        )
