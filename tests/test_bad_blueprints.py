"""Each blueprint under tests/bad/ must produce exactly the diagnostics its `# expect:` lines
name: code, severity, line:col and path. No more, no fewer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler.cli.main import cli
from compiler.codes import CODES
from compiler.diagnostics import format_path
from compiler.pipeline import check_file
from tests.conftest import BAD

EXPECT = re.compile(r"^# expect: (error|warning)\[([A-Z]\d{3})\] (\d+):(\d+) (\S+)$")
CASES = sorted(BAD.glob("*.yaml"))


def expectations(path: Path) -> set[tuple[str, str, int, int, str]]:
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        m = EXPECT.match(line)
        if m:
            sev, code, ln, col, where = m.groups()
            found.add((sev, code, int(ln), int(col), where))
    return found


def test_corpus_is_large_and_distinct() -> None:
    assert len(CASES) >= 25
    codes = {code for case in CASES for _, code, *_ in expectations(case)}
    # every analysis and schema code is exercised by at least one file here; Y001/Y002
    # (unreadable or binary input) and N005 need inputs a YAML file cannot be, and are
    # covered in test_loader.py and test_cli.py; L001/L002 judge a file against a rendered
    # output/ and are covered in test_cli.py
    assert set(CODES) - codes == {"Y001", "Y002", "N005", "L001", "L002"}


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_exact_diagnostics(case: Path) -> None:
    expected = expectations(case)
    assert expected, f"{case.name} has no `# expect:` line"
    result = check_file(case)
    produced = {
        (str(d.severity), d.code, d.position.line, d.position.column, format_path(d.path))
        for d in result.diagnostics
    }
    assert produced == expected
    assert all(d.file == str(case) for d in result.diagnostics)
    # a leading code letter names the case: the file's own code is among those produced
    assert case.stem.split("-")[0].upper() in {code for _, code, *_ in produced}


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_cli_prints_each_diagnostic_and_exits_by_severity(case: Path) -> None:
    expected = expectations(case)
    result = CliRunner().invoke(cli, ["validate", str(case)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    has_error = any(sev == "error" for sev, *_ in expected)
    assert result.exit_code == (1 if has_error else 0)
    for sev, code, line, col, where in expected:
        assert f"{case}:{line}:{col}: {sev}[{code}]: {where}: " in result.output
