"""`hlfc plan`: each test pair under tests/plan/ classified exactly; a blueprint against
itself is empty; the CLI's exit codes, formats, acknowledgements and git base; nothing
written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from compiler.cli.main import cli
from compiler.pipeline import plan_file
from compiler.plan.model import Change
from tests.conftest import ROOT
from tests.plan_cases import CASES, load_case

BLUEPRINTS = sorted((ROOT / "blueprints").glob("*.yaml"))


def as_dict(change: Change) -> dict[str, Any]:
    out: dict[str, Any] = {
        "class": change.cls,
        "subject": change.subject,
        "hazard": change.hazard,
        "message": change.message,
    }
    if change.objects:
        out["objects"] = list(change.objects)
    if change.pods:
        out["pods"] = list(change.pods)
    return out


@pytest.mark.parametrize("name", CASES)
def test_each_pair_is_classified_exactly(name: str, tmp_path: Path) -> None:
    case = load_case(name)
    base, new = case.write(tmp_path)
    result = plan_file(new, base)
    assert result.plan is not None, [d.message for c in result.checks for d in c.diagnostics]
    got = [as_dict(c) for c in result.plan.changes if c.cls in case.classes]
    assert got == case.expect, case.about


def test_every_class_has_a_pair_with_a_finding() -> None:
    found = {e["class"] for name in CASES for e in load_case(name).expect}
    assert found == {
        "in-place", "restart-quorum", "recreate", "data-hazard", "identity-hazard",
        "consensus-hazard", "channel-update",
    }  # fmt: skip


@pytest.mark.parametrize("blueprint", BLUEPRINTS, ids=[p.stem for p in BLUEPRINTS])
def test_a_blueprint_against_itself_plans_nothing(blueprint: Path) -> None:
    result = plan_file(blueprint, blueprint)
    assert result.plan is not None
    assert result.plan.changes == ()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _pair(name: str, tmp_path: Path) -> tuple[Path, Path]:
    return load_case(name).write(tmp_path)


def test_exit_0_without_hazards_and_the_text_names_signers(tmp_path: Path) -> None:
    base, new = _pair("channel-update-batch-and-acl", tmp_path)
    code, out = run("plan", str(new), "--base-file", str(base))
    assert code == 0, out
    assert out.startswith(f"### hlfc plan: `{new}` against {base}\n")
    assert "#### Channel updates (2)" in out
    assert "signed by 1 of 1 admins of OrdererMSP" in out


def test_exit_3_on_hazards_until_each_class_is_acknowledged(tmp_path: Path) -> None:
    base, new = _pair("data-ledger-shrinks", tmp_path)
    code, out = run("plan", str(new), "--base-file", str(base))
    assert code == 3
    assert "2 not acknowledged (exit 3)" in out
    assert "--ack data-hazard --ack recreate" in out
    assert "to do: kubectl -n org1 delete statefulset org1-peer0 --cascade=orphan" in out
    code, out = run("plan", str(new), "--base-file", str(base), "--ack", "data-hazard")
    assert code == 3
    code, out = run(
        "plan", str(new), "--base-file", str(base), "--ack", "data-hazard", "--ack", "recreate"
    )
    assert code == 0, out
    assert out.count("**hazard (acknowledged)**") == 2
    assert "acknowledged: data-hazard, recreate." in out


def test_json_report(tmp_path: Path) -> None:
    base, new = _pair("restart-quorum-every-orderer", tmp_path)
    code, out = run("plan", str(new), "--base-file", str(base), "--format", "json")
    assert code == 3
    data = json.loads(out)
    assert (data["hazards"], data["unacknowledged"], data["exitCode"]) == (1, 1, 3)
    (quorum,) = [c for c in data["changes"] if c["class"] == "restart-quorum"]
    assert quorum["hazard"] and not quorum["acknowledged"]
    assert quorum["pods"] == [f"local orderer-org/orderer-org-orderer{i}-0" for i in range(3)]


def test_invalid_blueprints_exit_1_with_positioned_errors(tmp_path: Path) -> None:
    base, new = _pair("in-place-peer-resources", tmp_path)
    doc = yaml.safe_load(new.read_text())
    doc["spec"]["organizations"][1]["peers"][0]["cluster"] = "nowhere"
    new.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, out = run("plan", str(new), "--base-file", str(base))
    assert code == 1
    assert f"{new}:" in out and "error[R001]" in out


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    base, new = _pair("in-place-peer-resources", tmp_path)
    assert run("plan", str(new), "--base", "HEAD", "--base-file", str(base))[0] == 2
    assert run("plan", str(new), "--ack", "everything", "--base-file", str(base))[0] == 2
    code, out = run("plan", str(new))  # tmp_path is no git repository
    assert code == 2 and "not in a git repository" in out


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


def test_base_from_git_defaults_to_head_and_writes_nothing(tmp_path: Path) -> None:
    case = load_case("data-ledger-shrinks")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    blueprint = repo / "network.yaml"
    # not committed yet: everything is new, nothing hazardous
    blueprint.write_text(yaml.safe_dump(case.base), encoding="utf-8")
    _git(repo, "add", "network.yaml")
    _git(repo, "commit", "-q", "-m", "base")
    blueprint.write_text(yaml.safe_dump(case.new), encoding="utf-8")
    before = sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts)
    cwd = Path.cwd()
    os.chdir(repo)
    try:
        code, out = run("plan", "network.yaml")
        assert code == 3 and "against git HEAD" in out and "shrinks 20Gi → 10Gi" in out
        code, out = run("plan", "network.yaml", "--base", "HEAD")
        assert code == 3
        assert run("plan", "network.yaml", "--base", "no-such-ref")[0] == 2
        fresh = repo / "fresh.yaml"
        fresh.write_text(yaml.safe_dump(case.base), encoding="utf-8")
        code, out = run("plan", "fresh.yaml")
        assert code == 0, out
        assert "(the file is new there)" in out and "created (sync wave" in out
        fresh.unlink()
    finally:
        os.chdir(cwd)
    after = sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts)
    assert after == before  # plan renders in memory only
