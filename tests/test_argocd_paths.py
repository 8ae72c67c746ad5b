"""Argo CD syncs what `hlfc render -o` really wrote: Application paths are the output
directory relative to the git repository's root, unless the blueprint names it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from compiler.pipeline import render_files, repository_path
from tests.conftest import MINIMAL


def _paths(network_dir: Path) -> dict[str, str]:
    return {
        p.name: yaml.safe_load(p.read_text())["spec"]["source"]["path"]
        for p in (network_dir / "_argocd").rglob("application-*.yaml")
    }


def test_render_elsewhere_in_the_repository_gives_matching_paths(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    out = tmp_path / "deploy" / "fabric"
    assert render_files([MINIMAL], out).ok
    paths = _paths(out / "minimal")
    assert paths["application-minimal-local.yaml"] == "deploy/fabric/minimal/local"
    assert paths["application-minimal.yaml"] == "deploy/fabric/minimal/_argocd"
    for path in paths.values():  # each names a directory the render wrote
        assert (tmp_path / path).is_dir(), path


def test_outside_a_repository_the_default_layout_stands(tmp_path: Path) -> None:
    assert repository_path(tmp_path / "out") is None
    assert render_files([MINIMAL], tmp_path / "out").ok
    paths = _paths(tmp_path / "out" / "minimal")
    assert paths["application-minimal-local.yaml"] == "output/minimal/local"


def test_a_path_the_blueprint_names_wins(tmp_path: Path) -> None:
    doc = yaml.safe_load(MINIMAL.read_text())
    doc["spec"]["argocd"]["path"] = "clusters/fabric"
    blueprint = tmp_path / "minimal.yaml"
    blueprint.write_text(yaml.safe_dump(doc))
    assert render_files([blueprint], tmp_path / "out").ok
    paths = _paths(tmp_path / "out" / "minimal")
    assert paths["application-minimal-local.yaml"] == "clusters/fabric/minimal/local"
