"""Inputs that are not blueprints at all: never a traceback, always a positioned message."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.blueprint.loader import load
from compiler.diagnostics import Position
from tests.conftest import MINIMAL


def only(diagnostics: list, code: str):  # type: ignore[no-untyped-def,type-arg]
    assert [d.code for d in diagnostics] == [code], [d.render() for d in diagnostics]
    return diagnostics[0]


def test_directory(tmp_path: Path) -> None:
    loaded, diagnostics = load(tmp_path)
    assert loaded is None
    d = only(diagnostics, "Y001")
    assert "is a directory" in d.message


def test_missing_file(tmp_path: Path) -> None:
    loaded, diagnostics = load(tmp_path / "nope.yaml")
    assert loaded is None
    assert "No such file" in only(diagnostics, "Y001").message


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_bytes(bytes(range(256)))
    assert only(load(path)[1], "Y002").position == Position(1, 1)


def test_latin1_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "l.yaml"
    path.write_bytes(b"apiVersion: hlfc/v1alpha1\nkind: caf\xe9\n")
    d = only(load(path)[1], "Y002")
    assert d.position.line == 2
    assert "0xe9" in d.message


def test_whitespace_only_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text("   \n\n")
    only(load(path)[1], "Y003")


@pytest.mark.parametrize("text", ["42\n", "just a string\n", "null\n", "[1, 2]\n"])
def test_scalar_or_list_document(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    loaded, diagnostics = load(path)
    assert loaded is None
    assert diagnostics and diagnostics[0].code in {"S003", "Y003"}


def test_tab_indentation_is_a_yaml_error(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("spec:\n\tclusters: []\n")
    d = only(load(path)[1], "Y004")
    assert d.position.line == 2


def test_every_duplicate_key_is_reported(tmp_path: Path) -> None:
    text = MINIMAL.read_text().replace("kind: FabricNetwork", "kind: FabricNetwork\nkind: X")
    text = text.replace("  name: minimal", "  name: minimal\n  name: again")
    path = tmp_path / "d.yaml"
    path.write_text(text)
    loaded, diagnostics = load(path)
    assert loaded is None
    assert [d.code for d in diagnostics] == ["Y005", "Y005"]


def test_anchor_and_merge_keys_are_understood(tmp_path: Path) -> None:
    text = MINIMAL.read_text().replace(
        "        - {name: orderer0, cluster: local}",
        "        - &o {name: orderer0, cluster: local}\n        - {<<: *o, name: orderer3}",
    )
    path = tmp_path / "m.yaml"
    path.write_text(text)
    loaded, diagnostics = load(path)
    assert diagnostics == []
    assert loaded is not None
    names = [o.name for o in loaded.blueprint.spec.organizations[0].orderers]
    assert names == ["orderer0", "orderer3", "orderer1", "orderer2"]


def test_valid_blueprint_keeps_positions() -> None:
    loaded, diagnostics = load(MINIMAL)
    assert loaded is not None and diagnostics == []
    # `name: org1` of the second organisation, as written in the file
    line = next(i for i, t in enumerate(MINIMAL.read_text().splitlines(), 1) if "- name: org1" in t)
    assert loaded.source.locate(("spec", "organizations", 1, "name")) == Position(line, 13)


HOSTILE = ["y008-alias-bomb.yaml", "y008-alias-cycle.yaml", "y004-deep-nesting.yaml"]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("command", ["validate", "render"])
def test_hostile_yaml_fails_positioned_in_a_real_process_under_a_memory_cap(
    name: str, command: str, tmp_path: Path
) -> None:
    """The CLI as a user runs it, with 1 GiB of address space: exit 1, a positioned
    diagnostic, no traceback (the alias bomb used to grow past 4 GB)."""
    import resource  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from tests.conftest import BAD  # noqa: PLC0415

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    args = [command, str(BAD / name)] + (["-o", str(tmp_path)] if command == "render" else [])
    done = subprocess.run(
        [sys.executable, "-m", "compiler", *args],
        capture_output=True, text=True, timeout=60, preexec_fn=cap, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith(f"{BAD / name}:") and ":1:1:" not in first, first
    assert list(tmp_path.iterdir()) == []


def test_a_scalar_where_a_mapping_belongs_is_told_the_mapping_s_keys(tmp_path: Path) -> None:
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "storageClass: standard", "storageClass: standard\n      ingress: loadBalancer"
    )
    path = tmp_path / "b.yaml"
    path.write_text(text, encoding="utf-8")
    _, diagnostics = load(path)
    (d,) = diagnostics
    assert d.code == "S003"
    assert d.message == (
        "expected a mapping, got string 'loadBalancer' (keys: gateway, gatewayClass, kind, port, "
        "proxyNamespace)"
    )
