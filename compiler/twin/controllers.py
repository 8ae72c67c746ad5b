"""What a cloud provides a cluster, played by the twin: volumes and load balancers.

- A volume provisioner for every StorageClass: a claim waiting for its provisioner gets a
  `local` PersistentVolume on the node (a directory in the cluster's state), pinned to the
  node the scheduler chose. The real PV controller then binds it; the real kubelet applies
  the pod's fsGroup to it.
- A load balancer for every Service of type LoadBalancer: an address on the shared network,
  published on the eth0 of a node that forwards it (with `externalTrafficPolicy: Local`, one
  running a ready endpoint, as a cloud balancer's health check would pick) and written to
  the Service status, where kube-proxy routes it; its
  `external-dns.alpha.kubernetes.io/hostname` goes into the shared hosts file every
  cluster's DNS reads (what external-dns and a public zone do).
- The ingress gateway's address (the router in router.py listens there) and the names its
  Gateways serve, in the same hosts file: Istio's, and Gateway API's, whose Gateways it
  also reports programmed in their status, as their controller would.
- A secret store with the External Secrets Operator in front of it: every ExternalSecret
  gets its target Secret (creationPolicy Orphan: no owner) with values from one store the
  whole network shares, as one Vault would be, random on first read; its status says
  Ready, as the operator's does. This is the one stand-in: neither Vault nor the operator
  is under test, only that output/ names the Secrets its pods read.

Run as a daemon: `python -m compiler.twin.controllers CLUSTER INDEX STATE NETWORK_STATE`.
"""

from __future__ import annotations

import fcntl
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from compiler.twin import api, router
from compiler.twin.api import ApiReader
from compiler.twin.kube import Kube
from compiler.twin.network import ClusterNet, publish, unpublish
from compiler.twin.process import TwinError

PROVISIONER_ANNOTATION = "volume.kubernetes.io/storage-provisioner"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname"
# the labels of Istio's default ingress gateway pods, which the router plays
INGRESS_GATEWAY = {"istio": "ingressgateway"}
ROUTER_SLOT = 39  # the router's address: the last published slot, LoadBalancers count up


