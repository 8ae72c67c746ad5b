"""docs/blueprint-reference.md is the schema, in words: current, and complete."""

from __future__ import annotations

from compiler.blueprint.reference import markdown
from compiler.blueprint.schema import blueprint_schema
from tests.conftest import ROOT


def test_committed_reference_is_current() -> None:
    committed = (ROOT / "docs" / "blueprint-reference.md").read_text(encoding="utf-8")
    assert committed == markdown(blueprint_schema()), "stale: make render"


def test_every_model_and_key_is_in_the_reference() -> None:
    schema = blueprint_schema()
    text = markdown(schema)
    assert "Not reached from the document" not in text
    for name, model in schema["$defs"].items():
        assert f"({name})" in text, name
        for key, prop in model.get("properties", {}).items():
            assert f"| `{key}` |" in text, f"{name}.{key}"
            assert prop["description"].split()[0] in text, f"{name}.{key}"
