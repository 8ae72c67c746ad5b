"""A real kube-apiserver (with etcd) on 127.0.0.1 for tests that need the API server's own
judgement, not a table of ours: the twin's control plane, without nodes, and a small
server-side-apply client over its REST API."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from compiler.twin.controlplane import ControlPlane, Ports
from compiler.twin.paths import binary, tools_dir

FIELD_MANAGER = "hlfc-test"


class ApiServer:
    def __init__(self, plane: ControlPlane) -> None:
        pki = plane.pki
        context = ssl.create_default_context(cafile=str(pki.ca.cert))
        context.load_cert_chain(str(pki.dir / "admin.crt"), str(pki.dir / "admin.key"))
        self.client = httpx.Client(base_url=plane.server, verify=context, timeout=30)
        self.kubeconfig = plane.admin_kubeconfig
        self.url = plane.server
        self.ca_file = str(pki.ca.cert)
        self._resources: dict[tuple[str, str], tuple[str, bool]] = {}

    def _discover(self) -> None:
        self._resources.clear()
        versions = [("v1", "/api/v1")]
        groups = self.client.get("/apis")
        assert groups.status_code == 200, groups.text
        for group in groups.json()["groups"]:
            for v in group["versions"]:
                versions.append((v["groupVersion"], f"/apis/{v['groupVersion']}"))
        for group_version, path in versions:
            for r in self.client.get(path).json()["resources"]:
                if "/" not in r["name"]:
                    self._resources[(group_version, r["kind"])] = (r["name"], r["namespaced"])

    def path(self, obj: dict[str, Any]) -> str:
        key = (obj["apiVersion"], obj["kind"])
        if key not in self._resources:
            self._discover()
        plural, namespaced = self._resources[key]
        base = "/api/v1" if obj["apiVersion"] == "v1" else f"/apis/{obj['apiVersion']}"
        meta = obj["metadata"]
        if namespaced:
            base += f"/namespaces/{meta['namespace']}"
        return f"{base}/{plural}/{meta['name']}"

    def apply(self, obj: dict[str, Any]) -> httpx.Response:
        """Server-side apply, forced, as Argo CD's ServerSideApply=true sync does."""
        return self.client.patch(
            self.path(obj),
            params={"fieldManager": FIELD_MANAGER, "force": "true"},
            headers={"Content-Type": "application/apply-patch+yaml"},
            content=json.dumps(obj),
        )

    def token(self, namespace: str, service_account: str) -> str:
        """A short-lived token of a ServiceAccount (TokenRequest, as a pod's projected one)."""
        response = self.client.post(
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{service_account}/token",
            json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                  "spec": {"expirationSeconds": 3600}},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        return str(response.json()["status"]["token"])

    def install_crds(self) -> None:
        """Every CRD the validators know (Argo CD's, Istio's and the operators'): their
        schemas judge the custom resources."""
        for operator in sorted(p.name for p in (tools_dir() / "crds").iterdir() if p.is_dir()):
            subprocess.run(
                [str(binary("kubectl")), f"--kubeconfig={self.kubeconfig}", "apply",
                 "--server-side", "-f", str(tools_dir() / "crds" / operator)],
                check=True, capture_output=True, timeout=300,
            )  # fmt: skip
        subprocess.run(
            [str(binary("kubectl")), f"--kubeconfig={self.kubeconfig}", "wait",
             "--for=condition=Established", "crd", "--all", "--timeout=120s"],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        self._resources.clear()


def _free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (another test run may hold fixed ones)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@contextmanager
def running(state: Path) -> Iterator[ApiServer]:
    etcd_client, etcd_peer, api = _free_ports(3)
    plane = ControlPlane("plan-judge", state, "127.0.0.1", Ports(etcd_client, etcd_peer, api))
    try:
        plane.start()
        server = ApiServer(plane)
        yield server
        server.client.close()
    finally:
        plane.stop()
