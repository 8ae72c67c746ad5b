"""N001/N002: names that identify things must be unique where they are looked up."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from compiler.analysis.network import Network
from compiler.analysis.rules.base import Rule
from compiler.diagnostics import Diagnostic, Path, error, format_path


def _duplicates(
    what: str, items: Iterable[tuple[str, Path]], code: str = "N001"
) -> Iterator[Diagnostic]:
    first: dict[str, Path] = {}
    for name, path in items:
        if name in first:
            where = format_path(first[name])
            yield error(code, path, f"{what} {name!r} is already defined at {where}")
        else:
            first[name] = path


def check(network: Network) -> Iterator[Diagnostic]:
    spec = network.blueprint.spec
    yield from _duplicates(
        "cluster", ((c.name, ("spec", "clusters", i, "name")) for i, c in enumerate(spec.clusters))
    )
    yield from _duplicates(
        "organisation",
        ((o.name, (*o.path, "name")) for o in network.orgs),
    )
    yield from _duplicates(
        "MSP ID", ((o.msp_id, (*o.path, "mspID")) for o in network.orgs), code="N002"
    )
    for org in network.orgs:
        # Peers and orderers of one organisation share a namespace and a name prefix.
        nodes = [*org.orderers, *org.peers]
        yield from _duplicates(
            f"node of organisation {org.name!r}", ((n.name, (*n.path, "name")) for n in nodes)
        )
    yield from _duplicates("channel", ((c.name, (*c.path, "name")) for c in network.channels))
    yield from _duplicates(
        "storage class",
        (
            (s.name, ("spec", "storageClasses", i, "name"))
            for i, s in enumerate(spec.storage_classes)
        ),
    )


RULE = Rule(id="unique-names", codes=("N001", "N002"), check=check)
