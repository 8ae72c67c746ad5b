"""Alert rules, judged by promtool: every rendered group passes `promtool check rules`, and
`promtool test rules` makes every alert fire on a synthetic series and stay silent on a
healthy one. Every metric a rule reads exists in Fabric 2.5 or the standard exporters."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tooling import OUTPUT, all_rendered

PROMTOOL = Path("/usr/bin/promtool")
FABRIC_METRICS = Path(__file__).parent / "data" / "fabric-2.5-metrics.tsv"
# kube-state-metrics, kubelet, Prometheus itself and the blackbox exporter
STANDARD_METRICS = {
    "up",
    "kube_pod_status_ready",
    "kube_pod_container_status_waiting_reason",
    "kubelet_volume_stats_used_bytes",
    "kubelet_volume_stats_capacity_bytes",
    "probe_ssl_earliest_cert_expiry",
    "probe_success",
}

MINIMAL_ORDERERS = OUTPUT / "minimal/local/orderer-org/prometheusrule-minimal-orderer-org.yaml"
MINIMAL_PEERS = OUTPUT / "minimal/local/org1/prometheusrule-minimal-org1.yaml"
GLOBAL_REMOTE = OUTPUT.joinpath(
    "global-fabric-network/us-east-1/monitoring",
    "prometheusrule-global-fabric-network-us-east-1-remote.yaml",
)

ORD = 'namespace="orderer-org", job="minimal-orderer", pod="orderer-org-orderer0-0"'
ORD_LABELS = {"namespace": "orderer-org", "job": "minimal-orderer", "pod": "orderer-org-orderer0-0"}
PEER = 'namespace="org1", job="minimal-peer", pod="org1-peer0-0"'
PEER_LABELS = {"namespace": "org1", "job": "minimal-peer", "pod": "org1-peer0-0"}
CH = 'channel="mychannel"'
TX = 'type="ENDORSER_TRANSACTION", status="SUCCESS"'


def leader_of(i: int) -> str:
    pod = f'namespace="orderer-org", job="minimal-orderer", pod="orderer-org-orderer{i}-0"'
    return f"consensus_etcdraft_is_leader{{{pod}, {CH}}}"


READY = (
    'kube_pod_status_ready{namespace="orderer-org", condition="true", pod="orderer-org-orderer0-0"}'
)
WAITING = (
    'kube_pod_container_status_waiting_reason{namespace="orderer-org", '
    'reason="CrashLoopBackOff", pod="orderer-org-orderer0-0", container="orderer"}'
)
USED = (
    'kubelet_volume_stats_used_bytes{namespace="orderer-org", '
    'persistentvolumeclaim="data-orderer-org-orderer0-0"}'
)
CAPACITY = (
    'kubelet_volume_stats_capacity_bytes{namespace="orderer-org", '
    'persistentvolumeclaim="data-orderer-org-orderer0-0"}'
)
EXPIRY = (
    'probe_ssl_earliest_cert_expiry{job="minimal-orderer-org-tls", '
    'instance="orderer-org-orderer0.orderer-org.svc.cluster.local:7050"}'
)
REMOTE = (
    'probe_success{job="global-fabric-network-us-east-1-remote", '
    'instance="orderer-org-orderer4.eu-west-1.fabric.global:443"}'
)


@dataclass
class Case:
    alert: str
    rules: Path
    eval_time: str
    firing: dict[str, str]  # series → values
    healthy: dict[str, str]
    labels: dict[str, str]  # the firing alert's labels
    extra: dict[str, str] = field(default_factory=dict)  # series in both runs


CASES = [
    Case(
        "FabricNodeDown",
        MINIMAL_ORDERERS,
        "10m",
        {f"up{{{ORD}}}": "0x15"},
        {f"up{{{ORD}}}": "1x15"},
        {**ORD_LABELS, "severity": "critical"},
    ),
    Case(
        "FabricPodNotReady",
        MINIMAL_ORDERERS,
        "15m",
        {READY: "0x20"},
        {READY: "1x20"},
        {
            "namespace": "orderer-org",
            "condition": "true",
            "pod": "orderer-org-orderer0-0",
            "severity": "warning",
        },
    ),
    Case(
        "FabricPodCrashLooping",
        MINIMAL_ORDERERS,
        "15m",
        {WAITING: "1x20"},
        {WAITING: "0x20"},
        {
            "namespace": "orderer-org",
            "reason": "CrashLoopBackOff",
            "pod": "orderer-org-orderer0-0",
            "container": "orderer",
            "severity": "critical",
        },
    ),
    Case(
        "FabricVolumeFillingUp",
        MINIMAL_ORDERERS,
        "20m",
        {USED: "85x25"},
        {USED: "50x25"},
        {
            "namespace": "orderer-org",
            "persistentvolumeclaim": "data-orderer-org-orderer0-0",
            "severity": "warning",
        },
        {CAPACITY: "100x25"},
    ),
    Case(
        "FabricVolumeAlmostFull",
        MINIMAL_ORDERERS,
        "10m",
        {USED: "95x15"},
        {USED: "85x15"},
        {
            "namespace": "orderer-org",
            "persistentvolumeclaim": "data-orderer-org-orderer0-0",
            "severity": "critical",
        },
        {CAPACITY: "100x15"},
    ),
    Case(
        "FabricRaftLeaderChangesTooFrequent",
        MINIMAL_ORDERERS,
        "60m",
        {f"consensus_etcdraft_leader_changes{{{ORD}, {CH}}}": "0+1x60"},
        {f"consensus_etcdraft_leader_changes{{{ORD}, {CH}}}": "0+0x60"},
        {**ORD_LABELS, "channel": "mychannel", "severity": "warning"},
    ),
    Case(
        "FabricRaftProposalFailures",
        MINIMAL_ORDERERS,
        "15m",
        {f"consensus_etcdraft_proposal_failures{{{ORD}, {CH}}}": "0+1x20"},
        {f"consensus_etcdraft_proposal_failures{{{ORD}, {CH}}}": "0+0x20"},
        {**ORD_LABELS, "channel": "mychannel", "severity": "warning"},
    ),
    Case(
        "FabricRaftConsentersInactive",
        MINIMAL_ORDERERS,
        "10m",
        {f"consensus_etcdraft_active_nodes{{{ORD}, {CH}}}": "2x15"},
        {f"consensus_etcdraft_active_nodes{{{ORD}, {CH}}}": "3x15"},
        {**ORD_LABELS, "channel": "mychannel", "severity": "warning"},
        {
            f"consensus_etcdraft_is_leader{{{ORD}, {CH}}}": "1x15",
            f"consensus_etcdraft_cluster_size{{{ORD}, {CH}}}": "3x15",
        },
    ),
    Case(
        "FabricRaftQuorumAtRisk",
        MINIMAL_ORDERERS,
        "5m",
        {f"consensus_etcdraft_active_nodes{{{ORD}, {CH}}}": "2x10"},
        {f"consensus_etcdraft_active_nodes{{{ORD}, {CH}}}": "3x10"},
        {**ORD_LABELS, "channel": "mychannel", "severity": "critical"},
        {
            f"consensus_etcdraft_is_leader{{{ORD}, {CH}}}": "1x10",
            f"consensus_etcdraft_cluster_size{{{ORD}, {CH}}}": "3x10",
        },
    ),
    Case(
        "FabricBlockHeightStalled",
        MINIMAL_ORDERERS,
        "20m",
        {f"ledger_blockchain_height{{{ORD}, {CH}}}": "10x25"},
        {f"ledger_blockchain_height{{{ORD}, {CH}}}": "10+1x25"},
        {**ORD_LABELS, "channel": "mychannel", "severity": "critical"},
        {f"broadcast_processed_count{{{ORD}, {CH}, {TX}}}": "0+10x25"},
    ),
    Case(
        "FabricRaftNoLeader",
        MINIMAL_ORDERERS,
        "5m",
        {leader_of(i): "0x10" for i in range(3)},
        {leader_of(i): ("1x10" if i == 1 else "0x10") for i in range(3)},
        {"channel": "mychannel", "reason": "no consenter is leader", "severity": "critical"},
    ),
    # a consenter without the channel has no series for it: absence must alert too
    Case(
        "FabricRaftNoLeader",
        MINIMAL_ORDERERS,
        "5m",
        {leader_of(i): ("1x10" if i == 1 else "0x10") for i in range(2)},
        {leader_of(i): ("1x10" if i == 1 else "0x10") for i in range(3)},
        {
            "channel": "mychannel",
            "reason": "a consenter does not have the channel",
            "severity": "critical",
        },
    ),
    Case(
        "FabricRaftNoLeader",
        MINIMAL_ORDERERS,
        "5m",
        {},
        {leader_of(i): ("1x10" if i == 1 else "0x10") for i in range(3)},
        {"channel": "mychannel", "reason": "no consenter has the channel", "severity": "critical"},
        {f"up{{{ORD}}}": "1x10"},
    ),
    Case(
        "FabricPeerHeightLagging",
        MINIMAL_PEERS,
        "15m",
        {f"ledger_blockchain_height{{{PEER}, {CH}}}": "50x20"},
        {f"ledger_blockchain_height{{{PEER}, {CH}}}": "95x20"},
        {**PEER_LABELS, "channel": "mychannel", "severity": "warning"},
        {f"ledger_blockchain_height{{{ORD}, {CH}}}": "100x20"},
    ),
    Case(
        "FabricPeerProposalFailures",
        MINIMAL_PEERS,
        "15m",
        {f"endorser_proposal_validation_failures{{{PEER}}}": "0+10x20"},
        {f"endorser_proposal_validation_failures{{{PEER}}}": "0+1x20"},
        {"namespace": "org1", "pod": "org1-peer0-0", "severity": "warning"},
        {f"endorser_proposals_received{{{PEER}}}": "0+100x20"},
    ),
    # now + 10 days at the evaluation time of 2h (7200 s), against a 21-day threshold
    Case(
        "FabricCertificateExpiring",
        MINIMAL_ORDERERS,
        "2h",
        {EXPIRY: f"{7200 + 10 * 86400}x130"},
        {EXPIRY: f"{7200 + 60 * 86400}x130"},
        {
            "job": "minimal-orderer-org-tls",
            "instance": "orderer-org-orderer0.orderer-org.svc.cluster.local:7050",
            "severity": "warning",
        },
    ),
    Case(
        "FabricCrossClusterEndpointUnreachable",
        GLOBAL_REMOTE,
        "10m",
        {REMOTE: "0x15"},
        {REMOTE: "1x15"},
        {
            "job": "global-fabric-network-us-east-1-remote",
            "instance": "orderer-org-orderer4.eu-west-1.fabric.global:443",
            "severity": "critical",
        },
    ),
]


def promtool() -> Path:
    if not PROMTOOL.is_file():
        pytest.fail("promtool is missing: run `make tools` (make test does)")
    return PROMTOOL


def rule_groups(path: Path) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(path.read_text())["spec"]
    return spec


RULES = all_rendered("PrometheusRule")


@pytest.mark.parametrize(
    ("path", "rule"), RULES, ids=[str(p.relative_to(OUTPUT)) for p, _ in RULES]
)
def test_promtool_check_rules(tmp_path: Path, path: Path, rule: dict[str, Any]) -> None:
    # promtool wants the plain `groups:` file, i.e. the PrometheusRule's spec
    plain = tmp_path / "rules.yaml"
    plain.write_text(yaml.safe_dump(rule["spec"]))
    result = subprocess.run(
        [str(promtool()), "check", "rules", str(plain)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def _annotations(case: Case) -> dict[str, str]:
    """The rule's annotations with `{{ $labels.x }}` expanded as Prometheus would."""
    groups = rule_groups(case.rules)["groups"]
    rule = next(r for g in groups for r in g["rules"] if r["alert"] == case.alert)
    out = {}
    for key, text in rule["annotations"].items():
        for name in re.findall(r"\{\{ \$labels\.(\w+) \}\}", text):
            assert name in case.labels, f"{case.alert} {key} uses a label the alert lacks: {name}"
        out[key] = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: case.labels[m.group(1)], text)
    return out


