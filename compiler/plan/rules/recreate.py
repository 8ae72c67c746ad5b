"""Changes the API server refuses to make in place: the object must be deleted and created
again. The table follows the API server's validation (apps, batch, core, rbac, storage);
tests/test_plan_apiserver.py holds it to a real kube-apiserver."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from compiler.plan.context import Context
from compiler.plan.model import RECREATE, Change
from compiler.plan.objects import Key, Path, dotted, get

# StatefulSetSpec fields an update may change (apps/validation: ValidateStatefulSetUpdate)
_STATEFULSET_MUTABLE = {
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
}


def _statefulset(paths: list[Path], old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Path]:
    return [p for p in paths if p[:1] == ("spec",) and p[1:2] and p[1] not in _STATEFULSET_MUTABLE]


def _under(*prefixes: Path) -> Callable[[list[Path], Any, Any], list[Path]]:
    def check(paths: list[Path], old: Any, new: Any) -> list[Path]:
        return [p for p in paths if any(p[: len(x)] == x for x in prefixes)]

    return check


def _service(paths: list[Path], old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Path]:
    # clusterIP may only be set when the Service is created (headless "None" included)
    return [p for p in paths if p[:2] in {("spec", "clusterIP"), ("spec", "clusterIPs")}]


def _pvc(paths: list[Path], old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Path]:
    return [p for p in paths if p[:1] == ("spec",) and p[:3] != ("spec", "resources", "requests")]


def _immutable_data(
    paths: list[Path], old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[Path]:
    if not old.get("immutable"):
        return []
    return [p for p in paths if p[:1] in {("data",), ("binaryData",), ("stringData",)}]


_IMMUTABLE: dict[str, Callable[[list[Path], Any, Any], list[Path]]] = {
    "StatefulSet": _statefulset,
    "Deployment": _under(("spec", "selector")),
    "DaemonSet": _under(("spec", "selector")),
    "Job": _under(("spec", "template"), ("spec", "selector"), ("spec", "completionMode")),
    "Service": _service,
    "PersistentVolumeClaim": _pvc,
    "RoleBinding": _under(("roleRef",)),
    "ClusterRoleBinding": _under(("roleRef",)),
    "StorageClass": _under(
        ("provisioner",), ("parameters",), ("reclaimPolicy",), ("volumeBindingMode",)
    ),
    "ConfigMap": _immutable_data,
    "Secret": _immutable_data,
}


def immutable_paths(key: Key, old: Mapping[str, Any], new: Mapping[str, Any],
                    paths: list[Path]) -> list[Path]:  # fmt: skip
    check = _IMMUTABLE.get(key.kind)
    return check(paths, old, new) if check else []


def _hook(obj: Mapping[str, Any]) -> str | None:
    """Argo CD never updates a hook in place: it creates it anew each time its phase runs
    (after deleting the old one, BeforeHookCreation, Argo CD's default policy)."""
    annotations = get(obj, "metadata", "annotations") or {}
    hook = annotations.get("argocd.argoproj.io/hook")
    return str(hook) if hook else None


def _keeps_claims(obj: Mapping[str, Any]) -> bool:
    policy = get(obj, "spec", "persistentVolumeClaimRetentionPolicy") or {}
    return bool(policy.get("whenDeleted", "Retain") == "Retain")


def check(ctx: Context) -> Iterator[Change]:
    for key, paths in ctx.objects.modified:
        old, new = ctx.objects.old[key], ctx.objects.new[key]
        fields = immutable_paths(key, old, new, paths)
        if not fields:
            continue
        names = ", ".join(sorted({dotted(p[:3]) for p in fields}))
        subject = str(key)
        hook = _hook(new)
        if hook == "PostDelete":
            yield Change(
                RECREATE, subject,
                f"{names} cannot change in place, and need not: a PostDelete hook is created "
                "only when the Application is deleted, from the output of that day",
                objects=(subject,),
            )  # fmt: skip
            continue
        if hook is not None:
            yield Change(
                RECREATE, subject,
                f"{names} cannot change in place; Argo CD creates this {hook} hook anew on "
                "the next sync (the old one deleted first): nothing to do",
                objects=(subject,),
            )  # fmt: skip
            continue
        if key.kind == "StatefulSet":
            data = ("its pods keep running and its claims stay (whenDeleted: Retain): the "
                    "ledger survives" if _keeps_claims(old) else
                    "its claims are deleted with it: the ledger is lost")  # fmt: skip
            action = (f"kubectl -n {key.namespace} delete statefulset {key.name} "
                      "--cascade=orphan, then sync")  # fmt: skip
        else:
            data = "it holds no data of its own"
            action = f"kubectl -n {key.namespace} delete {key.kind.lower()} {key.name}, then sync"
            if not key.namespace:
                action = f"kubectl delete {key.kind.lower()} {key.name}, then sync"
        yield Change(
            RECREATE, subject,
            f"{names} cannot change in place: the API server refuses the update and Argo CD's "
            f"sync of {key.cluster} fails until the object is deleted; {data}",
            hazard=True, objects=(subject,), action=action,
        )  # fmt: skip
