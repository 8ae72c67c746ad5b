"""What a cloud provides a cluster, played by the twin: volumes and load balancers.

- A volume provisioner for every StorageClass: a claim waiting for its provisioner gets a
  `local` PersistentVolume on the node (a directory in the cluster's state), pinned to the
  node the scheduler chose. The real PV controller then binds it; the real kubelet applies
  the pod's fsGroup to it.
- A load balancer for every Service of type LoadBalancer: an address on the shared network,
  published on the cluster's eth0 and written to the Service status, where kube-proxy
  routes it; its `external-dns.alpha.kubernetes.io/hostname` goes into the shared hosts file
  every cluster's DNS reads (what external-dns and a public zone do).

Run as a daemon: `python -m compiler.twin.controllers CLUSTER INDEX STATE HOSTS`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from compiler.twin.kube import Kube
from compiler.twin.network import ClusterNet, publish
from compiler.twin.process import TwinError

PROVISIONER_ANNOTATION = "volume.kubernetes.io/storage-provisioner"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname"


class Controllers:
    def __init__(self, net: ClusterNet, state: Path, hosts_file: Path) -> None:
        self.net = net
        self.state = state
        self.kube = Kube(state / "admin.kubeconfig")
        self.hosts_file = hosts_file
        self.allocations_path = state / "loadbalancers.json"

    def provision(self) -> None:
        classes = {c["metadata"]["name"]: c for c in self.kube.items("storageclass")}
        for pvc in self.kube.items("pvc", "-A"):
            meta, spec = pvc["metadata"], pvc["spec"]
            annotations = meta.get("annotations") or {}
            if pvc.get("status", {}).get("phase") != "Pending" or spec.get("volumeName"):
                continue
            sc = classes.get(spec.get("storageClassName", ""))
            if not sc or PROVISIONER_ANNOTATION not in annotations:
                continue
            node = annotations.get(SELECTED_NODE)
            if sc.get("volumeBindingMode") == "WaitForFirstConsumer" and not node:
                continue
            name = f"pvc-{meta['uid']}"
            path = self.state / "volumes" / name
            path.mkdir(parents=True, exist_ok=True)
            pv: dict[str, Any] = {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {
                    "name": name,
                    "annotations": {"pv.kubernetes.io/provisioned-by": sc["provisioner"]},
                },
                "spec": {
                    "capacity": {"storage": spec["resources"]["requests"]["storage"]},
                    "accessModes": spec["accessModes"],
                    "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                    "storageClassName": sc["metadata"]["name"],
                    "volumeMode": spec.get("volumeMode", "Filesystem"),
                    "claimRef": {
                        "apiVersion": "v1",
                        "kind": "PersistentVolumeClaim",
                        "namespace": meta["namespace"],
                        "name": meta["name"],
                        "uid": meta["uid"],
                    },
                    "local": {"path": str(path)},
                    "nodeAffinity": {
                        "required": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/hostname",
                                            "operator": "In",
                                            "values": [node or f"{self.net.name}-node"],
                                        }
                                    ]
                                }
                            ]
                        }
                    },
                },
            }
            self.kube.run(["create", "-f", "-"], stdin=json.dumps(pv), check=False)

    def _allocations(self) -> dict[str, str]:
        if self.allocations_path.exists():
            found: dict[str, str] = json.loads(self.allocations_path.read_text(encoding="utf-8"))
            return found
        return {}

    def balance(self) -> None:
        allocations = self._allocations()
        for svc in self.kube.items("service", "-A"):
            if svc["spec"].get("type") != "LoadBalancer":
                continue
            meta = svc["metadata"]
            key = f"{meta['namespace']}/{meta['name']}"
            if key not in allocations:
                allocations[key] = self.net.ingress_ip(len(allocations))
                self.allocations_path.write_text(json.dumps(allocations), encoding="utf-8")
            address = allocations[key]
            publish(self.net, address)
            ingress = svc.get("status", {}).get("loadBalancer", {}).get("ingress") or []
            if [i.get("ip") for i in ingress] != [address]:
                patch = {"status": {"loadBalancer": {"ingress": [{"ip": address}]}}}
                self.kube.run(
                    [
                        "patch", "service", meta["name"], "-n", meta["namespace"],
                        "--subresource=status", "--type=merge", "-p", json.dumps(patch),
                    ]
                )  # fmt: skip
            hostname = (meta.get("annotations") or {}).get(HOSTNAME_ANNOTATION)
            if hostname:
                self.publish_name(hostname, address)

    def publish_name(self, hostname: str, address: str) -> None:
        lines = []
        if self.hosts_file.exists():
            lines = self.hosts_file.read_text(encoding="utf-8").splitlines()
        entry = f"{address} {hostname}"
        names = {line.split()[1] for line in lines if len(line.split()) > 1}
        if hostname not in names:
            with self.hosts_file.open("a", encoding="utf-8") as f:
                f.write(entry + "\n")

    def loop(self) -> None:
        while True:
            for step in (self.provision, self.balance):
                try:
                    step()
                except TwinError as err:
                    print(f"{step.__name__}: {err}", flush=True)
            time.sleep(1.0)


def main(argv: list[str]) -> int:
    name, index, state, hosts = argv
    Controllers(ClusterNet(name, int(index)), Path(state), Path(hosts)).loop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
