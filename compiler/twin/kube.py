"""kubectl, the real client, against one twin cluster."""

from __future__ import annotations

import json
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
