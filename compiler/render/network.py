"""Render a whole analysed network: every component renderer, in one fixed order."""

from __future__ import annotations

from compiler.analysis.network import Network
from compiler.render import (
    argocd,
    backup,
    ca,
    chaincode,
    channel,
    credentials,
    enrollment,
    ingress,
    monitoring,
    namespaces,
    orderer,
    peer,
    policies,
    profile,
)
from compiler.render.manifest import Manifest

RENDERERS = (
    namespaces.render,
    policies.render,
    credentials.render,
    ca.render,
    enrollment.render,
    orderer.render,
    peer.render,
    channel.render,
    chaincode.render,
    profile.render,
    ingress.render,
    monitoring.render,
    backup.render,
)


def render_network(network: Network) -> list[Manifest]:
    manifests = [m for renderer in RENDERERS for m in renderer(network)]
    # last: the AppProject allows exactly the kinds and namespaces rendered above
    return manifests + list(argocd.render(network, manifests))
