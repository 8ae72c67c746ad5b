"""Chaincode as a service at compile time: the signature policy reader, the package (byte
for byte the same, and the ID the real `peer` computes), and what the renderers make of a
chaincode definition."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.analysis import policy
from compiler.analysis.analyze import analyze
from compiler.blueprint.loader import load
from compiler.render.manifest import Manifest
from compiler.render.network import render_network
from tests.conftest import ROOT
from tests.tooling import TOOLS, all_rendered

MINIMAL = ROOT / "blueprints" / "minimal.yaml"


def render_doc(doc: dict[str, Any], tmp: Path) -> list[Manifest]:
    path = tmp / "blueprint.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    loaded, diagnostics = load(path)
    assert loaded is not None, diagnostics
    analysis = analyze(loaded)
    assert not [d for d in analysis.diagnostics if d.severity == "error"], analysis.diagnostics
    return render_network(analysis.network)


def _untar(gz: bytes) -> dict[str, bytes]:
    """Members of a .tar.gz; each must carry no time, owner or host (a reproducible package)."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(gz))) as tar:
        for member in tar.getmembers():
            assert (member.mtime, member.uid, member.gid, member.uname) == (0, 0, 0, "")
            handle = tar.extractfile(member)
            assert handle is not None
            out[member.name] = handle.read()
    return out


def lifecycle_config_maps() -> list[dict[str, Any]]:
    return [
        obj
        for _, obj in all_rendered("ConfigMap")
        if obj["metadata"]["labels"].get("app.kubernetes.io/component") == "chaincode-lifecycle"
    ]


# --- signature policies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "orgs", "ok"),
    [
        ("OR('A.peer', 'B.peer')", {"A"}, True),
        ("AND('A.peer', 'B.peer')", {"A"}, False),
        ("AND('A.peer', 'B.peer')", {"A", "B"}, True),
        ("OutOf(2, 'A.member', 'B.member', 'C.member')", {"A", "C"}, True),
        ("OutOf(2, 'A.member', 'B.member', 'C.member')", {"C"}, False),
        ("and('A.admin', or('B.client', \"C.orderer\"))", {"A", "C"}, True),
    ],
)
def test_policy_satisfiable(text: str, orgs: set[str], ok: bool) -> None:
    assert policy.satisfiable(policy.parse(text), orgs) is ok


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("AND('A.peer' 'B.peer')", "expected ')'"),
        ("AND('A.peer'", "ends too early"),
        ("XOR('A.peer')", "unknown function"),
        ("'A.boss'", "role 'boss'"),
        ("OutOf(3, 'A.peer', 'B.peer')", "never be satisfied"),
        ("OR('A.peer')) ", "after the policy"),
        ("OR('Apeer')", "not 'MSPID.role'"),
    ],
)
def test_policy_errors_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(policy.PolicyError, match=re.escape(says)):
        policy.parse(text)


def test_policy_names_its_msp_ids() -> None:
    parsed = policy.parse("AND('A.peer', OutOf(1, 'B.member', 'A.admin'))")
    assert policy.msp_ids(parsed) == {"A", "B"}


# --- the package ------------------------------------------------------------------------


def test_every_rendered_package_is_what_its_id_says() -> None:
    maps = lifecycle_config_maps()
    assert maps, "the example blueprints run chaincode"
    for obj in maps:
        data = base64.b64decode(obj["binaryData"]["package.tar.gz"])
        job = json.loads(obj["data"]["job.json"])
        label, _, digest = job["packageID"].partition(":")
        assert hashlib.sha256(data).hexdigest() == digest
        members = _untar(data)
        assert sorted(members) == ["code.tar.gz", "metadata.json"]
        assert json.loads(members["metadata.json"]) == {"label": label, "type": "ccaas"}
        connection = json.loads(_untar(members["code.tar.gz"])["connection.json"])
        # what a review reads beside the package is what the package holds
        assert json.loads(obj["data"]["package-connection.json"]) == connection
        assert connection["tls_required"] is True
        assert connection["root_cert"] == "{{.tls_root}}"


