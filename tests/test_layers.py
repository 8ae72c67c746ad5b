"""The import contract between layers (ARCHITECTURE.md), checked on the source.

blueprint → (nothing above it); analysis → blueprint; render → analysis, blueprint;
plan → analysis, blueprint, render; emit → render.manifest only; cli → anything; enroll and
twin → nothing of hlfc.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "compiler"
# layer → packages of hlfc it may import (besides itself and the shared leaf modules)
ALLOWED: dict[str, set[str]] = {
    "blueprint": set(),
    "analysis": {"blueprint"},
    "render": {"analysis", "blueprint"},
    "emit": {"render.manifest"},
    # compares two compiled networks: pure, like render
    "plan": {"analysis", "blueprint", "render"},
    "pipeline": {"analysis", "blueprint", "emit", "render", "plan"},
    "graph": {"analysis", "blueprint"},
    "cli": {
        "analysis",
        "blueprint",
        "emit",
        "render",
        "plan",
        "pipeline",
        "graph",
        "enroll",
        "twin",
    },
    "enroll": set(),
    # judges output/ as a cluster would: reads files, never the compiler's objects
    "twin": set(),
}
LEAVES = {"diagnostics", "codes", "collector"}  # value types and the GC pause, shared by all


def hlfc_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("compiler"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("compiler"))
    return found


def layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if layer_of(p) in ALLOWED)


@pytest.mark.parametrize("source", SOURCES, ids=[str(p.relative_to(PACKAGE)) for p in SOURCES])
def test_layer_imports(source: Path) -> None:
    layer = layer_of(source)
    for module in hlfc_imports(source):
        target = module.removeprefix("compiler").removeprefix(".")
        if not target or target in LEAVES or target.split(".")[0] == layer:
            if layer == "enroll":
                assert target.split(".")[0] == "enroll", f"{source}: enroll imports {module}"
            continue
        allowed = ALLOWED[layer]
        assert any(target == a or target.startswith(a + ".") for a in allowed), (
            f"{source.relative_to(ROOT)}: layer {layer!r} must not import {module}"
        )


def test_every_layer_is_known() -> None:
    layers = {layer_of(p) for p in PACKAGE.rglob("*.py")} - {"__init__", "__main__"}
    assert layers <= set(ALLOWED) | LEAVES, layers - set(ALLOWED) - LEAVES
