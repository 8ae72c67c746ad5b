"""Identity hazards: a change after which nodes, channels or clients no longer recognise
who is who. A channel's configuration holds each organisation's MSP ID and root
certificates; a node's certificates name it; none of that follows a rename."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.network import Org
from compiler.plan.context import Context
from compiler.plan.model import IDENTITY, Change


def _ca_origin(org: Org) -> tuple[str, str | None, str | None]:
    spec = org.ca.spec
    return (
        org.ca.cluster,
        spec.import_root.cert if spec.import_root else None,
        spec.import_tls_root.cert if spec.import_tls_root else None,
    )


def check(ctx: Context) -> Iterator[Change]:
    old_orgs = {o.name: o for o in ctx.old.orgs}
    new_orgs = {o.name: o for o in ctx.new.orgs}
    for name in sorted(old_orgs.keys() - new_orgs.keys()):
        org = old_orgs[name]
        yield Change(
            IDENTITY, f"organisation {name}",
            f"{org.msp_id} leaves the blueprint: its nodes stop, its identity Secrets and "
            "claims stay (never pruned), and every channel's configuration keeps its MSP until "
            "a channel update removes it",
            hazard=True,
            action="remove it from every channel first, then from the blueprint",
        )  # fmt: skip
    for name in sorted(old_orgs.keys() & new_orgs.keys()):
        before, after = old_orgs[name], new_orgs[name]
        if before.msp_id != after.msp_id:
            yield Change(
                IDENTITY, f"organisation {name}",
                f"MSP ID {before.msp_id} → {after.msp_id}: every certificate and channel "
                f"configuration knows the organisation as {before.msp_id}; its nodes would "
                "claim an MSP no channel has, and its chaincode approvals and policies name "
                "the old one",
                hazard=True,
                action="keep the MSP ID; a new MSP is a new organisation joining the channels",
            )  # fmt: skip
        if _ca_origin(before) != _ca_origin(after):
            yield Change(
                IDENTITY, f"organisation {name} CA",
                f"the CA of {name} is replaced ({before.ca.cluster} → {after.ca.cluster}, or "
                "another imported root): its certificates come from a new root that no channel "
                "configuration holds, and the old root's certificates stay valid where it is",
                hazard=True, objects=(f"{after.ca.cluster} {after.namespace}/StatefulSet/"
                                      f"{after.ca.workload}",),
                action="add the new root to the organisation's MSP in every channel first "
                "(a channel update), then move the CA",
            )  # fmt: skip
        for kind, old_nodes, new_nodes in (
            ("peer", before.peers, after.peers),
            ("orderer", before.orderers, after.orderers),
        ):
            gone = sorted({n.name for n in old_nodes} - {n.name for n in new_nodes})
            came = sorted({n.name for n in new_nodes} - {n.name for n in old_nodes})
            if gone and came:
                yield Change(
                    IDENTITY, f"organisation {name} {kind}s",
                    f"{', '.join(gone)} removed and {', '.join(came)} added in one change: if "
                    "this is a rename, the new name is a new identity (new certificates"
                    f"{', a new consenter' if kind == 'orderer' else ''}) and the old node's "
                    "ledger is left behind",
                    hazard=True,
                    action="add the new node, let it catch up, then remove the old one",
                )  # fmt: skip
            moved = {n.name: n for n in new_nodes}
            for node in old_nodes:
                now = moved.get(node.name)
                if now is not None and now.cluster != node.cluster:
                    yield Change(
                        IDENTITY, f"{kind} {name}/{node.name}",
                        f"moves {node.cluster} → {now.cluster}: a new pod with a new identity "
                        f"enrolled in {now.cluster} and an empty ledger; the old ledger stays "
                        f"in {node.cluster}",
                        hazard=True,
                        pods=(f"{node.cluster} {node.namespace}/{node.pod}",
                              f"{now.cluster} {now.namespace}/{now.pod}"),
                        action="add a node in the new cluster, then retire the old one",
                    )  # fmt: skip