@pytest.mark.tools
def test_the_real_peer_computes_the_rendered_package_id(tmp_path: Path) -> None:
    peer = TOOLS / "fabric-2.5.16" / "bin" / "peer"
    if not peer.exists():
        pytest.fail(f"{peer} is missing: run `make tools`")
    env = os.environ | {"FABRIC_CFG_PATH": str(TOOLS / "src" / "fabric-2.5.16" / "sampleconfig")}
    for obj in lifecycle_config_maps():
        package = tmp_path / "package.tar.gz"
        package.write_bytes(base64.b64decode(obj["binaryData"]["package.tar.gz"]))
        said = subprocess.run(
            [str(peer), "lifecycle", "chaincode", "calculatepackageid", str(package)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        assert said.stdout.strip() == json.loads(obj["data"]["job.json"])["packageID"]


def test_the_server_is_told_its_package_id() -> None:
    ids = {json.loads(o["data"]["job.json"])["packageID"] for o in lifecycle_config_maps()}
    servers = [
        obj
        for _, obj in all_rendered("Deployment")
        if obj["metadata"]["labels"].get("app.kubernetes.io/component") == "chaincode"
    ]
    assert servers
    for obj in servers:
        env = {
            e["name"]: e.get("value")
            for e in obj["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert env["CHAINCODE_ID"] in ids


# --- what a definition change does ----------------------------------------------------------


def _with(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = yaml.safe_load(yaml.safe_dump(doc))
    out["spec"]["channels"][0]["chaincodes"][0].update(changes)
    return out


def _lifecycle(manifests: list[Manifest]) -> dict[str, Any]:
    return {
        m.name: json.loads(m.obj["data"]["job.json"])
        for m in manifests
        if m.kind == "ConfigMap"
        and m.obj["metadata"]["labels"].get("app.kubernetes.io/component") == "chaincode-lifecycle"
    }


def test_a_new_version_is_a_new_package_and_a_new_definition(tmp_path: Path) -> None:
    doc = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    before = _lifecycle(render_doc(doc, tmp_path))
    after = _lifecycle(render_doc(_with(doc, version="1.1.0", sequence=2), tmp_path))
    assert before.keys() == after.keys()
    for name, job in before.items():
        assert after[name]["packageID"] != job["packageID"]
        assert after[name]["packageID"].startswith("assets_1.1.0:")
        assert "2" in after[name]["definitionArgs"]


def test_collections_reach_the_definition(tmp_path: Path) -> None:
    doc = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    coll = {
        "name": "secrets",
        "policy": "OR('Org1MSP.member')",
        "requiredPeerCount": 0,
        "maxPeerCount": 1,
        "blockToLive": 100,
        "endorsementPolicy": {"signature": "OR('Org1MSP.peer')"},
    }
    manifests = render_doc(_with(doc, collections=[coll]), tmp_path)
    maps = [
        m.obj
        for m in manifests
        if m.kind == "ConfigMap" and "collections.json" in m.obj.get("data", {})
    ]
    assert maps
    rendered = json.loads(maps[0]["data"]["collections.json"])
    assert rendered == [
        {
            "name": "secrets",
            "policy": "OR('Org1MSP.member')",
            "requiredPeerCount": 0,
            "maxPeerCount": 1,
            "blockToLive": 100,
            "memberOnlyRead": True,
            "memberOnlyWrite": True,
            "endorsementPolicy": {"signaturePolicy": "OR('Org1MSP.peer')"},
        }
    ]
    args = json.loads(maps[0]["data"]["job.json"])["definitionArgs"]
    assert args[args.index("--collections-config") + 1].endswith("/collections.json")


# --- connection profiles ---------------------------------------------------------------------


def test_connection_profiles_name_roots_by_path_and_hold_no_secret() -> None:
    profiles = [
        obj
        for _, obj in all_rendered("ConfigMap")
        if obj["metadata"]["labels"].get("app.kubernetes.io/component") == "connection-profile"
    ]
    assert profiles
    for obj in profiles:
        text = obj["data"]["connection-profile.json"]
        assert "PRIVATE KEY" not in text and "BEGIN CERTIFICATE" not in text
        profile = json.loads(text)
        trust = json.loads(obj["data"]["trust.json"])
        fetched = {o["name"] for o in trust["organizations"]}
        org = profile["client"]["organization"]
        assert profile["organizations"][org]["certificateAuthorities"]
        endpoints = [*profile["peers"].values(), *profile["orderers"].values()]
        assert endpoints
        for entry in [*endpoints, *profile["certificateAuthorities"].values()]:
            # every root the profile names is one `hlfc trust` fetches with its trust.json
            path = entry["tlsCACerts"]["path"]
            assert path.split("/")[1] in fetched, (path, fetched)


def test_profile_files_for_teams_outside_the_clusters_use_advertised_addresses() -> None:
    from compiler.analysis.endpoints import endpoint  # noqa: PLC0415
    from compiler.render.profile import files  # noqa: PLC0415

    loaded, _ = load(ROOT / "blueprints" / "global.yaml")
    assert loaded is not None
    network = analyze(loaded).network
    nodes = {n.workload: n for n in network.nodes}
    rendered = files(network)
    members = {"org1", "org2", "org3"}  # the orderer organisation runs no peer
    assert set(rendered) == {
        f"_profiles/{org}/{f}" for org in members for f in ("connection-profile.json", "trust.json")
    }
    for path, data in rendered.items():
        text = data.decode()
        assert "PRIVATE KEY" not in text and "BEGIN CERTIFICATE" not in text
        # committed: what `make render` wrote is what the renderer makes
        assert (ROOT / "output" / network.name / path).read_bytes() == data
        if path.endswith("trust.json"):
            for org in json.loads(text)["organizations"]:
                (ca,) = [o.ca for o in network.orgs if o.name == org["name"]]
                assert org["caURL"] == f"https://{endpoint(network, ca).advertised}"
            continue
        profile = json.loads(text)
        for section in ("peers", "orderers", "certificateAuthorities"):
            for name, entry in profile[section].items():
                url = entry["url"].split("://", 1)[1]
                # every cluster of global has ingress: no in-cluster name reaches a client
                assert url == endpoint(network, nodes[name]).external, (path, name)


def test_stale_profile_files_are_removed(tmp_path: Path) -> None:
    from compiler.pipeline import render_files  # noqa: PLC0415

    doc = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    path = tmp_path / "minimal.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    out = tmp_path / "out"
    assert render_files([path], out).ok
    profile = out / "minimal" / "_profiles" / "org1" / "connection-profile.json"
    assert profile.is_file()
    doc["spec"]["channels"] = []  # no channel: no member organisation, no profile
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = render_files([path], out)
    assert result.ok, [d.message for c in result.checks for d in c.diagnostics]
    assert "_profiles/org1/connection-profile.json" in result.writes[0].removed
    assert not (out / "minimal" / "_profiles").exists()
