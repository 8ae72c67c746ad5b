"""libyaml's composition (compiler/blueprint/libyaml.py) against ruamel's, the reference:
wherever the fast path does not decline, the document, every key's and value's position and
every diagnostic are the ones ruamel's reading gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from compiler.blueprint import libyaml, source
from compiler.blueprint.source import MAX_DEPTH, read_document
from tests.conftest import BAD, BLUEPRINTS, MINIMAL, ROOT
from tests.damage import damaged

FILES = sorted(
    [*BLUEPRINTS.glob("*.yaml"), *BAD.glob("*.yaml"), *(ROOT / "tests/plan").rglob("*.yaml")]
)


def _read(path: Path, *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        if fast:
            patch.setattr(source, "LIBYAML_FROM", 0)  # whatever its size
        else:
            patch.setattr(libyaml, "compose_all", lambda *_: None)
        document, diagnostics = read_document(path)
    if document is None:
        return None, diagnostics
    return (document.data, document.source.values, document.source.keys), diagnostics


def _composed(text: str) -> list[Any] | None:
    return libyaml.compose_all(text, YAML(typ="safe", pure=True).resolver, MAX_DEPTH)


def _large_blueprint(tmp_path: Path) -> Path:
    """minimal.yaml with 300 peers: past LIBYAML_FROM."""
    network = yaml.safe_load(MINIMAL.read_text())
    network["spec"]["organizations"][1]["peers"] += [
        {"name": f"peer{i}", "cluster": "local", "anchor": False} for i in range(1, 300)
    ]
    path = tmp_path / "large.yaml"
    path.write_text(yaml.safe_dump(network, sort_keys=False))
    return path


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_blueprint_here_reads_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _read(path, fast=True, monkeypatch=monkeypatch) == _read(
        path, fast=False, monkeypatch=monkeypatch
    )


def test_a_large_network_reads_the_same_and_libyaml_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _large_blueprint(tmp_path)
    assert _composed(path.read_text()) is not None
    fast = _read(path, fast=True, monkeypatch=monkeypatch)
    assert fast[0] is not None
    assert fast == _read(path, fast=False, monkeypatch=monkeypatch)


@pytest.mark.parametrize(
    "text",
    [
        "%YAML 1.1\n---\na: yes\n",  # a directive changes ruamel's resolution
        "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
        "a: ! 7\n",  # the non-specific tag
        "a: !x%2541 1\n",  # a tag with a % once libyaml has decoded it
        "a: *nowhere\n",  # an undefined alias
        "a: [1, 2\n",  # malformed
        "a:\n\t- b\n",  # a tab where indentation belongs
        "a b: 1\nc\td: 2\n",  # a tab inside a key: libyaml takes it, ruamel refuses it
        "a: 1\u2028b: 2\n",  # a line separator, counted as a line by one of them only
        "a: 1\rb: 2\n",  # a carriage return alone
        "&x: 1\n",  # the anchor "x:" to ruamel, the anchor "x" and a colon to libyaml
        "a: [b: ]\n",  # an empty value in a flow collection, placed apart
        "a: {b: !x, c: 1}\n",  # a tag run into a comma: "!x," to ruamel, "!x" to libyaml
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),  # deeper than the bound
    ],
)
def test_libyaml_declines_where_the_libraries_could_part(text: str) -> None:
    assert _composed(text) is None


def test_scalars_are_tagged_as_yaml_1_2_as_ruamel_tags_them() -> None:
    text = "a: yes\nb: 0o17\nc: 017\nd: .inf\ne: ~\nf: 2026-01-02\ng: '1'\nh: 1_000\n"
    roots = _composed(text)
    assert roots is not None
    tags = {k.value: v.tag.rsplit(":", 1)[-1] for k, v in roots[0].value}
    assert tags == {
        "a": "str",  # a YAML 1.1 boolean, a string in 1.2
        "b": "int",
        "c": "int",
        "d": "float",
        "e": "null",
        "f": "timestamp",
        "g": "str",
        "h": "int",
    }


def test_anchors_aliases_and_merge_keys_compose_to_shared_nodes() -> None:
    roots = _composed("base: &b {x: 1}\nuse: *b\nmerged:\n  <<: *b\n  y: 2\n")
    assert roots is not None
    (_, base), (_, use), (_, merged) = roots[0].value
    assert use is base
    assert merged.value[0][0].tag == "tag:yaml.org,2002:merge"
    assert merged.value[0][1] is base


# what the fuzzing that found the cases above inserted
DAMAGE = [b":", b"- ", b"\t", b"{", b"}", b"[", b"]", b",", b"&a ", b"*a", b"!!str ", b"<<: ",
          b"'", b'"', b"\n  x: [", b"? ", b"|\n", b">-\n", b"#", b"---\n", b"...\n", b"\\",
          b"%", b"\r\n", b"\r", b"\xc2\x85", b"\xe2\x80\xa8", b"~", b"yes", b"0o7", b"\n-\n",
          b"x:\n", b": x\n", b"&b {a: 1}", b"*b", b"!foo "]  # fmt: skip


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_damaged_text_reads_the_same_wherever_libyaml_reads_it(
    data: st.DataObject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "damaged.yaml"
    path.write_bytes(
        damaged(data, MINIMAL.read_bytes(), DAMAGE, max_ops=4, flips=(32, 126), max_cut=20)
    )
    assert _read(path, fast=True, monkeypatch=monkeypatch) == _read(
        path, fast=False, monkeypatch=monkeypatch
    )


def test_without_libyaml_ruamel_reads_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(libyaml, "HAVE_LIBYAML", False)
    assert libyaml.compose_all("a: 1\n", None, MAX_DEPTH) is None
    document, diagnostics = source.read_document(MINIMAL)
    assert document is not None and not diagnostics


def test_libyaml_reads_only_what_is_large_enough_to_pay_for_importing_pyyaml(
    tmp_path: Path,
) -> None:
    large = _large_blueprint(tmp_path)
    assert len(MINIMAL.read_text()) < source.LIBYAML_FROM <= len(large.read_text())
    probe = "import sys\nfrom compiler.pipeline import check_file\ncheck_file(sys.argv[1])\n"
    probe += "print('yaml' in sys.modules)"
    for path, loaded in ((MINIMAL, "False"), (large, "True")):
        done = subprocess.run(
            [sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == loaded, path
