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
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from compiler.twin.kube import Kube
from compiler.twin.paths import binary
from compiler.twin.sync import Syncer
from compiler.twin.twin import Twin
from tests import app_checks, channel_checks, twin_checks
from tests.conftest import ROOT

NETWORK = ROOT / "output" / "minimal"
CLUSTER = NETWORK / "local"
# the example application, and the chaincode's next version (the upgrade below)
UPGRADE_IMAGE = "ghcr.io/hlfc-dev/asset-transfer:1.1.0"
EXTRA_IMAGES = (app_checks.APP_IMAGE, UPGRADE_IMAGE)
LIFECYCLE_JOB = "mychannel-assets-org1-cc"
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
    twin = Twin(NETWORK, log=print, extra_images=EXTRA_IMAGES)
    twin.down()  # whatever an interrupted run left
    try:
        timings = twin.up()
        yield twin, timings, before
    finally:
        twin.down()


@pytest.fixture(scope="module")
def kube(twin: tuple[Twin, dict[str, float], str]) -> Kube:
    return twin[0].clusters()[0].kube


def test_the_twin_applies_output_unchanged(twin: tuple[Twin, dict[str, float], str]) -> None:
    _, timings, before = twin
    print("twin timings (s):", json.dumps({k: round(v, 1) for k, v in timings.items()}))
    assert _output_digest() == before


def test_namespaces_enforce_restricted_and_every_pod_is_admitted(kube: Kube) -> None:
    twin_checks.admitted_under_restricted(kube, CLUSTER)


def test_every_workload_is_ready_by_its_own_probes(kube: Kube) -> None:
    twin_checks.ready_by_own_probes(kube, CLUSTER)


def test_every_enrollment_job_completed_and_wrote_its_secrets(kube: Kube) -> None:
    twin_checks.enrollment_completed(kube, CLUSTER)


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
        kube,
        "org1",
        "org1-peer0-enroll",
        "patch",
        "secret",
        "org1-admin-tls",
        "-n",
        "org1",
        "--type=merge",
        "-p",
        label,
    )
    assert "Forbidden" in patch
    listing = _as_service_account(kube, "org1", "org1-peer0-enroll", "get", "secrets", "-n", "org1")
    assert "Forbidden" in listing


def test_the_registrar_job_kept_the_registrars_enrollment(kube: Kube) -> None:
    """The organisation's registrar Job, a wave before the identities' Jobs, kept the
    registrar's enrollment at both CAs for them (compiler/enroll/registrar.py), through the
    real API server and its rendered Role."""
    name = "org1-registrar-enrollment"
    keys = kube.run(
        ["get", "secret", name, "-n", "org1",
         "-o", "go-template={{range $k, $v := .data}}{{$k}} {{end}}"]
    ).stdout.split()  # fmt: skip
    assert keys == ["ca.crt", "ca.key", "tlsca.crt", "tlsca.key"]
    said = kube.run(["logs", f"job/{name}", "-n", "org1"]).stdout
    assert f"registrar: enrolled, kept in Secret {name}" in said, said


@pytest.mark.parametrize(
    ("namespace", "name", "port"),
    [("org1", "org1-peer0-0", 7051), ("orderer-org", "orderer-org-orderer1-0", 7050)],
)
def test_a_deleted_node_pod_comes_back_with_its_identity_and_data(
    twin: tuple[Twin, dict[str, float], str], namespace: str, name: str, port: int
) -> None:
    twin_checks.comes_back_with_identity_and_data(twin[0].clusters()[0], namespace, name, port)


def _channel_parties() -> list[channel_checks.Party]:
    return channel_checks.parties({"local": CLUSTER})


def test_every_channel_is_created_once_and_joined_everywhere(kube: Kube) -> None:
    everyone = _channel_parties()
    channels = {p.channel for p in everyone}
    assert channels == {"mychannel"}
    made = [
        p.job
        for p in everyone
        if "genesis block made"
        in kube.run(["logs", f"job/{p.job}", "-n", p.namespace, "-c", "channel"]).stdout
    ]
    assert len(made) == len(channels), made
    for channel in channels:
        # height 2: the genesis block and the anchor peer update, ordered by Raft
        states = channel_checks.converged({"local": kube}, everyone, channel)
        print(channel, [(s.pod, s.height) for s in states])


def test_each_organisation_set_its_anchor_peers(kube: Kube) -> None:
    for party in (p for p in _channel_parties() if p.role == "peer"):
        root = channel_checks.consenter_tls_root({"local": kube}, party)
        config = channel_checks.live_config(kube, party, root)
        assert (
            channel_checks.anchor_peers(config, party.config["mspID"])
            == party.config["anchorPeers"]
        )
        assert party.config["anchorPeers"]


