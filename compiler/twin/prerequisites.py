"""What the platform team provides before the first sync, played by the twin.

Without a secret store, the Secrets that the pods read by `secretKeyRef` must already exist
(README: "Secrets hlfc expects"); the twin creates each with random values, in the clusters
only. A platform team gives a Secret of one name and namespace the same value in every
cluster (an organisation's CA registrar is used wherever its nodes enroll), so the values
are drawn once per network and kept in the network's state directory. Secrets that a
rendered ExternalSecret creates, and those the enrollment Jobs write (named in their
rendered enroll.json), are not among them.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from compiler.twin.kube import Kube
from compiler.twin.process import TwinError


def expected_secrets(objects: Iterable[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """(namespace, name) -> keys, of every Secret a pod reads by secretKeyRef."""
    wanted: dict[tuple[str, str], set[str]] = {}
    made_by_store: set[tuple[str, str]] = set()

    def visit(node: object, namespace: str) -> None:
        if isinstance(node, dict):
            ref = node.get("secretKeyRef")
            if isinstance(ref, dict):
                wanted.setdefault((namespace, str(ref["name"])), set()).add(str(ref["key"]))
            for value in node.values():
                visit(value, namespace)
        elif isinstance(node, list):
            for item in node:
                visit(item, namespace)

    for obj in objects:
        namespace = str(obj.get("metadata", {}).get("namespace", ""))
        if obj.get("kind") == "ExternalSecret":
            target = obj["spec"].get("target", {}).get("name", obj["metadata"]["name"])
            made_by_store.add((namespace, str(target)))
        enroll = obj.get("data", {}).get("enroll.json") if obj.get("kind") == "ConfigMap" else None
        if enroll:
            # an enrollment Job writes these (peers also read a key of the TLS one by env);
            # the registrar Job's config names only the registrar's
            config = json.loads(enroll)
            made_by_store |= {
                (namespace, str(config[key]))
                for key in ("mspSecret", "tlsSecret", "registrarSecret")
                if key in config
            }
        visit(obj, namespace)
    return {key: keys for key, keys in wanted.items() if key not in made_by_store}


class PlatformValues:
    """One random value per (namespace, Secret, key) for the whole network."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()

    def value(self, namespace: str, name: str, key: str) -> str:
        with self.lock:
            known: dict[str, str] = (
                json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
            )
            slot = f"{namespace}/{name}/{key}"
            if slot not in known:
                known[slot] = secrets.token_urlsafe(18)
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.write_text(json.dumps(known, indent=2, sort_keys=True), encoding="utf-8")
                self.path.chmod(0o600)
            return known[slot]


def create_secrets(
    kube: Kube, wanted: dict[tuple[str, str], set[str]], values: PlatformValues
) -> None:
    for (namespace, name), keys in sorted(wanted.items()):
        made = kube.run(["create", "namespace", namespace], check=False)
        if made.returncode != 0 and "AlreadyExists" not in made.stderr:
            raise TwinError(f"namespace {namespace}: {made.stderr.strip()}")
        exists = kube.run(["get", "secret", name, "-n", namespace], check=False)
        if exists.returncode == 0:
            continue
        data = {key: values.value(namespace, name, key) for key in sorted(keys)}
        kube.run(
            ["create", "secret", "generic", name, "-n", namespace]
            + [f"--from-literal={k}={v}" for k, v in data.items()]
        )
