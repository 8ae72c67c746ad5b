"""JSON Schema of the blueprint, generated from the models (never written by hand).

Editors complete a blueprint from this schema, so every property must say what it is: a
description and a title in words. Generating the schema checks that, so a field added
without a description cannot reach schemas/blueprint.schema.json.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from compiler.blueprint.models import Blueprint, words

SCHEMA_ID = "https://hlfc.dev/schemas/blueprint.schema.json"


class UndocumentedSchemaError(ValueError):
    """Properties of the generated schema without a description or a title in words."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(
            f"{len(problems)} schema propert{'y is' if len(problems) == 1 else 'ies are'} "
            "not documented; give each field a Field(description=...) in "
            f"compiler/blueprint/models.py (titles come from the field names):\n{lines}"
        )


def generated_title(key: str, title: object) -> bool:
    """No title, or one that reads like pydantic's default: a name of several words
    ("certificateExpiryDays") run together into one ("Certificateexpirydays")."""
    if not isinstance(title, str) or not title.strip():
        return True
    return len(words(key)) > 1 and " " not in title.strip()


def _properties(node: Any, where: tuple[str, ...]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(place, key, property schema) for every `properties` entry, at any depth."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            for key, prop in properties.items():
                if isinstance(prop, dict):
                    yield ".".join(where), key, prop
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, prop in value.items():
                    yield from _properties(prop, (*where, name))
            elif key == "$defs" and isinstance(value, dict):
                for name, sub in value.items():
                    yield from _properties(sub, (name,))
            elif key not in ("default", "examples", "const", "enum"):
                yield from _properties(value, (*where, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _properties(item, (*where, str(i)))


def title_of(schema: dict[str, Any], prop: dict[str, Any]) -> object:
    """A property's title; for a bare `$ref` the referenced model's (pydantic leaves out a
    field title equal to it, and editors show the model's)."""
    ref = prop.get("$ref")
    if "title" in prop or not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return prop.get("title")
    target = schema.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
    return target.get("title") if isinstance(target, dict) else None


def undocumented(schema: dict[str, Any], root: str = "Blueprint") -> list[str]:
    """One line per property without a description of its own or with a generated-looking
    title, named `<model>.<key>` (the $defs entry, or `root` for the top level)."""
    problems = []
    for place, key, prop in _properties(schema, (root,)):
        missing = []
        description = prop.get("description")
        if not isinstance(description, str) or not description.strip():
            missing.append("no description")
        title = title_of(schema, prop)
        if generated_title(key, title):
            missing.append(f"title {title!r} is not in words" if title else "no title")
        if missing:
            problems.append(f"{place}.{key}: {', '.join(missing)}")
    return problems


def blueprint_schema() -> dict[str, Any]:
    schema = Blueprint.model_json_schema(by_alias=True, mode="validation")
    problems = undocumented(schema, root=Blueprint.__name__)
    if problems:
        raise UndocumentedSchemaError(problems)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID} | schema


def schema_text() -> str:
    return json.dumps(blueprint_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
