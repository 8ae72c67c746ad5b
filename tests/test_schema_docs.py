"""Every property of the blueprint's JSON Schema is documented for editors: a description
and a title in words; and generating the schema refuses a model that is not."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, Field

from compiler.blueprint import schema as schema_module
from compiler.blueprint.models import Images, Model, human_title
from compiler.blueprint.schema import UndocumentedSchemaError, blueprint_schema, undocumented
from compiler.cli.main import cli
from tests.conftest import ROOT

COMMITTED = ROOT / "schemas" / "blueprint.schema.json"


def _properties(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where.key, property schema) for every `properties` entry at any depth: the root,
    each $defs model, and inline objects inside them."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, prop in value.items():
                    yield f"{where}.{name}", prop
                    yield from _properties(prop, f"{where}.{name}")
            elif key == "$defs":
                for name, sub in value.items():
                    yield from _properties(sub, name)
            elif key not in ("default", "examples"):
                yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _properties(item, where)


def _title(schema: dict[str, Any], prop: dict[str, Any]) -> str:
    """The title an editor shows: the property's own, else that of the model it refers to."""
    if "title" in prop:
        return str(prop["title"])
    ref = prop.get("$ref", "")
    assert ref.startswith("#/$defs/"), prop
    return str(schema["$defs"][ref.removeprefix("#/$defs/")]["title"])


def _pydantic_default_title(key: str) -> str:
    """What pydantic makes of a key without a title generator: "Certificateexpirydays"."""
    return key.title().replace("_", " ").strip()


def _several_words(key: str) -> bool:
    return re.search(r"[a-z0-9][A-Z]|_", key) is not None


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return blueprint_schema()


def test_every_property_has_a_description_and_a_title_in_words(schema: dict[str, Any]) -> None:
    props = list(_properties(schema, "Blueprint"))
    assert len(props) > 150  # the walk found the models, not just the root
    undescribed = [w for w, p in props if not str(p.get("description", "")).strip()]
    assert undescribed == [], f"{len(undescribed)} of {len(props)} undescribed: {undescribed}"
    generated = []
    for where, prop in props:
        key = where.rsplit(".", 1)[1]
        title = _title(schema, prop)
        if not title.strip() or (
            _several_words(key) and (title == _pydantic_default_title(key) or " " not in title)
        ):
            generated.append(f"{where}: {title!r}")
    assert generated == []


def test_the_committed_schema_is_documented_too() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert undocumented(committed) == []
    assert all(str(p.get("description", "")).strip() for _, p in _properties(committed, "root"))


@pytest.mark.parametrize(
    ("model", "key", "title"),
    [
        (None, "apiVersion", "API version"),
        ("Organization", "mspID", "MSP ID"),
        ("ArgoCD", "repoURL", "Repo URL"),
        ("AlertThresholds", "certificateExpiryDays", "Certificate expiry days"),
        ("AlertThresholds", "pvcUsageWarningPercent", "PVC usage warning percent"),
        ("PeerSettings", "stateDb", "State DB"),
        ("PeerSettings", "couchdbCredentials", "CouchDB credentials"),
        ("CertificateAuthority", "importTlsRoot", "Import TLS root"),
        ("Channel", "acls", "ACLs"),
        ("ResourceList", "cpu", "CPU"),
        ("Fabric", "caVersion", "CA version"),
        ("CsrSubject", "OU", "Organizational unit"),
        ("NetworkSpec", "argocd", "Argo CD"),
    ],
)
def test_titles_read_as_words(
    schema: dict[str, Any], model: str | None, key: str, title: str
) -> None:
    node = schema if model is None else schema["$defs"][model]
    assert _title(schema, node["properties"][key]) == title


def test_model_titles_read_as_words(schema: dict[str, Any]) -> None:
    assert schema["$defs"]["CsrSubject"]["title"] == "CSR subject"
    assert schema["$defs"]["ArgoCD"]["title"] == "Argo CD"
    assert schema["$defs"]["AlertThresholds"]["title"] == "Alert thresholds"
    assert human_title("snake_case_tls_name") == "Snake case TLS name"


# --- the check refuses what is not documented ------------------------------------------


class Inner(Model):
    plain: int = 0


class Tiny(Model):
    described: int = Field(default=1, description="a described field")
    bare: int = 0
    inner: Inner = Field(default=Inner(), description="described, but its model's field is not")


class NoTitles(BaseModel):  # not from Model: pydantic's own titles
    certificateExpiryDays: int = Field(default=21, description="described")


def test_check_names_every_undescribed_field() -> None:
    problems = undocumented(Tiny.model_json_schema(by_alias=True), root="Tiny")
    assert problems == ["Tiny.bare: no description", "Inner.plain: no description"]


def test_check_refuses_generated_titles() -> None:
    problems = undocumented(NoTitles.model_json_schema(by_alias=True), root="NoTitles")
    assert problems == [
        "NoTitles.certificateExpiryDays: title 'Certificateexpirydays' is not in words"
    ]


def test_check_walks_inline_objects() -> None:
    hand_made = {
        "properties": {
            "outer": {
                "type": "object",
                "title": "Outer",
                "description": "an inline object",
                "properties": {"innerKey": {"type": "string", "title": "Innerkey"}},
            }
        }
    }
    assert undocumented(hand_made) == [
        "Blueprint.outer.innerKey: no description, title 'Innerkey' is not in words"
    ]


def test_schema_generation_refuses_an_undescribed_field(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(schema_module, "Blueprint", Tiny)
    with pytest.raises(UndocumentedSchemaError) as caught:
        blueprint_schema()
    assert caught.value.problems == ["Tiny.bare: no description", "Inner.plain: no description"]

    out = tmp_path / "blueprint.schema.json"
    result = CliRunner().invoke(cli, ["schema", "-o", str(out)])
    assert result.exit_code == 1
    assert "2 schema properties are not documented" in result.output
    assert "Tiny.bare: no description" in result.output
    assert "Inner.plain: no description" in result.output
    assert not out.exists()


def test_default_enroller_image_is_the_one_this_version_publishes() -> None:
    """.github/workflows/release.yml publishes ghcr.io/<owner>/hlfc-enroller:<version> on a
    tag v<version> and refuses a tag the default does not name."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert Images().enroller == f"ghcr.io/hlfc-dev/hlfc-enroller:{version}"
    workflow = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert "file: compiler/enroll/Dockerfile" in workflow
