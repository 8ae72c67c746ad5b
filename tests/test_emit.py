"""Deterministic output: byte-identical renders, whatever the hash seed; stale files go."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from compiler.emit.writer import dump, emit_tree, normalise, plan, write_tree
from compiler.pipeline import check_file, deployed_definitions, render_files
from compiler.render.manifest import Manifest
from compiler.render.network import render_network
from tests.conftest import BLUEPRINTS, GLOBAL, MINIMAL, ROOT


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_committed_output_equals_a_fresh_render(tmp_path: Path) -> None:
    result = render_files(sorted(BLUEPRINTS.glob("*.yaml")), tmp_path)
    assert result.ok
    committed = ROOT / "output"
    for write in result.writes:
        name = write.root.name
        assert tree(tmp_path / name) == tree(committed / name), (
            f"output/{name} is stale: make render"
        )
    assert sorted(p.name for p in committed.iterdir()) == sorted(p.name for p in tmp_path.iterdir())


def test_same_bytes_for_any_hash_seed(tmp_path: Path) -> None:
    trees = []
    for seed in ("0", "1", "4242", "random"):
        out = tmp_path / f"seed-{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run(
            [sys.executable, "-m", "compiler", "render", str(MINIMAL), str(GLOBAL), "-o", str(out)],
            check=True,
            env=env,
            capture_output=True,
        )
        trees.append(tree(out))
    assert trees[0] and all(t == trees[0] for t in trees[1:])


def test_second_render_writes_nothing_and_stale_files_are_removed(tmp_path: Path) -> None:
    first = render_files([MINIMAL], tmp_path).writes[0]
    assert first.written and not first.unchanged
    stale = tmp_path / "minimal" / "local" / "gone" / "configmap-old.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("kind: ConfigMap\n")
    keep = tmp_path / "minimal" / "NOTES.md"  # not ours: never touched
    keep.write_text("mine")
    neighbour = tmp_path / "other-network" / "x.yaml"  # another network: never touched
    neighbour.parent.mkdir()
    neighbour.write_text("x: 1\n")
    second = render_files([MINIMAL], tmp_path).writes[0]
    assert second.written == () and second.unchanged == first.written
    assert second.removed == ("local/gone/configmap-old.yaml",)
    assert not stale.parent.exists()
    assert keep.read_text() == "mine" and neighbour.exists()


def test_key_order_and_unordered_lists() -> None:
    obj = {
        "spec": {"ports": [{"name": "b", "port": 2}, {"name": "a", "port": 1}], "args": ["z", "a"]},
        "metadata": {"labels": {"z": "1", "a": "2"}, "name": "x"},
        "kind": "Service",
        "apiVersion": "v1",
    }
    out = normalise(obj)
    assert list(out) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(out["metadata"]) == ["name", "labels"]
    assert [p["name"] for p in out["spec"]["ports"]] == ["a", "b"]
    assert out["spec"]["args"] == ["z", "a"]  # order is meaningful: kept


def test_multiline_strings_are_literal_blocks() -> None:
    text = dump({"apiVersion": "v1", "kind": "ConfigMap", "data": {"core.yaml": "a: 1\nb: 2\n"}})
    assert b"core.yaml: |\n    a: 1\n    b: 2\n" in text
    assert yaml.safe_load(text)["data"]["core.yaml"] == "a: 1\nb: 2\n"


def test_layout_and_kustomization(tmp_path: Path) -> None:
    render_files([GLOBAL], tmp_path)
    root = tmp_path / "global-fabric-network"
    assert sorted(p.name for p in root.iterdir()) == [
        "_argocd",
        "_profiles",
        "eu-west-1",
        "us-east-1",
        "us-west-2",
    ]
    kustomization = yaml.safe_load((root / "us-east-1" / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {
        p.relative_to(root / "us-east-1").as_posix()
        for p in (root / "us-east-1").rglob("*.yaml")
        if p.name != "kustomization.yaml"
    }
    assert listed == on_disk
    namespace = yaml.safe_load((root / "us-east-1" / "org1" / "namespace-org1.yaml").read_text())
    labels = namespace["metadata"]["labels"]
    assert {labels[f"pod-security.kubernetes.io/{m}"] for m in ("enforce", "audit", "warn")} == {
        "restricted"
    }
    assert namespace["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == (
        "Prune=false,Delete=false"
    )


def test_a_file_holds_one_thing_a_reviewer_reasons_about() -> None:
    """A node's workload, config, Services and route share its file; an identity's
    enrollment objects theirs; a channel Job its ConfigMap; everything else a file each."""
    org1 = ROOT / "output" / "global-fabric-network" / "us-east-1" / "org1"

    def objects(name: str) -> list[tuple[str, str]]:
        docs = yaml.safe_load_all((org1 / name).read_text(encoding="utf-8"))
        return [(d["kind"], d["metadata"]["name"]) for d in docs]

    assert objects("peer-org1-peer0.yaml") == [
        ("ServiceAccount", "org1-peer0"),
        ("ConfigMap", "org1-peer0-config"),
        ("Service", "org1-peer0"),
        ("Service", "org1-peer0-headless"),
        ("StatefulSet", "org1-peer0"),
        ("VirtualService", "org1-peer0"),
    ]
    assert {k for k, _ in objects("identity-org1-admin.yaml")} == {
        "ConfigMap", "ServiceAccount", "Role", "RoleBinding", "Job", "CronJob"
    }  # fmt: skip
    assert objects("channel-supply-chain-org1-peer-join.yaml") == [
        ("ConfigMap", "supply-chain-org1-peer-join"),
        ("Job", "supply-chain-org1-peer-join"),
    ]
    assert objects("networkpolicy-default-deny.yaml") == [("NetworkPolicy", "default-deny")]


def test_a_render_over_the_one_object_per_file_layout_moves_every_object(
    tmp_path: Path,
) -> None:
    """Output rendered before files were grouped: the next render removes the old files,
    every object is in the new ones, and the chaincode definitions the old files deployed
    still hold a changed blueprint to its sequence (L001)."""
    old = tmp_path / "old"
    render_files([MINIMAL], old)
    for path in sorted((old / "minimal").rglob("*.yaml")):
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        if len(docs) > 1 and path.name != "kustomization.yaml":
            path.unlink()
            for doc in docs:
                one = path.parent / f"{doc['kind'].lower()}-{doc['metadata']['name']}.yaml"
                one.write_bytes(dump(doc))
    objects_before = sorted(_objects(old / "minimal"))
    result = render_files([MINIMAL], old)
    assert result.ok and result.writes[0].removed
    assert sorted(_objects(old / "minimal")) == objects_before
    assert tree(old / "minimal") == tree(ROOT / "output" / "minimal")
    # the deployed definitions are read from the one-object files as well
    for path in sorted((old / "minimal").rglob("chaincode-*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            one = path.parent / f"{doc['kind'].lower()}-{doc['metadata']['name']}.yaml"
            one.write_bytes(dump(doc))
        path.unlink()
    assert deployed_definitions(old / "minimal") == deployed_definitions(
        ROOT / "output" / "minimal"
    )
    assert deployed_definitions(old / "minimal")


def _objects(root: Path) -> list[tuple[str, str, str]]:
    return [
        (p.parent.name, d["kind"], d["metadata"]["name"])
        for p in root.rglob("*.yaml")
        if p.name != "kustomization.yaml"
        for d in yaml.safe_load_all(p.read_text(encoding="utf-8"))
    ]


def test_same_bytes_for_any_number_of_workers(tmp_path: Path) -> None:
    """Large networks are dumped and written by forked workers; the files are the same."""
    analysis = check_file(GLOBAL).analysis
    assert analysis is not None
    manifests = render_network(analysis.network)
    extra = {"_profiles/x/trust.json": b"{}\n"}
    reference = write_tree(tmp_path / "one", "n", plan(manifests) | extra)
    trees = [tree(tmp_path / "one" / "n")]
    for jobs in (1, 2, 3):
        report = emit_tree(tmp_path / f"jobs-{jobs}", "n", manifests, extra, jobs=jobs)
        assert report.written == reference.written and not report.unchanged
        trees.append(tree(tmp_path / f"jobs-{jobs}" / "n"))
        again = emit_tree(tmp_path / f"jobs-{jobs}", "n", manifests, extra, jobs=jobs)
        assert again.unchanged == reference.written and not again.written
    assert all(t == trees[0] for t in trees[1:])


def test_a_failure_in_any_worker_is_raised_not_hung_on(tmp_path: Path) -> None:
    """Whichever process takes the chunk that fails, the error reaches the caller, and the
    workers are gone when it does."""
    analysis = check_file(GLOBAL).analysis
    assert analysis is not None
    manifests = render_network(analysis.network)
    bad = Manifest(
        "c",
        "ns",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x"},
            "data": {"k": {"a", "set"}},
        },  # a set: no order, refused by the writer
    )
    for at in (0, len(manifests) // 2, len(manifests)):
        with pytest.raises(TypeError, match="sets have no order"):
            emit_tree(
                tmp_path / f"at-{at}", "n", [*manifests[:at], bad, *manifests[at:]], {}, jobs=3
            )
        assert multiprocessing.active_children() == []
