"""ServiceMonitors, blackbox Probes and PrometheusRules (prometheus-operator).

Facts the rules rely on (Fabric 2.5, orderer/consensus/etcdraft/tracker.go): only the Raft
leader updates consensus_etcdraft_active_nodes; followers keep a stale value and a
leaderless node reports 0. Raft health is therefore read from the leader's series
(`* on(...) is_leader`). Whether a channel has a leader at all is knowable only where
Prometheus sees every consenter: that alert is rendered for channels whose consenters all
run in the cluster, or everywhere when monitoring.globalView says metrics are federated.

Fabric has no certificate-expiry metric; a blackbox exporter probing each node's TLS
listener gives probe_ssl_earliest_cert_expiry (the TLS certificate is enrolled and renewed
together with the signing certificate) without any custom exporter, and the same probes
against other clusters' external endpoints measure cross-cluster reachability.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from compiler.analysis.endpoints import endpoint
from compiler.analysis.network import Network, Node
from compiler.analysis.quorum import quorum_table
from compiler.render import waves
from compiler.render.manifest import Manifest, common_labels

RUNBOOK = "docs/runbooks.md"
SERVICE_ROLE_LABEL = "hlfc.dev/service"
JOB_LABEL = "hlfc.dev/job"


def job(network: Network, kind: str) -> str:
    return f"{network.name}-{kind}"


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    duration: str
    severity: str
    summary: str
    description: str

    def rule(self) -> dict[str, Any]:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.duration,
            "labels": {"severity": self.severity},
            "annotations": {
                "summary": self.summary,
                "description": self.description,
                "runbook": f"{RUNBOOK}#{self.name.lower()}",
            },
        }


def _meta(network: Network, name: str, namespace: str, component: str) -> dict[str, Any]:
    labels = common_labels(network.name, component) | dict(network.blueprint.spec.monitoring.labels)
    return {
        "name": name,
        "namespace": namespace,
        "labels": labels,
        "annotations": waves.annotation(waves.MONITORING) | waves.CUSTOM,
    }


def service_monitor(network: Network, namespace: str, kind: str) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": _meta(network, f"{network.name}-{kind}", namespace, kind),
        "spec": {
            "jobLabel": JOB_LABEL,
            "selector": {
                "matchLabels": {
                    "app.kubernetes.io/part-of": network.name,
                    "app.kubernetes.io/component": kind,
                    # the client Service only: the headless one would scrape every pod twice
                    SERVICE_ROLE_LABEL: "client",
                }
            },
            "namespaceSelector": {"matchNames": [namespace]},
            "endpoints": [
                {"port": "operations", "path": "/metrics", "interval": "30s", "scheme": "http"}
            ],
        },
    }


def _probe(
    network: Network, namespace: str, name: str, targets: list[str], kind: str
) -> dict[str, Any]:
    blackbox = network.blueprint.spec.monitoring.blackbox
    assert blackbox is not None
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Probe",
        "metadata": _meta(network, name, namespace, "monitoring"),
        "spec": {
            "jobName": name,
            "module": blackbox.module,
            "prober": {"url": blackbox.url},
            "interval": "60s",
            "targets": {"staticConfig": {"static": targets, "labels": {"probe_kind": kind}}},
        },
    }


def _selector(namespace: str, **labels: str) -> str:
    inner = [f'namespace="{namespace}"', *(f'{k}="{v}"' for k, v in sorted(labels.items()))]
    return "{" + ", ".join(inner) + "}"


def node_alerts(network: Network, namespace: str, nodes: list[Node]) -> list[Alert]:
    t = network.blueprint.spec.monitoring.thresholds
    pods = "|".join(sorted(n.pod for n in nodes))
    kinds = sorted({n.kind for n in nodes})
    jobs = "|".join(job(network, k) for k in kinds)
    ns = f'namespace="{namespace}"'
    return [
        Alert(
            "FabricNodeDown",
            f'up{{{ns}, job=~"{jobs}"}} == 0',
            "5m",
            "critical",
            "Fabric node {{ $labels.pod }} is not answering on its operations port",
            "Prometheus has not scraped {{ $labels.job }} {{ $labels.pod }} in "
            f"{namespace} for 5 minutes.",
        ),
        Alert(
            "FabricPodNotReady",
            f'kube_pod_status_ready{{{ns}, condition="true", pod=~"{pods}"}} == 0',
            "10m",
            "warning",
            "Fabric pod {{ $labels.pod }} is not ready",
            "The pod has failed its readiness probe (/healthz or /cainfo) for 10 minutes.",
        ),
        Alert(
            "FabricPodCrashLooping",
            f'kube_pod_container_status_waiting_reason{{{ns}, reason="CrashLoopBackOff", '
            f'pod=~"{pods}"}} == 1',
            "10m",
            "critical",
            "Container {{ $labels.container }} of {{ $labels.pod }} is crash-looping",
            "The container keeps restarting; its logs say why (often missing MSP/TLS Secrets).",
        ),
        Alert(
            "FabricVolumeFillingUp",
            f"kubelet_volume_stats_used_bytes{{{ns}}} / "
            f"kubelet_volume_stats_capacity_bytes{{{ns}}} * 100 > "
            f"{t.pvc_usage_warning_percent}",
            "15m",
            "warning",
            "Volume {{ $labels.persistentvolumeclaim }} is over "
            f"{t.pvc_usage_warning_percent}% full",
            "Ledgers only grow: expand the claim (the StorageClass allows expansion).",
        ),
        Alert(
            "FabricVolumeAlmostFull",
            f"kubelet_volume_stats_used_bytes{{{ns}}} / "
            f"kubelet_volume_stats_capacity_bytes{{{ns}}} * 100 > "
            f"{t.pvc_usage_critical_percent}",
            "5m",
            "critical",
            "Volume {{ $labels.persistentvolumeclaim }} is over "
            f"{t.pvc_usage_critical_percent}% full",
            "A full ledger volume stops the node. Expand the claim now.",
        ),
    ]


def orderer_alerts(network: Network, cluster: str, namespace: str) -> list[Alert]:
    t = network.blueprint.spec.monitoring.thresholds
    sel = _selector(namespace, job=job(network, "orderer"))
    leader = f"consensus_etcdraft_is_leader{sel}"
    transactions = _selector(namespace, job=job(network, "orderer"), type="ENDORSER_TRANSACTION")
    alerts = [
        Alert(
            "FabricRaftLeaderChangesTooFrequent",
            f"increase(consensus_etcdraft_leader_changes{sel}[1h]) > {t.leader_changes_per_hour}",
            "0m",
            "warning",
            "Raft leader of channel {{ $labels.channel }} changed often in the last hour",
            f"More than {t.leader_changes_per_hour} leader changes in an hour: network "
            "latency between consenters, or overloaded orderers.",
        ),
        Alert(
            "FabricRaftProposalFailures",
            f"increase(consensus_etcdraft_proposal_failures{sel}[10m]) > 0",
            "0m",
            "warning",
            "Raft proposals are failing on channel {{ $labels.channel }}",
            "The orderer could not propose to the Raft leader in the last 10 minutes.",
        ),
        Alert(
            "FabricRaftConsentersInactive",
            f"consensus_etcdraft_active_nodes{sel} * on(namespace, job, pod, channel) {leader} "
            f"< on(namespace, job, pod, channel) consensus_etcdraft_cluster_size{sel}",
            "5m",
            "warning",
            "Channel {{ $labels.channel }} has consenters the Raft leader cannot reach",
            "Active consenters (as the leader sees them) are fewer than the cluster size.",
        ),
        Alert(
            "FabricRaftQuorumAtRisk",
            f"consensus_etcdraft_active_nodes{sel} * on(namespace, job, pod, channel) {leader} "
            f"<= on(namespace, job, pod, channel) "
            f"(floor(consensus_etcdraft_cluster_size{sel} / 2) + 1) "
            f"and on(namespace, job, pod, channel) consensus_etcdraft_cluster_size{sel} > 2 "
            f"and on(namespace, job, pod, channel) {leader} == 1",
            "2m",
            "critical",
            "Channel {{ $labels.channel }} is at its Raft quorum: one more loss stops ordering",
            "Only a bare majority of consenters is active. Restore the missing ones now.",
        ),
        Alert(
            "FabricBlockHeightStalled",
            f"delta(ledger_blockchain_height{sel}[10m]) == 0 and on(namespace, pod, channel) "
            f"sum by (namespace, pod, channel) (rate(broadcast_processed_count{transactions}[10m]))"
            " > 0",
            "5m",
            "critical",
            "Channel {{ $labels.channel }} receives transactions but cuts no blocks",
            "Transactions are broadcast to {{ $labels.pod }} but its height has not moved "
            "for 10 minutes.",
        ),
    ]
    # "no leader" needs every consenter in view (see the module docstring)
    for channel, q in zip(network.channels, quorum_table(network), strict=True):
        hosted = [
            c for c in channel.consenters if c.cluster == cluster and c.namespace == namespace
        ]
        everyone_here = len(hosted) == q.size and q.size > 0
        if hosted and (everyone_here or network.blueprint.spec.monitoring.global_view):
            alerts.append(no_leader(network, channel.name, q.size))
    return alerts


def no_leader(network: Network, channel: str, consenters: int) -> Alert:
    """A channel without a Raft leader, including the cases with no data to compare: a
    consenter that does not have the channel reports no series for it at all (not joined,
    or its ledger lost), and neither does a channel no consenter has."""
    series = f'consensus_etcdraft_is_leader{{channel="{channel}", job="{job(network, "orderer")}"}}'

    def branch(expr: str, reason: str) -> str:
        return f'max by (channel, reason) (label_replace({expr}, "reason", "{reason}", "", ""))'

    expr = " or ".join(
        (
            branch(f"max by (channel) ({series}) == 0", "no consenter is leader"),
            branch(
                f"count by (channel) ({series}) < {consenters}",
                "a consenter does not have the channel",
            ),
            branch(f"absent({series})", "no consenter has the channel"),
        )
    )
    return Alert(
        "FabricRaftNoLeader",
        expr,
        "2m",
        "critical",
        f"Channel {channel} has no Raft leader, or a consenter lacks it: {{{{ $labels.reason }}}}",
        f"Of the {consenters} consenters of {channel}: {{{{ $labels.reason }}}}. Without a "
        "leader the channel orders nothing; a consenter without the channel (not joined, or "
        "its ledger lost) weakens quorum.",
    )


def peer_alerts(network: Network, namespace: str) -> list[Alert]:
    t = network.blueprint.spec.monitoring.thresholds
    sel = _selector(namespace, job=job(network, "peer"))
    return [
        Alert(
            "FabricPeerHeightLagging",
            f'max by (channel) (ledger_blockchain_height{{job=~"{network.name}-(peer|orderer)"}}) '
            f"- on(channel) group_right "
            f"ledger_blockchain_height{sel} > {t.height_lag_blocks}",
            "10m",
            "warning",
            "Peer {{ $labels.pod }} lags on channel {{ $labels.channel }}",
            f"The peer is more than {t.height_lag_blocks} blocks behind the highest node "
            "this Prometheus sees on the channel.",
        ),
        Alert(
            "FabricPeerProposalFailures",
            f"sum by (namespace, pod) (rate(endorser_proposal_validation_failures{sel}[10m])) "
            f"/ sum by (namespace, pod) (rate(endorser_proposals_received{sel}[10m])) > 0.05",
            "10m",
            "warning",
            "Peer {{ $labels.pod }} rejects more than 5% of proposals",
            "Proposal validation failures: expired or unknown client certificates, or "
            "requests for channels the peer has not joined.",
        ),
    ]


def probe_alerts(network: Network, namespace: str) -> list[Alert]:
    days = network.blueprint.spec.monitoring.thresholds.certificate_expiry_days
    # Probe series carry the Probe's job (unique per namespace), not a namespace label
    sel = f'{{job="{network.name}-{namespace}-tls"}}'
    return [
        Alert(
            "FabricCertificateExpiring",
            f"probe_ssl_earliest_cert_expiry{sel} - time() < {days} * 86400",
            "1h",
            "warning",
            f"TLS certificate of {{{{ $labels.instance }}}} expires in under {days} days",
            "The daily renewal CronJob should have renewed it at 80% of its lifetime: "
            "check its last runs.",
        )
    ]


def remote_alerts(network: Network, cluster: str) -> list[Alert]:
    remote = f'{{job="{remote_job(network, cluster)}"}}'
    return [
        Alert(
            "FabricCrossClusterEndpointUnreachable",
            f"probe_success{remote} == 0",
            "5m",
            "critical",
            "{{ $labels.instance }} in another cluster is unreachable from here",
            "Gossip, Raft, enrollment or channel Jobs across clusters fail while this lasts: "
            "check the ingress gateway and DNS of the other cluster.",
        )
    ]


def remote_job(network: Network, cluster: str) -> str:
    return f"{network.name}-{cluster}-remote"


def remote_targets(network: Network, cluster: str) -> list[str]:
    """The other clusters' external endpoints that nodes of `cluster` dial: consenters of
    their channels (Raft, deliver), other organisations' anchor peers and their own
    organisation's peers elsewhere (gossip), their CA elsewhere (enrollment). Each once per
    cluster, probed by the cluster's blackbox exporter: linear in the nodes, where a probe
    per namespace of every remote node grew with the square of the network."""
    targets: set[str] = set()

    def add(node: Node) -> None:
        if node.cluster != cluster and (external := endpoint(network, node).external):
            targets.add(external)

    orgs = {o.name: o for o in network.orgs}
    for org in network.orgs:
        if any(n.cluster == cluster for n in (*org.peers, *org.orderers)):
            add(org.ca)
    for channel in network.channels:
        members = [orgs[m] for m in channel.spec.members if m in orgs]
        here = {o.name for o in members if any(p.cluster == cluster for p in o.peers)}
        if here or any(c.cluster == cluster for c in channel.consenters):
            for consenter in channel.consenters:
                add(consenter)
        for org in members:
            for peer in org.peers:
                # own organisation's peers elsewhere; another organisation's anchors
                if org.name in here or (peer.anchor and here - {org.name}):
                    add(peer)
    return sorted(targets)


def _remote(network: Network, cluster: str) -> Iterator[Manifest]:
    """The cluster's cross-cluster reachability: a Probe and its alert, in the monitoring
    namespace beside the blackbox exporter that runs it."""
    monitoring = network.blueprint.spec.monitoring
    targets = remote_targets(network, cluster)
    if monitoring.blackbox is None or not targets:
        return
    namespace = monitoring.namespace
    name = remote_job(network, cluster)
    rules = [a.rule() for a in remote_alerts(network, cluster)]
    for obj in (
        _probe(network, namespace, name, targets, "remote"),
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": _meta(network, name, namespace, "monitoring"),
            "spec": {"groups": [{"name": f"{cluster}-remote", "rules": rules}]},
        },
    ):
        yield Manifest(cluster, namespace, obj)


def render(network: Network) -> Iterator[Manifest]:
    monitoring = network.blueprint.spec.monitoring
    if not monitoring.prometheus_operator:
        return
    for cluster in network.clusters:
        for namespace in network.namespaces(cluster.name):
            nodes = [
                n for n in network.nodes if n.cluster == cluster.name and n.namespace == namespace
            ]
            kinds = sorted({n.kind for n in nodes})
            objects = [service_monitor(network, namespace, kind) for kind in kinds]
            groups = [
                {
                    "name": f"{namespace}-nodes",
                    "rules": [a.rule() for a in node_alerts(network, namespace, nodes)],
                }
            ]
            if "orderer" in kinds:
                groups.append(
                    {
                        "name": f"{namespace}-raft",
                        "rules": [
                            a.rule() for a in orderer_alerts(network, cluster.name, namespace)
                        ],
                    }
                )
            if "peer" in kinds:
                groups.append(
                    {
                        "name": f"{namespace}-peers",
                        "rules": [a.rule() for a in peer_alerts(network, namespace)],
                    }
                )
            if monitoring.blackbox is not None:
                local = [endpoint(network, n).internal for n in nodes]
                objects.append(
                    _probe(network, namespace, f"{network.name}-{namespace}-tls", local, "tls")
                )
                groups.append(
                    {
                        "name": f"{namespace}-certificates",
                        "rules": [a.rule() for a in probe_alerts(network, namespace)],
                    }
                )
            objects.append(
                {
                    "apiVersion": "monitoring.coreos.com/v1",
                    "kind": "PrometheusRule",
                    "metadata": _meta(
                        network, f"{network.name}-{namespace}", namespace, "monitoring"
                    ),
                    "spec": {"groups": groups},
                }
            )
            for obj in objects:
                yield Manifest(cluster.name, namespace, obj)
        yield from _remote(network, cluster.name)
