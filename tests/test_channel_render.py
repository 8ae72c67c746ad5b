"""Every channel setting reaches the output: a blueprint change to any of them changes the
rendered channel objects (the reviewable diff), and nothing else about a channel does."""

from __future__ import annotations

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


def test_the_scripts_msp_folder_config_is_the_sidecars() -> None:
    """A config update rebuilds an unreachable organisation's MSP folder from the live
    configuration; its config.yaml must be the one the trust sidecar writes, or configtxgen
    would make a different MSP value and propose a change nobody asked for."""
    lib = script("lib.sh")
    heredoc = lib.split("cat <<'YAML'\n", 1)[1].split("YAML\n", 1)[0]
    assert heredoc == NODE_OUS
