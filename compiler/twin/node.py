"""A real node for one twin cluster: containerd, kubelet, kube-proxy and cluster DNS.

Verified settings (shared reference kube-control-plane/README.md): containerd's CRI with
`restrict_oom_score_adj` (the VM lacks CAP_SYS_RESOURCE), cgroupfs with cgroup v1, a
non-loopback node IP that is also the kubelet's address, and a kubelet client certificate
in `system:nodes`. Each cluster's kubepods hierarchy sits under its own cgroup root.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from compiler.twin import process
from compiler.twin.controlplane import ControlPlane
from compiler.twin.images import PAUSE_IMAGE
from compiler.twin.network import ClusterNet
from compiler.twin.paths import binary

CNI_BIN = "/usr/lib/cni"
CLUSTER_DOMAIN = "cluster.local"
CLUSTER_DNS_IP = "10.96.0.10"


@dataclass
class Node:
    net: ClusterNet
    plane: ControlPlane

    @property
    def state(self) -> Path:
        # node 0 shares its cluster's directory with the control plane
        return self.plane.state if self.net.node == 0 else self.plane.state / f"node{self.net.node}"

    @property
    def hostname(self) -> str:
        return f"{self.net.name}-node" + (str(self.net.node) if self.net.node else "")

    @property
    def cgroup_root(self) -> str:
        return f"hlfc-{self.net.name}" + (f"-n{self.net.node}" if self.net.node else "")

    @property
    def containerd_socket(self) -> Path:
        return Path("/run/hlfc-twin") / self.net.name / f"node{self.net.node}" / "containerd.sock"

    def _run(self, name: str, argv: list[str]) -> None:
        process.ensure(name, [*self.net.wrap(), *argv], self.state)

    def _write(self, name: str, text: str) -> Path:
        # rewritten only on change: kube-proxy exits when its config file changes
        path = self.state / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        return path

    def start_runtime(self) -> None:
        cni_conf = self.state / "cni" / "net.d"
        cni_conf.mkdir(parents=True, exist_ok=True)
        (cni_conf / "10-hlfc.conflist").write_text(
            json.dumps(
                {
                    "cniVersion": "1.0.0",
                    "name": "hlfc",
                    "plugins": [
                        {
                            "type": "bridge",
                            "bridge": "cni0",
                            "isGateway": True,
                            "ipMasq": True,
                            "hairpinMode": True,
                            "ipam": {
                                "type": "host-local",
                                "ranges": [[{"subnet": self.net.pod_cidr}]],
                                "routes": [{"dst": "0.0.0.0/0"}],
                                "dataDir": str(self.state / "cni" / "ipam"),
                            },
                        },
                        {"type": "portmap", "capabilities": {"portMappings": True}},
                    ],
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        config = self._write(
            "containerd.toml",
            f"""version = 2
root = "{self.state / "containerd"}"
state = "{self.containerd_socket.parent / "containerd-state"}"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "{self.containerd_socket}"
[ttrpc]
  address = "{self.containerd_socket}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  # pod network namespaces under this cluster's state, removed with it by `twin down`
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN}"
    conf_dir = "{cni_conf}"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
""",
        )
        self._run("containerd", ["containerd", f"--config={config}"])
        process.wait_for(
            "containerd socket", self.containerd_socket.exists, 30, self.state, "containerd"
        )

    def ctr(self, *args: str) -> subprocess.CompletedProcess[str]:
        return process.run("ctr", f"--address={self.containerd_socket}", "-n", "k8s.io", *args)

    def load_images(self, archives: dict[str, Path]) -> None:
        # an import under an existing name replaces it: a rebuilt image takes effect
        for _ref, archive in sorted(archives.items()):
            self.ctr("images", "import", "--no-unpack", str(archive))

    def start_kubelet(self) -> None:
        pki = self.plane.pki
        client = pki.issue(
            f"kubelet-{self.hostname}",
            f"system:node:{self.hostname}",
            org="system:nodes",
            client=True,
        )
        serving = pki.issue(
            f"kubelet-serving-{self.hostname}",
            self.hostname,
            server=True,
            hosts=(self.net.node_ip, self.hostname),
        )
        kubeconfig = self.plane.kubeconfig(f"kubelet-{self.hostname}", client)
        config = self._write(
            "kubelet.yaml",
            f"""apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: {self.net.node_ip}
authentication:
  anonymous: {{enabled: false}}
  webhook: {{enabled: true}}
  x509: {{clientCAFile: {pki.ca.cert}}}
authorization: {{mode: Webhook}}
cgroupDriver: cgroupfs
cgroupRoot: /{self.cgroup_root}
cgroupsPerQOS: true
clusterDNS: [{CLUSTER_DNS_IP}]
clusterDomain: {CLUSTER_DOMAIN}
containerRuntimeEndpoint: unix://{self.containerd_socket}
failSwapOn: false
failCgroupV1: false
tlsCertFile: {serving.cert}
tlsPrivateKeyFile: {serving.key}
resolvConf: {self._resolv_conf()}
evictionHard: {{memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
healthzBindAddress: 127.0.0.1
healthzPort: 10248
readOnlyPort: 0
protectKernelDefaults: false
localStorageCapacityIsolation: true
maxPods: 250
""",
        )
        self._run(
            "kubelet",
            [
                str(binary("kubelet")),
                f"--config={config}",
                f"--kubeconfig={kubeconfig}",
                f"--hostname-override={self.hostname}",
                f"--node-ip={self.net.node_ip}",
                "--node-labels=topology.kubernetes.io/zone=" + self.net.name,
                "--v=1",
            ],
        )

    def _resolv_conf(self) -> Path:
        # pods' own resolv.conf comes from clusterDNS; this is only the node's upstream,
        # which the twin does not have: an empty search and no server
        return self._write("resolv.conf", "options ndots:1\n")

    def start_proxy(self) -> None:
        pair = self.plane.pki.issue("kube-proxy", "system:kube-proxy", client=True)
        kubeconfig = self.plane.kubeconfig("kube-proxy", pair)
        config = self._write(
            "kube-proxy.yaml",
            f"""apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {{kubeconfig: {kubeconfig}}}
mode: iptables
clusterCIDR: {self.net.cluster_cidr}
hostnameOverride: {self.hostname}
bindAddress: {self.net.node_ip}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack: {{maxPerCore: 0}}
""",
        )
        self._run("kube-proxy", [str(binary("kube-proxy")), f"--config={config}", "--v=1"])

    def start_dns(self, hosts_file: Path) -> None:
        """CoreDNS as a node daemon behind the kube-dns Service (see cluster.py)."""
        pair = self.plane.pki.issue("coredns", "system:coredns", client=True)
        kubeconfig = self.plane.kubeconfig("coredns", pair)
        corefile = self._write(
            "Corefile",
            f""".:53 {{
    bind {self.net.node_ip}
    errors
    health 127.0.0.1:8081
    ready 127.0.0.1:8181
    hosts {hosts_file} {{
        reload 2s
        fallthrough
    }}
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        kubeconfig {kubeconfig} {self.net.name}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }}
    cache 5
    loadbalance
}}
""",
        )
        self._run("coredns", [str(binary("coredns")), "-conf", str(corefile)])
