"""Which configuration keys a Fabric build really reads, asked of that build's own source.

A key Fabric does not know is silent in the peer (viper ignores it) and fatal in the orderer
(its loader refuses unknown keys), so a shape test cannot catch one. The known keys come from:
- orderer.yaml: the orderer's config structs, walked by reflection in a program compiled inside
  the Fabric source tree (`fabrickeys`); the same program runs the orderer's own loader;
- core.yaml: the version's sample core.yaml, plus every key the peer's Go code names as a
  string literal (some valid keys, such as `peer.chaincodeAddress`, are only commented out
  in the sample);
- fabric-ca-server config: fabric-ca's ServerConfig and CAConfig structs (`cakeys`).
Environment variables map onto the same keys (CORE_, ORDERER_, FABRIC_CA_SERVER_ prefixes);
other variables must be named as a literal somewhere in the version's source.
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tooling import TOOLS, tool

FABRIC_VERSIONS = ("2.5.16",)
FABRIC_CA_VERSIONS = ("1.5.21",)

# Sections of core.yaml whose keys the peer reads through viper.
_PEER_SECTIONS = ("peer", "vm", "chaincode", "ledger", "operations", "metrics")
_GO_STRING = re.compile(r'"([A-Za-z0-9_.]+)"')


def source_dir(project: str, version: str) -> Path:
    path = TOOLS / "src" / f"{project}-{version}"
    if not path.is_dir():
        pytest.fail(f"{path} is missing: run `make tools` (make test does)")
    return path


def key_paths(doc: Any, prefix: str = "") -> Iterator[str]:
    """Every key path of a YAML document; list items of mappings are the segment `[]`."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from key_paths(value, path)
    elif isinstance(doc, list):
        for item in doc:
            if isinstance(item, dict):
                yield from key_paths(item, f"{prefix}.[]")


class KnownKeys:
    """A set of key paths, with `*` (any one segment) and `**` (anything below) patterns."""

    def __init__(self, patterns: Iterable[str], env_prefix: str, env_literals: set[str]) -> None:
        self._exact: set[tuple[str, ...]] = set()
        self._patterns: list[tuple[str, ...]] = []
        for pattern in patterns:
            parts = tuple(p.lower() for p in pattern.split("."))
            if "*" in parts or "**" in parts:
                self._patterns.append(parts)
            else:
                self._exact.add(parts)
        self.env_prefix = env_prefix
        self._env = {env_prefix + "_".join(p.upper() for p in parts) for parts in self._exact}
        self._env_literals = env_literals

    def knows(self, path: str) -> bool:
        parts = tuple(p.lower() for p in path.split("."))
        return parts in self._exact or any(_match(p, parts) for p in self._patterns)

    def knows_env(self, name: str) -> bool:
        return name in self._env or name in self._env_literals

    def unknown(self, paths: Iterable[str]) -> list[str]:
        return sorted({p for p in paths if not self.knows(p)})


def _match(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    for i, seg in enumerate(pattern):
        if seg == "**":
            return len(parts) > i
        if i >= len(parts) or (seg != "*" and seg != parts[i]):
            return False
    return len(parts) == len(pattern)


def _go_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.go")):
        rel = path.relative_to(root).parts
        if rel[0] in {"vendor", "integration"} or path.name.endswith("_test.go"):
            continue
        yield path


@functools.cache
def _go_literals(root: Path) -> frozenset[str]:
    found: set[str] = set()
    for path in _go_files(root):
        found.update(_GO_STRING.findall(path.read_text(encoding="utf-8", errors="replace")))
    return frozenset(found)


def _run(name: str, *args: str) -> str:
    done = subprocess.run(
        [str(tool(name)), *args], capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0:
        raise AssertionError(f"{name} {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


@functools.cache
def orderer_keys(version: str) -> KnownKeys:
    src = source_dir("fabric", version)
    return KnownKeys(_run("fabrickeys", "orderer-keys").split(), "ORDERER_", set(_go_literals(src)))


@functools.cache
def peer_keys(version: str) -> KnownKeys:
    src = source_dir("fabric", version)
    sample = yaml.safe_load((src / "sampleconfig" / "core.yaml").read_text(encoding="utf-8"))
    literals = _go_literals(src)
    named = {lit for lit in literals if lit.split(".", 1)[0] in _PEER_SECTIONS and "." in lit}
    return KnownKeys([*key_paths(sample), *named], "CORE_", set(literals))


@functools.cache
def ca_keys(version: str) -> KnownKeys:
    src = source_dir("fabric-ca", version)
    return KnownKeys(_run("cakeys", "ca-keys").split(), "FABRIC_CA_SERVER_", set(_go_literals(src)))


def orderer_loader_error(orderer_yaml: str, workdir: Path) -> str | None:
    """What the orderer's own loader says of this orderer.yaml (None: it loads)."""
    (workdir / "orderer.yaml").write_text(orderer_yaml, encoding="utf-8")
    done = subprocess.run(
        [str(tool("fabrickeys")), "orderer-load", str(workdir)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return None if done.returncode == 0 else (done.stderr or done.stdout).strip()
