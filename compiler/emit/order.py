"""The order manifests are written in, shared by both YAML writers (libyaml's and the
direct one in fastyaml): `apiVersion, kind, metadata` first, `name`/`namespace` first
inside any mapping, the rest sorted; lists Kubernetes treats as sets sorted by the key
that identifies an item."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_FIRST_KEYS = ("apiVersion", "kind", "metadata", "name", "namespace")
# list field → key that identifies an item; such lists are sets in Kubernetes' eyes
UNORDERED_LISTS: dict[str, tuple[str, ...]] = {
    "ports": ("name", "containerPort", "port"),
    "volumes": ("name",),
    "volumeMounts": ("mountPath", "name"),
    "volumeClaimTemplates": ("metadata",),
    "imagePullSecrets": ("name",),
    "resources": (),  # kustomization resources: plain strings
}


def key_order(key: str) -> tuple[int, str]:
    return (_FIRST_KEYS.index(key), "") if key in _FIRST_KEYS else (len(_FIRST_KEYS), key)


def item_key(item: Any, keys: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(item, Mapping):
        return (str(item),)
    parts: list[str] = []
    for key in keys:
        value = item.get(key)
        if isinstance(value, Mapping):
            value = value.get("name")
        parts.append(
            "" if value is None else f"{value:>12}" if isinstance(value, int) else str(value)
        )
    return tuple(parts)
