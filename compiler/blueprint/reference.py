"""The blueprint's field reference (docs/blueprint-reference.md), written from the schema.

Every key a blueprint may hold, where it sits, its type, its default and what it does, in
the order a blueprint reads (depth first from the document's root), so the page cannot
drift from the models: `make render` writes it and `make check` fails on a stale copy.
"""

from __future__ import annotations

import json
from typing import Any

HEADER = """\
# Blueprint field reference

Generated from the models by `hlfc schema --markdown` (`make render`): do not edit.
Each section is one mapping, named by where it sits in a blueprint (`[]`: in each item of
a list, `{}`: in each value of a mapping). A key without a default is required where its
mapping is given. The JSON Schema (`schemas/blueprint.schema.json`) has the same text for
editors.
"""


def _ref(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _type(schema: dict[str, Any]) -> str:
    """A short type: string, integer, list of Peer, Cluster, one of a | b, ..."""
    if (ref := _ref(schema)) is not None:
        return ref
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    if "anyOf" in schema:
        kinds = [_type(s) for s in schema["anyOf"] if s.get("type") != "null"]
        return " or ".join(kinds) + (" or null" if len(kinds) < len(schema["anyOf"]) else "")
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"map of {_type(schema['additionalProperties'])}"
    return str(kind or "any")


def _inner_ref(schema: dict[str, Any]) -> tuple[str, str] | None:
    """(model, path suffix) a property leads to: itself, a list's items, a map's values."""
    if (ref := _ref(schema)) is not None:
        return ref, ""
    for option in schema.get("anyOf", []):
        if (found := _inner_ref(option)) is not None:
            return found
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        found = _inner_ref(schema["items"])
        return (found[0], "[]" + found[1]) if found else None
    extra = schema.get("additionalProperties")
    if schema.get("type") == "object" and isinstance(extra, dict):
        found = _inner_ref(extra)
        return (found[0], "{}" + found[1]) if found else None
    return None


def _default(schema: dict[str, Any]) -> str:
    if "default" not in schema:
        return ""
    text = json.dumps(schema["default"], separators=(", ", ": "))
    return f"`{text}`" if len(text) <= 60 else "(see the nested keys)"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def markdown(schema: dict[str, Any]) -> str:
    defs: dict[str, Any] = schema.get("$defs", {})
    sections: list[str] = []
    seen: dict[str, str] = {}
    queue: list[tuple[str, str, dict[str, Any]]] = [("(document)", schema.get("title", ""), schema)]
    while queue:
        path, name, node = queue.pop(0)
        rows = ["| key | type | default | what it does |", "|---|---|---|---|"]
        nested: list[tuple[str, str, dict[str, Any]]] = []
        for key, prop in node.get("properties", {}).items():
            required = key in node.get("required", [])
            default = "required" if required else _default(prop)
            rows.append(
                f"| `{key}` | {_cell(_type(prop))} | {_cell(default)} | "
                f"{_cell(str(prop.get('description', '')))} |"
            )
            found = _inner_ref(prop)
            if found is not None and found[0] not in seen:
                model, suffix = found
                where = f"{key}{suffix}" if path == "(document)" else f"{path}.{key}{suffix}"
                seen[model] = where
                nested.append((where, model, defs[model]))
        doc = _cell(str(node.get("description", "")))
        title = f"## `{path}`" + (f" ({name})" if name else "")
        sections.append("\n".join([title, "", *([doc, ""] if doc else []), *rows]))
        queue[:0] = nested  # depth first: a mapping's own mappings follow it
    also = sorted(m for m in defs if m not in seen)
    tail = [f"\nNot reached from the document: {', '.join(also)}."] if also else []
    return HEADER + "\n" + "\n\n".join(sections) + "\n" + "".join(tail)
