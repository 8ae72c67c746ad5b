"""kubectl, the real client, against one twin cluster."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.twin.paths import binary
from compiler.twin.process import TwinError


@dataclass(frozen=True)
class Kube:
    kubeconfig: Path

    def run(
        self,
        args: Sequence[str],
        *,
        check: bool = True,
        stdin: str | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        argv = [str(binary("kubectl")), f"--kubeconfig={self.kubeconfig}", *args]
        done = subprocess.run(
            argv, capture_output=True, text=True, input=stdin, timeout=timeout, check=False
        )
        if check and done.returncode != 0:
            raise TwinError(
                f"kubectl {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}"
            )
        return done

    def get(self, *args: str) -> Any:
        return json.loads(self.run(["get", *args, "-o", "json"]).stdout)

    def items(self, *args: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get(*args)["items"]
        return found


HEIGHT = re.compile(r'^ledger_blockchain_height\{channel="([^"]+)"\} ([0-9.e+]+)$', re.MULTILINE)


def channel_heights(kube: Kube, namespace: str, pod: str) -> dict[str, int]:
    """A Fabric node's block height per channel, from its own metrics (operations port),
    read through the API server's pod proxy; empty when the node does not answer."""
    done = kube.run(
        ["get", "--raw", f"/api/v1/namespaces/{namespace}/pods/{pod}:9443/proxy/metrics"],
        check=False,
        timeout=20,
    )
    if done.returncode != 0:
        return {}
    return {channel: int(float(value)) for channel, value in HEIGHT.findall(done.stdout)}
