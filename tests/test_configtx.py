"""The rendered configtx.yaml through the real configtxgen, decoded by the real configtxlator.

Every channel of every example blueprint, plus a tuned variant where every channel setting
differs from Fabric's default. The certificates are real: each organisation's rendered
fabric-ca-server runs on 127.0.0.1, each consenter's TLS identity is enrolled there with
the enroller, served by a TLS listener, and fetched by `hlfc trust` exactly as the Job's
init container does (cainfo roots; the consenter's certificate verified by handshake).
The decoded block must say what the blueprint says, value by value.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.analysis.analyze import analyze
from compiler.analysis.channels import member_orgs, orderer_orgs
from compiler.analysis.endpoints import endpoint
from compiler.analysis.network import ChannelInfo, Network, Org
from compiler.blueprint.loader import load
from compiler.blueprint.models import Batch, Capabilities, Raft
from compiler.enroll.config import EnrollConfig
from compiler.enroll.flow import run
from compiler.enroll.secrets import Stored
from compiler.enroll.trust import ConsenterSource, OrgSource, TrustConfig, TrustFailed, fetch
from compiler.render import configtx
from tests.ca_harness import LocalCA
from tests.conftest import ROOT

pytestmark = pytest.mark.tools

FABRIC_BIN = ROOT / ".tools" / "fabric-2.5.16" / "bin"
SAMPLE = ROOT / ".tools" / "src" / "fabric-2.5.16" / "sampleconfig" / "configtx.yaml"
REGISTRAR = ("registrar", "registrar-secret-for-the-test")


def fabric(name: str) -> Path:
    path = FABRIC_BIN / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make tools` (make test does)")
    return path


class MemorySecrets:
    """The enroller's SecretStore, in memory: these tests judge certificates, not the API."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, bytes]] = {}

    def read(self, name: str) -> Stored | None:
        found = self.data.get(name)
        return Stored(found, "1") if found is not None else None

    def write(
        self,
        name: str,
        data: dict[str, bytes],
        secret_type: str,
        not_after: str,
        previous: Stored | None,
    ) -> None:
        self.data[name] = data


class TLSListener:
    """Presents one certificate on 127.0.0.1, as an orderer's gRPC port would."""

    def __init__(self, cert: bytes, key: bytes, workdir: Path) -> None:
        (workdir / "cert.pem").write_bytes(cert)
        (workdir / "key.pem").write_bytes(key)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(workdir / "cert.pem", workdir / "key.pem")
        self.context.set_alpn_protocols(["h2"])
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                conn.close()

    def close(self) -> None:
        self.sock.close()


def load_blueprint(path: Path) -> Network:
    loaded, diagnostics = load(path)
    assert loaded is not None, diagnostics
    analysis = analyze(loaded)
    assert not [d for d in analysis.diagnostics if d.severity == "error"]
    return analysis.network


TUNED = {
    "capabilities": {"channel": "V2_0", "orderer": "V2_0", "application": "V2_0"},
    "batch": {
        "timeout": "750ms",
        "maxMessageCount": 77,
        "absoluteMaxBytes": "20 MB",
        "preferredMaxBytes": "1 MB",
    },
    "raft": {
        "tickInterval": "300ms",
        "electionTick": 15,
        "heartbeatTick": 2,
        "maxInflightBlocks": 9,
        "snapshotIntervalSize": "4 MB",
    },
    "policies": {
        "channel": {
            "Admins": {"type": "Signature", "rule": "OR('OrdererMSP.admin', 'Org1MSP.admin')"}
        },
        "orderer": {"BlockValidation": {"type": "ImplicitMeta", "rule": "MAJORITY Writers"}},
        "application": {"Endorsement": {"type": "ImplicitMeta", "rule": "ANY Endorsement"}},
    },
    "acls": {
        "qscc/GetChainInfo": "/Channel/Application/Writers",
        "peer/Propose": "/Channel/Writers",
    },
}


