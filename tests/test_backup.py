"""Velero backups and storage classes, as rendered for the example blueprints."""

from __future__ import annotations

from pathlib import Path

import yaml

from compiler.pipeline import check_file
from compiler.render.backup import velero_objects
from tests.conftest import GLOBAL
from tests.tooling import OUTPUT, all_rendered


def test_a_schedule_per_cluster_covers_its_fabric_namespaces() -> None:
    blueprint = yaml.safe_load(GLOBAL.read_text())["spec"]["backup"]["velero"]
    schedules = {p.relative_to(OUTPUT).parts[1]: d for p, d in all_rendered("Schedule")}
    assert sorted(schedules) == ["eu-west-1", "us-east-1", "us-west-2"]
    east = schedules["us-east-1"]
    assert east["metadata"]["namespace"] == "velero"
    assert east["spec"]["schedule"] == blueprint["schedule"]
    template = east["spec"]["template"]
    assert template["ttl"] == blueprint["ttl"]
    assert template["storageLocation"] == blueprint["storageLocation"]
    assert template["snapshotVolumes"] is True
    assert template["includedNamespaces"] == ["orderer-org", "org1"]


def test_upgrade_backup_is_named_by_version_and_runs_first() -> None:
    backups = all_rendered("Backup")
    assert len(backups) == 3
    waves = [int(d["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for _, d in backups]
    everything_else = [
        int(d["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))
        for _, d in all_rendered()
        if d["kind"] != "Backup"
    ]
    assert max(waves) < min(everything_else)
    for _, backup in backups:
        assert backup["metadata"]["name"].endswith("-before-fabric-2-5-16")
        options = backup["metadata"]["annotations"]["argocd.argoproj.io/sync-options"]
        assert "Prune=false" in options and "Delete=false" in options


def test_a_new_fabric_version_means_a_new_backup(tmp_path: Path) -> None:
    upgraded = tmp_path / "g.yaml"
    upgraded.write_text(GLOBAL.read_text().replace('version: "2.5.16"', 'version: "2.5.17"'))
    result = check_file(upgraded)
    assert result.analysis is not None
    names = [o["metadata"]["name"] for o in velero_objects(result.analysis.network, "us-east-1")]
    assert "global-fabric-network-us-east-1-before-fabric-2-5-17" in names


def test_storage_classes_keep_volumes_and_can_snapshot() -> None:
    (path, storage_class), *_ = all_rendered("StorageClass")
    assert storage_class["reclaimPolicy"] == "Retain"
    assert storage_class["allowVolumeExpansion"] is True
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["provisioner"] == "ebs.csi.aws.com"
    snapshots = [d for _, d in all_rendered("VolumeSnapshotClass")]
    assert snapshots and all(d["driver"] == "ebs.csi.aws.com" for d in snapshots)
    assert all(d["deletionPolicy"] == "Retain" for d in snapshots)
    assert all(
        d["metadata"]["labels"]["velero.io/csi-volumesnapshot-class"] == "true" for d in snapshots
    )
    assert path.parent.name == "_cluster"


def test_minimal_without_backup_renders_no_velero_objects() -> None:
    kinds = {d["kind"] for p, d in all_rendered() if p.relative_to(OUTPUT).parts[0] == "minimal"}
    assert not kinds & {"Schedule", "Backup", "StorageClass", "VolumeSnapshotClass"}
