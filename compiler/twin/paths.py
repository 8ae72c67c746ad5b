"""Where the twin finds the tools `make tools` built and keeps each cluster's state."""

from __future__ import annotations

import os
from pathlib import Path

from compiler.twin.process import TwinError


def tools_dir() -> Path:
    return Path(os.environ.get("HLFC_TOOLS", Path.cwd() / ".tools")).resolve()


def binary(name: str) -> Path:
    path = tools_dir() / "bin" / name
    if not path.is_file():
        raise TwinError(f"{path} is missing: run `make tools` first")
    return path


def state_root() -> Path:
    """Per-cluster state (etcd data, certificates, logs); removed whole by `twin down`."""
    return Path(os.environ.get("HLFC_TWIN_STATE", "/var/lib/hlfc-twin"))
