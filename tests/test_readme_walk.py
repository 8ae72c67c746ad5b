"""The README's walks are real: its multi-cluster blueprint validates and renders, and its
`hlfc analyze` sample is what the CLI prints."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from compiler.cli.main import cli
from compiler.pipeline import render_files
from tests.conftest import GLOBAL, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_multi_cluster_walk_validates_and_renders(tmp_path: Path) -> None:
    match = re.search(r"<!-- walk: multi-cluster -->\n```yaml\n(.*?)```", README, re.S)
    assert match, "the README lost its multi-cluster walk"
    blueprint = tmp_path / "trade.yaml"
    blueprint.write_text(match.group(1), encoding="utf-8")
    result = render_files([blueprint], tmp_path / "output")
    assert result.ok, [d.render() for c in result.checks for d in c.diagnostics]
    assert not [d for c in result.checks for d in c.diagnostics]  # not even a warning
    rendered = tmp_path / "output" / "trade"
    assert sorted(p.name for p in rendered.iterdir()) == [
        "_argocd", "_profiles", "central", "east", "west",
    ]  # fmt: skip


def test_the_analyze_sample_is_what_the_cli_prints() -> None:
    sample = README.split("shows that any one cluster can go:\n\n```\n", 1)[1].split("```", 1)[0]
    out = CliRunner().invoke(cli, ["analyze", str(GLOBAL)]).output
    assert sample.strip() in out, out


def test_the_wave_table_lists_exactly_the_waves_the_output_uses() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("Sync waves, one scale for everything:", 1)[1].split("\n\n", 2)[1]
    documented = {int(m) for m in re.findall(r"^\| (-?\d+) \|", table, flags=re.M)}
    used = {
        int(m)
        for path in (ROOT / "output").rglob("*.yaml")
        for m in re.findall(
            r"argocd\.argoproj\.io/sync-wave: '(-?\d+)'", path.read_text(encoding="utf-8")
        )
    }
    assert used and documented == used
