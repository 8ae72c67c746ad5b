"""The release workflow's guard, run here as GitHub runs it: the image it pushes is the one
blueprints get by default (spec.fabric.images.enroller), for the tag's version."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def _guard(tmp_path: Path, tag: str, owner: str) -> tuple[int, str, dict[str, str]]:
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["enroller"]["steps"]
    (script,) = [s["run"] for s in steps if s.get("id") == "version"]
    output = tmp_path / "output"
    output.touch()
    env = os.environ | {
        "GITHUB_REF_NAME": tag,
        "GITHUB_REPOSITORY_OWNER": owner,
        "GITHUB_OUTPUT": str(output),
    }
    done = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    return done.returncode, done.stdout + done.stderr, outputs


def _version() -> str:
    for line in (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("version = "):
            return line.split('"')[1]
    raise AssertionError("no version in pyproject.toml")


def test_the_release_pushes_the_default_image(tmp_path: Path) -> None:
    version = _version()
    code, said, outputs = _guard(tmp_path, f"v{version}", "HLFC-dev")
    assert code == 0, said
    assert outputs == {"version": version, "image": f"ghcr.io/hlfc-dev/hlfc-enroller:{version}"}


def test_a_fork_or_a_wrong_tag_is_refused(tmp_path: Path) -> None:
    version = _version()
    code, said, _ = _guard(tmp_path, f"v{version}", "someone-else")
    assert code == 1 and f"pushing ghcr.io/someone-else/hlfc-enroller:{version}" in said
    code, said, _ = _guard(tmp_path, "v9.9.9", "hlfc-dev")
    assert code == 1 and "tag 9.9.9, pyproject" in said
