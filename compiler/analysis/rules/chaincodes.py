"""Chaincode definitions and application identities: names, organisations and policies.

R007 a running organisation must be a channel member; R008 a policy may name only channel
members; R009 a channel policy reference must exist; P001 a signature policy must parse;
P002 the organisations running a chaincode must be able to satisfy its endorsement policy
(otherwise no transaction could ever be endorsed); P003 a collection's member
organisations must be able to endorse and hold its data; N001 names unique per scope;
R010 an application identity may not take a reserved `hf.` attribute.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis import policy
from compiler.analysis.chaincodes import ChaincodeInfo, chaincodes
from compiler.analysis.network import Network
from compiler.analysis.rules.base import Rule, did_you_mean
from compiler.blueprint.models import EndorsementPolicy
from compiler.diagnostics import Diagnostic, Path, error, format_path

# The application policies every channel has (configtx defaults), besides the blueprint's own.
STANDARD_APPLICATION_POLICIES = (
    "Readers",
    "Writers",
    "Admins",
    "Endorsement",
    "LifecycleEndorsement",
)


def _signature(
    text: str, where: Path, members: dict[str, str], what: str
) -> Iterator[Diagnostic | policy.Policy]:
    """Diagnostics for a signature policy, then (if it parsed) the policy itself."""
    try:
        parsed = policy.parse(text)
    except policy.PolicyError as exc:
        yield error("P001", where, f"{what} {text!r} is not a Fabric signature policy: {exc}")
        return
    strangers = sorted(policy.msp_ids(parsed) - set(members.values()))
    for msp_id in strangers:
        yield error(
            "R008",
            where,
            f"{what} names {msp_id!r}, which is not the MSP ID of a member of the channel"
            f"{did_you_mean(msp_id, members.values())}",
        )
    if not strangers:
        yield parsed


def _policy(
    spec: EndorsementPolicy, where: Path, cc: ChaincodeInfo, members: dict[str, str], what: str
) -> Iterator[Diagnostic | policy.Policy]:
    if spec.signature is not None:
        yield from _signature(spec.signature, (*where, "signature"), members, what)
        return
    assert spec.channel_policy is not None
    name = spec.channel_policy.rsplit("/", 1)[-1]
    known = (*STANDARD_APPLICATION_POLICIES, *cc.channel.spec.policies.application)
    if name not in known:
        yield error(
            "R009",
            (*where, "channelPolicy"),
            f"{what} refers to {spec.channel_policy!r}, but channel {cc.channel.name!r} has no "
            f"application policy {name!r}{did_you_mean(name, known)}",
        )


def _diagnostics(
    items: Iterator[Diagnostic | policy.Policy],
) -> tuple[list[Diagnostic], policy.Policy | None]:
    found: list[Diagnostic] = []
    parsed: policy.Policy | None = None
    for item in items:
        if isinstance(item, Diagnostic):
            found.append(item)
        else:
            parsed = item
    return found, parsed


def _chaincode(network: Network, cc: ChaincodeInfo, first: dict[str, Path]) -> Iterator[Diagnostic]:
    key = f"{cc.channel.name}/{cc.name}"
    if key in first:
        yield error(
            "N001",
            (*cc.path, "name"),
            f"chaincode {cc.name!r} is already defined on channel {cc.channel.name!r} at "
            f"{format_path(first[key])}",
        )
    first.setdefault(key, (*cc.path, "name"))
    members = {o.name: o.msp_id for o in cc.approvers}
    known = {o.name for o in network.orgs}
    for i, name in enumerate(cc.spec.organizations or []):
        if name not in members:
            why = "is not a member of the channel" if name in known else "is unknown"
            yield error(
                "R007",
                (*cc.path, "organizations", i),
                f"organisation {name!r} runs chaincode {cc.name!r} but {why}"
                f"{did_you_mean(name, members) if name not in known else ''}",
            )
    runners = {o.msp_id for o in cc.runners}
    endorsement = cc.spec.endorsement_policy
    if endorsement is not None:
        found, parsed = _diagnostics(
            _policy(endorsement, (*cc.path, "endorsementPolicy"), cc, members, "endorsement policy")
        )
        yield from found
        if parsed is not None and runners and not policy.satisfiable(parsed, runners):
            yield error(
                "P002",
                (*cc.path, "endorsementPolicy", "signature"),
                f"endorsement policy {endorsement.signature!r} needs organisations that do not "
                f"run chaincode {cc.name!r} (it runs at {', '.join(sorted(runners))}): no "
                "transaction could be endorsed",
            )
    seen: dict[str, int] = {}
    for j, coll in enumerate(cc.spec.collections):
        where = (*cc.path, "collections", j)
        if coll.name in seen:
            yield error(
                "N001",
                (*where, "name"),
                f"collection {coll.name!r} is already defined at "
                f"{format_path((*cc.path, 'collections', seen[coll.name], 'name'))}",
            )
        seen.setdefault(coll.name, j)
        if coll.max_peer_count < coll.required_peer_count:
            yield error(
                "P003",
                (*where, "maxPeerCount"),
                f"maxPeerCount {coll.max_peer_count} is below requiredPeerCount "
                f"{coll.required_peer_count}: Fabric refuses such a collection",
            )
        found, parsed = _diagnostics(
            _signature(coll.policy, (*where, "policy"), members, "collection policy")
        )
        yield from found
        holders = policy.msp_ids(parsed) & runners if parsed is not None else None
        if holders is not None and not holders:
            yield error(
                "P003",
                (*where, "policy"),
                f"no member of collection {coll.name!r} runs chaincode {cc.name!r}: no peer "
                "could ever endorse a write to it",
            )
        if coll.endorsement_policy is not None:
            found, cparsed = _diagnostics(
                _policy(
                    coll.endorsement_policy,
                    (*where, "endorsementPolicy"),
                    cc,
                    members,
                    "collection endorsement policy",
                )
            )
            yield from found
            if cparsed is not None and holders and not policy.satisfiable(cparsed, holders):
                yield error(
                    "P003",
                    (*where, "endorsementPolicy", "signature"),
                    f"collection {coll.name!r}'s endorsement policy cannot be satisfied by its "
                    f"members that run the chaincode ({', '.join(sorted(holders))}): they alone "
                    "hold the private data to endorse with",
                )


def _identities(network: Network) -> Iterator[Diagnostic]:
    for org in network.orgs:
        taken = {n.name: "a node" for n in (*org.peers, *org.orderers)} | {"admin": "the admin"}
        first: dict[str, int] = {}
        for i, ident in enumerate(org.identities):
            where = (*org.path, "identities", i)
            if ident.name in first:
                yield error(
                    "N001",
                    (*where, "name"),
                    f"identity {ident.name!r} is already defined at "
                    f"{format_path((*org.path, 'identities', first[ident.name], 'name'))}",
                )
            elif ident.name in taken:
                yield error(
                    "N001",
                    (*where, "name"),
                    f"identity {ident.name!r} would share its Secrets' names with "
                    f"{taken[ident.name]} of organisation {org.name!r}; choose another name",
                )
            first.setdefault(ident.name, i)
            for attr in sorted(ident.attributes):
                if attr.startswith("hf."):
                    yield error(
                        "R010",
                        (*where, "attributes", attr),
                        f"attribute {attr!r} is one of Fabric CA's own `hf.` privileges; an "
                        "application identity cannot be given it from a blueprint",
                    )


def check(network: Network) -> Iterator[Diagnostic]:
    first: dict[str, Path] = {}
    for cc in chaincodes(network):
        yield from _chaincode(network, cc, first)
    yield from _identities(network)


RULE = Rule(
    id="chaincodes",
    codes=("R007", "R008", "R009", "R010", "P001", "P002", "P003", "N001"),
    check=check,
)
