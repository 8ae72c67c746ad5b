"""The named holes of Fabric's config files (compiler/render/templates.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.pipeline import check_file
from compiler.render import ca
from compiler.render.templates import TEMPLATES, TemplateError, parse, render_template
from tests.conftest import MINIMAL


def test_a_hole_takes_a_value_or_an_attribute_or_a_key() -> None:
    class Node:
        workload = "org1-peer0"

    text = "id: {{ node.workload }}\nport: {{ ports.peer }}\nmsp: {{ msp }}\n"
    out = parse("t", text).fill({"node": Node(), "ports": {"peer": 7051}, "msp": "Org1MSP"})
    assert out == "id: org1-peer0\nport: 7051\nmsp: Org1MSP\n"


def test_a_hole_alone_on_its_line_takes_lines_and_leaves_with_none() -> None:
    template = parse("t", "hosts:\n{{ hosts }}\nend: 1\n")
    assert template.fill({"hosts": ["  - a", "  - b"]}) == "hosts:\n  - a\n  - b\nend: 1\n"
    assert template.fill({"hosts": []}) == "hosts:\nend: 1\n"


@pytest.mark.parametrize(
    ("text", "values", "says"),
    [
        ("a: {{ a }}\n", {}, "no value for {{ a }}"),
        ("a: {{ a }}\n", {"a": "x", "b": "y"}, "no hole for b"),
        ("a: {{ a }}\n", {"a": True}, "a is a bool"),
        ("a: {{ a }}\n", {"a": None}, "a is a NoneType"),
        ("{{ a }}\n", {"a": "one line"}, "a takes a list of lines"),
        ("{{ a }}\n", {"a": ["two\nlines"]}, "is not a line"),
    ],
)
def test_values_that_do_not_fit_are_errors(text: str, values: dict[str, object], says: str) -> None:
    with pytest.raises(TemplateError) as error:
        parse("t", text).fill(values)
    assert str(error.value).startswith("t: ") and says in str(error.value)


@pytest.mark.parametrize("text", ["{% if x %}\n", "a: {{x}}\n", "a: {{ x | lower }}\n"])
def test_anything_in_braces_but_a_hole_is_refused(text: str) -> None:
    with pytest.raises(TemplateError, match="that is not a hole"):
        parse("t", text)


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.in")), ids=lambda p: p.name)
def test_every_template_file_is_holes_and_text(path: Path) -> None:
    template = parse(path.name, path.read_text(encoding="utf-8"))
    assert template.holes


def test_an_imported_root_and_the_subject_reach_both_ca_configs(tmp_path: Path) -> None:
    cert = "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "      mspID: Org1MSP\n      ca: {cluster: local}\n",
        "      mspID: Org1MSP\n      ca:\n        cluster: local\n"
        "        subject: {O: Acme, OU: ops}\n"
        f'        importRoot: {{cert: "{cert}", keySecret: {{name: org1-root-key}}}}\n',
    )
    (tmp_path / "imported.yaml").write_text(text, encoding="utf-8")
    result = check_file(tmp_path / "imported.yaml")
    assert result.ok and result.analysis is not None, result.diagnostics
    network = result.analysis.network
    org = next(o for o in network.orgs if o.name == "org1")
    files = ca.config_files(network, org)
    assert "  keyfile: /etc/hyperledger/fabric-ca-import/ca/key.pem\n" in files["ca.yaml"]
    assert "  certfile: /etc/hyperledger/fabric-ca-config/ca-import-cert.pem\n" in files["ca.yaml"]
    assert "  keyfile:\n  certfile: ca-cert.pem\n" in files["tlsca.yaml"]  # its own root
    for name in ("ca.yaml", "tlsca.yaml"):
        assert "      O: Acme\n      OU: ops\n" in files[name]
    assert files["ca.yaml"].count("\nport: ") == 1 and "\nport: " not in files["tlsca.yaml"]
    assert render_template("fabric-ca-start.sh.in", org="o", caname="c", tls_caname="t",
                           tls_dir="d").startswith("#!/bin/sh\n")  # fmt: skip