class Controllers:
    def __init__(self, net: ClusterNet, state: Path, network_state: Path) -> None:
        self.net = net
        self.state = state
        self.kube = Kube(state / "admin.kubeconfig")  # writes
        self.api = ApiReader(state / "admin.kubeconfig")  # reads, every second
        self.hosts_file = network_state / "hosts"
        self.store_file = network_state / "secret-store.json"
        self.allocations_path = state / "loadbalancers.json"
        self.placements_path = state / "loadbalancer-nodes.json"  # address -> node index

    def provision(self) -> None:
        classes = {c["metadata"]["name"]: c for c in self.api.items(api.STORAGE_CLASSES)}
        for pvc in self.api.items(api.PVCS):
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
        for svc in self.api.items(api.SERVICES):
            if svc["spec"].get("type") != "LoadBalancer":
                continue
            meta = svc["metadata"]
            key = f"{meta['namespace']}/{meta['name']}"
            if key not in allocations:
                allocations[key] = self.net.ingress_ip(len(allocations))
                self.allocations_path.write_text(json.dumps(allocations), encoding="utf-8")
            address = allocations[key]
            self.place(address, self._node_for(svc))
            ingress = svc.get("status", {}).get("loadBalancer", {}).get("ingress") or []
            if [i.get("ip") for i in ingress] != [address]:
                patch = {"status": {"loadBalancer": {"ingress": [{"ip": address}]}}}
                self.kube.run(
                    [
                        "patch", "service", meta["name"], "-n", meta["namespace"],
                        "--subresource=status", "--type=merge", "-p", json.dumps(patch),
                    ]
                )  # fmt: skip
            # external-dns reads a comma-separated list (an orderer: main and admin name)
            names = (meta.get("annotations") or {}).get(HOSTNAME_ANNOTATION) or ""
            for hostname in (n.strip() for n in names.split(",")):
                if hostname:
                    self.publish_name(hostname, address)

    def _node_for(self, svc: dict[str, Any]) -> int:
        """The node whose kube-proxy takes the load balancer's traffic. With
        `externalTrafficPolicy: Local` only a node running a ready endpoint forwards it (a
        cloud balancer's health check finds that node); otherwise any node, the first."""
        if svc["spec"].get("externalTrafficPolicy") != "Local":
            return 0
        meta = svc["metadata"]
        slices = [
            s
            for s in self.api.items(
                api.ENDPOINT_SLICES, f"kubernetes.io/service-name={meta['name']}"
            )
            if s["metadata"]["namespace"] == meta["namespace"]
        ]
        nodes = sorted(
            str(e.get("nodeName", ""))
            for sl in slices
            for e in sl.get("endpoints") or []
            if (e.get("conditions") or {}).get("ready")
        )
        prefix = f"{self.net.name}-node"
        for node in nodes:
            suffix = node.removeprefix(prefix)
            if node.startswith(prefix) and (suffix == "" or suffix.isdigit()):
                return int(suffix or 0)
        return 0

    def place(self, address: str, node: int) -> None:
        placed: dict[str, int] = (
            json.loads(self.placements_path.read_text(encoding="utf-8"))
            if self.placements_path.exists()
            else {}
        )
        before = placed.get(address)
        if before is not None and before != node:
            unpublish(self.net.sibling(before), address)
        publish(self.net.sibling(node), address)
        if before != node:
            placed[address] = node
            self.placements_path.write_text(json.dumps(placed), encoding="utf-8")

    def publish_name(self, hostname: str, address: str) -> None:
        with self.hosts_file.open("a+", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # every cluster's controllers share the file
            f.seek(0)
            names = {line.split()[1] for line in f.read().splitlines() if len(line.split()) > 1}
            if hostname not in names:
                f.write(f"{address} {hostname}\n")

    def gateway(self) -> None:
        gateways = self.api.items(api.ISTIO_GATEWAYS)
        hosts = router.gateway_hosts(gateways, INGRESS_GATEWAY)
        api_gateways = self.api.items(api.GATEWAYS)
        if api_gateways:
            labels = router.namespace_labels(self.api.items(api.NAMESPACES))
            routes = self.api.items(api.TLS_ROUTES)
            hosts |= {sni for _, sni in router.gateway_api_routes(api_gateways, routes, labels)}
        if not hosts and not api_gateways:
            return
        address = self.net.ingress_ip(ROUTER_SLOT)
        publish(self.net, address)
        for host in sorted(hosts):
            self.publish_name(host, address)
        for gw in api_gateways:
            self._gateway_status(gw, address, routes)

    def _gateway_status(
        self, gw: dict[str, Any], address: str, routes: list[dict[str, Any]]
    ) -> None:
        """What a Gateway API controller writes once it has programmed a Gateway (Argo CD
        holds the Gateway Progressing until then): Accepted and Programmed, its address, and
        each listener's."""
        meta = gw["metadata"]
        generation = meta.get("generation", 1)
        attached = {
            listener["name"]: sum(
                1
                for route in routes
                for ref in route["spec"].get("parentRefs", [])
                if ref["name"] == meta["name"]
                and ref.get("namespace", route["metadata"]["namespace"]) == meta["namespace"]
                and ref.get("sectionName", listener["name"]) == listener["name"]
            )
            for listener in gw["spec"].get("listeners", [])
        }
        current = gw.get("status", {})
        conditions = {c["type"]: c for c in current.get("conditions") or []}
        programmed = conditions.get("Programmed", {})
        seen = {ls["name"]: ls.get("attachedRoutes") for ls in current.get("listeners") or []}
        if (
            programmed.get("status") == "True"
            and programmed.get("observedGeneration") == generation
            and seen == attached
        ):
            return
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

        def condition(kind: str, reason: str) -> dict[str, Any]:
            return {
                "type": kind,
                "status": "True",
                "reason": reason,
                "message": "programmed by the twin's router",
                "observedGeneration": generation,
                "lastTransitionTime": now,
            }

        status = {
            "status": {
                "addresses": [{"type": "IPAddress", "value": address}],
                "conditions": [condition("Accepted", "Accepted"),
                               condition("Programmed", "Programmed")],
                "listeners": [
                    {
                        "name": listener["name"],
                        "attachedRoutes": attached[listener["name"]],
                        "supportedKinds": [{"group": router.GATEWAY_API, "kind": "TLSRoute"}],
                        "conditions": [
                            condition("Accepted", "Accepted"),
                            condition("Programmed", "Programmed"),
                            condition("ResolvedRefs", "ResolvedRefs"),
                        ],
                    }
                    for listener in gw["spec"].get("listeners", [])
                ],
            }
        }  # fmt: skip
        self.kube.run(
            [
                "patch", f"gateways.{router.GATEWAY_API}", meta["name"], "-n", meta["namespace"],
                "--subresource=status", "--type=merge", "-p", json.dumps(status),
            ]
        )  # fmt: skip

    def _store_value(self, key: str, prop: str) -> str:
        with self.store_file.open("a+", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0)
            text = f.read()
            store: dict[str, dict[str, str]] = json.loads(text) if text else {}
            entry = store.setdefault(key, {})
            if prop not in entry:
                entry[prop] = secrets.token_urlsafe(18)
                f.seek(0)
                f.truncate()
                f.write(json.dumps(store, indent=2, sort_keys=True))
            return entry[prop]

    def external_secrets(self) -> None:
        wanted = self.api.items(api.EXTERNAL_SECRETS)
        if not wanted:
            return
        secrets_now = self.api.items(api.SECRETS)
        have = {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in secrets_now}
        for es in wanted:
            meta, spec = es["metadata"], es["spec"]
            target = spec.get("target", {}).get("name", meta["name"])
            if (meta["namespace"], target) not in have:
                data = {
                    item["secretKey"]: self._store_value(
                        item["remoteRef"]["key"], item["remoteRef"].get("property", "")
                    )
                    for item in spec.get("data", [])
                }
                secret = {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": target, "namespace": meta["namespace"]},
                    "stringData": data,
                }
                self.kube.run(["create", "-f", "-"], stdin=json.dumps(secret))
            ready = [c for c in es.get("status", {}).get("conditions", []) if c["type"] == "Ready"]
            if not ready or ready[0]["status"] != "True":
                status = {
                    "status": {
                        "conditions": [
                            {
                                "type": "Ready",
                                "status": "True",
                                "reason": "SecretSynced",
                                "message": "secret synced",
                                "lastTransitionTime": time.strftime(
                                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime()
                                ),
                            }
                        ],
                        "refreshTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    }
                }
                self.kube.run(
                    [
                        "patch", "externalsecret", meta["name"], "-n", meta["namespace"],
                        "--subresource=status", "--type=merge", "-p", json.dumps(status),
                    ]
                )  # fmt: skip

    def loop(self) -> None:
        while True:
            for step in (self.provision, self.balance, self.gateway, self.external_secrets):
                try:
                    step()
                except TwinError as err:
                    print(f"{step.__name__}: {err}", flush=True)
            time.sleep(1.0)


def main(argv: list[str]) -> int:
    name, index, state, network_state = argv
    Controllers(ClusterNet(name, int(index)), Path(state), Path(network_state)).loop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
