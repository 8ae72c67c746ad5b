"""The one place that turns Manifests into bytes on disk.

Determinism is made here, not hoped for in the renderers:
- mapping keys: `apiVersion, kind, metadata` first, `name`/`namespace` first inside any
  mapping, the rest sorted;
- lists whose order Kubernetes ignores (ports, volumes, volumeMounts, ...) sorted by their
  identifying key; every other list keeps the order the renderer chose on purpose (env, args,
  containers);
- libyaml's C emitter with fixed options, multi-line strings as `|` blocks; the direct
  writer in fastyaml.py produces the same bytes without PyYAML's representer (most of a
  large render's time) and hands libyaml whatever it cannot match exactly;
- layout `<out>/<network>/<cluster>/<namespace>/<kind>-<name>.yaml` and a kustomization.yaml
  per cluster;
- files are rewritten only when their bytes change, and stale `.yaml` and `.json` files of
  an earlier render are removed, only inside `<out>/<network>/` (hlfc owns that tree).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compiler.emit import fastyaml, order
from compiler.render.manifest import Manifest

CLUSTER_WIDE_DIR = "_cluster"
STALE = (".json", ".yaml")  # what a render writes, so what a later render may remove


class _Dumper(yaml.CSafeDumper):
    """libyaml emitter with block literals for multi-line strings (config files)."""


def _str_representer(dumper: _Dumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def normalise(value: Any, field: str | None = None) -> Any:
    """A canonical copy of a manifest: ordered keys, sorted unordered lists."""
    if isinstance(value, Mapping):
        return {
            str(k): normalise(value[k], str(k))
            for k in sorted(value, key=lambda k: order.key_order(str(k)))
        }
    if isinstance(value, list | tuple):
        items = [normalise(v) for v in value]
        if field in order.UNORDERED_LISTS:
            items.sort(key=lambda item: order.item_key(item, order.UNORDERED_LISTS[field]))
        return items
    if isinstance(value, set | frozenset):
        raise TypeError("sets have no order; renderers must produce lists")
    return value


def dump(obj: Mapping[str, Any]) -> bytes:
    try:
        return fastyaml.dump(obj).encode("utf-8")
    except fastyaml.Unsupported:
        return libyaml_dump(obj)


def libyaml_dump(obj: Mapping[str, Any]) -> bytes:
    """libyaml's bytes for the manifest: the reference fastyaml must equal, and the writer
    for whatever fastyaml leaves to it."""
    text = yaml.dump(
        normalise(obj),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=4096,
        indent=2,
        explicit_start=False,
    )
    return text.encode("utf-8")


def manifest_path(manifest: Manifest) -> str:
    directory = manifest.directory or CLUSTER_WIDE_DIR
    return f"{manifest.cluster}/{directory}/{manifest.kind.lower()}-{manifest.name}.yaml"


def plan(manifests: Iterable[Manifest]) -> dict[str, bytes]:
    """Relative path (under the network directory) → file bytes, kustomizations included."""
    files: dict[str, bytes] = {}
    per_cluster: dict[str, list[str]] = {}
    for manifest in manifests:
        rel = manifest_path(manifest)
        if rel in files:
            raise ValueError(f"two manifests render to the same file {rel}")
        files[rel] = dump(manifest.obj)
        per_cluster.setdefault(manifest.cluster, []).append(rel.split("/", 1)[1])
    for cluster, resources in per_cluster.items():
        files[f"{cluster}/kustomization.yaml"] = dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": sorted(resources),
            }
        )
    return dict(sorted(files.items()))


@dataclass(frozen=True)
class WriteReport:
    root: Path
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_tree(out_dir: Path, network: str, files: Mapping[str, bytes]) -> WriteReport:
    root = out_dir / network
    written: list[str] = []
    unchanged: list[str] = []
    for rel, data in files.items():
        target = root / rel
        if target.is_file() and target.read_bytes() == data:
            unchanged.append(rel)
            continue
        _atomic_write(target, data)
        written.append(rel)
    removed: list[str] = []
    if root.is_dir():
        for path in sorted(p for suffix in STALE for p in root.rglob(f"*{suffix}")):
            rel = path.relative_to(root).as_posix()
            if rel not in files and path.is_file():
                path.unlink()
                removed.append(rel)
        # deepest first, so a directory emptied by its children goes too
        for directory in sorted(
            (p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)
        ):
            if not any(directory.iterdir()):
                directory.rmdir()
    return WriteReport(root, tuple(written), tuple(unchanged), tuple(removed))
