"""The JSON Schema is generated from the models and agrees with them on the examples."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from compiler.blueprint.schema import blueprint_schema
from tests.conftest import BLUEPRINTS, ROOT

EXAMPLES = sorted(BLUEPRINTS.glob("*.yaml"))


def test_committed_schema_is_generated() -> None:
    committed = json.loads((ROOT / "schemas" / "blueprint.schema.json").read_text())
    assert committed == blueprint_schema()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_examples_validate_against_schema(example) -> None:  # type: ignore[no-untyped-def]
    schema = blueprint_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(example.read_text()))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_examples_point_editors_at_the_schema(example) -> None:  # type: ignore[no-untyped-def]
    first = example.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/blueprint.schema.json"


def test_schema_rejects_unknown_keys_like_the_models() -> None:
    data = yaml.safe_load((BLUEPRINTS / "minimal.yaml").read_text())
    data["spec"]["organisations"] = []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, blueprint_schema())
