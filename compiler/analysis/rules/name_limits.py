"""N003/N004: names hlfc derives must fit Kubernetes' limits and must not collide.

The StatefulSet limit is 52, not 63: the controller labels each pod with
`controller-revision-hash: <name>-<10 chars>`, and a label value is at most 63 characters.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.network import LABEL_LIMIT, Network, Node
from compiler.analysis.rules.base import Rule
from compiler.diagnostics import Diagnostic, error


def _external_host(network: Network, node: Node) -> str | None:
    cluster = network.cluster(node.cluster)
    if cluster is None or cluster.external_domain is None:
        return None
    return f"{node.workload}.{cluster.external_domain}"


def check(network: Network) -> Iterator[Diagnostic]:
    seen: dict[tuple[str, str, str], Node] = {}
    for node in network.nodes:
        for derived in node.derived_names():
            if len(derived.value) > derived.limit:
                yield error(
                    "N003",
                    (*node.path, "name"),
                    f"{derived.what} {derived.value!r} is {len(derived.value)} characters, "
                    f"over Kubernetes' limit of {derived.limit}; shorten the organisation "
                    f"or node name",
                )
        host = _external_host(network, node)
        if host is not None and len(host.split(".")[0]) > LABEL_LIMIT:
            yield error(
                "N003",
                (*node.path, "name"),
                f"external host {host!r} has a DNS label over {LABEL_LIMIT} characters",
            )
        key = (node.cluster, node.namespace, node.workload)
        other = seen.get(key)
        if other is not None and not _same_blueprint_name(node, other):
            yield error(
                "N004",
                (*node.path, "name"),
                f"{node.kind} {node.org}/{node.name} and {other.kind} {other.org}/{other.name} "
                f"both derive the name {node.workload!r} in namespace {node.namespace!r} of "
                f"cluster {node.cluster!r}",
            )
        else:
            seen[key] = node


def _same_blueprint_name(a: Node, b: Node) -> bool:
    """Two peers/orderers of one org with one name: already N001, not a derivation clash."""
    return a.org == b.org and a.name == b.name and "ca" not in (a.kind, b.kind)


RULE = Rule(id="name-limits", codes=("N003", "N004"), check=check)
