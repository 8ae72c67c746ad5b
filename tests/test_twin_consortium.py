"""The twin of blueprints/consortium.yaml: two clusters on their own networks, alpha
published by one LoadBalancer Service per node, beta by one Gateway API Gateway with a
TLSRoute per endpoint; two orderer organisations share the channel's Raft set, and the
"shared" organisation has one peer in each cluster.

Each orderer organisation joins only its own consenters with its own admin; the shared
organisation's two peers, in two clusters, reach one height and see each other in gossip.
Then day 2: changed blueprints, synced as new revisions, become signed config updates.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from compiler.twin.kube import Kube
from compiler.twin.router import GATEWAY_API
from compiler.twin.twin import Twin
from tests import channel_checks, twin_checks
from tests.conftest import ROOT
from tests.revisions import Revisions

NETWORK = ROOT / "output" / "consortium"
CLUSTERS = ["alpha", "beta"]
CHANNEL = "trade"
pytestmark = [pytest.mark.tools, pytest.mark.twin]


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    # day 2 adds an orderer organisation (CA, orderer) to alpha: room for it
    for running, _ in twin_checks.running(NETWORK, spare_cpu={"alpha": 0.4}):
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


def test_beta_is_reached_through_its_gateway_api_gateway(
    twin: Twin, kubes: dict[str, Kube]
) -> None:
    """beta publishes by Gateway API: its Gateway is programmed with every TLSRoute attached,
    and from an alpha node each external name of beta, dialled at the Gateway's address on
    443, reaches the node itself (passthrough: the node's own certificate comes back)."""
    beta = kubes["beta"]
    (gateway,) = beta.items(f"gateways.{GATEWAY_API}", "-A")
    routes = beta.items(f"tlsroutes.{GATEWAY_API}", "-A")
    status = gateway["status"]
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Accepted": "True",
        "Programmed": "True",
    }
    assert [ls["attachedRoutes"] for ls in status["listeners"]] == [len(routes)]
    (address,) = [a["value"] for a in status["addresses"]]
    clusters = {c.name: c for c in twin.clusters()}
    alpha_node = clusters["alpha"].nodes[0]
    reached = 0
    for route in routes:
        (host,) = route["spec"]["hostnames"]
        (backend,) = route["spec"]["rules"][0]["backendRefs"]
        namespace = route["metadata"]["namespace"]
        found = beta.run(["get", "pod", f"{backend['name']}-0", "-n", namespace, "-o", "json"],
                         check=False)  # fmt: skip
        if found.returncode != 0:  # the channel's proposer runs only while its Job does
            continue
        pod = json.loads(found.stdout)
        direct = twin_checks.served_certificate(clusters["beta"], pod, backend["port"])
        script = (
            "import ssl,socket,sys\n"
            "ctx=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
            "ctx.check_hostname=False;ctx.verify_mode=ssl.CERT_NONE\n"
            f"raw=socket.create_connection(('{address}',443),timeout=5)\n"
            f"s=ctx.wrap_socket(raw,server_hostname='{host}')\n"
            "sys.stdout.buffer.write(s.getpeercert(binary_form=True))\n"
        )
        through = twin_checks.in_netns(alpha_node.net.netns, script).stdout
        assert through == direct, host
        reached += 1
    # ord-b's CA, orderer0 and its admin port; retail's CA and peer0; shared's peer1
    assert reached == 6, reached


# --- day 2: the blueprint changes, the sync carries the change out (README: day 2) ----------

BLUEPRINT = ROOT / "blueprints" / "consortium.yaml"
ACL = ("qscc/GetTransactionByID", "/Channel/Application/Admins")


@pytest.fixture(scope="module")
def revisions(tmp_path_factory: pytest.TempPathFactory) -> Revisions:
    return Revisions(BLUEPRINT, NETWORK, tmp_path_factory.mktemp("day2"))


def _live(kubes: dict[str, Kube]) -> dict[str, Any]:
    (party,) = [p for p in _parties() if p.config["mspID"] == "RetailMSP"]
    root = channel_checks.consenter_tls_root(kubes, party)
    return channel_checks.live_config(kubes[party.cluster], party, root)


def _batch(config: dict[str, Any]) -> int:
    orderer = config["channel_group"]["groups"]["Orderer"]["values"]
    return int(orderer["BatchSize"]["value"]["max_message_count"])


def _job_log(kubes: dict[str, Kube], cluster: str, namespace: str, job: str) -> str:
    return channel_checks.job_log(kubes[cluster], namespace, job)


def _acl(config: dict[str, Any]) -> str | None:
    acls = config["channel_group"]["groups"]["Application"]["values"]["ACLs"]["value"]["acls"]
    policy: str | None = acls.get(ACL[0], {}).get("policy_ref")
    return policy