def test_rerunning_every_channel_job_changes_nothing(kube: Kube) -> None:
    everyone = _channel_parties()
    before = {
        s.pod: s.height for s in channel_checks.converged({"local": kube}, everyone, "mychannel")
    }
    for party in sorted(everyone, key=lambda p: p.role != "orderer"):
        logs = channel_checks.rerun(kube, CLUSTER, party)
        print(logs)
        changed = [
            line
            for line in logs.splitlines()
            if line.endswith(" joined") or "updating" in line or "genesis" in line
        ]
        assert changed == [], changed
    after = {
        s.pod: s.height for s in channel_checks.converged({"local": kube}, everyone, "mychannel")
    }
    assert after == before


def test_the_rendered_lifecycle_job_installed_approved_and_committed_the_chaincode(
    kube: Kube,
) -> None:
    logs = kube.run(["logs", f"job/{LIFECYCLE_JOB}", "-n", "org1", "-c", "channel"]).stdout
    print(logs)
    config = json.loads(
        next(
            o["data"]["job.json"]
            for o in twin_checks.rendered(CLUSTER, "ConfigMap")
            if o["metadata"]["name"] == LIFECYCLE_JOB
        )
    )
    assert f"installed {config['packageID']} on org1-peer0.org1:7051" in logs
    assert "approved assets sequence 1 for Org1MSP" in logs
    assert "committed assets sequence 1" in logs
    server = kube.get("deployment", "mychannel-assets", "-n", "org1")
    assert server["status"].get("readyReplicas") == 1


def _steps(*steps: tuple[str, str, list[str]], **extra: object) -> list[dict[str, object]]:
    return [
        {"peer": "org1-peer0", "chaincode": "assets", "op": op, "fn": fn, "args": args} | extra
        for op, fn, args in steps
    ]


def test_an_application_transacts_with_the_rendered_profile_and_an_enrolled_identity(
    kube: Kube, tmp_path: Path
) -> None:
    out = app_checks.run(
        kube,
        "org1",
        "org1",
        "app",
        _steps(
            ("submit", "Put", ["colour", "blue"]),
            ("evaluate", "Get", ["colour"]),
            ("evaluate", "WhoAmI", []),
            ("submit", "PutIfRole", ["writer", "size", "large"]),
            ("submit", "PutIfRole", ["auditor", "size", "small"]),
            ("evaluate", "Get", ["size"]),
        ),
        directory=CLUSTER,
        tmp=tmp_path,
    )
    print(out)
    assert [o["ok"] for o in out] == [True, True, True, True, False, True]
    assert out[1]["result"] == "blue"
    caller = json.loads(out[2]["result"])
    # the identity's blueprint attributes and affiliation, put into its certificate by the CA
    assert caller["mspID"] == "Org1MSP"
    assert caller["attrs"]["role"] == "writer"
    assert caller["attrs"]["hf.Affiliation"] == "org1.apps"
    # attribute-based access control in the chaincode: the endorsement is refused
    assert "access denied" in json.dumps(out[4])
    assert out[5]["result"] == "large"


def test_rerunning_the_lifecycle_job_changes_nothing(kube: Kube) -> None:
    logs = channel_checks.rerun_job(kube, CLUSTER, "org1", LIFECYCLE_JOB)
    print(logs)
    assert "installed already" in logs
    assert "approved for Org1MSP already" in logs
    assert "committed assets" not in logs
    assert "assets sequence 1 is committed on mychannel" in logs


def test_a_new_version_with_a_sequence_bump_upgrades_the_running_chaincode(
    kube: Kube, tmp_path: Path
) -> None:
    """Day 2 as Argo CD does it: the changed blueprint rendered, its cluster directory synced."""
    doc = yaml.safe_load((ROOT / "blueprints" / "minimal.yaml").read_text(encoding="utf-8"))
    chaincode = doc["spec"]["channels"][0]["chaincodes"][0]
    chaincode.update(version="1.1.0", sequence=2, image=UPGRADE_IMAGE)
    blueprint = tmp_path / "minimal.yaml"
    blueprint.write_text(yaml.safe_dump(doc), encoding="utf-8")
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "hlfc"),
            "render",
            str(blueprint),
            "-o",
            str(tmp_path / "out"),
        ],
        check=True,
    )
    Syncer(kube, log=print).sync(tmp_path / "out" / "minimal" / "local")
    logs = kube.run(["logs", f"job/{LIFECYCLE_JOB}", "-n", "org1", "-c", "channel"]).stdout
    print(logs)
    assert "committed assets sequence 2" in logs
    out = app_checks.run(
        kube,
        "org1",
        "org1",
        "app",
        _steps(("evaluate", "Version", []), ("evaluate", "Get", ["colour"])),
        directory=CLUSTER,
        tmp=tmp_path,
    )
    assert [o.get("result") for o in out] == ["1.1.0", "blue"]


def test_down_leaves_nothing_behind(twin: tuple[Twin, dict[str, float], str]) -> None:
    """Last in this module: tears the twin down itself (the fixture's down is then a no-op)."""
    cluster = twin[0].clusters()[0]
    twin[0].down()
    assert twin_checks.nothing_left(cluster) == []