def _series(series: dict[str, str]) -> list[dict[str, str]]:
    return [{"series": s, "values": v} for s, v in series.items()]


@pytest.mark.parametrize("case", CASES, ids=[c.alert for c in CASES])
def test_alert_fires_and_stays_silent(tmp_path: Path, case: Case) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(rule_groups(case.rules)))
    tests = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": _series({**case.extra, **case.firing}),
                "alert_rule_test": [
                    {
                        "eval_time": case.eval_time,
                        "alertname": case.alert,
                        "exp_alerts": [
                            {"exp_labels": case.labels, "exp_annotations": _annotations(case)}
                        ],
                    }
                ],
            },
            {
                "interval": "1m",
                "input_series": _series({**case.extra, **case.healthy}),
                "alert_rule_test": [
                    {"eval_time": case.eval_time, "alertname": case.alert, "exp_alerts": []}
                ],
            },
        ],
    }
    test_file = tmp_path / "test.yaml"
    test_file.write_text(yaml.safe_dump(tests))
    result = subprocess.run(
        [str(promtool()), "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_rendered_alert_has_a_firing_and_a_silent_case() -> None:
    rendered = {r["alert"] for _, obj in RULES for g in obj["spec"]["groups"] for r in g["rules"]}
    assert rendered == {c.alert for c in CASES}


def test_every_metric_read_by_a_rule_exists() -> None:
    fabric = {line.split("\t")[1] for line in FABRIC_METRICS.read_text().splitlines()[1:] if line}
    known = fabric | STANDARD_METRICS
    used = set()
    for _, obj in RULES:
        for group in obj["spec"]["groups"]:
            for rule in group["rules"]:
                used |= set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", rule["expr"]))
    assert used, "no metric found in any rule"
    assert used - known == set()
    assert {"consensus_etcdraft_is_leader", "ledger_blockchain_height", "up"} <= used


def test_every_alert_has_severity_summary_description_and_a_runbook() -> None:
    runbooks = (Path(__file__).parent.parent / "docs" / "runbooks.md").read_text()
    anchors = {m.lower() for m in re.findall(r"^## (\w+)", runbooks, re.MULTILINE)}
    for _, obj in RULES:
        for group in obj["spec"]["groups"]:
            for rule in group["rules"]:
                assert rule["labels"]["severity"] in {"warning", "critical"}
                notes = rule["annotations"]
                assert notes["summary"] and notes["description"]
                anchor = notes["runbook"].split("#", 1)[1]
                assert anchor in anchors, f"docs/runbooks.md has no section for {rule['alert']}"


def test_remote_probes_grow_with_the_nodes_not_their_square() -> None:
    """One cross-cluster Probe per cluster, of what that cluster's nodes really dial."""
    probes = sorted(OUTPUT.glob("global-fabric-network/*/*/probe-*-remote.yaml"))
    assert [p.parent.name for p in probes] == ["monitoring"] * 3
    east = yaml.safe_load(probes[1].read_text())["spec"]["targets"]["staticConfig"]["static"]
    # us-east-1 runs org1 and orderers: the other clusters' consenters and anchor peers;
    # org2-peer1 and org3-peer1 are no anchors, no node here dials them
    assert east == [
        "orderer-org-orderer2.us-west-2.fabric.global:443",
        "orderer-org-orderer3.us-west-2.fabric.global:443",
        "orderer-org-orderer4.eu-west-1.fabric.global:443",
        "org2-peer0.us-west-2.fabric.global:443",
        "org3-peer0.eu-west-1.fabric.global:443",
    ]
