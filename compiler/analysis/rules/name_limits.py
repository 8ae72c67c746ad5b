"""N003/N004: names hlfc derives must fit Kubernetes' limits and must not collide.

The StatefulSet limit is 52, not 63: the controller labels each pod with
`controller-revision-hash: <name>-<10 chars>`, and a label value is at most 63 characters.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.network import LABEL_LIMIT, Network, Node
from compiler.analysis.rules.base import Rule
from compiler.diagnostics import Diagnostic, Path, error


def _external_host(network: Network, node: Node) -> str | None:
    cluster = network.cluster(node.cluster)
    if cluster is None or cluster.external_domain is None:
        return None
    return f"{node.workload}.{cluster.external_domain}"


def _name_path(node: Node) -> Path:
    # A CA's names derive from its organisation's name alone; a node's from both.
    return (*node.path[:-1], "name") if node.kind == "ca" else (*node.path, "name")


def check(network: Network) -> Iterator[Diagnostic]:
    seen: dict[tuple[str, str, str], Node] = {}
    for node in network.nodes:
        too_long = [
            f"{d.what} {d.value!r} is {len(d.value)} > {d.limit}"
            for d in node.derived_names()
            if len(d.value) > d.limit
        ]
        host = _external_host(network, node)
        if host is not None and len(host.split(".")[0]) > LABEL_LIMIT:
            too_long.append(f"external host label of {host!r} is over {LABEL_LIMIT}")
        if too_long:
            yield error(
                "N003",
                _name_path(node),
                f"names derived for {node.kind} {node.org}/{node.name} exceed Kubernetes' "
                f"limits: {'; '.join(too_long)}; shorten the organisation or node name",
            )
        key = (node.cluster, node.namespace, node.workload)
        other = seen.get(key)
        if other is not None and not _same_blueprint_name(node, other):
            yield error(
                "N004",
                _name_path(node),
                f"{node.kind} {node.org}/{node.name} and {other.kind} {other.org}/{other.name} "
                f"both derive the name {node.workload!r} in namespace {node.namespace!r} of "
                f"cluster {node.cluster!r}",
            )
        else:
            seen[key] = node


def _same_blueprint_name(a: Node, b: Node) -> bool:
    """One name used twice in the blueprint (two orgs, or two nodes of an org): that is
    N001's finding. A derivation clash is between different names, or a CA and a node."""
    one_ca = (a.kind == "ca") != (b.kind == "ca")
    return a.org == b.org and a.name == b.name and not one_ca


RULE = Rule(id="name-limits", codes=("N003", "N004"), check=check)
