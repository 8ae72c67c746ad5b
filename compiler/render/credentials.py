"""Credentials are references (design decision 2): Secrets that exist in the cluster, or
ExternalSecrets rendered here from the blueprint's store. Values never pass through hlfc.

Each ExternalSecret keeps its Secret when it is itself deleted (creationPolicy Orphan,
deletionPolicy Retain) and is never pruned or deleted by a sync: losing the registrar
credential would lock the organisation out of its CA.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from compiler.analysis.network import Network, Org, PeerNode
from compiler.blueprint.models import SecretRef
from compiler.render import waves
from compiler.render.manifest import Manifest, common_labels

USERNAME_KEY = "username"
PASSWORD_KEY = "password"


@dataclass(frozen=True)
class Credential:
    ref: SecretRef
    default_remote_key: str

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def remote_key(self) -> str:
        return self.ref.remote_key or self.default_remote_key


def registrar(network: Network, org: Org) -> Credential:
    ref = org.ca.spec.registrar or SecretRef(name=f"{org.name}-ca-registrar")
    return Credential(ref, f"hlfc/{network.name}/{org.name}/ca-registrar")


def couchdb(network: Network, peer: PeerNode) -> Credential:
    ref = peer.settings.couchdb_credentials or SecretRef(name=f"{peer.org}-couchdb")
    return Credential(ref, f"hlfc/{network.name}/{peer.org}/couchdb")


def needed(network: Network) -> dict[tuple[str, str, str], Credential]:
    """(cluster, namespace, Secret name) → credential, for every pod that reads one."""
    out: dict[tuple[str, str, str], Credential] = {}
    for org in network.orgs:
        reg = registrar(network, org)
        # The CA boots with it; every node's enrollment Job registers with it.
        for node in (org.ca, *org.orderers, *org.peers):
            out.setdefault((node.cluster, node.namespace, reg.name), reg)
        for peer in org.peers:
            if peer.settings.state_db == "couchdb":
                cred = couchdb(network, peer)
                out.setdefault((peer.cluster, peer.namespace, cred.name), cred)
    return out


def _external_secret(network: Network, namespace: str, cred: Credential) -> dict[str, Any]:
    store = network.blueprint.spec.secrets.store
    assert store is not None
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {
            "name": cred.name,
            "namespace": namespace,
            "labels": common_labels(network.name, "credentials"),
            "annotations": waves.annotation(waves.SECRETS)
            | waves.sync_options(*waves.KEEP_OPTIONS, "SkipDryRunOnMissingResource=true"),
        },
        "spec": {
            "refreshInterval": network.blueprint.spec.secrets.refresh_interval,
            "secretStoreRef": {"kind": store.kind, "name": store.name},
            "target": {
                "name": cred.name,
                "creationPolicy": "Orphan",
                "deletionPolicy": "Retain",
            },
            "data": [
                {"secretKey": key, "remoteRef": {"key": cred.remote_key, "property": key}}
                for key in (USERNAME_KEY, PASSWORD_KEY)
            ],
        },
    }


def render(network: Network) -> Iterator[Manifest]:
    if network.blueprint.spec.secrets.store is None:
        return  # the Secrets must exist; the README says which ones
    for (cluster, namespace, _), cred in sorted(needed(network).items()):
        yield Manifest(cluster, namespace, _external_secret(network, namespace, cred))
