"""One twin cluster: namespaces, control plane, node, cluster add-ons; up, status, down."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from compiler.twin import network, process
from compiler.twin.controllers import ROUTER_SLOT
from compiler.twin.controlplane import ControlPlane
from compiler.twin.kube import Kube
from compiler.twin.network import ClusterNet
from compiler.twin.node import CLUSTER_DNS_IP, Node
from compiler.twin.paths import tools_dir

# The operators whose custom resources hlfc renders; a cluster that syncs output/ has them.
OPERATOR_CRDS = (
    "prometheus-operator",
    "velero",
    "external-secrets",
    "external-snapshotter",
    "istio",
    "gateway-api",
)
TWIN_PROVISIONER = "hlfc.dev/twin-local"
CGROUP_ROOT = Path("/sys/fs/cgroup")

ADDONS = f"""
# the namespaces the operators' own installations make (Velero, Istio's gateway,
# prometheus-operator's `monitoring`, where each cluster's cross-cluster Probe goes)
apiVersion: v1
kind: Namespace
metadata: {{name: velero}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: monitoring}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: istio-system}}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {{k8s-app: kube-dns}}
spec:
  clusterIP: {CLUSTER_DNS_IP}
  ports:
  - {{name: dns, port: 53, protocol: UDP, targetPort: 53}}
  - {{name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: system:coredns}}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: system:coredns}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:coredns}}
