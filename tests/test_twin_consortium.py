"""The twin of blueprints/consortium.yaml: two clusters on their own networks, published by
one LoadBalancer Service per node; two orderer organisations share the channel's Raft set,
and the "shared" organisation has one peer in each cluster.

Each orderer organisation joins only its own consenters with its own admin; the shared
organisation's two peers, in two clusters, reach one height and see each other in gossip.
Then day 2: changed blueprints, synced as new revisions, become signed config updates.
"""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

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
    # day 2 adds an organisation (CA, peer) and an orderer to beta: room for them
    for running, _ in twin_checks.running(NETWORK, spare_cpu=1.0):
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


# --- day 2: the blueprint changes, the sync carries the change out (README: day 2) ----------

BLUEPRINT = ROOT / "blueprints" / "consortium.yaml"
ACL = ("qscc/GetTransactionByID", "/Channel/Application/Admins")


def _render_changed(
    tmp: Path,
    name: str,
    orgs: tuple[dict[str, Any], ...] = (),
    orderers: dict[str, list[dict[str, str]]] | None = None,
    **changes: Any,
) -> Path:
    """consortium.yaml with `changes` made to its channel, `orgs` added and the orderers of
    organisations replaced, rendered as a new revision."""
    blueprint = yaml.safe_load(BLUEPRINT.read_text())
    (channel,) = blueprint["spec"]["channels"]
    channel.update(changes)
    blueprint["spec"]["organizations"] += list(orgs)
    for org in blueprint["spec"]["organizations"]:
        if org["name"] in (orderers or {}):
            org["orderers"] = (orderers or {})[org["name"]]
    source = tmp / f"{name}.yaml"
    source.write_text(yaml.safe_dump(blueprint, sort_keys=False))
    out = tmp / name
    done = subprocess.run(
        [sys.executable, "-m", "compiler", "render", str(source), "-o", str(out)],
        check=False, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out / "consortium"


def _sync(twin: Twin, cluster: str, directory: Path) -> None:
    (found,) = [c for c in twin.clusters() if c.name == cluster]
    twin.sync(found, directory / cluster)


def _live(kubes: dict[str, Kube]) -> dict[str, Any]:
    (party,) = [p for p in _parties() if p.config["mspID"] == "RetailMSP"]
    root = channel_checks.consenter_tls_root(kubes, party)
    return channel_checks.live_config(kubes[party.cluster], party, root)


def _batch(config: dict[str, Any]) -> int:
    orderer = config["channel_group"]["groups"]["Orderer"]["values"]
    return int(orderer["BatchSize"]["value"]["max_message_count"])


def _job_log(kubes: dict[str, Kube], cluster: str, namespace: str, job: str) -> str:
    said = kubes[cluster].run(["logs", f"job/{job}", "-n", namespace, "-c", "channel"], check=False)
    return said.stdout


def test_a_change_lacking_a_signature_waits_for_it_and_then_applies(
    twin: Twin, kubes: dict[str, Kube], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A batch size change needs both orderer organisations' admins (MAJORITY Admins of
    /Channel/Orderer). Only alpha syncs at first: ord-a proposes and its Job says that
    OrdererBMSP's signature is missing, and the live channel keeps its batch size. Then beta
    syncs: ord-b's Job checks the proposal against its own computation, signs it in beta,
    and the update applies."""
    before = _live(kubes)
    wanted = _batch(before) + 7
    revision = _render_changed(
        tmp_path_factory.mktemp("day2"), "batch", batch={"maxMessageCount": wanted}
    )
    alpha = threading.Thread(target=_sync, args=(twin, "alpha", revision))
    alpha.start()
    deadline = time.monotonic() + 420
    proposer = "trade-ord-a-orderer-join"
    while "missing signatures of: OrdererBMSP" not in _job_log(kubes, "alpha", "ord-a", proposer):
        assert time.monotonic() < deadline, _job_log(kubes, "alpha", "ord-a", proposer)
        assert alpha.is_alive(), "alpha's sync ended before beta signed"
        time.sleep(3)
    print(_job_log(kubes, "alpha", "ord-a", proposer))
    assert _batch(_live(kubes)) == _batch(before), "applied without OrdererBMSP's signature"
    _sync(twin, "beta", revision)
    alpha.join(timeout=600)
    assert not alpha.is_alive()
    after = _live(kubes)
    assert _batch(after) == wanted
    assert int(after["sequence"]) == int(before["sequence"]) + 1, "one update, not several"
    signer_log = _job_log(kubes, "beta", "ord-b", "trade-ord-b-orderer-join")
    assert "signed the proposal: /Channel/Orderer/BatchSize" in signer_log, signer_log


def test_an_acl_change_is_signed_by_the_members_in_both_clusters(
    twin: Twin, kubes: dict[str, Kube], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An ACL lives under /Channel/Application: a majority of the member organisations'
    admins (shared, signing in alpha and beta, and retail in beta) must sign."""
    before = _live(kubes)
    revision = _render_changed(
        tmp_path_factory.mktemp("day2"), "acl",
        batch={"maxMessageCount": _batch(before)}, acls={ACL[0]: ACL[1]},
    )  # fmt: skip
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c: _sync(twin, c, revision), CLUSTERS))
    after = _live(kubes)
    acls = after["channel_group"]["groups"]["Application"]["values"]["ACLs"]["value"]["acls"]
    assert acls[ACL[0]]["policy_ref"] == ACL[1]
    assert _batch(after) == _batch(before)
    # the same revision again: nothing to change, no config block
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c: _sync(twin, c, revision), CLUSTERS))
    assert _live(kubes)["sequence"] == after["sequence"]
    log = _job_log(kubes, "alpha", "ord-a", "trade-ord-a-orderer-join")
    assert "the channel's configuration is as rendered" in log, log


