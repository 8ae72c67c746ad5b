"""A real Kubernetes control plane: etcd, kube-apiserver, controller-manager, scheduler.

Settings follow what was verified on this machine kind (shared reference
kube-control-plane/README.md): RBAC and Node authorization with NodeRestriction, the
default admission chain (PodSecurity included), ServiceAccount tokens signed by a key of
the cluster's own, and the controller-manager's node-lifecycle controller left on so the
`not-ready` taint clears.
"""

from __future__ import annotations

import ssl
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from compiler.twin import process
from compiler.twin.paths import binary
from compiler.twin.pki import ClusterPKI, Pair

SERVICE_CIDR = "10.96.0.0/16"
KUBERNETES_SERVICE_IP = "10.96.0.1"


@dataclass(frozen=True)
class Ports:
    etcd_client: int = 2379
    etcd_peer: int = 2380
    apiserver: int = 6443


@dataclass
class ControlPlane:
    """One cluster's control plane, its daemons run through `wrap` (e.g. into a netns)."""

    name: str
    state: Path
    address: str
    ports: Ports = field(default_factory=Ports)
    wrap: Sequence[str] = ()

    def __post_init__(self) -> None:
        self.pki = ClusterPKI(self.state / "pki")

    @property
    def server(self) -> str:
        return f"https://{self.address}:{self.ports.apiserver}"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.state / "admin.kubeconfig"

    def kubeconfig(self, name: str, pair: Pair) -> Path:
        path = self.state / f"{name}.kubeconfig"
        path.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: {self.name}\n  cluster:\n"
            f"    server: {self.server}\n    certificate-authority: {self.pki.ca.cert}\n"
            f"users:\n- name: {name}\n  user:\n"
            f"    client-certificate: {pair.cert}\n    client-key: {pair.key}\n"
            f"contexts:\n- name: {self.name}\n  context: {{cluster: {self.name}, user: {name}}}\n"
            f"current-context: {self.name}\n",
            encoding="utf-8",
        )
        path.chmod(0o600)
        return path

    def _run(self, name: str, argv: list[str]) -> None:
        process.ensure(name, [*self.wrap, *argv], self.state)

    def start(self, timeout: float = 60.0) -> None:
        pki = self.pki
        serving = pki.issue(
            "apiserver",
            "kube-apiserver",
            server=True,
            hosts=(
                self.address,
                "127.0.0.1",
                KUBERNETES_SERVICE_IP,
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
            ),
        )
        kubelet_client = pki.issue(
            "apiserver-kubelet-client",
            "kube-apiserver-kubelet-client",
            org="system:masters",
            client=True,
        )
        sa = pki.service_account_keys()
        self.kubeconfig(
            "admin", pki.issue("admin", "hlfc-twin-admin", org="system:masters", client=True)
        )
        controller_manager = self.kubeconfig(
            "controller-manager",
            pki.issue("controller-manager", "system:kube-controller-manager", client=True),
        )
        scheduler = self.kubeconfig(
            "scheduler", pki.issue("scheduler", "system:kube-scheduler", client=True)
        )
        etcd_url = f"http://127.0.0.1:{self.ports.etcd_client}"
        self._run(
            "etcd",
            [
                str(binary("etcd")),
                f"--name={self.name}",
                f"--data-dir={self.state / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{self.ports.etcd_peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{self.ports.etcd_peer}",
                f"--initial-cluster={self.name}=http://127.0.0.1:{self.ports.etcd_peer}",
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
        )
        self._run(
            "kube-apiserver",
            [
                str(binary("kube-apiserver")),
                f"--etcd-servers={etcd_url}",
                f"--bind-address={self.address}",
                f"--advertise-address={self.address}",
                f"--secure-port={self.ports.apiserver}",
                f"--tls-cert-file={serving.cert}",
                f"--tls-private-key-file={serving.key}",
                f"--client-ca-file={pki.ca.cert}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={sa.cert}",
                f"--service-account-signing-key-file={sa.key}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--authorization-mode=Node,RBAC",
                "--enable-admission-plugins=NodeRestriction",
                f"--kubelet-client-certificate={kubelet_client.cert}",
                f"--kubelet-client-key={kubelet_client.key}",
                "--kubelet-preferred-address-types=InternalIP",
                "--profiling=false",
                "--v=1",
            ],
        )
        process.wait_for(
            "kube-apiserver /readyz", self.ready, timeout, self.state, "kube-apiserver"
        )
        self._run(
            "kube-controller-manager",
            [
                str(binary("kube-controller-manager")),
                f"--kubeconfig={controller_manager}",
                f"--authentication-kubeconfig={controller_manager}",
                f"--authorization-kubeconfig={controller_manager}",
                "--leader-elect=false",
                "--use-service-account-credentials=true",
                f"--service-account-private-key-file={sa.key}",
                f"--root-ca-file={pki.ca.cert}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--secure-port=0",
                "--v=1",
            ],
        )
        self._run(
            "kube-scheduler",
            [
                str(binary("kube-scheduler")),
                f"--kubeconfig={scheduler}",
                f"--authentication-kubeconfig={scheduler}",
                f"--authorization-kubeconfig={scheduler}",
                "--leader-elect=false",
                "--secure-port=0",
                "--v=1",
            ],
        )

    def ready(self) -> bool:
        ctx = ssl.create_default_context(cafile=str(self.pki.ca.cert))
        admin = Pair(self.pki.dir / "admin.crt", self.pki.dir / "admin.key")
        ctx.load_cert_chain(str(admin.cert), str(admin.key))
        try:
            with urllib.request.urlopen(f"{self.server}/readyz", context=ctx, timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        process.stop_all(self.state)