def test_a_change_lacking_signatures_waits_for_them_and_then_applies(
    twin: Twin, kubes: dict[str, Kube], revisions: Revisions
) -> None:
    """One edit changes the batch size, which needs both orderer organisations' admins
    (MAJORITY Admins of /Channel/Orderer), and an ACL, which needs both member
    organisations' (/Channel/Application). Only alpha syncs at first: ord-a proposes, shared
    signs in alpha, and the proposer's Job says whose signatures are missing (ord-b's and
    retail's are in beta); the live channel keeps both values. Then beta syncs: ord-b and
    retail check the proposal against their own computation, sign it in beta, and the
    change applies as one update."""
    before = _live(kubes)
    wanted = _batch(before) + 7
    revisions.edit(
        "batch-acl",
        lambda b: b.channel().update(batch={"maxMessageCount": wanted}, acls={ACL[0]: ACL[1]}),
    )
    alpha = threading.Thread(target=revisions.sync, args=(twin, ["alpha"]))
    alpha.start()
    deadline = time.monotonic() + 420
    proposer = "trade-ord-a-orderer-join"
    # the proposer submits with the signatures it holds, again each time one more arrives:
    # the first refusal can come before shared's Job in alpha has signed (seen: 4 s after
    # the proposal, "missing signatures of: RetailMSP, SharedMSP"); then shared signs and
    # only beta's organisations are missing
    while True:
        said = _job_log(kubes, "alpha", "ord-a", proposer)
        missing = [
            line.split("missing signatures of: ", 1)[1]
            for line in said.splitlines()
            if "missing signatures of: " in line
        ]
        if missing and "SharedMSP" not in missing[-1]:
            break
        assert time.monotonic() < deadline, said
        assert alpha.is_alive(), "alpha's sync ended before beta signed"
        time.sleep(3)
    print(said)
    assert missing[-1] in ("OrdererBMSP", "RetailMSP"), missing
    unchanged = _live(kubes)
    assert _batch(unchanged) == _batch(before) and _acl(unchanged) == _acl(before)
    revisions.sync(twin, ["beta"])
    alpha.join(timeout=600)
    assert not alpha.is_alive()
    after = _live(kubes)
    assert _batch(after) == wanted and _acl(after) == ACL[1]
    assert int(after["sequence"]) == int(before["sequence"]) + 1, "one update, not several"
    signers = {"ord-b": "trade-ord-b-orderer-join", "retail": "trade-retail-peer-join"}
    for namespace, job in signers.items():
        signer = _job_log(kubes, "beta", namespace, job)
        assert "signed the proposal: " in signer and "/Channel/Orderer/BatchSize" in signer, signer


def _consenters(config: dict[str, Any]) -> list[str]:
    consensus = config["channel_group"]["groups"]["Orderer"]["values"]["ConsensusType"]
    return sorted(c["host"] for c in consensus["value"]["metadata"]["consenters"])


ORD_C = {
    "name": "ord-c",
    "mspID": "OrdererCMSP",
    "ca": {"cluster": "alpha"},
    "orderers": [{"name": "orderer0", "cluster": "alpha"}],
}


def _add_ord_c(blueprint: Revisions) -> None:
    blueprint.spec["organizations"].append(ORD_C)
    blueprint.channel()["ordererOrganizations"].append("ord-c")


def _orderer_orgs(config: dict[str, Any]) -> list[str]:
    return sorted(config["channel_group"]["groups"]["Orderer"]["groups"])


def test_an_orderer_organisation_joins_the_consenters(
    twin: Twin, kubes: dict[str, Kube], revisions: Revisions
) -> None:
    """A third orderer organisation, ord-c (its namespace, CA and one orderer in alpha), is
    added to the channel's orderer organisations: one update adds its group and its
    consenter, signed by ord-a and ord-b (MAJORITY Admins of /Channel/Orderer); ord-c's own
    Job waits until it may read the channel, then joins its consenter from the latest
    configuration block."""
    before = _live(kubes)
    revision = revisions.edit("ord-c", _add_ord_c)
    revisions.sync(twin)
    after = _live(kubes)
    assert _orderer_orgs(after) == ["OrdererAMSP", "OrdererBMSP", "OrdererCMSP"]
    assert "ord-c-orderer0.alpha.consortium.example" in _consenters(after)
    assert int(after["sequence"]) == int(before["sequence"]) + 1, "the group with its consenter"
    signer = _job_log(kubes, "beta", "ord-b", "trade-ord-b-orderer-join")
    assert "signed the proposal" in signer, signer
    joiner = _job_log(kubes, "alpha", "ord-c", "trade-ord-c-orderer-join")
    assert "ord-c-orderer0.ord-c:7053 joined" in joiner, joiner
    everyone = channel_checks.parties({name: revision / name for name in CLUSTERS})
    states = channel_checks.converged(kubes, everyone, CHANNEL, timeout=300)
    print({s.pod: s.height for s in states})


def _drop_ord_c(blueprint: Revisions) -> None:
    blueprint.spec["organizations"].remove(ORD_C)
    blueprint.channel()["ordererOrganizations"].remove("ord-c")


def test_an_orderer_organisation_leaves_the_consenters(
    twin: Twin, kubes: dict[str, Kube], revisions: Revisions
) -> None:
    """ord-c is taken out of the blueprint again: one update removes its group and its
    consenter, signed by ord-a and ord-b (two of the three orderer organisations); Argo CD
    prunes its objects after the sync (the twin's syncer does not prune)."""
    before = _live(kubes)
    revision = revisions.edit("ord-c-gone", _drop_ord_c)
    revisions.sync(twin)
    after = _live(kubes)
    assert _orderer_orgs(after) == ["OrdererAMSP", "OrdererBMSP"]
    assert _consenters(after) == [
        "ord-a-orderer0.alpha.consortium.example",
        "ord-a-orderer1.alpha.consortium.example",
        "ord-b-orderer0.beta.consortium.example",
    ]
    assert int(after["sequence"]) == int(before["sequence"]) + 1
    everyone = channel_checks.parties({name: revision / name for name in CLUSTERS})
    states = channel_checks.converged(kubes, everyone, CHANNEL, timeout=300)
    print({s.pod: s.height for s in states})
