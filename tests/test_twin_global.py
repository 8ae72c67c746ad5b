"""The twin of blueprints/global.yaml: three clusters, each on its own network, that reach
each other only through what their rendered Istio Gateways and VirtualServices route.

orderer2..4 run in us-west-2 and eu-west-1 while their organisation's CA runs in us-east-1:
their enrollment Jobs can only have reached it through us-east-1's ingress gateway.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.twin.cluster import TwinCluster
from compiler.twin.controllers import ROUTER_SLOT
from compiler.twin.kube import Kube
from compiler.twin.sync import load
from compiler.twin.twin import Twin
from tests import app_checks, channel_checks, drill, twin_checks
from tests.conftest import ROOT
from tests.revisions import Revisions

NETWORK = ROOT / "output" / "global-fabric-network"
pytestmark = [pytest.mark.tools, pytest.mark.twin]


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    # day 2 adds an organisation (CA, peer, chaincode) and an orderer to eu-west-1: room
    for running, _ in twin_checks.running(
        NETWORK, (app_checks.APP_IMAGE,), spare_cpu={"eu-west-1": 1.0}
    ):
        yield running


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
    # every CA name the enrollments dialled was routed (a channel's signature exchange may
    # be dialled from another cluster before this cluster's sync has routed it: retried)
    log = (clusters["us-east-1"].state / "logs" / "ingress-gateway.log").read_text()
    unrouted = [line for line in log.splitlines() if "no route" in line and "-ca." in line]
    assert unrouted == []


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


# --- channels: created once, joined in every cluster, through the gateways only ----------

CHANNEL = "supply-chain"


def _kubes(twin: Twin) -> dict[str, Kube]:
    return {name: c.kube for name, c in _clusters(twin).items()}


def _parties(network: Path = NETWORK) -> list[channel_checks.Party]:
    return channel_checks.parties({name: network / name for name in CLUSTERS})


def _peers_known(kubes: dict[str, Kube], timeout: float = 180) -> dict[str, float | None]:
    """Every peer of the channel sees every other one in gossip (anchor peers at work)."""
    everyone = _parties()
    peers = sum(len(p.pods()) for p in everyone if p.role == "peer")
    deadline = time.monotonic() + timeout
    while True:
        states = channel_checks.observe(kubes, everyone, CHANNEL)
        known = {s.pod: s.peers_known for s in states if s.role == "peer"}
        if all(k == peers - 1 for k in known.values()) or time.monotonic() > deadline:
            return known
        time.sleep(5)


def test_the_channel_is_created_once_and_joined_in_every_cluster(twin: Twin) -> None:
    kubes = _kubes(twin)
    everyone = _parties()
    assert {p.cluster for p in everyone} == set(CLUSTERS)
    made = [
        p.job
        for p in everyone
        if "genesis block made"
        in kubes[p.cluster].run(["logs", f"job/{p.job}", "-n", p.namespace, "-c", "channel"]).stdout
    ]
    assert len(made) == 1, made
    states = channel_checks.converged(kubes, everyone, CHANNEL)
    print({s.pod: s.height for s in states})
    peers = sum(len(p.pods()) for p in everyone if p.role == "peer")
    known = _peers_known(kubes)
    assert set(known.values()) == {peers - 1}, known


def test_each_organisation_set_its_anchor_peers(twin: Twin) -> None:
    kubes = _kubes(twin)
    for party in (p for p in _parties() if p.role == "peer"):
        root = channel_checks.consenter_tls_root(kubes, party)
        config = channel_checks.live_config(kubes[party.cluster], party, root)
        want = party.config["anchorPeers"]
        assert want and all(a["host"].endswith(".fabric.global") for a in want)
        assert channel_checks.anchor_peers(config, party.config["mspID"]) == want


def test_rerunning_every_channel_job_changes_nothing(twin: Twin) -> None:
    kubes = _kubes(twin)
    everyone = _parties()
    before = {s.pod: s.height for s in channel_checks.converged(kubes, everyone, CHANNEL)}

    def rerun(party: channel_checks.Party) -> str:
        return channel_checks.rerun(kubes[party.cluster], NETWORK / party.cluster, party)

    # all at once, as a second sync of every cluster runs them
    with concurrent.futures.ThreadPoolExecutor(len(everyone)) as pool:
        said = list(pool.map(rerun, everyone))
    for logs in said:
        changed = [
            line
            for line in logs.splitlines()
            if line.endswith(" joined") or "updating" in line or "genesis" in line
        ]
        assert changed == [], changed
    after = {s.pod: s.height for s in channel_checks.converged(kubes, everyone, CHANNEL)}
    assert after == before


def _lifecycle_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for cluster in CLUSTERS:
        for res in load(NETWORK / cluster):
            labels = res.obj["metadata"].get("labels", {})
            if res.kind == "ConfigMap" and labels.get("app.kubernetes.io/component") == (
                "chaincode-lifecycle"
            ):
                job = json.loads(res.obj["data"]["job.json"])
                out.append((cluster, res.obj["metadata"]["namespace"], job))
    return out


def test_every_lifecycle_job_took_part_in_defining_the_chaincode(twin: Twin) -> None:
    jobs = _lifecycle_jobs()
    # org1, org2 and org3, each in its one cluster
    assert sorted(j["mspID"] for _, _, j in jobs) == ["Org1MSP", "Org2MSP", "Org3MSP"]
    for cluster, namespace, job in jobs:
        name = f"supply-chain-assets-{job['organization']}-cc"
        logs = (
            _clusters(twin)[cluster]
            .kube.run(["logs", f"job/{name}", "-n", namespace, "-c", "channel"])
            .stdout
        )
        print(logs)
        assert f"installed {job['packageID']}" in logs
        assert "approved assets sequence 1" in logs
        assert "assets sequence 1 is committed on supply-chain" in logs
        assert ("committed assets sequence 1 (" in logs) is job["committer"]


def _step(peer: str, op: str, fn: str, *args: str, **extra: Any) -> dict[str, Any]:
    return {"peer": peer, "chaincode": "assets", "op": op, "fn": fn, "args": list(args)} | extra


def _app(
    twin: Twin,
    cluster: str,
    org: str,
    steps: list[dict[str, Any]],
    tmp: Any,
    *,
    network: Path = NETWORK,
) -> list[Any]:
    out = app_checks.run(
        _clusters(twin)[cluster].kube, org, org, "app", steps, directory=network / cluster, tmp=tmp
    )
    print(cluster, org, json.dumps(out, indent=1))
    return out


def _eventually(
    twin: Twin, cluster: str, org: str, step: dict[str, Any], *, want: str, tmp: Any
) -> None:
    """A read on a peer that commits the block a little after the submitting one did."""
    deadline = time.monotonic() + 90
    while True:
        (out,) = _app(twin, cluster, org, [step], tmp)
        if out.get("result") == want or time.monotonic() > deadline:
            break
        time.sleep(5)
    assert out.get("result") == want, out


def test_a_transaction_from_one_cluster_is_read_on_another_organisations_peer_elsewhere(
    twin: Twin, tmp_path: Any
) -> None:
    out = _app(
        twin,
        "us-east-1",
        "org1",
        [_step("org1-peer0", "submit", "Put", "shipment-1", "departed")],
        tmp_path,
    )
    assert out[0]["ok"], out
    # org1's application, through org2's peer in us-west-2 (the profile's advertised address)
    _eventually(
        twin, "us-east-1", "org1", _step("org2-peer0", "evaluate", "Get", "shipment-1"),
        want="departed", tmp=tmp_path,
    )  # fmt: skip
    # org3's application in eu-west-1, on its own peer
    _eventually(
        twin, "eu-west-1", "org3", _step("org3-peer0", "evaluate", "Get", "shipment-1"),
        want="departed", tmp=tmp_path,
    )  # fmt: skip


def test_an_application_outside_every_cluster_uses_the_profile_file(
    twin: Twin, tmp_path: Any
) -> None:
    """output/<network>/_profiles/org1: every address public, roots fetched from outside."""
    cluster = _clusters(twin)["us-east-1"]
    steps = [
        _step("org1-peer0", "submit", "Put", "shipment-outside", "arrived"),
        _step("org3-peer1", "evaluate", "Get", "shipment-1"),
    ]
    out = app_checks.run_outside(
        cluster.kube, "org1", "org1", "app", steps,
        profile_dir=NETWORK / "_profiles" / "org1", hosts_file=cluster.hosts_file,
        tmp=tmp_path,
    )  # fmt: skip
    print(json.dumps(out, indent=1))
    assert out[0]["ok"], out
    assert out[1]["result"] == "departed", out
    _eventually(
        twin, "eu-west-1", "org3", _step("org3-peer0", "evaluate", "Get", "shipment-outside"),
        want="arrived", tmp=tmp_path,
    )  # fmt: skip


def test_the_endorsement_policy_is_enforced_at_validation(twin: Twin, tmp_path: Any) -> None:
    out = _app(
        twin,
        "us-east-1",
        "org1",
        [
            # one endorsement where OutOf(2, ...) needs two: ordered, then invalidated
            _step("org1-peer0", "submit", "Put", "lonely", "x", endorsers=["Org1MSP"]),
            _step("org1-peer0", "evaluate", "Get", "lonely"),
            _step("org1-peer0", "submit", "Put", "paired", "y", endorsers=["Org1MSP", "Org3MSP"]),
            _step("org1-peer0", "evaluate", "Get", "paired"),
        ],
        tmp_path,
    )
    assert not out[0]["ok"]
    assert out[0]["code"] == 10, out[0]  # TxValidationCode ENDORSEMENT_POLICY_FAILURE
    assert not out[1]["ok"] and "not found" in out[1]["error"] + json.dumps(out[1])
    assert out[2]["ok"], out[2]
    assert out[3]["result"] == "y"


def test_private_data_is_readable_by_collection_members_only(twin: Twin, tmp_path: Any) -> None:
    out = _app(
        twin,
        "us-east-1",
        "org1",
        [
            _step(
                "org1-peer0", "submit", "PutPrivate", "org1-org2", "price-1",
                transient={"value": "1200"},
            ),
            _step("org1-peer0", "evaluate", "GetPrivate", "org1-org2", "price-1"),
        ],
        tmp_path,
    )  # fmt: skip
    assert [o["ok"] for o in out] == [True, True], out
    assert out[1]["result"] == "1200"
    # org2, a member, in another cluster: its peers pulled the data when they committed
    _eventually(
        twin, "us-east-1", "org1",
        _step("org2-peer0", "evaluate", "GetPrivate", "org1-org2", "price-1"),
        want="1200", tmp=tmp_path,
    )  # fmt: skip
    # org3 is no member: its application, on its own peer, is refused by Fabric
    (refused,) = _app(
        twin,
        "eu-west-1",
        "org3",
        [_step("org3-peer0", "evaluate", "GetPrivate", "org1-org2", "price-1")],
        tmp_path,
    )
    assert not refused["ok"]
    assert "does not have read access" in json.dumps(refused), refused


def test_a_killed_orderer_rejoins_and_catches_up(twin: Twin) -> None:
    kubes = _kubes(twin)
    everyone = _parties()
    channel_checks.converged(kubes, everyone, CHANNEL)
    start = time.monotonic()
    kubes["eu-west-1"].run(
        ["delete", "pod", "orderer-org-orderer4-0", "-n", "orderer-org", "--wait=false"]
    )
    time.sleep(2)
    channel_checks.converged(kubes, everyone, CHANNEL, timeout=300)
    print(f"killed orderer back in the channel, caught up: {time.monotonic() - start:.1f}s")


# --- day 2: changed blueprints, synced as new revisions, change the running channel -------

BLUEPRINT = ROOT / "blueprints" / "global.yaml"


@pytest.fixture(scope="module")
def revisions(tmp_path_factory: pytest.TempPathFactory) -> Revisions:
    return Revisions(BLUEPRINT, NETWORK, tmp_path_factory.mktemp("day2"))


def _live(kubes: dict[str, Kube], network: Path) -> dict[str, Any]:
    (party,) = [p for p in _parties(network) if p.job == f"{CHANNEL}-org1-peer-join"]
    root = channel_checks.consenter_tls_root(kubes, party)
    return channel_checks.live_config(kubes[party.cluster], party, root)


def _consenters(config: dict[str, Any]) -> list[str]:
    consensus = config["channel_group"]["groups"]["Orderer"]["values"]["ConsensusType"]
    return sorted(c["host"].split(".")[0] for c in consensus["value"]["metadata"]["consenters"])


ORG4 = {
    "name": "org4",
    "mspID": "Org4MSP",
    "ca": {"cluster": "eu-west-1"},
    "peers": [{"name": "peer0", "cluster": "eu-west-1", "anchor": True}],
    "identities": [{"name": "app"}],
}
ANY_TWO_OF_FOUR = "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer', 'Org4MSP.peer')"


def _add_org4(blueprint: Revisions) -> None:
    blueprint.spec["organizations"].append(ORG4)
    channel = blueprint.channel()
    channel["members"].append("org4")
    (assets,) = channel["chaincodes"]
    assets["sequence"] += 1
    assets["endorsementPolicy"] = {"signature": ANY_TWO_OF_FOUR}


class Load(threading.Thread):
    """org1's application, outside every cluster, submitting transactions one after another
    until stopped: each outcome with the time it ended."""

    def __init__(self, twin: Twin, network: Path, tmp: Path) -> None:
        super().__init__(daemon=True)
        self.cluster = _clusters(twin)["us-east-1"]
        self.network, self.tmp = network, tmp
        self.stop = threading.Event()
        self.outcomes: list[dict[str, Any]] = []

    def run(self) -> None:
        batch = 0
        while not self.stop.is_set():
            batch += 1
            steps = [
                _step("org1-peer0", "submit", "Put", f"during-day2-{batch}-{i}", str(i))
                for i in range(5)
            ]
            tmp = self.tmp / f"load-{batch}"
            tmp.mkdir()
            try:
                self.outcomes += app_checks.run_outside(
                    self.cluster.kube, "org1", "org1", "app", steps,
                    profile_dir=self.network / "_profiles" / "org1",
                    hosts_file=self.cluster.hosts_file, tmp=tmp,
                )  # fmt: skip
            except (AssertionError, OSError, subprocess.SubprocessError) as e:
                # the application failing as a whole is an outcome too
                self.outcomes.append({"ok": False, "error": repr(e), "at": time.time() * 1000})
                time.sleep(5)


def _replace_orderer1(blueprint: Revisions) -> None:
    blueprint.org("orderer-org")["orderers"].append({"name": "orderer5", "cluster": "eu-west-1"})
    blueprint.channel()["consenters"] = ["orderer0", "orderer2", "orderer3", "orderer4", "orderer5"]


@dataclass(frozen=True)
class DayTwo:
    before: dict[str, Any]  # the live configuration before the sync, and after it
    after: dict[str, Any]
    network: Path  # the revision's output
    outcomes: list[dict[str, Any]]  # the application's transactions during the sync


@pytest.fixture(scope="module")
def day2(twin: Twin, revisions: Revisions, tmp_path_factory: pytest.TempPathFactory) -> DayTwo:
    """One reviewed edit of global.yaml, synced in every cluster at once while org1's
    application keeps submitting: org4 (its namespace, CA, peer and application in
    eu-west-1) joins the channel and the chaincode is defined again (sequence 2) with an
    endorsement policy that counts it; orderer1 (us-east-1) stays a node but leaves the
    consenters, replaced by a new orderer5 in eu-west-1."""
    kubes = _kubes(twin)
    before = _live(kubes, revisions.network)

    def edit(blueprint: Revisions) -> None:
        _add_org4(blueprint)
        _replace_orderer1(blueprint)

    network = revisions.edit("day2", edit)
    load = Load(twin, network, tmp_path_factory.mktemp("load"))
    load.start()
    try:
        revisions.sync(twin)
        time.sleep(10)
    finally:
        load.stop.set()
        load.join(timeout=400)
    return DayTwo(before, _live(kubes, network), network, load.outcomes)


def test_a_new_organisation_joined_the_running_channel_and_endorses(
    twin: Twin, day2: DayTwo, tmp_path: Path
) -> None:
    """org1's and org2's admins (the channel's admins) signed org4's addition in their
    clusters; org4's peer reaches the others' height and its anchor peer is set; org4
    endorses: org4 and org3 together satisfy the new policy, org4 alone does not."""
    kubes = _kubes(twin)
    assert "Org4MSP" in day2.after["channel_group"]["groups"]["Application"]["groups"]
    everyone = _parties(day2.network)
    (org4,) = [p for p in everyone if p.config["mspID"] == "Org4MSP"]
    assert channel_checks.anchor_peers(day2.after, "Org4MSP") == org4.config["anchorPeers"]
    states = channel_checks.converged(kubes, everyone, CHANNEL, timeout=300)
    heights = {s.pod: s.height for s in states}
    assert heights["org4-peer0-0"] == heights["org1-peer0-0"], heights
    lifecycle = channel_checks.job_log(kubes["eu-west-1"], "org4", "supply-chain-assets-org4-cc")
    assert "approved assets sequence 2 for Org4MSP" in lifecycle, lifecycle
    assert "assets sequence 2 is committed on supply-chain" in lifecycle, lifecycle
    out = _app(
        twin, "eu-west-1", "org4",
        [
            _step(
                "org4-peer0", "submit", "Put", "org4-first", "a",
                endorsers=["Org4MSP", "Org3MSP"],
            ),
            _step("org4-peer0", "evaluate", "Get", "org4-first"),
            _step("org4-peer0", "submit", "Put", "org4-alone", "b", endorsers=["Org4MSP"]),
        ],
        tmp_path, network=day2.network,
    )  # fmt: skip
    assert out[0]["ok"] and out[1]["result"] == "a", out
    assert not out[2]["ok"] and out[2]["code"] == 10, out[2]  # ENDORSEMENT_POLICY_FAILURE
    # org1's application reads org4's write on its own peer in us-east-1
    _eventually(
        twin, "us-east-1", "org1", _step("org1-peer0", "evaluate", "Get", "org4-first"),
        want="a", tmp=tmp_path,
    )  # fmt: skip


def _logged_at(line: str) -> float:
    """A channel Job's log line's UTC time of day, as a time today (seconds since epoch)."""
    clock = dt.time.fromisoformat(line.split(maxsplit=1)[0])
    now = dt.datetime.now(dt.UTC)
    at = dt.datetime.combine(now.date(), clock, dt.UTC)
    return (at if at <= now else at - dt.timedelta(days=1)).timestamp()


def test_a_consenter_was_replaced_while_transactions_were_ordered(twin: Twin, day2: DayTwo) -> None:
    """Raft takes one consenter change per update: the Jobs carried the edit out as three
    updates (org4 with orderer5, then orderer1's removal, and org4's anchor peer by org4's
    own Job); orderer5 joined from the latest configuration block; orderer1 left the
    channel once it was out of the set. Transactions were committed between the first and
    the last of the proposer's submissions, and after them."""
    kubes = _kubes(twin)
    assert _consenters(day2.after) == [f"orderer-org-orderer{i}" for i in (0, 2, 3, 4, 5)]
    assert int(day2.after["sequence"]) == int(day2.before["sequence"]) + 3
    east, west = kubes["us-east-1"], kubes["eu-west-1"]
    proposer = channel_checks.job_log(east, "orderer-org", f"{CHANNEL}-orderer-org-orderer-join")
    assert "one consenter change of several" in proposer, proposer
    assert "orderer-org-orderer1.orderer-org:7053 left supply-chain" in proposer, proposer
    joiner = channel_checks.job_log(west, "orderer-org", f"{CHANNEL}-orderer-org-orderer-join")
    assert "orderer-org-orderer5.orderer-org:7053 joined" in joiner, joiner
    states = channel_checks.converged(kubes, _parties(day2.network), CHANNEL, timeout=300)
    print({s.pod: s.height for s in states})
    # the updates as the proposer submitted them (an orderer may drop a submission, which is
    # then sent again) and the transactions around them
    submits = [_logged_at(line) for line in proposer.splitlines() if "submitted with" in line]
    assert len(submits) >= 2, proposer
    first, last = submits[0], submits[-1]
    committed = [o["at"] / 1000 for o in day2.outcomes if o["ok"]]
    failed = [o for o in day2.outcomes if not o["ok"]]
    print(f"during day 2: {len(committed)} committed, {len(failed)} failed: {failed}")
    assert any(first < t < last for t in committed), (submits, committed)
    assert any(t > last for t in committed), (submits, committed)
    assert len(failed) <= len(committed) // 4, failed


def _analysis(blueprint: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "compiler", "analyze", str(blueprint), "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    analysis: dict[str, Any] = json.loads(done.stdout)
    return analysis


def test_failure_drill_follows_hlfc_analyze(twin: Twin, revisions: Revisions, day2: DayTwo) -> None:
    """Cut off a cluster that `hlfc analyze` says the channel survives: a block is still
    ordered. Cut the next one of the smallest set whose loss breaks quorum: nothing is.
    Restore both: every node catches up to one height. Run on the blueprint as the day-2
    steps left it: analyze's answer follows the replaced consenter's placement."""
    kubes, clusters = _kubes(twin), _clusters(twin)
    network = revisions.network
    everyone = _parties(network)
    row = next(c for c in _analysis(revisions.blueprint)["channels"] if c["channel"] == CHANNEL)
    print(f"drill on {revisions.blueprint.name}: breaking loss {row['breakingLoss']}")
    breaking = row["breakingLoss"]
    first = breaking[0]
    assert next(x for x in row["singleClusterLosses"] if x["cluster"] == first)["quorumKept"]
    survivors = [c for c in CLUSTERS if c not in breaking]
    assert survivors, "analyze says every cluster is needed: nothing to drill"
    # the block is ordered by a peer organisation of a surviving cluster: an anchor change
    orderer = next(p for p in everyone if p.role == "peer" and p.cluster == survivors[0])
    kube, directory = kubes[orderer.cluster], network / orderer.cluster

    def heights() -> dict[str, float | None]:
        live = [p for p in everyone if p.cluster in survivors]
        return {s.pod: s.height for s in channel_checks.observe(kubes, live, CHANNEL)}

    cuts = drill.Cuts(clusters.values())
    try:
        channel_checks.converged(kubes, everyone, CHANNEL)
        cuts.cut(first)
        assert not _connects(
            clusters[survivors[0]].net.netns, clusters[first].net.ingress_ip(ROUTER_SLOT), 443
        )
        before = heights()
        ok, logs = drill.variant_job(
            kube,
            directory,
            orderer.namespace,
            orderer.job,
            {"anchorPeers": [], "deadlineSeconds": 240},
        )
        assert ok, logs
        # every surviving node gets the block; a peer whose orderer was cut off first
        # notices by its delivery keepalive (core.yaml: 60 s + 20 s) and switches
        deadline = time.monotonic() + 180
        while True:
            after = heights()
            if all((after[p] or 0) > (before[p] or 0) for p in before):
                break
            assert time.monotonic() < deadline, (before, after)
            time.sleep(5)
        for name in breaking[1:]:
            cuts.cut(name)
        before = heights()
        ok, logs = drill.variant_job(
            kube, directory, orderer.namespace, orderer.job,
            {"anchorPeers": orderer.config["anchorPeers"], "deadlineSeconds": 90},
        )  # fmt: skip
        assert not ok, logs
        assert heights() == before
    finally:
        cuts.restore()
    start = time.monotonic()
    logs = channel_checks.rerun(kube, directory, orderer)  # puts the rendered anchors back
    assert "updating" in logs, logs
    states = channel_checks.converged(kubes, everyone, CHANNEL, timeout=300)
    took = time.monotonic() - start
    print(f"after the drill, every node at height {states[0].height} in {took:.1f}s")
