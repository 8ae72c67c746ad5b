"""In-place changes: what the sync creates, updates, prunes or keeps, and which pods
restart, in sync-wave order, with the PodDisruptionBudget that covers each."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compiler.plan.context import Context
from compiler.plan.model import IN_PLACE, Change
from compiler.plan.objects import Key, dotted, get, pods_of
from compiler.plan.rules.recreate import immutable_paths

WAVE = "argocd.argoproj.io/sync-wave"


def _wave(obj: Mapping[str, Any]) -> int:
    return int((get(obj, "metadata", "annotations") or {}).get(WAVE, "0"))


def _kept(obj: Mapping[str, Any]) -> bool:
    options = (get(obj, "metadata", "annotations") or {}).get("argocd.argoproj.io/sync-options", "")
    return "Prune=false" in str(options)


def _budgets(ctx: Context, key: Key, obj: Mapping[str, Any]) -> list[tuple[Key, int]]:
    """The PodDisruptionBudgets whose selector picks this workload's pods, with the number of
    pods each lets be down at once (maxUnavailable; a minAvailable leaves 0 to compute)."""
    labels = get(obj, "spec", "template", "metadata", "labels") or {}
    found = []
    for other_key, other in sorted(ctx.objects.new.items()):
        if (other_key.kind, other_key.cluster, other_key.namespace) != (
            "PodDisruptionBudget",
            key.cluster,
            key.namespace,
        ):
            continue
        selector = get(other, "spec", "selector", "matchLabels") or {}
        if selector and all(labels.get(k) == v for k, v in selector.items()):
            found.append((other_key, int(other["spec"].get("maxUnavailable", 0))))
    return found


def _budget_text(
    ctx: Context, key: Key, wave_keys: list[Key], covered: dict[Key, dict[Key, int]]
) -> str:
    """Whether the PDB allows what the sync does: Argo CD applies a wave's changed
    workloads together, so every covered pod of the wave restarts at the same time (a
    rolling update does not consult the budget; evictions and drains do). `covered`: each
    restarting workload's budgets, looked up once."""
    budgets = covered[key]
    if not budgets:
        return "; no PodDisruptionBudget covers it"
    parts = []
    for budget, allowed in budgets.items():
        together = sum(
            len(pods_of(k, ctx.objects.new[k])) for k in wave_keys if budget in covered[k]
        )
        verdict = "within it" if together <= allowed else "more than it allows"
        parts.append(
            f"{together} pod(s) under PodDisruptionBudget {budget.name} (maxUnavailable "
            f"{allowed}) restart together: {verdict}"
        )
    return "; " + "; ".join(parts)


def check(ctx: Context) -> Iterator[Change]:
    restarts = []
    for key, paths in ctx.objects.modified:
        old, new = ctx.objects.old[key], ctx.objects.new[key]
        if immutable_paths(key, old, new, paths):
            continue  # the recreate rule reports it
        fields = ", ".join(sorted({dotted(p[:4]) for p in paths}))
        template = any(p[:2] == ("spec", "template") for p in paths)
        if key.kind in {"StatefulSet", "Deployment"} and template:
            restarts.append((_wave(new), key, fields))
            continue
        hook = (get(new, "metadata", "annotations") or {}).get("argocd.argoproj.io/hook")
        message = (
            f"a {hook} hook: created anew when its phase runs ({fields})"
            if hook
            else f"updated in place ({fields})"
        )
        yield Change(IN_PLACE, str(key), message, objects=(str(key),))
    ordered = sorted(restarts, key=lambda r: (r[0], r[1]))
    covered = {k: dict(_budgets(ctx, k, ctx.objects.new[k])) for _, k, _ in ordered}
    for order, (wave, key, fields) in enumerate(ordered):
        same_wave = [k for w, k, _ in ordered if w == wave and k.cluster == key.cluster]
        yield Change(
            IN_PLACE, str(key),
            f"pods restart (restart {order + 1} of {len(restarts)}, sync wave {wave}; "
            f"{fields}){_budget_text(ctx, key, same_wave, covered)}",
            objects=(str(key),), pods=pods_of(key, ctx.objects.new[key]),
        )  # fmt: skip
    for key in ctx.objects.added:
        yield Change(IN_PLACE, str(key), f"created (sync wave {_wave(ctx.objects.new[key])})",
                     objects=(str(key),))  # fmt: skip
    for key in ctx.objects.removed:
        old = ctx.objects.old[key]
        if _kept(old):
            message = "no longer rendered; kept by Argo CD (Prune=false), no longer managed"
        else:
            message = "pruned: Argo CD deletes it"
        yield Change(IN_PLACE, str(key), message, objects=(str(key),))
