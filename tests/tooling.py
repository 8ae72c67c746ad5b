"""Access to the real tools `make tools` builds (.tools/bin) and to the rendered output."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

TOOLS = ROOT / ".tools"
OUTPUT = ROOT / "output"


def tool(name: str) -> Path:
    path = TOOLS / "bin" / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make tools` (make test does)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rendered(network: str, cluster: str, namespace: str, kind: str, name: str) -> dict[str, Any]:
    path = OUTPUT / network / cluster / namespace / f"{kind.lower()}-{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def all_rendered(kind: str | None = None) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for path in sorted(OUTPUT.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if kind is None or data["kind"] == kind:
            out.append((path, data))
    return out
