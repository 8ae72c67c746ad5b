"""The example application (blueprints/app, @hyperledger/fabric-gateway) run in a twin
cluster the way an application team runs it: a pod in the organisation's namespace with the
rendered connection profile, the TLS roots `hlfc trust` fetches from the profile's
trust.json, and an application identity the enroller wrote. Nothing else is given to it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from compiler.twin.kube import Kube
from compiler.twin.sync import load

APP_IMAGE = "ghcr.io/hlfc-dev/fabric-app:1.0.0"


def enroller_image(directory: Path) -> str:
    """The enroller image the cluster directory's own Jobs use (the blueprint names it)."""
    for res in load(directory):
        if (
            res.kind == "Job"
            and res.obj["metadata"]["labels"].get("app.kubernetes.io/component") == "enroll"
        ):
            return str(res.obj["spec"]["template"]["spec"]["containers"][0]["image"])
    raise AssertionError(f"no enrollment Job in {directory}")


_counter = iter(range(1_000_000))


def _security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
    }


def job(
    namespace: str, org: str, identity: str, steps: list[dict[str, Any]], enroller: str
) -> dict[str, Any]:
    name = f"app-{identity}-{next(_counter)}-{int(time.time()) % 100000}"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": 600,
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "example-app"}},
                "spec": {
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 1000,
                        "runAsGroup": 1000,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "initContainers": [
                        {
                            "name": "trust",
                            "image": enroller,
                            "command": [
                                "hlfc",
                                "trust",
                                "--config",
                                "/etc/hlfc/profile/trust.json",
                                "--out",
                                "/trust",
                            ],
                            "securityContext": _security(),
                            "volumeMounts": [
                                {"name": "profile", "mountPath": "/etc/hlfc/profile"},
                                {"name": "trust", "mountPath": "/trust"},
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "containers": [
                        {
                            "name": "app",
                            "image": APP_IMAGE,
                            "env": [
                                {
                                    "name": "PROFILE",
                                    "value": "/etc/hlfc/profile/connection-profile.json",
                                },
                                {"name": "TRUST", "value": "/trust"},
                                {"name": "MSP", "value": "/msp"},
                                {"name": "STEPS", "value": json.dumps(steps)},
                            ],
                            "securityContext": _security(),
                            "volumeMounts": [
                                {"name": "profile", "mountPath": "/etc/hlfc/profile"},
                                {"name": "trust", "mountPath": "/trust"},
                                {"name": "msp", "mountPath": "/msp"},
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "profile", "configMap": {"name": f"{org}-connection-profile"}},
                        {"name": "msp", "secret": {"secretName": f"{org}-{identity}-msp"}},
                        {"name": "trust", "emptyDir": {}},
                        {"name": "tmp", "emptyDir": {}},
                    ],
                },
            },
        },
    }


def run(
    kube: Kube,
    namespace: str,
    org: str,
    identity: str,
    steps: list[dict[str, Any]],
    *,
    directory: Path,
    tmp: Path,
    timeout: float = 400,
) -> list[dict[str, Any]]:
    """Each step's outcome, as the application printed it; `directory` is the cluster's
    output directory (for the enroller image its `hlfc trust` runs in)."""
    spec = job(namespace, org, identity, steps, enroller_image(directory))
    name = spec["metadata"]["name"]
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    kube.run(["create", "-f", str(path)])
    deadline = time.monotonic() + timeout
    while True:
        status = kube.get("job", name, "-n", namespace).get("status", {})
        if status.get("succeeded") or status.get("failed"):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(2)
    logs = kube.run(["logs", f"job/{name}", "-n", namespace, "-c", "app"], check=False)
    if not status.get("succeeded"):
        trust = kube.run(["logs", f"job/{name}", "-n", namespace, "-c", "trust"], check=False)
        raise AssertionError(
            f"application Job {name}: {status}\napp: {logs.stdout}{logs.stderr}\n"
            f"trust: {trust.stdout}{trust.stderr}"
        )
    lines = [json.loads(line) for line in logs.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(steps), logs.stdout
    return lines


def run_outside(
    kube: Kube,
    namespace: str,
    org: str,
    identity: str,
    steps: list[dict[str, Any]],
    *,
    profile_dir: Path,
    hosts_file: Path,
    tmp: Path,
    timeout: float = 300,
) -> list[dict[str, Any]]:
    """The application run outside every cluster, as an application team's machine runs it:
    the profile files under output/<network>/_profiles/<org>/, the roots `hlfc trust` fetches
    with their trust.json over the network's public names, and the identity's MSP handed
    over from its Secret. The twin's public names are its hosts file: the process runs in
    its own mount namespace where that file is /etc/hosts (what a public zone would be)."""
    secret = kube.get("secret", f"{org}-{identity}-msp", "-n", namespace)
    msp = tmp / "msp"
    msp.mkdir(mode=0o700)
    for key, value in secret["data"].items():
        (msp / key).write_bytes(base64.b64decode(value))
        (msp / key).chmod(0o600)
    root = Path(__file__).resolve().parent.parent
    script = (
        'mount --bind "$HOSTS" /etc/hosts && '
        '"$HLFC" trust --config "$PROFILE_DIR/trust.json" --out "$TRUST" >&2 && '
        'exec node "$APP"'
    )
    env = {
        **os.environ,
        "HOSTS": str(hosts_file),
        "HLFC": str(root / ".venv" / "bin" / "hlfc"),
        "PROFILE_DIR": str(profile_dir),
        "APP": str(root / "blueprints" / "app" / "app.js"),
        "NODE_PATH": str(root / ".tools" / "app" / "node_modules"),
        "PROFILE": str(profile_dir / "connection-profile.json"),
        "TRUST": str(tmp / "trust"),
        "MSP": str(msp),
        "STEPS": json.dumps(steps),
    }
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"application outside the clusters: {done.returncode}\n"
                             f"{done.stdout}{done.stderr}")  # fmt: skip
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(steps), done.stdout + done.stderr
    return lines
