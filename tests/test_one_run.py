"""One run reports every problem: the rules check what the schema accepted, at the file's
own positions, and never repeat what a schema error already says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from compiler.diagnostics import format_path
from compiler.pipeline import check_file, render_files
from tests.conftest import GLOBAL


def _global(tmp_path: Path, change: Any) -> Path:
    doc = yaml.safe_load(GLOBAL.read_text(encoding="utf-8"))
    change(doc["spec"])
    path = tmp_path / "global.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _found(path: Path) -> list[tuple[str, str]]:
    return sorted((d.code, format_path(d.path)) for d in check_file(path).diagnostics)


def test_three_schema_errors_and_three_rule_errors_in_one_run_each_once(tmp_path: Path) -> None:
    def break_six(spec: dict[str, Any]) -> None:
        spec["clusters"][0]["storageClass"] = "Fast_SSD"  # S005
        spec["organizations"][1]["peers"][0]["anchr"] = True  # S001
        spec["channels"][0].setdefault("batch", {})["maxMessageCount"] = "many"  # S003
        spec["channels"][0]["members"].append("ghost")  # R002
        spec["organizations"][2]["ca"]["cluster"] = "nowhere"  # R001
        spec["organizations"][3]["peers"][0]["cluster"] = "mars"  # R001

    path = _global(tmp_path, break_six)
    assert _found(path) == [
        ("R001", "spec.organizations[2].ca.cluster"),
        ("R001", "spec.organizations[3].peers[0].cluster"),
        ("R002", "spec.channels[0].members[3]"),
        ("S001", "spec.organizations[1].peers[0].anchr"),
        ("S003", "spec.channels[0].batch.maxMessageCount"),
        ("S005", "spec.clusters[0].storageClass"),
    ]
    assert all(d.position is not None for d in check_file(path).diagnostics)
    # and, invalid, it renders nothing
    result = render_files([path], tmp_path / "out")
    assert not result.ok and not (tmp_path / "out").exists()


def test_a_typo_in_a_name_is_not_reported_again_by_every_rule_that_uses_it(
    tmp_path: Path,
) -> None:
    def typo(spec: dict[str, Any]) -> None:
        cluster = spec["clusters"][1]
        cluster["nmae"] = cluster.pop("name")  # us-west-2: orderers, org2 and its CA use it

    assert _found(_global(tmp_path, typo)) == [
        ("S001", "spec.clusters[1].nmae"),
        ("S002", "spec.clusters[1].name"),
    ]


def test_rule_findings_keep_the_file_s_list_indices_when_an_item_is_cut(tmp_path: Path) -> None:
    def two(spec: dict[str, Any]) -> None:
        cluster = spec["clusters"][1]
        cluster["nmae"] = cluster.pop("name")  # clusters[1] is cut: later indices shift
        spare = dict(spec["clusters"][2], name="spare", externalDomain="spare.fabric.global")
        spec["clusters"].append(spare)  # clusters[3]: hosts nothing (T001)

    assert _found(_global(tmp_path, two)) == [
        ("S001", "spec.clusters[1].nmae"),
        ("S002", "spec.clusters[1].name"),
        ("T001", "spec.clusters[3].name"),
    ]


def test_a_cluster_without_ingress_nor_domain_gets_both_findings_at_once(tmp_path: Path) -> None:
    # what a newcomer met: "has no ingress", then, once fixed, "has no externalDomain"
    def bare(spec: dict[str, Any]) -> None:
        cluster = spec["clusters"][1]
        cluster.pop("ingress")
        cluster.pop("externalDomain")

    assert _found(_global(tmp_path, bare)) == [
        ("T004", "spec.clusters[1].externalDomain"),
        ("T004", "spec.clusters[1].ingress"),
    ]
