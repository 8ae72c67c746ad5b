"""Sync a cluster directory of output/ the way Argo CD does.

Argo CD (gitops-engine) orders a sync by phase (PreSync, Sync, PostSync), then sync wave,
then kind, then name; it applies each wave, runs that wave's hooks, and starts the next wave
only when everything of this one is healthy. Resources are applied server-side, exactly as
they are in the files: the twin reads output/ and never writes it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compiler.twin import health
from compiler.twin.kube import Kube
from compiler.twin.process import TwinError

FIELD_MANAGER = "argocd-controller"
PHASES = ("PreSync", "Sync", "PostSync")
# gitops-engine's kind order within a wave (sync/sync_tasks.go, kindOrder)
KIND_ORDER = [
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
]


@dataclass(frozen=True)
class Resource:
    path: Path  # the file it is in (which holds others too)
    obj: dict[str, Any]

    @property
    def annotations(self) -> dict[str, str]:
        found: dict[str, str] = self.obj["metadata"].get("annotations") or {}
        return found

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def namespace(self) -> str | None:
        ns = self.obj["metadata"].get("namespace")
        return str(ns) if ns else None

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace + '/' if self.namespace else ''}{self.name}"

    @property
    def hook(self) -> str | None:
        return self.annotations.get("argocd.argoproj.io/hook")

    @property
    def wave(self) -> int:
        return int(self.annotations.get("argocd.argoproj.io/sync-wave", "0"))

    @property
    def phase(self) -> str:
        # a resource that is not a hook is applied in the Sync phase
        return self.hook or "Sync"

    def sort_key(self) -> tuple[int, int, int, str, str]:
        kind = KIND_ORDER.index(self.kind) if self.kind in KIND_ORDER else len(KIND_ORDER)
        return (PHASES.index(self.phase), self.wave, kind, self.namespace or "", self.name)

    @property
    def kubectl_type(self) -> str:
        """The resource type as kubectl takes it, with version and group (Job.v1.batch)."""
        api = self.obj["apiVersion"]
        group = api.split("/")[0] if "/" in api else ""
        return f"{self.kind}.{api.split('/')[1]}.{group}" if group else self.kind

    def kubectl_target(self) -> list[str]:
        return [self.kubectl_type, self.name, *(["-n", self.namespace] if self.namespace else [])]


def load(directory: Path) -> list[Resource]:
    """Every object of a cluster directory (kustomization.yaml is for users' overlays)."""
    out = []
    for path in sorted(directory.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            if doc:
                out.append(Resource(path, doc))
    return out


def plan(resources: Iterable[Resource]) -> list[tuple[str, int, list[Resource]]]:
    """(phase, wave, resources) steps in Argo CD's order; PostDelete hooks are not synced."""
    steps: dict[tuple[str, int], list[Resource]] = {}
    for res in sorted((r for r in resources if r.phase in PHASES), key=lambda r: r.sort_key()):
        steps.setdefault((res.phase, res.wave), []).append(res)
    return [(phase, wave, items) for (phase, wave), items in steps.items()]


@dataclass
class Syncer:
    kube: Kube
    log: Callable[[str], None] = print
    wave_timeout: float = 600.0

    def apply(self, resources: list[Resource]) -> None:
        # the objects, not their files: a file may hold objects of other waves (a node's
        # Services and route beside its workload), and Argo CD applies object by object
        objects = yaml.dump_all([r.obj for r in resources], Dumper=yaml.CSafeDumper)
        self.kube.run(
            [
                "apply",
                "--server-side",
                f"--field-manager={FIELD_MANAGER}",
                "--force-conflicts",
                "-f",
                "-",
            ],
            stdin=objects,
            timeout=300,
        )

    def run_hooks(self, hooks: list[Resource]) -> None:
        for hook in hooks:
            policy = hook.annotations.get("argocd.argoproj.io/hook-delete-policy", "")
            # Argo CD's default for a hook is BeforeHookCreation
            if "BeforeHookCreation" in policy or not policy:
                self.kube.run(
                    ["delete", *hook.kubectl_target(), "--ignore-not-found", "--wait=true"]
                )
        self.apply(hooks)

    def wait_healthy(self, resources: list[Resource]) -> dict[str, float]:
        """Wait until every resource is Healthy; return when each became so (seconds)."""
        start = time.monotonic()
        pending = {r.ref: r for r in resources}
        healthy_at: dict[str, float] = {}
        last: dict[str, str] = {}
        while pending:
            for ref, status in self.statuses(pending.values()).items():
                last[ref] = f"{status.state}: {status.message}"
                if status.state == "Healthy":
                    healthy_at[ref] = time.monotonic() - start
                    del pending[ref]
                elif status.state == "Degraded":
                    raise TwinError(f"{ref} is Degraded: {status.message}")
            if pending and time.monotonic() - start > self.wave_timeout:
                detail = "\n".join(f"  {ref}: {last[ref]}" for ref in sorted(pending))
                logs = "".join(self.last_words(pending[ref]) for ref in sorted(pending))
                raise TwinError(f"not healthy after {self.wave_timeout:.0f}s:\n{detail}{logs}")
            if pending:
                time.sleep(2.0)
        return healthy_at

    def statuses(self, resources: Iterable[Resource]) -> dict[str, health.Status]:
        """The health of each resource, read with one kubectl call per namespace. A call per
        resource every second, in three clusters at once, took about one of this machine's
        two cores while a wave of Jobs ran, and slowed the Fabric nodes under test."""
        by_namespace: dict[str, list[Resource]] = {}
        for res in resources:
            by_namespace.setdefault(res.namespace or "", []).append(res)
        out: dict[str, health.Status] = {}
        for namespace, group in sorted(by_namespace.items()):
            done = self.kube.run(
                ["get", *(f"{r.kubectl_type}/{r.name}" for r in group),
                 *(["-n", namespace] if namespace else []), "--ignore-not-found", "-o", "json"],
                check=False,
            )  # fmt: skip
            if done.returncode != 0:  # e.g. a kind the API server does not serve yet
                out |= {r.ref: health.Status("Missing", done.stderr.strip()) for r in group}
                continue
            said = json.loads(done.stdout) if done.stdout.strip() else {"items": []}
            # the key holds the apiVersion too: an Istio Gateway and a Gateway API Gateway
            # may share a namespace and a name
            found = {
                (o["apiVersion"], o["kind"], o["metadata"]["name"]): o
                for o in said.get("items", [said])
            }
            for res in group:
                live = found.get((res.obj["apiVersion"], res.kind, res.name))
                out[res.ref] = (
                    health.assess(live) if live else health.Status("Missing", "not found")
                )
        return out

    def last_words(self, res: Resource, lines: int = 25) -> str:
        """The tail of what a stuck Job or workload printed: why it is stuck, in the failure
        itself, since the twin is gone by the time anyone reads a CI log. For a Job, what
        its namespace's peers last said about blocks comes first, and the Job's own lines
        last: a CI log shown in part keeps its end."""
        if res.kind not in ("Job", "Deployment", "StatefulSet") or not res.namespace:
            return ""
        said = self.kube.run(
            ["logs", f"{res.kind.lower()}/{res.name}", "-n", res.namespace,
             "--all-containers", f"--tail={lines}"],
            check=False,
        )  # fmt: skip
        text = (said.stdout or said.stderr).rstrip()
        out = self._peers_on_blocks(res.namespace) if res.kind == "Job" else ""
        return out + (f"\n--- {res.ref}, last {lines} lines:\n{text}" if text else "")

    def _peers_on_blocks(self, namespace: str, lines: int = 8) -> str:
        """What the namespace's peers last said about pulling, validating and committing
        blocks, and about being their organisation's leader (who pulls): a lifecycle Job
        mostly waits for its peer to see a block."""
        said = self.kube.run(
            ["logs", "-n", namespace, "-l", "app.kubernetes.io/component=peer", "-c", "peer",
             "--prefix", "--tail=400"],
            check=False,
        )  # fmt: skip
        about = re.compile(
            r"blocksprovider|deliveryClient|ordering service|Committed block|gossip\.state"
            r"|gossip\.election|txvalidator|Aborting"
        )
        kept = [line for line in said.stdout.splitlines() if about.search(line)][-lines:]
        return f"\n--- peers in {namespace} on blocks:\n" + "\n".join(kept) if kept else ""

    def sync(self, directory: Path) -> list[tuple[str, int, float]]:
        """Sync like Argo CD; returns (phase, wave, seconds) per step."""
        timings = []
        for phase, wave, items in plan(load(directory)):
            start = time.monotonic()
            hooks = [r for r in items if r.hook]
            plain = [r for r in items if not r.hook]
            self.log(f"{phase} wave {wave}: {len(plain)} resources, {len(hooks)} hooks")
            if plain:
                self.apply(plain)
            if hooks:
                self.run_hooks(hooks)
            self.wait_healthy(items)
            for hook in hooks:
                if "HookSucceeded" in hook.annotations.get(
                    "argocd.argoproj.io/hook-delete-policy", ""
                ):
                    self.kube.run(["delete", *hook.kubectl_target(), "--ignore-not-found"])
            timings.append((phase, wave, time.monotonic() - start))
        return timings
