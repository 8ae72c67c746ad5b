"""JSON Schema of the blueprint, generated from the models (never written by hand)."""

from __future__ import annotations

import json
from typing import Any

from compiler.blueprint.models import Blueprint

SCHEMA_ID = "https://hlfc.dev/schemas/blueprint.schema.json"


def blueprint_schema() -> dict[str, Any]:
    schema = Blueprint.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID} | schema


def schema_text() -> str:
    return json.dumps(blueprint_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