def tuned(tmp: Path) -> Network:
    doc = yaml.safe_load((ROOT / "blueprints" / "minimal.yaml").read_text(encoding="utf-8"))
    doc["spec"]["channels"][0].update(TUNED)
    path = tmp / "tuned.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return load_blueprint(path)


@dataclass
class Decoded:
    network: Network
    channel: ChannelInfo
    config: dict[str, Any]  # the block's config, as configtxlator decodes it
    consenter_certs: dict[str, bytes]  # workload -> PEM served by its listener


@pytest.fixture(scope="module")
def cas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], LocalCA]]:
    """One real CA per organisation of each example network, keyed (network, org)."""
    started: dict[tuple[str, str], LocalCA] = {}
    try:
        for path in EXAMPLES:
            network = load_blueprint(path)
            for org in network.orgs:
                ca = LocalCA(
                    tmp_path_factory.mktemp(f"ca-{org.name}"),
                    REGISTRAR,
                    org=org.name,
                    network=network.name,
                    cluster=org.ca.cluster,
                )
                ca.start()
                started[(network.name, org.name)] = ca
        yield started
    finally:
        for ca in started.values():
            ca.stop()


def _enroll_tls(
    ca: LocalCA, network: Network, org: Org, workload: str, issuer: Org | None = None
) -> tuple[bytes, bytes]:
    """The orderer's TLS pair, enrolled at `ca` (its organisation's CA, unless `issuer`)."""
    node = next(o for o in org.orderers if o.workload == workload)
    issuer = issuer or org
    store = MemorySecrets()
    cfg = EnrollConfig(
        ca_url=ca.url,
        ca_name=issuer.ca.spec.name,
        tlsca_name=issuer.ca.spec.tls_name,
        enrollment_id=workload,
        identity_type="orderer",
        msp_id=issuer.msp_id,
        namespace=issuer.namespace,
        msp_secret=f"{workload}-msp",
        tls_secret=f"{workload}-tls",
        hosts=endpoint(network, node).tls_hosts(),
        registrar_username=REGISTRAR[0],
        registrar_password=REGISTRAR[1],
        deadline_seconds=30,
    )
    run(cfg, store)
    tls = store.data[f"{workload}-tls"]
    return tls["tls.crt"], tls["tls.key"]


def decode_channel(
    network: Network, channel: ChannelInfo, cas: dict[tuple[str, str], LocalCA], work: Path
) -> Decoded:
    ca_network = network.name  # the tuned variant keeps minimal's name, and its CAs
    orgs = {o.name: o for o in (*orderer_orgs(network, channel), *member_orgs(network, channel))}
    listeners, certs = [], {}
    try:
        consenters = []
        for c in channel.consenters:
            org = orgs[c.org]
            cert, key = _enroll_tls(cas[(ca_network, org.name)], network, org, c.workload)
            listener = TLSListener(cert, key, work / "listener")
            listeners.append(listener)
            certs[c.workload] = cert
            consenters.append(ConsenterSource(c.workload, c.org, "localhost", listener.port))
        sources = tuple(
            OrgSource(o.name, o.msp_id, cas[(ca_network, o.name)].url, "ca", "tlsca")
            for o in orgs.values()
        )
        fetch(TrustConfig(sources, tuple(consenters), deadline_seconds=30), work)
    finally:
        for listener in listeners:
            listener.close()
    text = configtx.configtx_yaml(network, channel).replace(configtx.WORK_DIR, str(work))
    (work / "configtx.yaml").write_text(text, encoding="utf-8")
    blocks = []
    for i in (1, 2):  # twice: the config part must be the same every time (the Jobs compare)
        block = work / f"genesis{i}.pb"
        subprocess.run(
            [
                fabric("configtxgen"),
                "-profile",
                channel.name,
                "-channelID",
                channel.name,
                "-outputBlock",
                block,
                "-configPath",
                work,
            ],
            check=True,
            capture_output=True,
        )
        decoded = subprocess.run(
            [fabric("configtxlator"), "proto_decode", "--type", "common.Block", "--input", block],
            check=True,
            capture_output=True,
        )
        blocks.append(json.loads(decoded.stdout)["data"]["data"][0]["payload"]["data"]["config"])
    assert blocks[0] == blocks[1], "configtxgen's config section is not deterministic"
    return Decoded(network, channel, blocks[0], certs)


