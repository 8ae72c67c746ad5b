"""Access to the real tools `make tools` builds (.tools/bin) and to the rendered output."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from compiler.twin.sync import load
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
    """One object of output/, wherever in its namespace's directory its file is."""
    return object_in(OUTPUT / network / cluster / namespace, kind, name)


def object_in(directory: Path, kind: str, name: str) -> dict[str, Any]:
    """One object of a rendered namespace directory (a file may hold several)."""
    for _, doc in _documents(directory):
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no {kind} {name} in {directory}")


def _documents(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every object under `root`, with its file (a file may hold several)."""
    return [(r.path, r.obj) for r in load(root)]


def all_rendered(kind: str | None = None) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, d) for p, d in _documents(OUTPUT) if kind is None or d["kind"] == kind]
