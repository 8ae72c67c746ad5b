"""T004/T005: what Argo CD and the other clusters need to reach this network.

T004: peers and orderers in several clusters talk across clusters (gossip, Raft, channel
Jobs), so every cluster hosting them needs an ingress and an external domain.
T005: an Argo CD destination names a registered cluster by server URL or by name, not both.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.network import Network
from compiler.analysis.rules.base import Rule
from compiler.diagnostics import Diagnostic, error


def check(network: Network) -> Iterator[Diagnostic]:
    known = {c.name for c in network.clusters}  # unknown ones are R001's finding
    hosting = sorted({n.cluster for n in network.nodes if n.kind != "ca" and n.cluster in known})
    spans = len(hosting) > 1
    for i, cluster in enumerate(network.clusters):
        where = ("spec", "clusters", i)
        if cluster.argocd.server and cluster.argocd.name:
            yield error(
                "T005",
                (*where, "argocd"),
                f"cluster {cluster.name!r}: set argocd.server or argocd.name, not both",
            )
        # what a gateway needs to be rendered at all, spanning or not
        if cluster.ingress.kind == "istio" and cluster.ingress.gateway is None:
            yield error(
                "T004",
                (*where, "ingress", "gateway"),
                f"cluster {cluster.name!r} uses Istio ingress without a gateway "
                "(namespace/name of the ingress gateway)",
            )
        if cluster.ingress.kind == "gatewayApi" and cluster.ingress.gateway_class is None:
            yield error(
                "T004",
                (*where, "ingress", "gatewayClass"),
                f"cluster {cluster.name!r} uses Gateway API ingress without a gatewayClass "
                "(the implementation that serves its Gateway: istio, cilium, eg, ...)",
            )
        if not spans or cluster.name not in hosting:
            continue
        others = ", ".join(c for c in hosting if c != cluster.name)
        # independent findings, all reported at once: a newcomer fixes the ingress and the
        # domain in one round, not two
        if cluster.ingress.kind == "none":
            yield error(
                "T004",
                (*where, "ingress"),
                f"cluster {cluster.name!r} hosts peers or orderers that clusters {others} must "
                "reach, but has no ingress: set ingress.kind to istio, gatewayApi or "
                "loadBalancer",
            )
        if cluster.external_domain is None:
            yield error(
                "T004",
                (*where, "externalDomain"),
                f"cluster {cluster.name!r} hosts peers or orderers that clusters {others} must "
                "reach by name, but has no externalDomain",
            )


RULE = Rule(id="delivery", codes=("T004", "T005"), check=check)
