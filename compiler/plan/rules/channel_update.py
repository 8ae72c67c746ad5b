"""Channel updates: what in each channel's configuration the change alters, and whose
signatures the modification policy of that part of the configuration requires (the channel
Jobs carry it out at the sync, README "Day 2"; this says whose signatures they will gather).

Modification policies are Fabric's defaults as configtx renders them: /Channel/Application
and its values by the Application Admins (a MAJORITY of member admins, or the blueprint's
`admins`/`policies.application.Admins`), /Channel/Orderer by a MAJORITY of orderer
organisation admins, /Channel by both majorities, and an organisation's own group (its
anchor peers) by its own admin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler.analysis.channels import anchor_peers, member_orgs, orderer_orgs
from compiler.analysis.endpoints import endpoint
from compiler.analysis.network import ChannelInfo, Network
from compiler.plan.context import Context
from compiler.plan.model import CHANNEL_UPDATE, Change


def _majority(msps: list[str]) -> str:
    need = len(msps) // 2 + 1
    return f"{need} of {len(msps)} admins of {', '.join(msps)}"


def application_signers(network: Network, channel: ChannelInfo) -> str:
    explicit = channel.spec.policies.application.get("Admins")
    if explicit is not None:
        return f"Application/Admins policy {explicit.rule!r}"
    by_name = {o.name: o for o in network.orgs}
    names = channel.spec.admins if channel.spec.admins is not None else channel.spec.members
    return _majority([by_name[n].msp_id for n in names if n in by_name])


def orderer_signers(network: Network, channel: ChannelInfo) -> str:
    explicit = channel.spec.policies.orderer.get("Admins")
    if explicit is not None:
        return f"Orderer/Admins policy {explicit.rule!r}"
    return _majority([o.msp_id for o in orderer_orgs(network, channel)])


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json", by_alias=True) if hasattr(value, "model_dump") else value


def _items(network: Network, channel: ChannelInfo) -> dict[str, tuple[str, Any]]:
    """Each part of the channel's configuration the blueprint decides: (group, value)."""
    spec = channel.spec
    orderer_msps = sorted(o.msp_id for o in orderer_orgs(network, channel))
    member_msps = sorted(o.msp_id for o in member_orgs(network, channel))
    consenters = sorted(
        f"{c.org}/{c.name} {endpoint(network, c).advertised}" for c in channel.consenters
    )
    items: dict[str, tuple[str, Any]] = {
        "channel capabilities": ("channel", spec.capabilities.channel),
        "channel policies": ("channel", _dump(spec.policies.channel)),
        "orderer capabilities": ("orderer", spec.capabilities.orderer),
        "batch size and timeout": ("orderer", _dump(spec.batch)),
        "Raft options": ("orderer", _dump(spec.raft)),
        "orderer policies": ("orderer", _dump(spec.policies.orderer)),
        "orderer organisations": ("orderer", orderer_msps),
        "consenters": ("orderer", consenters),
        "application capabilities": ("application", spec.capabilities.application),
        "application policies": ("application", _dump(spec.policies.application)),
        "ACLs": ("application", dict(sorted(spec.acls.items()))),
        "member organisations": ("application", member_msps),
        "channel admins": ("application", sorted(spec.admins) if spec.admins is not None else None),
    }  # fmt: skip
    for org in member_orgs(network, channel):
        anchors = [f"{host}:{port}" for host, port in anchor_peers(network, org)]
        items[f"anchor peers of {org.msp_id}"] = (f"org:{org.msp_id}", anchors)
    return items


def _signers(group: str, network: Network, channel: ChannelInfo) -> str:
    if group == "application":
        return application_signers(network, channel)
    if group == "orderer":
        return orderer_signers(network, channel)
    if group.startswith("org:"):
        return f"the admin of {group.removeprefix('org:')}"
    application, orderer = application_signers(network, channel), orderer_signers(network, channel)
    return f"both {application} and {orderer} (/Channel/Admins: a MAJORITY of the two)"


def _describe(before: Any, after: Any) -> str:
    if isinstance(before, list) and isinstance(after, list):
        gone = [str(x) for x in before if x not in after]
        came = [str(x) for x in after if x not in before]
        return "; ".join(p for p in (f"- {', '.join(gone)}" if gone else "",
                                     f"+ {', '.join(came)}" if came else "") if p)  # fmt: skip
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted({*before, *after})
        return ", ".join(f"{k}: {before.get(k)} → {after.get(k)}" for k in keys
                         if before.get(k) != after.get(k))  # fmt: skip
    return f"{before} → {after}"


def check(ctx: Context) -> Iterator[Change]:
    old_channels = {c.name: c for c in ctx.old.channels}
    new_channels = {c.name: c for c in ctx.new.channels}
    for name in sorted(new_channels.keys() - old_channels.keys()):
        yield Change(
            CHANNEL_UPDATE, f"channel {name}",
            "new channel: the channel Jobs create it from the rendered configtx and join "
            "every node; no update to sign",
        )  # fmt: skip
    for name in sorted(old_channels.keys() - new_channels.keys()):
        yield Change(
            CHANNEL_UPDATE, f"channel {name}",
            "leaves the blueprint: its Jobs are pruned, but the channel and its ledgers stay "
            "on every node that joined it (hlfc never removes a channel)",
        )  # fmt: skip
    for name in sorted(old_channels.keys() & new_channels.keys()):
        before = _items(ctx.old, old_channels[name])
        after = _items(ctx.new, new_channels[name])
        # an organisation's anchor peers join or leave with it: the member change covers them
        stayed = before.keys() & after.keys()
        for item in sorted(before.keys() | after.keys()):
            if item.startswith("anchor peers of ") and item not in stayed:
                continue
            group = (after.get(item) or before[item])[0]
            old_value = before[item][1] if item in before else []
            new_value = after[item][1] if item in after else []
            if old_value == new_value:
                continue
            yield Change(
                CHANNEL_UPDATE, f"channel {name}",
                f"{item}: {_describe(old_value, new_value)}; a config update signed by "
                f"{_signers(group, ctx.old, old_channels[name])}: the channel Jobs propose it "
                "and gather the signatures, each admin signing in its own cluster",
            )  # fmt: skip