EXAMPLES = sorted((ROOT / "blueprints").glob("*.yaml"))


def _cases() -> list[tuple[str, str]]:
    """(blueprint file stem, channel) for every channel of every example, and the tuned one."""
    cases = [
        (path.stem, channel.name) for path in EXAMPLES for channel in load_blueprint(path).channels
    ]
    return [*cases, ("tuned", "mychannel")]


@pytest.fixture(scope="module", params=_cases(), ids=[f"{n}-{c}" for n, c in _cases()])
def decoded(
    request: pytest.FixtureRequest,
    cas: dict[tuple[str, str], LocalCA],
    tmp_path_factory: pytest.TempPathFactory,
) -> Decoded:
    name, channel_name = request.param
    work = tmp_path_factory.mktemp(f"configtx-{name}")
    (work / "listener").mkdir()
    network = (
        tuned(work) if name == "tuned" else load_blueprint(ROOT / "blueprints" / f"{name}.yaml")
    )
    channel = next(c for c in network.channels if c.name == channel_name)
    return decode_channel(network, channel, cas, work)


# --- reading the decoded configuration back into the blueprint's terms ---------------------

ROLES = {
    "MEMBER": "member",
    "ADMIN": "admin",
    "CLIENT": "client",
    "PEER": "peer",
    "ORDERER": "orderer",
}


def policy_text(policy: dict[str, Any]) -> tuple[str, str]:
    """(type, normalised rule) of a decoded policy; flat signature rules only."""
    value = policy["policy"]
    if value["type"] == 3:  # ImplicitMeta
        return "ImplicitMeta", f"{value['value']['rule']} {value['value']['sub_policy']}"
    assert value["type"] == 1, value
    envelope = value["value"]
    principals = [
        f"{p['principal']['msp_identifier']}.{ROLES[p['principal']['role']]}"
        for p in envelope["identities"]
    ]
    rule = envelope["rule"]["n_out_of"]
    assert all("signed_by" in r for r in rule["rules"]), "nested rules are not compared here"
    picked = [principals[r.get("signed_by", 0)] for r in rule["rules"]]
    return "Signature", f"{rule['n']} of {sorted(picked)}"


def expected_text(policy_type: str, rule: str) -> tuple[str, str]:
    if policy_type == "ImplicitMeta":
        return policy_type, rule
    match = re.fullmatch(r"(OR|AND|OutOf)\((.*)\)", rule)
    assert match, rule
    args = [a.strip() for a in match.group(2).split(",")]
    if match.group(1) == "OutOf":
        n, args = int(args[0]), args[1:]
    else:
        n = 1 if match.group(1) == "OR" else len(args)
    return policy_type, f"{n} of {sorted(a.strip(chr(39)) for a in args)}"


