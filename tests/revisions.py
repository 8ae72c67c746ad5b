"""Day-2 revisions of a twin's network: each step edits the blueprint as the last step left
it, renders it as a new revision and syncs it, as Argo CD syncs a merged change."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from compiler.twin.twin import Twin
from tests.conftest import ROOT

Spec = dict[str, Any]


class Revisions:
    def __init__(self, blueprint: Path, network: Path, tmp: Path) -> None:
        self.tmp = tmp
        self.doc: dict[str, Any] = yaml.safe_load(blueprint.read_text(encoding="utf-8"))
        self.blueprint = blueprint  # the latest revision's source
        self.network = network  # its output/<network>

    @property
    def spec(self) -> Spec:
        spec: Spec = self.doc["spec"]
        return spec

    def channel(self) -> Spec:
        channels: list[Spec] = self.spec["channels"]
        (channel,) = channels
        return channel

    def org(self, name: str) -> Spec:
        orgs: list[Spec] = self.spec["organizations"]
        (org,) = [o for o in orgs if o["name"] == name]
        return org

    def edit(self, name: str, change: Callable[[Revisions], None]) -> Path:
        """The blueprint as `change` leaves it, rendered; its output/<network>."""
        change(self)
        source = self.tmp / f"{name}.yaml"
        source.write_text(yaml.safe_dump(self.doc, sort_keys=False), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "compiler", "render", str(source), "-o", str(self.tmp / name)],
            check=False, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        self.blueprint, self.network = source, self.tmp / name / self.network.name
        return self.network

    def sync(self, twin: Twin, clusters: Iterable[str] | None = None) -> None:
        """Sync the latest revision in `clusters` (default: every one) at once."""
        names = None if clusters is None else set(clusters)
        chosen = [c for c in twin.clusters() if names is None or c.name in names]
        twin.sync_at_once([(c, self.network / c.name) for c in chosen])
