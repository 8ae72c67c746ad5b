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

from collections.abc import Iterator
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


def _endpoint(network: Network, source: Node | None, node: Node, scheme: str) -> dict[str, Any]:
    host, port = address(network, source, node)
    return {
        "url": f"{scheme}://{host}:{port}",
        "tlsCACerts": _root(node.org),
        "grpcOptions": {"ssl-target-name-override": host},
    }


def _source(org: Org, cluster: str | None) -> Node | None:
    """A peer of `org` in `cluster` (addresses as pods there reach them), or None: outside."""
    return None if cluster is None else next(p for p in org.peers if p.cluster == cluster)


def profile(network: Network, org: Org, cluster: str | None) -> dict[str, Any]:
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
        "organizations": {
            o.name: {
                "mspid": o.msp_id,
                "peers": [p.workload for p in o.peers],
                **({"certificateAuthorities": [org.ca.workload]} if o is org else {}),
            }
            for o in members.values()
        },
        "peers": {n: _endpoint(network, source, p, "grpcs") for n, p in sorted(peers.items())},
        "orderers": {
            n: _endpoint(network, source, o, "grpcs") for n, o in sorted(orderers.items())
        },
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


def _data(network: Network, org: Org, cluster: str | None) -> dict[str, str]:
    return {
        PROFILE_FILE: jsontext.dumps(profile(network, org, cluster)) + "\n",
        TRUST_FILE: jsontext.dumps(trust(network, org, cluster)) + "\n",
    }


def files(network: Network) -> dict[str, bytes]:
    """The profiles for clients outside the clusters: path under the network's output
    directory → bytes."""
    return {
        f"{PROFILES_DIR}/{org.name}/{file}": text.encode("utf-8")
        for org in _members(network)
        for file, text in _data(network, org, None).items()
    }


def render(network: Network) -> Iterator[Manifest]:
    for org in _members(network):
        for cluster in sorted({p.cluster for p in org.peers}):
            data = _data(network, org, cluster)
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
