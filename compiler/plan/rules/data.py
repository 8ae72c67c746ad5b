"""Data hazards: a sync that would leave a ledger behind, unreachable or unread.

Claims are never deleted by a sync (decision 4), so the hazard is never a deletion: it is a
claim that Kubernetes will not change the way the blueprint now says (shrink, another
class), a ledger a node no longer mounts, or a node whose claims stay behind orphaned."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compiler.analysis.network import PeerNode
from compiler.plan import quantity
from compiler.plan.context import Context
from compiler.plan.model import DATA, Change
from compiler.plan.objects import Key, get

# where each Fabric server keeps its ledger, by env (fabric-runtime.md)
LEDGER_ENV = (
    "CORE_PEER_FILESYSTEMPATH",
    "ORDERER_FILELEDGER_LOCATION",
    "ORDERER_CONSENSUS_WALDIR",
    "ORDERER_CONSENSUS_SNAPDIR",
    "FABRIC_CA_SERVER_HOME",
)


def _claims(obj: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    templates = get(obj, "spec", "volumeClaimTemplates") or []
    return {str(t["metadata"]["name"]): t for t in templates}


def _claim_names(key: Key, obj: Mapping[str, Any], template: str) -> list[str]:
    replicas = int(get(obj, "spec", "replicas") or 1)
    return [f"{template}-{key.name}-{i}" for i in range(replicas)]


def _mounts(obj: Mapping[str, Any], volumes: set[str]) -> dict[tuple[str, str], str]:
    """(container, claim template) → mount path, and (container, env name) → value."""
    out: dict[tuple[str, str], str] = {}
    spec = get(obj, "spec", "template", "spec") or {}
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for mount in container.get("volumeMounts") or []:
            if mount["name"] in volumes:
                out[(container["name"], mount["name"])] = str(mount["mountPath"])
        for env in container.get("env") or []:
            if env["name"] in LEDGER_ENV and "value" in env:
                out[(container["name"], env["name"])] = str(env["value"])
    return out


def _statefulset(key: Key, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    subject = str(key)
    old_claims, new_claims = _claims(old), _claims(new)
    for name in sorted(old_claims.keys() & new_claims.keys()):
        before, after = old_claims[name], new_claims[name]
        size_before = get(before, "spec", "resources", "requests", "storage")
        size_after = get(after, "spec", "resources", "requests", "storage")
        a, b = quantity.parse(size_before), quantity.parse(size_after)
        names = _claim_names(key, old, name)
        claims = ", ".join(names)
        keep = "keeps" if len(names) == 1 else "keep"
        if a is not None and b is not None and b < a:
            yield Change(
                DATA, subject,
                f"claim template {name} shrinks {size_before} → {size_after}: Kubernetes never "
                f"shrinks a claim; {claims} {keep} {size_before}, and the StatefulSet must be "
                "recreated to take the new template",
                hazard=True, objects=(subject,),
                action="keep the size, or move the data to a new node and retire this one",
            )  # fmt: skip
        class_before = get(before, "spec", "storageClassName")
        class_after = get(after, "spec", "storageClassName")
        if class_before != class_after:
            yield Change(
                DATA, subject,
                f"claim template {name} changes storage class {class_before or '(default)'} → "
                f"{class_after or '(default)'}: the existing claims {claims} stay on "
                f"{class_before or 'the default class'}; only a new node gets the new class",
                hazard=True, objects=(subject,),
                action="keep the class for existing nodes; add new nodes on the new class",
            )  # fmt: skip
    volumes = {*old_claims, *new_claims}
    before_mounts, after_mounts = _mounts(old, volumes), _mounts(new, volumes)
    for where in sorted(before_mounts.keys() & after_mounts.keys()):
        if before_mounts[where] != after_mounts[where]:
            container, what = where
            yield Change(
                DATA, subject,
                f"{container}: {what} moves {before_mounts[where]} → {after_mounts[where]}: "
                "the node starts on an empty ledger path and the old ledger is not read",
                hazard=True, objects=(subject,),
                action="keep the ledger path, or move the files on the volume first",
            )  # fmt: skip


def _removed(key: Key, old: Mapping[str, Any]) -> Change:
    claims = [c for t in sorted(_claims(old)) for c in _claim_names(key, old, t)]
    return Change(
        DATA, str(key),
        f"the node leaves the blueprint: its pods stop, and its claims {', '.join(claims)} "
        "are retained (whenDeleted: Retain, never pruned) but orphaned: nothing mounts them",
        hazard=True, objects=(str(key),),
        action="back the ledger up if it matters, then delete the claims by hand",
    )  # fmt: skip


def check(ctx: Context) -> Iterator[Change]:
    for key in ctx.objects.removed:
        if key.kind == "StatefulSet" and _claims(ctx.objects.old[key]):
            yield _removed(key, ctx.objects.old[key])
    for key, _ in ctx.objects.modified:
        if key.kind == "StatefulSet":
            yield from _statefulset(key, ctx.objects.old[key], ctx.objects.new[key])
    new_nodes = ctx.new_nodes()
    for ident, node in sorted(ctx.old_nodes().items()):
        after = new_nodes.get(ident)
        if not (isinstance(node, PeerNode) and isinstance(after, PeerNode)):
            continue
        if node.settings.state_db != after.settings.state_db:
            yield Change(
                DATA, f"peer {node.org}/{node.name}",
                f"state database {node.settings.state_db} → {after.settings.state_db} on an "
                "existing peer: the world state is not migrated; the peer must rebuild it from "
                "its block store (`peer node rebuild-dbs` while stopped) before it serves again",
                hazard=True,
                pods=(f"{after.cluster} {after.namespace}/{after.pod}",),
                action="rebuild the state database, or add a new peer with the new database "
                "and retire this one",
            )  # fmt: skip
