"""The resolved network: every fact the renderers need, derived once from the blueprint.

Resolution is tolerant (an unknown reference is skipped, not raised) so that the rules can
run on a half-broken blueprint and report everything; renderers only ever see a Network
whose blueprint passed every rule.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from compiler.blueprint.models import (
    AppIdentity,
    Blueprint,
    CertificateAuthority,
    Channel,
    Cluster,
    Orderer,
    OrdererSettings,
    Organization,
    Peer,
    PeerSettings,
)
from compiler.diagnostics import Path

SettingsT = TypeVar("SettingsT", PeerSettings, OrdererSettings)

# Kubernetes limits that derived names must respect, with the reason for each.
STATEFULSET_NAME_LIMIT = 52  # controller-revision-hash label = <name>-<10 chars> ≤ 63
LABEL_LIMIT = 63  # label values, Service names, pod hostnames, namespace names
CRONJOB_NAME_LIMIT = 52  # the CronJob controller appends an 11-character suffix to Jobs


@dataclass(frozen=True)
class DerivedName:
    what: str
    value: str
    limit: int


@dataclass(frozen=True)
class Node:
    """A CA, peer or orderer as it will run: one single-replica StatefulSet."""

    kind: str  # "ca" | "peer" | "orderer"
    org: str
    name: str
    cluster: str
    namespace: str
    workload: str  # StatefulSet, Service and identity base name
    path: Path

    @property
    def pod(self) -> str:
        return f"{self.workload}-0"

    @property
    def headless_service(self) -> str:
        return f"{self.workload}-headless"

    def derived_names(self) -> tuple[DerivedName, ...]:
        return (
            DerivedName("StatefulSet name", self.workload, STATEFULSET_NAME_LIMIT),
            DerivedName("pod hostname", self.pod, LABEL_LIMIT),
            DerivedName("headless Service name", self.headless_service, LABEL_LIMIT),
            DerivedName("enrollment Job name", f"{self.workload}-enroll", LABEL_LIMIT),
            DerivedName("renewal CronJob name", f"{self.workload}-renew", CRONJOB_NAME_LIMIT),
        )


@dataclass(frozen=True)
class CaNode(Node):
    spec: CertificateAuthority


@dataclass(frozen=True)
class PeerNode(Node):
    anchor: bool
    settings: PeerSettings


@dataclass(frozen=True)
class OrdererNode(Node):
    settings: OrdererSettings


@dataclass(frozen=True)
class Org:
    name: str
    msp_id: str
    namespace: str
    path: Path
    ca: CaNode
    peers: tuple[PeerNode, ...]
    orderers: tuple[OrdererNode, ...]
    identities: tuple[AppIdentity, ...] = ()


@dataclass(frozen=True)
class ChannelInfo:
    name: str
    path: Path
    spec: Channel
    consenters: tuple[OrdererNode, ...]  # the resolved ones, in blueprint order


@dataclass(frozen=True)
class Network:
    name: str
    blueprint: Blueprint
    clusters: tuple[Cluster, ...]
    orgs: tuple[Org, ...]
    channels: tuple[ChannelInfo, ...]
    tolerate_cluster_loss: int

    @property
    def nodes(self) -> tuple[Node, ...]:
        out: list[Node] = []
        for org in self.orgs:
            out.append(org.ca)
            out.extend(org.orderers)
            out.extend(org.peers)
        return tuple(out)

    @functools.cached_property
    def _clusters_by_name(self) -> dict[str, Cluster]:
        # renderers ask once per node and dialled endpoint: a scan was quadratic
        return {c.name: c for c in self.clusters}

    @functools.cached_property
    def memo(self) -> dict[str, Any]:
        """Tables derived from this network (the network is immutable), kept for its life."""
        return {}

    def cluster(self, name: str) -> Cluster | None:
        return self._clusters_by_name.get(name)

    def gateway(self, cluster: str) -> tuple[str, str] | None:
        """(namespace, name) of the gateway a cluster's external endpoints enter by: Istio's
        ingress gateway, or the Gateway API Gateway hlfc renders (by default in a namespace
        of the network's own); None without one."""
        spec = self.cluster(cluster)
        if spec is None or not spec.ingress.by_sni:
            return None
        if spec.ingress.gateway:
            namespace, name = spec.ingress.gateway.split("/", 1)
            return namespace, name
        if spec.ingress.kind == "gatewayApi":
            return f"{self.name}-gateway", "fabric"
        return None

    def namespaces(self, cluster: str) -> tuple[str, ...]:
        """Namespaces that hold at least one node in `cluster`, sorted."""
        return tuple(sorted({n.namespace for n in self.nodes if n.cluster == cluster}))


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def layered(settings_type: type[SettingsT], *layers: Any) -> SettingsT:
    """Built-in defaults, then each layer's *explicitly set* keys, deepest last."""
    merged: dict[str, Any] = settings_type().model_dump(by_alias=True)
    for layer in layers:
        merged = deep_merge(merged, layer.model_dump(by_alias=True, exclude_unset=True))
    only_settings = {k: v for k, v in merged.items() if _is_field(settings_type, k)}
    return settings_type.model_validate(only_settings)


def _is_field(model: type[PeerSettings | OrdererSettings], alias: str) -> bool:
    return any((f.alias or n) == alias for n, f in model.model_fields.items())


def workload_name(org: str, node: str) -> str:
    return f"{org}-{node}"


def _peer(org: Organization, peer: Peer, path: Path, namespace: str) -> PeerNode:
    return PeerNode(
        kind="peer",
        org=org.name,
        name=peer.name,
        cluster=peer.cluster,
        namespace=namespace,
        workload=workload_name(org.name, peer.name),
        path=path,
        anchor=peer.anchor,
        settings=layered(PeerSettings, org.peer_defaults, peer),
    )


def _orderer(org: Organization, orderer: Orderer, path: Path, namespace: str) -> OrdererNode:
    return OrdererNode(
        kind="orderer",
        org=org.name,
        name=orderer.name,
        cluster=orderer.cluster,
        namespace=namespace,
        workload=workload_name(org.name, orderer.name),
        path=path,
        settings=layered(OrdererSettings, org.orderer_defaults, orderer),
    )


def _org(org: Organization, path: Path) -> Org:
    namespace = org.namespace or org.name
    ca = CaNode(
        kind="ca",
        org=org.name,
        name=org.ca.name,
        cluster=org.ca.cluster,
        namespace=namespace,
        workload=workload_name(org.name, "ca"),
        path=(*path, "ca"),
        spec=org.ca,
    )
    return Org(
        name=org.name,
        msp_id=org.msp_id,
        namespace=namespace,
        path=path,
        ca=ca,
        peers=tuple(_peer(org, p, (*path, "peers", i), namespace) for i, p in enumerate(org.peers)),
        orderers=tuple(
            _orderer(org, o, (*path, "orderers", i), namespace) for i, o in enumerate(org.orderers)
        ),
        identities=tuple(org.identities),
    )


def resolve_consenters(channel: Channel, orgs: Mapping[str, Org]) -> tuple[OrdererNode, ...]:
    """The channel's consenters: the listed orderers, else every orderer of its orderer orgs.

    A listed name is looked up in the channel's orderer organisations; unknown or ambiguous
    names are skipped here and reported by the reference rules.
    """
    candidates = [
        o for name in channel.orderer_organizations if name in orgs for o in orgs[name].orderers
    ]
    if channel.consenters is None:
        return tuple(candidates)
    out: list[OrdererNode] = []
    for name in channel.consenters:
        matches = [o for o in candidates if o.name == name]
        if len(matches) == 1 and matches[0] not in out:
            out.append(matches[0])
    return tuple(out)


def build_network(blueprint: Blueprint) -> Network:
    spec = blueprint.spec
    orgs = tuple(_org(o, ("spec", "organizations", i)) for i, o in enumerate(spec.organizations))
    by_name: dict[str, Org] = {}
    for org in orgs:
        by_name.setdefault(org.name, org)
    channels = tuple(
        ChannelInfo(
            name=c.name,
            path=("spec", "channels", i),
            spec=c,
            consenters=resolve_consenters(c, by_name),
        )
        for i, c in enumerate(spec.channels)
    )
    consenter_clusters = {o.cluster for ch in channels for o in ch.consenters}
    tolerate = spec.safety.tolerate_cluster_loss
    if tolerate is None:
        tolerate = 1 if len(consenter_clusters) > 1 else 0
    return Network(
        name=blueprint.metadata.name,
        blueprint=blueprint,
        clusters=tuple(spec.clusters),
        orgs=orgs,
        channels=channels,
        tolerate_cluster_loss=tolerate,
    )
