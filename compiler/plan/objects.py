"""The two compiled networks as objects keyed by cluster, namespace, kind and name, and the
leaf paths in which one object differs from the other."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.render.manifest import Manifest

Path = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Key:
    cluster: str
    namespace: str  # "" for cluster-wide objects
    kind: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.cluster} {where}{self.kind}/{self.name}"


def index(manifests: Iterable[Manifest]) -> dict[Key, dict[str, Any]]:
    out: dict[Key, dict[str, Any]] = {}
    for m in manifests:
        meta = m.obj.get("metadata", {})
        out[Key(m.cluster, str(meta.get("namespace", "")), m.kind, m.name)] = m.obj
    return out


def changed_paths(old: Any, new: Any, prefix: Path = ()) -> list[Path]:
    """Every leaf path where `old` and `new` differ (a list that changes length: its path)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[Path] = []
        for k in sorted({*old, *new}, key=str):
            if k not in old or k not in new:
                out.append((*prefix, str(k)))
            else:
                out.extend(changed_paths(old[k], new[k], (*prefix, str(k))))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [p for i, (a, b) in enumerate(zip(old, new, strict=True))
                for p in changed_paths(a, b, (*prefix, i))]  # fmt: skip
    return [] if old == new else [prefix]


def get(obj: Any, *path: str | int) -> Any:
    for part in path:
        if isinstance(obj, Mapping) and isinstance(part, str):
            obj = obj.get(part)
        elif isinstance(obj, list) and isinstance(part, int) and part < len(obj):
            obj = obj[part]
        else:
            return None
    return obj


def dotted(path: Path) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")


def pods_of(key: Key, obj: Mapping[str, Any]) -> tuple[str, ...]:
    """The pods a workload runs (a StatefulSet's by ordinal; a Deployment's by its name)."""
    replicas = int(get(obj, "spec", "replicas") or 1)
    if key.kind == "StatefulSet":
        return tuple(f"{key.cluster} {key.namespace}/{key.name}-{i}" for i in range(replicas))
    if key.kind == "Deployment":
        return tuple(f"{key.cluster} {key.namespace}/{key.name}-* ({replicas})" for _ in (0,))
    return ()


@dataclass(frozen=True)
class Compared:
    old: dict[Key, dict[str, Any]]
    new: dict[Key, dict[str, Any]]

    @property
    def added(self) -> list[Key]:
        return sorted(self.new.keys() - self.old.keys())

    @property
    def removed(self) -> list[Key]:
        return sorted(self.old.keys() - self.new.keys())

    @property
    def modified(self) -> list[tuple[Key, list[Path]]]:
        out = []
        for key in sorted(self.old.keys() & self.new.keys()):
            paths = changed_paths(self.old[key], self.new[key])
            if paths:
                out.append((key, paths))
        return out
