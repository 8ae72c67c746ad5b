"""Render a whole analysed network: every component renderer, in one fixed order."""

from __future__ import annotations

from compiler.analysis.network import Network
from compiler.render import namespaces
from compiler.render.manifest import Manifest

RENDERERS = (namespaces.render,)


def render_network(network: Network) -> list[Manifest]:
    return [m for renderer in RENDERERS for m in renderer(network)]
