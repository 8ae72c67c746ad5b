"""The rendered output, judged by the real validators: kubeconform (strict, Kubernetes 1.29
and 1.33, CRD schemas) and kube-linter (defaults plus probes and isolation)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.schemas import CRD_TEMPLATE, K8S_TEMPLATE, crd_schemas, kubernetes_schemas
from tests.tooling import OUTPUT, TOOLS, all_rendered, tool

VERSIONS = ["1.29.0", "1.33.0"]
CORE_GROUPS = {
    "v1",
    "apps/v1",
    "policy/v1",
    "networking.k8s.io/v1",
    "batch/v1",
    "rbac.authorization.k8s.io/v1",
    "storage.k8s.io/v1",
}


@pytest.fixture(scope="session")
def schema_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("schemas")
    for version in VERSIONS:
        kubernetes_schemas(version, root / "k8s")
    crds = sorted((TOOLS / "crds").rglob("*.yaml"))
    if not crds:
        pytest.fail("no CRDs under .tools/crds: run `make tools`")
    written = crd_schemas(crds, root / "crds")
    for expected in [
        ("external-secrets.io", "ExternalSecret", "v1"),
        ("monitoring.coreos.com", "ServiceMonitor", "v1"),
        ("monitoring.coreos.com", "PrometheusRule", "v1"),
        ("monitoring.coreos.com", "Probe", "v1"),
        ("velero.io", "Schedule", "v1"),
        ("velero.io", "Backup", "v1"),
        ("snapshot.storage.k8s.io", "VolumeSnapshotClass", "v1"),
        ("argoproj.io", "Application", "v1alpha1"),
        ("argoproj.io", "AppProject", "v1alpha1"),
        ("networking.istio.io", "Gateway", "v1"),
        ("networking.istio.io", "VirtualService", "v1"),
        ("gateway.networking.k8s.io", "Gateway", "v1"),
        ("gateway.networking.k8s.io", "TLSRoute", "v1"),
    ]:
        assert expected in written
    return root


@pytest.mark.parametrize("version", VERSIONS)
def test_kubeconform_strict(schema_dir: Path, version: str) -> None:
    files = [p for p, _ in all_rendered()]
    result = subprocess.run(
        [
            str(tool("kubeconform")),
            "-strict",
            "-summary",
            "-output",
            "json",
            "-kubernetes-version",
            version,
            "-schema-location",
            f"file://{schema_dir / 'k8s'}/{K8S_TEMPLATE}",
            "-schema-location",
            f"file://{schema_dir / 'crds'}/{CRD_TEMPLATE}",
            "-ignore-filename-pattern",
            r"kustomization\.yaml$",
            "-ignore-filename-pattern",
            r"/_profiles/",  # connection profiles for applications: not manifests
            str(OUTPUT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    problems = [r for r in report.get("resources", []) if r["status"] != "statusValid"]
    assert problems == [], problems[:5]
    summary = report["summary"]
    # nothing skipped and nothing without a schema: every kind was checked
    assert summary == {"valid": len(files), "invalid": 0, "errors": 0, "skipped": 0}
    assert result.returncode == 0


def test_every_core_kind_is_validated_against_a_schema_not_skipped() -> None:
    kinds = {(d["apiVersion"], d["kind"]) for _, d in all_rendered()}
    core = {k for k in kinds if k[0] in CORE_GROUPS}
    assert {
        ("apps/v1", "StatefulSet"),
        ("v1", "Service"),
        ("v1", "ConfigMap"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("policy/v1", "PodDisruptionBudget"),
        ("v1", "ServiceAccount"),
        ("v1", "Namespace"),
    } <= core


def test_kube_linter_finds_nothing() -> None:
    config = Path(__file__).parent / "validators" / "kube-linter.yaml"
    result = subprocess.run(
        [
            str(tool("kube-linter")),
            "lint",
            "--config",
            str(config),
            "--format",
            "json",
            str(OUTPUT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    findings = [
        f"{r['Object']['Metadata']['FilePath']}: {r['Check']}: {r['Diagnostic']['Message']}"
        for r in report.get("Reports") or []
    ]
    assert findings == []
    ran = {c["name"] for c in report["Checks"]}
    assert {
        "no-liveness-probe",
        "no-readiness-probe",
        "non-isolated-pod",
        "run-as-non-root",
        "no-read-only-root-fs",
        "privilege-escalation-container",
        "latest-tag",
    } <= ran
    assert report["Summary"]["ChecksStatus"] == "Passed"
    assert result.returncode == 0, result.stderr
