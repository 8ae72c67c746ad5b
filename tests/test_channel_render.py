"""Every channel setting reaches the output: a blueprint change to any of them changes the
rendered channel objects (the reviewable diff), and nothing else about a channel does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from compiler.analysis.analyze import analyze
from compiler.blueprint.loader import load
from compiler.enroll.msp import NODE_OUS
from compiler.render.channel import script
from compiler.render.network import render_network
from tests.conftest import ROOT

BLUEPRINT = ROOT / "blueprints" / "global.yaml"

CHANGES: dict[str, tuple[str, Any]] = {
    "batch size": ("batch", {"maxMessageCount": 42}),
    "batch timeout": ("batch", {"timeout": "1s"}),
    "absolute max bytes": ("batch", {"absoluteMaxBytes": "20 MB"}),
    "raft election tick": ("raft", {"electionTick": 20}),
    "raft snapshot size": ("raft", {"snapshotIntervalSize": "32 MB"}),
    "application capability": ("capabilities", {"application": "V2_0"}),
    "channel policy": (
        "policies",
        {"channel": {"Readers": {"type": "ImplicitMeta", "rule": "ALL Readers"}}},
    ),
    "application policy": (
        "policies",
        {"application": {"Endorsement": {"type": "ImplicitMeta", "rule": "ANY Endorsement"}}},
    ),
    "ACL": ("acls", {"qscc/GetChainInfo": "/Channel/Application/Writers"}),
    "admins": ("admins", ["org1", "org2", "org3"]),
    "consenters": (
        "consenters",
        ["orderer0", "orderer1", "orderer2", "orderer3", "orderer4"][::-1],
    ),
}


def channel_objects(doc: dict[str, Any], tmp: Path) -> dict[tuple[str, str, str], Any]:
    path = tmp / "blueprint.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    loaded, diagnostics = load(path)
    assert loaded is not None, diagnostics
    analysis = analyze(loaded)
    assert not [d for d in analysis.diagnostics if d.severity == "error"], analysis.diagnostics
    return {
        (m.cluster, m.kind, m.name): m.obj
        for m in render_network(analysis.network)
        if m.obj["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "channel"
    }


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_channel_setting_changes_the_rendered_configtx(change: str, tmp_path: Path) -> None:
    doc = yaml.safe_load(BLUEPRINT.read_text(encoding="utf-8"))
    before = channel_objects(doc, tmp_path)
    key, value = CHANGES[change]
    channel = doc["spec"]["channels"][0]
    channel[key] = (
        {**channel[key], **value} if isinstance(value, dict) and key in channel else value
    )
    after = channel_objects(doc, tmp_path)
    if change == "consenters":
        # the first consenter's party proposes config updates: the proposer moves with it,
        # its Service to its cluster and the proposer's pod label and mount to its Job
        proposers = [{k[0] for k in objs if k[2].endswith("-updates")} for objs in (before, after)]
        assert len(proposers[0]) == len(proposers[1]) == 1 and proposers[0] != proposers[1]
        before, after = (
            {k: v for k, v in objs.items() if not k[2].endswith("-updates") and k[1] != "Job"}
            for objs in (before, after)
        )
    assert set(before) == set(after)
    changed = {k for k in before if before[k] != after[k]}
    # the configtx.yaml of every party (one per organisation and cluster) says the change
    configmaps = {k for k in before if k[1] == "ConfigMap" and "configtx.yaml" in before[k]["data"]}
    assert configmaps and changed == configmaps
    for k in changed:
        assert before[k]["data"]["configtx.yaml"] != after[k]["data"]["configtx.yaml"]


def test_an_anchor_peer_change_changes_only_that_organisations_jobs(tmp_path: Path) -> None:
    doc = yaml.safe_load(BLUEPRINT.read_text(encoding="utf-8"))
    before = channel_objects(doc, tmp_path)
    org2 = next(o for o in doc["spec"]["organizations"] if o["name"] == "org2")
    org2["peers"][1]["anchor"] = True
    after = channel_objects(doc, tmp_path)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {("us-west-2", "ConfigMap", "supply-chain-org2-peer-join")}
    key = ("us-west-2", "ConfigMap", "supply-chain-org2-peer-join")
    assert before[key]["data"]["configtx.yaml"] == after[key]["data"]["configtx.yaml"]
    assert before[key]["data"]["job.json"] != after[key]["data"]["job.json"]


def test_an_orderer_dropped_from_the_consenters_is_retired_by_its_own_job(
    tmp_path: Path,
) -> None:
    """orderer1 stays a node but is replaced in the channel's consenters by a new orderer5:
    the Job of its organisation in its cluster names it to leave the channel (osnadmin
    channel remove, after the update that drops it), no other Job does, and it is no
    longer one to join."""
    doc = yaml.safe_load(BLUEPRINT.read_text(encoding="utf-8"))
    orderer_org = next(o for o in doc["spec"]["organizations"] if o["name"] == "orderer-org")
    orderer_org["orderers"].append({"name": "orderer5", "cluster": "eu-west-1"})
    channel = doc["spec"]["channels"][0]
    channel["consenters"] = ["orderer0", "orderer2", "orderer3", "orderer4", "orderer5"]
    objects = channel_objects(doc, tmp_path)
    jobs = {
        k[0]: json.loads(v["data"]["job.json"])
        for k, v in objects.items()
        if k[1] == "ConfigMap" and k[2] == "supply-chain-orderer-org-orderer-join"
    }
    assert sorted(jobs) == ["eu-west-1", "us-east-1", "us-west-2"]
    assert jobs["us-east-1"]["retired"] == [
        {
            "name": "orderer-org-orderer1",
            "admin": "orderer-org-orderer1.orderer-org:7053",
            "consenter": "orderer-org-orderer1.us-east-1.fabric.global:443",
        }
    ]
    assert [n["name"] for n in jobs["us-east-1"]["nodes"]] == ["orderer-org-orderer0"]
    assert jobs["us-west-2"]["retired"] == jobs["eu-west-1"]["retired"] == []
    hosts = {c["host"] for c in jobs["us-east-1"]["configConsenters"]}
    assert "orderer-org-orderer1.us-east-1.fabric.global" not in hosts


def test_the_scripts_msp_folder_config_is_the_sidecars() -> None:
    """A config update rebuilds an unreachable organisation's MSP folder from the live
    configuration; its config.yaml must be the one the trust sidecar writes, or configtxgen
    would make a different MSP value and propose a change nobody asked for."""
    lib = script("lib.sh")
    heredoc = lib.split("cat <<'YAML'\n", 1)[1].split("YAML\n", 1)[0]
    assert heredoc == NODE_OUS


def _lib_in(tmp: Path) -> Path:
    """lib.sh with its two fixed paths (the Job's parameters, the sidecar's work folder)
    moved under `tmp`, with the parameters lib.sh reads when it is sourced."""
    (tmp / "job.json").write_text(
        json.dumps({"channel": "c", "mspID": "M", "deadlineSeconds": 60}), encoding="utf-8"
    )
    lib = script("lib.sh")
    for fixed, moved in (("/etc/hlfc/channel/job.json", tmp / "job.json"), ("/work", tmp / "w")):
        assert f"={fixed} " in lib
        lib = lib.replace(f"={fixed} ", f"={moved} ", 1)
    path = tmp / "lib.sh"
    path.write_text(lib, encoding="utf-8")
    return path


def _bash(lib: Path, body: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f"source {lib}\n{body}"], capture_output=True, text=True, check=False
    )


def test_the_fetched_certificates_digest_holds_with_none_fetched_yet(tmp_path: Path) -> None:
    """A config update caches its computation by the live configuration and the sidecar's
    certificates so far; with none fetched (a cut-off CA), the digest is still made (a
    failed glob once stopped the script under pipefail) and it moves when one arrives."""
    lib = _lib_in(tmp_path)
    first = _bash(lib, "fetched_digest")
    assert first.returncode == 0, first.stderr
    (tmp_path / "w" / "msp" / "org1" / "cacerts").mkdir(parents=True)
    (tmp_path / "w" / "msp" / "org1" / "cacerts" / "ca.pem").write_text("x", encoding="utf-8")
    second = _bash(lib, "fetched_digest")
    assert second.returncode == 0 and second.stdout != first.stdout


def test_a_command_that_stops_the_script_is_named(tmp_path: Path) -> None:
    """set -e stops the script at a failing command: the log says which one, once; a stop
    by fail() is not said twice."""
    lib = _lib_in(tmp_path)
    stopped = _bash(lib, "false\necho not reached")
    assert stopped.returncode == 1 and "not reached" not in stopped.stdout
    assert stopped.stderr.count('FAILED: the command "false" exited with 1') == 1
    failed = _bash(lib, "fail 'the reason'")
    assert failed.returncode == 1 and failed.stderr.count("FAILED") == 1, failed.stderr
    assert "the reason" in failed.stderr