def policies_of(group: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {name: policy_text(p) for name, p in group["policies"].items()}


def expected_policies(items: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {name: expected_text(p.type, p.rule) for name, p in items.items()}


def bytes_of(size: str) -> int:
    number, unit = re.fullmatch(r"([0-9]+) ?(B|KB|MB|GB)?", size).groups()  # type: ignore[union-attr]
    return int(number) * {None: 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[unit]


# --- the checks ------------------------------------------------------------------------------


def test_batch_and_raft_values(decoded: Decoded) -> None:
    spec = decoded.channel.spec
    orderer = decoded.config["channel_group"]["groups"]["Orderer"]["values"]
    assert orderer["BatchSize"]["value"] == {
        "max_message_count": spec.batch.max_message_count,
        "absolute_max_bytes": bytes_of(spec.batch.absolute_max_bytes),
        "preferred_max_bytes": bytes_of(spec.batch.preferred_max_bytes),
    }
    assert orderer["BatchTimeout"]["value"]["timeout"] == spec.batch.timeout
    consensus = orderer["ConsensusType"]["value"]
    assert consensus["type"] == "etcdraft"
    assert consensus["metadata"]["options"] == {
        "tick_interval": spec.raft.tick_interval,
        "election_tick": spec.raft.election_tick,
        "heartbeat_tick": spec.raft.heartbeat_tick,
        "max_inflight_blocks": spec.raft.max_inflight_blocks,
        "snapshot_interval_size": bytes_of(spec.raft.snapshot_interval_size),
    }


def test_consenter_set(decoded: Decoded) -> None:
    network, channel = decoded.network, decoded.channel
    consensus = decoded.config["channel_group"]["groups"]["Orderer"]["values"]["ConsensusType"]
    got = [
        (
            c["host"],
            c["port"],
            base64.b64decode(c["client_tls_cert"]),
            base64.b64decode(c["server_tls_cert"]),
        )
        for c in consensus["value"]["metadata"]["consenters"]
    ]
    want = []
    for c in channel.consenters:
        host, _, port = endpoint(network, c).advertised.rpartition(":")
        cert = decoded.consenter_certs[c.workload]
        want.append((host, int(port), cert, cert))
    assert got == want
    assert len(got) == len(channel.consenters) >= 3


def test_organisations_and_their_policies(decoded: Decoded) -> None:
    network, channel = decoded.network, decoded.channel
    groups = decoded.config["channel_group"]["groups"]
    orderer_side = {o.msp_id: o for o in orderer_orgs(network, channel)}
    member_side = {o.msp_id: o for o in member_orgs(network, channel)}
    assert set(groups["Orderer"]["groups"]) == set(orderer_side)
    assert set(groups["Application"]["groups"]) == set(member_side)
    for side, orgs, member in (
        ("Orderer", orderer_side, False),
        ("Application", member_side, True),
    ):
        for msp_id, org in orgs.items():
            group = groups[side]["groups"][msp_id]
            assert policies_of(group) == expected_policies(
                configtx.org_policies(org, member=member)
            )
            msp = group["values"]["MSP"]["value"]["config"]
            assert msp["name"] == msp_id
            assert msp["fabric_node_ous"]["enable"] is True
            assert len(msp["root_certs"]) == 1 and len(msp["tls_root_certs"]) == 1
            if side == "Orderer":
                addresses = group["values"]["Endpoints"]["value"]["addresses"]
                mine = [c for c in channel.consenters if c.org == org.name]
                assert addresses == [endpoint(network, c).advertised for c in mine]
            else:  # anchor peers are set by each organisation's update, not at genesis
                assert "AnchorPeers" not in group["values"]


def test_channel_orderer_and_application_policies(decoded: Decoded) -> None:
    network, channel = decoded.network, decoded.channel
    spec = channel.spec
    group = decoded.config["channel_group"]
    assert policies_of(group) == expected_policies(
        configtx.DEFAULT_CHANNEL_POLICIES | dict(spec.policies.channel)
    )
    assert policies_of(group["groups"]["Orderer"]) == expected_policies(
        configtx.DEFAULT_ORDERER_POLICIES | dict(spec.policies.orderer)
    )
    assert policies_of(group["groups"]["Application"]) == expected_policies(
        configtx.application_policies(network, channel)
    )
    if spec.admins is not None and set(spec.admins) != set(spec.members):
        kind, rule = policies_of(group["groups"]["Application"])["Admins"]
        admins = sorted(f"{o.msp_id}.admin" for o in network.orgs if o.name in spec.admins)
        assert (kind, rule) == ("Signature", f"{len(admins) // 2 + 1} of {admins}")


def test_acls_and_capabilities(decoded: Decoded) -> None:
    spec = decoded.channel.spec
    group = decoded.config["channel_group"]
    acls = group["groups"]["Application"]["values"]["ACLs"]["value"]["acls"]
    assert {k: v["policy_ref"] for k, v in acls.items()} == configtx.DEFAULT_ACLS | spec.acls
    caps = spec.capabilities
    for where, want in (
        (group, caps.channel),
        (group["groups"]["Orderer"], caps.orderer),
        (group["groups"]["Application"], caps.application),
    ):
        assert set(where["values"]["Capabilities"]["value"]["capabilities"]) == {want}


def test_defaults_are_fabric_2_5_16s_own() -> None:
    """The ACL table, the policies and the channel defaults hlfc fills in where the
    blueprint is silent are those of the sample configtx.yaml of the version rendered."""
    if not SAMPLE.is_file():
        pytest.fail(f"{SAMPLE} is missing: run `make tools` (make test does)")
    sample = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    application, orderer = sample["Application"], sample["Orderer"]
    assert application["ACLs"] == configtx.DEFAULT_ACLS

    def as_policies(items: dict[str, Any]) -> dict[str, tuple[str, str]]:
        return {k: (v["Type"], v["Rule"]) for k, v in items.items()}

    def ours(items: dict[str, Any]) -> dict[str, tuple[str, str]]:
        return {k: (v.type, v.rule) for k, v in items.items()}

    assert as_policies(sample["Channel"]["Policies"]) == ours(configtx.DEFAULT_CHANNEL_POLICIES)
    assert as_policies(orderer["Policies"]) == ours(configtx.DEFAULT_ORDERER_POLICIES)
    assert as_policies(application["Policies"]) == ours(configtx.DEFAULT_APPLICATION_POLICIES)
    batch, raft = Batch(), Raft()
    assert orderer["BatchTimeout"] == batch.timeout
    assert orderer["BatchSize"] == {
        "MaxMessageCount": batch.max_message_count,
        "AbsoluteMaxBytes": batch.absolute_max_bytes,
        "PreferredMaxBytes": batch.preferred_max_bytes,
    }
    options = orderer["EtcdRaft"]["Options"]
    assert options == {
        "TickInterval": raft.tick_interval,
        "ElectionTick": raft.election_tick,
        "HeartbeatTick": raft.heartbeat_tick,
        "MaxInflightBlocks": raft.max_inflight_blocks,
        "SnapshotIntervalSize": raft.snapshot_interval_size,
    }
    caps = Capabilities()
    assert set(sample["Capabilities"]["Channel"]) == {caps.channel}
    assert set(sample["Capabilities"]["Orderer"]) == {caps.orderer}
    assert set(sample["Capabilities"]["Application"]) == {caps.application}


def test_trust_refuses_a_consenter_certificate_another_ca_issued(
    cas: dict[tuple[str, str], LocalCA], tmp_path: Path
) -> None:
    """A certificate that does not chain to the consenter's organisation's TLS root (here:
    org1's, presented as if it were orderer-org's orderer) is refused, naming the node."""
    network = load_blueprint(ROOT / "blueprints" / "minimal.yaml")
    orgs = {o.name: o for o in network.orgs}
    ca = cas[("minimal", "org1")]
    cert, key = _enroll_tls(
        ca, network, orgs["orderer-org"], "orderer-org-orderer0", issuer=orgs["org1"]
    )
    (tmp_path / "listener").mkdir()
    listener = TLSListener(cert, key, tmp_path / "listener")
    sources = tuple(
        OrgSource(o.name, o.msp_id, cas[("minimal", o.name)].url, "ca", "tlsca")
        for o in network.orgs
    )
    consenter = ConsenterSource("orderer-org-orderer0", "orderer-org", "localhost", listener.port)
    try:
        with pytest.raises(TrustFailed, match=r"orderer-org-orderer0 .*does not verify"):
            fetch(TrustConfig(sources, (consenter,), deadline_seconds=10), tmp_path / "out")
    finally:
        listener.close()
