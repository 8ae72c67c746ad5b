"""Connection profiles: per organisation and cluster where it runs peers, the common
connection profile that Fabric SDKs and Gateway clients read, as a ConfigMap in the
organisation's namespace (`<org>-connection-profile`).

It names every peer and orderer of the organisation's channels and its own CA, each as a
pod of that cluster reaches it (in-cluster names at home, advertised addresses elsewhere).
TLS roots exist only at run time, so each `tlsCACerts` is a `path` relative to the
directory `hlfc trust --config trust.json --out DIR` fills from the CAs (the ConfigMap
carries that trust.json too). No certificate, and no key, is in the profile.

Application teams outside the clusters get the same pair as plain files,
`<network>/_profiles/<org>/{connection-profile,trust}.json`, with every address the one
the network advertises (external names where a cluster has ingress): not a manifest, no
Argo CD Application syncs that folder.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compiler.analysis.channels import member_orgs, orderer_orgs
from compiler.analysis.endpoints import address
from compiler.analysis.network import Network, Node, Org
from compiler.render import channel as channel_render
from compiler.render import jsontext, waves
from compiler.render.manifest import Manifest, common_labels

PROFILE_FILE = "connection-profile.json"
TRUST_FILE = "trust.json"
PROFILES_DIR = "_profiles"


def name(org: Org) -> str:
    return f"{org.name}-connection-profile"


_ROLES = {"endorsingPeer": True, "chaincodeQuery": True, "ledgerQuery": True, "eventSource": True}


def _root(org_name: str) -> dict[str, str]:
    return {"path": f"msp/{org_name}/tlscacerts/tlsca.pem"}


def _endpoint(node: Node, host: str, port: int, scheme: str) -> dict[str, Any]:
    return {
        "url": f"{scheme}://{host}:{port}",
        "tlsCACerts": _root(node.org),
        "grpcOptions": {"ssl-target-name-override": host},
    }


class _Shared:
    """What the profiles of one network have in common, made and written once: a node's
    endpoint, one per address it is dialled on (two: from its own cluster, and from
    anywhere else), and orgs of one cluster in the same channels list the same `peers`
    and `orderers`. The texts come
    from one jsontext memo, so a thousand-peer section of fifty profiles is written once.
    Objects here are shared between profiles: nothing may change them."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.memo = jsontext.Memo()
        self._endpoints: dict[tuple[str, str, int], dict[str, Any]] = {}
        self._orgs: dict[tuple[str, bool], dict[str, Any]] = {}
        self._sections: dict[tuple[str | None, tuple[str, ...]], dict[str, Any]] = {}

    def endpoint(self, source: Node | None, node: Node) -> dict[str, Any]:
        host, port = address(self.network, source, node)
        key = (node.workload, host, port)
        found = self._endpoints.get(key)
        if found is None:
            found = self._endpoints[key] = _endpoint(node, host, port, "grpcs")
        return found

    def organization(self, org: Org, own: bool) -> dict[str, Any]:
        """An entry of `organizations`; the client's own names its CA too."""
        key = (org.name, own)
        found = self._orgs.get(key)
        if found is None:
            found = self._orgs[key] = {
                "mspid": org.msp_id,
                "peers": [p.workload for p in org.peers],
                **({"certificateAuthorities": [org.ca.workload]} if own else {}),
            }
        return found

    def section(self, source: Node | None, nodes: Mapping[str, Node]) -> dict[str, Any]:
        """{workload: endpoint} for `nodes`, sorted by workload."""
        names = tuple(sorted(nodes))
        key = (None if source is None else source.cluster, names)
        found = self._sections.get(key)
        if found is None:
            found = self._sections[key] = {n: self.endpoint(source, nodes[n]) for n in names}
        return found


def _source(org: Org, cluster: str | None) -> Node | None:
    """A peer of `org` in `cluster` (addresses as pods there reach them), or None: outside."""
    return None if cluster is None else next(p for p in org.peers if p.cluster == cluster)


def profile(
    network: Network, org: Org, cluster: str | None, shared: _Shared | None = None
) -> dict[str, Any]:
    shared = shared or _Shared(network)
    source = _source(org, cluster)
    channels = [c for c in network.channels if org in member_orgs(network, c)]
    members: dict[str, Org] = {}
    orderer_side: dict[str, Org] = {}
    for ch in channels:
        members |= {o.name: o for o in member_orgs(network, ch)}
        orderer_side |= {o.name: o for o in orderer_orgs(network, ch)}
    peers = {p.workload: p for o in members.values() for p in o.peers}
    orderers = {c.workload: c for ch in channels for c in ch.consenters}
    ca_host, ca_port = address(network, source, org.ca)
    return {
        "name": f"{network.name}-{org.name}",
        "version": "1.0.0",
        "client": {
            "organization": org.name,
            "connection": {"timeout": {"peer": {"endorser": "300"}, "orderer": "300"}},
        },
        "organizations": {o.name: shared.organization(o, o is org) for o in members.values()},
        "peers": shared.section(source, peers),
        "orderers": shared.section(source, orderers),
        "certificateAuthorities": {
            org.ca.workload: {
                "url": f"https://{ca_host}:{ca_port}",
                "caName": org.ca.spec.name,
                "tlsCACerts": _root(org.name),
                "httpOptions": {"verify": True},
            }
        },
        # the organisation's own peers per channel: what a client starts service discovery
        # from (discovery finds the other organisations' peers, which `peers` above lists
        # for clients that dial them). Listing every member's peer here made the profile
        # grow with channels x peers, past the 1 MiB a ConfigMap may hold at ~1,000 peers.
        "channels": {
            ch.name: {
                "orderers": [c.workload for c in ch.consenters],
                "peers": {p.workload: _ROLES for p in org.peers},
            }
            for ch in channels
        },
    }


def trust(network: Network, org: Org, cluster: str | None) -> dict[str, Any]:
    source = _source(org, cluster)
    orgs: dict[str, Org] = {}
    for ch in network.channels:
        if org in member_orgs(network, ch):
            orgs |= {o.name: o for o in (*member_orgs(network, ch), *orderer_orgs(network, ch))}
    return channel_render.trust_for(network, source, list(orgs.values()), None)


def _members(network: Network) -> Iterator[Org]:
    for org in network.orgs:
        if any(org in member_orgs(network, ch) for ch in network.channels):
            yield org


def _data(network: Network, org: Org, cluster: str | None, shared: _Shared) -> dict[str, str]:
    return {
        PROFILE_FILE: jsontext.dumps(profile(network, org, cluster, shared), memo=shared.memo)
        + "\n",
        TRUST_FILE: jsontext.dumps(trust(network, org, cluster)) + "\n",
    }


def files(network: Network) -> dict[str, bytes]:
    """The profiles for clients outside the clusters: path under the network's output
    directory → bytes."""
    shared = _Shared(network)
    return {
        f"{PROFILES_DIR}/{org.name}/{file}": text.encode("utf-8")
        for org in _members(network)
        for file, text in _data(network, org, None, shared).items()
    }


def render(network: Network) -> Iterator[Manifest]:
    shared = _Shared(network)
    for org in _members(network):
        for cluster in sorted({p.cluster for p in org.peers}):
            data = _data(network, org, cluster, shared)
            yield Manifest(
                cluster,
                org.namespace,
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": name(org),
                        "namespace": org.namespace,
                        "labels": common_labels(network.name, "connection-profile")
                        | {"hlfc.dev/organization": org.name},
                        "annotations": waves.annotation(waves.CHAINCODE_JOBS),
                    },
                    "data": data,
                },
            )
