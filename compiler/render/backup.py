"""Backup through Velero, and the storage classes the ledgers live on.

- A Velero Schedule per cluster for the network's namespaces there, volume snapshots on.
- Before a Fabric upgrade: a Velero Backup named after the Fabric version, in the first
  sync wave. It is an ordinary resource, not an Argo CD PreSync hook, because hooks run
  on every sync; a new name per version makes it run exactly once, before the new images
  roll out in later waves (README: the Argo CD health check that makes the sync wait).
- StorageClasses keep volumes (reclaimPolicy Retain), can grow, and bind where the pod
  lands; a VolumeSnapshotClass per class lets Velero snapshot them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler.analysis.network import Network
from compiler.render import waves
from compiler.render.manifest import Manifest, common_labels

BEFORE_EVERYTHING = waves.NAMESPACES - 10


def _spec(network: Network, namespaces: list[str]) -> dict[str, Any]:
    velero = network.blueprint.spec.backup.velero
    assert velero is not None
    return {
        "includedNamespaces": namespaces,
        "includeClusterResources": False,
        "snapshotVolumes": velero.snapshot_volumes,
        "storageLocation": velero.storage_location,
        "ttl": velero.ttl,
    }


def velero_objects(network: Network, cluster: str) -> Iterator[dict[str, Any]]:
    velero = network.blueprint.spec.backup.velero
    namespaces = list(network.namespaces(cluster))
    if velero is None or not namespaces:
        return
    labels = common_labels(network.name, "backup")
    yield {
        "apiVersion": "velero.io/v1",
        "kind": "Schedule",
        "metadata": {
            "name": f"{network.name}-{cluster}",
            "namespace": velero.namespace,
            "labels": labels,
            "annotations": waves.annotation(waves.MONITORING) | waves.CUSTOM,
        },
        "spec": {
            "schedule": velero.schedule,
            "useOwnerReferencesInBackup": False,
            "template": _spec(network, namespaces),
        },
    }
    if velero.backup_before_upgrade:
        version = network.blueprint.spec.fabric.version.replace(".", "-")
        yield {
            "apiVersion": "velero.io/v1",
            "kind": "Backup",
            "metadata": {
                "name": f"{network.name}-{cluster}-before-fabric-{version}",
                "namespace": velero.namespace,
                "labels": labels,
                "annotations": waves.annotation(BEFORE_EVERYTHING)
                # a backup is history: never pruned, never deleted with the app
                | waves.sync_options(*waves.KEEP_OPTIONS, "SkipDryRunOnMissingResource=true"),
            },
            "spec": _spec(network, namespaces),
        }


def storage_objects(network: Network) -> Iterator[dict[str, Any]]:
    for storage_class in network.blueprint.spec.storage_classes:
        labels = common_labels(network.name, "storage")
        yield {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": storage_class.name,
                "labels": labels,
                "annotations": waves.annotation(waves.NAMESPACES) | waves.KEEP,
            },
            "provisioner": storage_class.provisioner,
            "parameters": dict(storage_class.parameters),
            "reclaimPolicy": "Retain",
            "allowVolumeExpansion": True,
            "volumeBindingMode": "WaitForFirstConsumer",
        }
        yield {
            "apiVersion": "snapshot.storage.k8s.io/v1",
            "kind": "VolumeSnapshotClass",
            "metadata": {
                "name": f"{storage_class.name}-snapshots",
                # Velero's CSI support picks the class labelled for the driver
                "labels": labels | {"velero.io/csi-volumesnapshot-class": "true"},
                "annotations": waves.annotation(waves.NAMESPACES) | waves.CUSTOM,
            },
            "driver": storage_class.snapshot_driver or storage_class.provisioner,
            "deletionPolicy": "Retain",
        }


def render(network: Network) -> Iterator[Manifest]:
    for cluster in network.clusters:
        for obj in velero_objects(network, cluster.name):
            yield Manifest(cluster.name, obj["metadata"]["namespace"], obj)
        for obj in storage_objects(network):
            yield Manifest(cluster.name, None, obj)
