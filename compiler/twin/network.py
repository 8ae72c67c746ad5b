"""The twin's networks: one namespace per cluster, joined by one shared bridge.

Each cluster is a "node" like a kind node container: its own network namespace (eth0 on the
shared bridge) and its own mount namespace, so its kubelet's fixed paths are its own. Only
addresses that the cluster's rendered ingress objects publish are added to its eth0, so
another cluster reaches nothing else of it. Every address is private and lives only inside
namespaces the twin made.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from compiler.twin.process import TwinError
from compiler.twin.process import run as sh

BRIDGE = "hlfc0"
BRIDGE_ADDRESS = "10.250.0.1"
NODE_NET = "10.250.0.0/24"  # node addresses; published ones are in 10.250.1-255.x
RUN = Path("/run/hlfc-twin")


@dataclass(frozen=True)
class ClusterNet:
    """Addresses of node `node` of cluster number `index` (0-based, in output/'s order).

    Node 0 also runs the control plane, cluster DNS and the published addresses; every node
    has its own pod subnet, routed to from its cluster's other nodes.
    """

    name: str
    index: int
    node: int = 0
    nodes: int = 1

    def sibling(self, node: int) -> ClusterNet:
        return ClusterNet(self.name, self.index, node, self.nodes)

    @property
    def netns(self) -> str:
        base = f"hlfc-{self.name}"
        return base[:15] if self.node == 0 else f"{base[:11]}-n{self.node}"

    @property
    def veth(self) -> str:
        return f"hlfcv{self.index}n{self.node}"

    @property
    def node_ip(self) -> str:
        if self.node >= 10:
            raise TwinError(f"cluster {self.name}: more than 10 nodes")
        return f"10.250.0.{10 + 10 * self.index + self.node}"

    @property
    def pod_cidr(self) -> str:
        return f"10.{64 + self.index}.{self.node}.0/24"

    @property
    def cluster_cidr(self) -> str:
        return f"10.{64 + self.index}.0.0/16"

    def ingress_ip(self, k: int) -> str:
        """The k-th published address (a LoadBalancer Service, an ingress gateway)."""
        if k >= 40:
            raise TwinError(f"cluster {self.name}: more than 40 published addresses")
        return f"10.250.{1 + self.index}.{10 + k}"

    @property
    def mount_ns(self) -> Path:
        return RUN / self.name / f"node{self.node}" / "mnt"

    def wrap(self) -> list[str]:
        """Run a command inside this node's network and mount namespaces."""
        return ["nsenter", f"--net=/run/netns/{self.netns}", f"--mount={self.mount_ns}", "--"]


def ensure_bridge() -> None:
    if sh("ip", "link", "show", BRIDGE, check=False).returncode != 0:
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", f"{BRIDGE_ADDRESS}/16", "dev", BRIDGE)
    sh("ip", "link", "set", BRIDGE, "up")


def create(net: ClusterNet, private_dirs: dict[str, Path]) -> None:
    """The cluster's namespaces; `private_dirs` are bind-mounted over fixed host paths."""
    ensure_bridge()
    if sh("ip", "netns", "pids", net.netns, check=False).returncode != 0:
        sh("ip", "netns", "add", net.netns)
        sh(
            "ip",
            "link",
            "add",
            net.veth,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            net.netns,
        )
        sh("ip", "link", "set", net.veth, "master", BRIDGE, "up")
        ns = ["ip", "netns", "exec", net.netns]
        sh(*ns, "ip", "addr", "add", f"{net.node_ip}/16", "dev", "eth0")
        sh(*ns, "ip", "link", "set", "eth0", "up")
        sh(*ns, "ip", "link", "set", "lo", "up")
        sh(*ns, "ip", "route", "add", "default", "via", BRIDGE_ADDRESS)
        # Another cluster reaches nothing of this one but its published addresses: new
        # connections from other clusters' nodes to this node's own address (API server,
        # kubelet, NodePorts) are dropped; the host's bridge address (the twin's driver)
        # and the cluster's own nodes may connect.
        for other in range(net.nodes):  # pod subnets of the cluster's other nodes
            if other != net.node:
                peer = net.sibling(other)
                sh(*ns, "ip", "route", "add", peer.pod_cidr, "via", peer.node_ip)
        mangle = [*ns, "iptables", "-t", "mangle"]
        sh(*mangle, "-N", "HLFC-ISOLATE")
        sh(*mangle, "-A", "HLFC-ISOLATE", "-s", BRIDGE_ADDRESS, "-j", "RETURN")
        for other in range(net.nodes):
            sh(*mangle, "-A", "HLFC-ISOLATE", "-s", net.sibling(other).node_ip, "-j", "RETURN")
        sh(*mangle, "-A", "HLFC-ISOLATE", "-s", NODE_NET, "-j", "DROP")
        sh(
            *mangle, "-A", "PREROUTING", "-i", "eth0", "-d", net.node_ip,
            "-m", "conntrack", "--ctstate", "NEW", "-j", "HLFC-ISOLATE",
        )  # fmt: skip
        for key, value in (
            ("net.ipv4.ip_forward", "1"),
            ("net.bridge.bridge-nf-call-iptables", "1"),
            ("net.ipv4.conf.all.route_localnet", "1"),
        ):
            sh(*ns, "sysctl", "-qw", f"{key}={value}", check=False)
    if not net.mount_ns.exists():
        RUN.mkdir(parents=True, exist_ok=True)
        # a persistent mount namespace is a bind mount of /proc/PID/ns/mnt, which must not
        # sit on a shared mount
        if sh("findmnt", "-n", str(RUN), check=False).returncode != 0:
            sh("mount", "--bind", str(RUN), str(RUN))
            sh("mount", "--make-private", str(RUN))
        net.mount_ns.parent.mkdir(parents=True, exist_ok=True)
        net.mount_ns.touch()
        binds = " && ".join(
            f"mkdir -p {target} {source} && mount --bind {source} {target}"
            for target, source in sorted(private_dirs.items())
        )
        # made from the host's mount namespace: unshare bind-mounts the new namespace onto
        # the file from its parent's, which must be the one everybody else sees
        sh(
            "unshare", f"--mount={net.mount_ns}", "--propagation", "private",
            "sh", "-c", binds or "true",
        )  # fmt: skip


def publish(net: ClusterNet, address: str) -> None:
    """Make `address` answer on the shared network (a cloud load balancer's job)."""
    present = sh("ip", "netns", "exec", net.netns, "ip", "-o", "addr", "show", "dev", "eth0")
    if f" {address}/" not in present.stdout:
        sh("ip", "netns", "exec", net.netns, "ip", "addr", "add", f"{address}/32", "dev", "eth0")


def unpublish(net: ClusterNet, address: str) -> None:
    """Take `address` off this node, and make every twin namespace forget where it was: a
    cloud load balancer's address does not move between machines, the twin's does (it
    follows the node that runs a Local-policy Service's pod)."""
    sh("ip", "netns", "exec", net.netns, "ip", "addr", "del", f"{address}/32", "dev", "eth0",
       check=False)  # fmt: skip
    names = sh("ip", "netns", "list", check=False).stdout.split()
    for ns in (n for n in names if n.startswith("hlfc-")):
        sh("ip", "-n", ns, "neigh", "flush", "to", address, check=False)


def remove(net: ClusterNet) -> None:
    with contextlib.suppress(TwinError):
        sh("umount", str(net.mount_ns), check=False)
        net.mount_ns.unlink(missing_ok=True)
    sh("ip", "netns", "delete", net.netns, check=False)
    sh("ip", "link", "delete", net.veth, check=False)


def remove_bridge() -> None:
    sh("ip", "link", "delete", BRIDGE, check=False)
    if sh("findmnt", "-n", str(RUN), check=False).returncode == 0:
        sh("umount", str(RUN), check=False)
    with contextlib.suppress(OSError):
        RUN.rmdir()