WHOLESALE = {
    "name": "wholesale",
    "mspID": "WholesaleMSP",
    "ca": {"cluster": "beta"},
    "peers": [{"name": "peer0", "cluster": "beta", "anchor": True}],
}


def test_a_new_organisation_joins_the_running_channel(
    twin: Twin, kubes: dict[str, Kube], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A third member organisation, with its own namespace, CA and peer in beta, is added to
    the channel's members. The members' admins (shared in both clusters, retail) sign its
    addition; its own Job waits until it may read the channel, then joins its peer, which
    reaches the others' height and gossips with them, and sets its anchor peer."""
    before = _live(kubes)
    acls = before["channel_group"]["groups"]["Application"]["values"]["ACLs"]["value"]["acls"]
    revision = _render_changed(
        tmp_path_factory.mktemp("day2"), "join", (WHOLESALE,),
        batch={"maxMessageCount": _batch(before)}, acls={ACL[0]: acls[ACL[0]]["policy_ref"]},
        members=["shared", "retail", "wholesale"],
    )  # fmt: skip
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c: _sync(twin, c, revision), CLUSTERS))
    after = _live(kubes)
    assert "WholesaleMSP" in after["channel_group"]["groups"]["Application"]["groups"]
    assert int(after["sequence"]) >= int(before["sequence"]) + 2, "added, then its anchor set"
    everyone = channel_checks.parties({name: revision / name for name in CLUSTERS})
    (wholesale,) = [p for p in everyone if p.config["mspID"] == "WholesaleMSP"]
    states = channel_checks.converged(kubes, everyone, CHANNEL)
    heights = {s.pod: s.height for s in states}
    assert heights["wholesale-peer0-0"] == heights["retail-peer0-0"], heights
    assert channel_checks.anchor_peers(after, "WholesaleMSP") == wholesale.config["anchorPeers"]
    log = _job_log(kubes, "beta", "wholesale", "trade-wholesale-peer-join")
    assert "may not read trade yet" in log or "block 0 fetched" in log, log


def _consenters(config: dict[str, Any]) -> list[str]:
    consensus = config["channel_group"]["groups"]["Orderer"]["values"]["ConsensusType"]
    return sorted(c["host"] for c in consensus["value"]["metadata"]["consenters"])


def test_a_consenter_is_replaced_one_change_at_a_time(
    twin: Twin, kubes: dict[str, Kube], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """ord-a's orderer1 is replaced by a new orderer1 of ord-b in beta, in one blueprint
    edit. Raft takes one membership change per update, so the Jobs carry it out as two:
    the new consenter is added, joined by ord-b's Job from the latest configuration block,
    and only once every consenter serves that configuration is the old one removed."""
    before = _live(kubes)
    acls = before["channel_group"]["groups"]["Application"]["values"]["ACLs"]["value"]["acls"]
    revision = _render_changed(
        tmp_path_factory.mktemp("day2"), "replace", (WHOLESALE,),
        orderers={
            "ord-a": [{"name": "orderer0", "cluster": "alpha"}],
            "ord-b": [{"name": n, "cluster": "beta"} for n in ("orderer0", "orderer1")],
        },
        batch={"maxMessageCount": _batch(before)}, acls={ACL[0]: acls[ACL[0]]["policy_ref"]},
        members=["shared", "retail", "wholesale"],
    )  # fmt: skip
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c: _sync(twin, c, revision), CLUSTERS))
    after = _live(kubes)
    assert _consenters(after) == [
        "ord-a-orderer0.alpha.consortium.example",
        "ord-b-orderer0.beta.consortium.example",
        "ord-b-orderer1.beta.consortium.example",
    ]
    assert int(after["sequence"]) == int(before["sequence"]) + 2, "added, then removed"
    proposer = _job_log(kubes, "alpha", "ord-a", "trade-ord-a-orderer-join")
    assert "one consenter change of several" in proposer, proposer
    joiner = _job_log(kubes, "beta", "ord-b", "trade-ord-b-orderer-join")
    assert "ord-b-orderer1.ord-b:7053 joined" in joiner, joiner
    everyone = channel_checks.parties({name: revision / name for name in CLUSTERS})
    states = channel_checks.converged(kubes, everyone, CHANNEL)
    print({s.pod: s.height for s in states})
