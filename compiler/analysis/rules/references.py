"""R001/R002/R003/R005/R006: every name the blueprint refers to must resolve."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from compiler.analysis.network import Network
from compiler.analysis.rules.base import Rule, did_you_mean
from compiler.diagnostics import Diagnostic, Path, error


def _clusters(network: Network) -> Iterator[Diagnostic]:
    known = {c.name for c in network.clusters}
    for node in network.nodes:
        if node.cluster not in known:
            yield error(
                "R001",
                (*node.path, "cluster"),
                f"{node.kind} {node.org}/{node.name} is placed on unknown cluster "
                f"{node.cluster!r}{did_you_mean(node.cluster, known)}",
            )


def _org_list(names: Sequence[str], path: Path, known: set[str], role: str) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            yield error("R005", (*path, i), f"organisation {name!r} is listed twice as {role}")
        seen.add(name)
        if name not in known:
            yield error(
                "R002",
                (*path, i),
                f"unknown organisation {name!r}{did_you_mean(name, known)}",
            )


def _channels(network: Network) -> Iterator[Diagnostic]:
    orgs = {o.name: o for o in network.orgs}
    known = set(orgs)
    for channel in network.channels:
        spec = channel.spec
        yield from _org_list(
            spec.orderer_organizations,
            (*channel.path, "ordererOrganizations"),
            known,
            "orderer organisation",
        )
        yield from _org_list(spec.members, (*channel.path, "members"), known, "member")
        if spec.admins is not None:
            yield from _org_list(spec.admins, (*channel.path, "admins"), known, "admin")
            for i, admin in enumerate(spec.admins):
                if admin in known and admin not in spec.members:
                    yield error(
                        "R006",
                        (*channel.path, "admins", i),
                        f"admin organisation {admin!r} is not a member of channel {channel.name!r}",
                    )
        if spec.consenters is None:
            continue
        candidates = [o for n in spec.orderer_organizations if n in orgs for o in orgs[n].orderers]
        seen: set[str] = set()
        for i, name in enumerate(spec.consenters):
            where = (*channel.path, "consenters", i)
            matches = [o for o in candidates if o.name == name]
            if name in seen:
                yield error("R005", where, f"consenter {name!r} is listed twice")
            seen.add(name)
            if not matches:
                elsewhere = [o for o in network.orgs for x in o.orderers if x.name == name]
                detail = (
                    f"; it belongs to {elsewhere[0].name!r}, which is not one of the channel's "
                    "ordererOrganizations"
                    if elsewhere
                    else did_you_mean(name, (o.name for o in candidates))
                )
                yield error(
                    "R003",
                    where,
                    f"consenter {name!r} is not an orderer of the channel's orderer "
                    f"organisations ({', '.join(spec.orderer_organizations)}){detail}",
                )
            elif len(matches) > 1:
                owners = ", ".join(o.org for o in matches)
                yield error(
                    "R003",
                    where,
                    f"consenter {name!r} is ambiguous: orderer organisations {owners} "
                    "each have an orderer of that name",
                )


def check(network: Network) -> Iterator[Diagnostic]:
    yield from _clusters(network)
    yield from _channels(network)


RULE = Rule(id="references", codes=("R001", "R002", "R003", "R005", "R006"), check=check)
