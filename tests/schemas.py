"""JSON Schemas for kubeconform, prepared at test time from what the Makefile installed.

- Kubernetes: the `kubernetes-validate` wheel's strict schemas. They carry an https `$id`
  and `$ref` an absolute `/api/_definitions.json`, which kubeconform's file loader cannot
  follow; the copy here drops `$id` and makes those refs relative. Nothing else changes.
- CRDs: each version's openAPIV3Schema, made strict the way kubeconform's own
  openapi2jsonschema does (no properties beyond those declared, unless the CRD preserves
  unknown fields; int-or-string as a oneOf).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

WHEEL_SCHEMAS = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
K8S_TEMPLATE = (
    "{{.NormalizedKubernetesVersion}}-local{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json"
)
CRD_TEMPLATE = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"


def kubernetes_schemas(version: str, dest: Path) -> None:
    source = WHEEL_SCHEMAS / f"v{version}-local-strict"
    target = dest / source.name
    target.mkdir(parents=True, exist_ok=True)
    for path in source.glob("*.json"):
        text = path.read_text(encoding="utf-8").replace(
            '"/api/_definitions.json#', '"_definitions.json#'
        )
        schema = json.loads(text)
        schema.pop("$id", None)
        (target / path.name).write_text(json.dumps(schema), encoding="utf-8")


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


class _CrdLoader(yaml.SafeLoader):
    """YAML 1.1's `=` (the `!!value` tag) is a plain string in CRDs (enum values)."""


_CrdLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:value"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def crd_schemas(crd_files: list[Path], dest: Path) -> list[tuple[str, str, str]]:
    """Write one schema per CRD version; returns (group, kind, version) written."""
    written = []
    for path in crd_files:
        for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_CrdLoader):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            group = doc["spec"]["group"]
            kind = doc["spec"]["names"]["kind"]
            for version in doc["spec"]["versions"]:
                root = dict(version["schema"]["openAPIV3Schema"])
                # every custom resource has these, declared in its CRD or not (Istio's
                # are not): add them before forbidding undeclared properties
                root["properties"] = {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": {"type": "object"},
                    **root.get("properties", {}),
                }
                schema = _strict(root)
                out = dest / group / f"{kind.lower()}_{version['name']}.json"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(schema), encoding="utf-8")
                written.append((group, kind, version["name"]))
    return written
