"""The CLI contract: commands, formats and exit codes (0 ok, 1 invalid, 2 usage)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from compiler import graph
from compiler.cli.main import GRAPH_FORMATS, cli
from tests.conftest import BAD, GLOBAL, MINIMAL, ROOT


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_validate_ok() -> None:
    code, out = run("validate", str(MINIMAL), str(GLOBAL))
    assert code == 0
    assert out.strip() == "ok: 2 files valid, 0 warnings"


def test_validate_reports_every_file_at_once() -> None:
    code, out = run(
        "validate", str(BAD / "r001-unknown-cluster.yaml"), str(BAD / "s004-statedb.yaml")
    )
    assert code == 1
    assert "error[R001]" in out and "error[S004]" in out
    assert out.strip().endswith("2 errors, 0 warnings in 2 files")


def test_validate_json() -> None:
    code, out = run("validate", "--format", "json", str(BAD / "q002-four-consenters.yaml"))
    assert code == 0
    data = json.loads(out)
    assert data["errors"] == 0 and data["warnings"] == 1
    (diag,) = data["files"][0]["diagnostics"]
    assert {k: diag[k] for k in ("code", "severity", "path")} == {
        "code": "Q002",
        "severity": "warning",
        "path": "spec.channels[0]",
    }


def test_unreadable_input_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run("validate", str(tmp_path))
    assert code == 2
    assert f"{tmp_path}:1:1: error[Y001]: <root>: is a directory" in out
    code, _ = run("validate", str(tmp_path / "missing.yaml"))
    assert code == 2


def test_unknown_option_and_missing_argument_are_usage_errors() -> None:
    assert run("validate")[0] == 2
    assert run("validate", "--format", "xml", str(MINIMAL))[0] == 2
    assert run("frobnicate")[0] == 2


def test_render_refuses_invalid_input_and_writes_nothing(tmp_path: Path) -> None:
    code, out = run(
        "render", str(MINIMAL), str(BAD / "q001-two-consenters.yaml"), "-o", str(tmp_path)
    )
    assert code == 1
    assert "nothing rendered" in out
    assert list(tmp_path.iterdir()) == []


def test_render_refuses_two_files_for_one_network(tmp_path: Path) -> None:
    copy = tmp_path / "copy.yaml"
    shutil.copy(MINIMAL, copy)
    code, out = run("render", str(MINIMAL), str(copy), "-o", str(tmp_path / "out"))
    assert code == 1
    assert f"{copy}:7:9: error[N005]: metadata.name: network 'minimal' is already defined" in out
    assert not (tmp_path / "out").exists()


def test_schema_to_stdout_matches_committed_file() -> None:
    code, out = run("schema", "-o", "-")
    assert code == 0
    assert out == (ROOT / "schemas" / "blueprint.schema.json").read_text(encoding="utf-8")


def test_version() -> None:
    code, out = run("--version")
    assert code == 0 and out.startswith("hlfc, version ")


def _minimal_with(tmp_path: Path, name: str, **replace: str) -> Path:
    text = MINIMAL.read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old.replace("_", " "), new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_definition_change_needs_a_higher_sequence(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, said = run("render", str(MINIMAL), "-o", str(out))
    assert code == 0, said
    # the version changes, the sequence does not: refused by render and by validate
    changed = _minimal_with(tmp_path, "minimal.yaml", **{"version:_1.0.0": "version: 1.1.0"})
    for args in (
        ("render", str(changed), "-o", str(out)),
        ("validate", str(changed), "--deployed", str(out)),
    ):
        code, said = run(*args)
        assert code == 1, said
        assert f"{changed}:38:21: error[L001]: spec.channels[0].chaincodes[0].sequence:" in said
        assert "changes its definition (version) but keeps sequence 1: raise it to 2" in said
    # with the sequence raised it renders, and the old sequence is then refused (L002)
    bumped = _minimal_with(
        tmp_path,
        "minimal.yaml",
        **{"version:_1.0.0": "version: 1.1.0", "sequence:_1": "sequence: 2"},
    )
    code, said = run("render", str(bumped), "-o", str(out))
    assert code == 0, said
    code, said = run("validate", str(MINIMAL), "--deployed", str(out))
    assert code == 1
    assert "error[L002]" in said and "has sequence 1, but the deployed definition has 2" in said
    # without --deployed, validate judges the file alone
    assert run("validate", str(changed))[0] == 0


def _loaded_after(code: str) -> set[str]:
    """Modules a fresh interpreter holds after running `code` (start-up cost, issue 16)."""
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_each_command_imports_only_what_it_runs() -> None:
    heavy = {"pydantic", "yaml", "ruamel.yaml", "httpx", "lightkube"}
    assert not heavy & _loaded_after("import compiler.cli.main")  # --help, --version
    validate = _loaded_after("import compiler.cli.main\nfrom compiler.pipeline import check_file")
    assert {"pydantic", "ruamel.yaml"} <= validate
    # PyYAML comes only with a blueprint large enough for libyaml to pay (LIBYAML_FROM)
    assert not {"yaml", "compiler.render.network", "compiler.emit.writer"} & validate


def test_graph_formats_offered_are_the_ones_drawn() -> None:
    assert GRAPH_FORMATS == graph.FORMATS


def test_an_output_that_cannot_be_written_is_a_usage_error_not_a_traceback(
    tmp_path: Path,
) -> None:
    # a file where a directory belongs: refused even to root, unlike a read-only directory
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for args in (
        ["render", str(MINIMAL), "-o", str(blocker / "out")],
        ["graph", str(MINIMAL), "-o", str(blocker / "network.svg")],
        ["schema", "-o", str(blocker / "schema.json")],
    ):
        result = CliRunner().invoke(cli, args)
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code == 2, args
        assert "error: cannot write:" in result.output, args