subjects:
- {{apiGroup: rbac.authorization.k8s.io, kind: User, name: system:coredns}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {{storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: {TWIN_PROVISIONER}
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
"""


def _dns_endpoints(node_ip: str) -> str:
    # CoreDNS runs as a node daemon; the kube-dns Service reaches it through this slice
    return json.dumps(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "kube-dns-node",
                "namespace": "kube-system",
                "labels": {"kubernetes.io/service-name": "kube-dns"},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": [node_ip], "conditions": {"ready": True}}],
            "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP"},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
            ],
        }
    )


@dataclass
class TwinCluster:
    network_name: str
    name: str
    index: int
    state_root: Path
    node_count: int = 1

    def __post_init__(self) -> None:
        self.net = ClusterNet(self.name, self.index, 0, self.node_count)
        self.state = self.state_root / self.network_name / self.name
        self.plane = ControlPlane(self.name, self.state, self.net.node_ip, wrap=self.net.wrap())
        self.nodes = [Node(self.net.sibling(k), self.plane) for k in range(self.node_count)]
        self.node = self.nodes[0]  # the control plane's node: DNS, gateway, load balancers
        self.kube = Kube(self.plane.admin_kubeconfig)

    @property
    def hosts_file(self) -> Path:
        return self.state_root / self.network_name / "hosts"

    def up(self, archives: dict[str, Path]) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        self.hosts_file.touch()
        for node in self.nodes:
            node.state.mkdir(parents=True, exist_ok=True)
            network.create(
                node.net,
                {
                    "/var/lib/kubelet": node.state / "kubelet",
                    "/var/log/pods": node.state / "log" / "pods",
                    "/var/log/containers": node.state / "log" / "containers",
                },
            )
        self.plane.start()
        for node in self.nodes:
            node.start_runtime()
            node.load_images(archives)
        self._addons()
        self.node.start_dns(self.hosts_file)
        for node in self.nodes:
            self._make_cgroup_root(node)
            node.start_kubelet()
            node.start_proxy()
        process.ensure(
            "controllers",
            [
                sys.executable, "-m", "compiler.twin.controllers",
                self.name, str(self.index), str(self.state), str(self.hosts_file.parent),
            ],
            self.state,
            env=self._daemon_env(),
        )  # fmt: skip
        # Istio's ingress gateway, played by router.py, inside the cluster's namespaces
        process.ensure(
            "ingress-gateway",
            [
                *self.net.wrap(), sys.executable, "-m", "compiler.twin.router",
                str(self.plane.admin_kubeconfig),
                self.net.ingress_ip(ROUTER_SLOT), "istio=ingressgateway",
            ],
            self.state,
            env=self._daemon_env(),
        )  # fmt: skip
        for node in self.nodes:
            process.wait_for(
                f"node {node.hostname} Ready",
                functools.partial(self.node_ready, node),
                120,
                node.state,
                "kubelet",
            )

    def _daemon_env(self) -> dict[str, str]:
        # the twin's own Python daemons: entering the mount namespace moves them to /
        return {
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "HLFC_TOOLS": str(tools_dir()),
        }

    def _addons(self) -> None:
        crds = tools_dir() / "crds"
        for operator in OPERATOR_CRDS:
            self.kube.run(["apply", "--server-side", "-f", str(crds / operator)], timeout=300)
        self.kube.run(["apply", "--server-side", "-f", "-"], stdin=ADDONS)
        self.kube.run(["apply", "--server-side", "-f", "-"], stdin=_dns_endpoints(self.net.node_ip))

    @staticmethod
    def _cgroup_roots(node: Node) -> list[Path]:
        """A node's cgroupRoot in every hierarchy: one on cgroup v2, one a controller on v1."""
        if (CGROUP_ROOT / "cgroup.controllers").exists():
            return [CGROUP_ROOT / node.cgroup_root]
        return [
            controller / node.cgroup_root
            for controller in sorted(CGROUP_ROOT.iterdir())
            if (controller / "cgroup.procs").exists()
        ]

    def _make_cgroup_root(self, node: Node) -> None:
        """The kubelet's cgroupRoot must exist before it starts."""
        for root in self._cgroup_roots(node):
            root.mkdir(exist_ok=True)
            for key in ("cpuset.cpus", "cpuset.mems"):  # a new v1 cpuset starts empty
                if (root / key).exists() and not (root / key).read_text().strip():
                    (root / key).write_text((root.parent / key).read_text())
            control = root / "cgroup.subtree_control"  # v2: hand the controllers down
            if control.exists():
                wanted = (root / "cgroup.controllers").read_text().split()
                control.write_text(" ".join(f"+{c}" for c in wanted))

    def node_ready(self, node: Node) -> bool:
        done = self.kube.run(["get", "node", node.hostname, "-o", "json"], check=False)
        if done.returncode != 0:
            return False
        conditions = json.loads(done.stdout).get("status", {}).get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    def down(self) -> None:
        # the nodes it was started with, which may be more than this object was asked for
        # (a day-2 test keeps spare nodes; `hlfc twin down` does not know that)
        started = 1 + sum(1 for _ in self.state.glob("node[0-9]*")) if self.state.is_dir() else 0
        count = max(self.node_count, started)
        nodes = [Node(self.net.sibling(k), self.plane) for k in range(count)]
        for node in reversed(nodes):  # node 0, with the control plane, last
            process.stop_all(node.state)
            self._kill_leftovers(node)
            network.remove(node.net)
            self._remove_cgroups(node)
        shutil.rmtree(network.RUN / self.name, ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)

    def _kill_leftovers(self, node: Node) -> None:
        """Container shims outlive containerd, containers outlive shims: kill both."""
        socket = str(node.containerd_socket)
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if "containerd-shim" in cmdline and socket in cmdline:
                    os.kill(int(proc.name), signal.SIGKILL)
        for pid in self._cgroup_pids(node):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)

    def _cgroup_dirs(self, node: Node) -> list[Path]:
        """Every cgroup under the node's roots, deepest first."""
        found = []
        for root in self._cgroup_roots(node):
            if root.is_dir():
                found += [*sorted(root.rglob("*/"), key=lambda p: -len(p.parts)), root]
        return [p for p in found if p.is_dir()]

    def _cgroup_pids(self, node: Node) -> set[int]:
        pids: set[int] = set()
        for d in self._cgroup_dirs(node):
            with contextlib.suppress(OSError):
                pids.update(int(x) for x in (d / "cgroup.procs").read_text().split())
        return pids

    def _remove_cgroups(self, node: Node) -> None:
        for d in self._cgroup_dirs(node):
            with contextlib.suppress(OSError):
                d.rmdir()
