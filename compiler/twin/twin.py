"""A network's twin: every cluster directory of output/<network>/ on its own real cluster.

The twin reads only the files under output/ (never the compiler's objects), so it judges
the output exactly as the clusters would.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import math
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compiler.twin import images, network, prerequisites
from compiler.twin.cluster import TwinCluster
from compiler.twin.kube import channel_heights
from compiler.twin.paths import state_root
from compiler.twin.process import TwinError
from compiler.twin.sync import Resource, Syncer, load

NODE_HEADROOM = 1.2


def _cpu(quantity: object) -> float:
    text = str(quantity)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def cpu_requested(resources: list[Resource]) -> float:
    """CPU the long-running pods of a cluster directory request, all replicas together."""
    total = 0.0
    for res in resources:
        if res.kind not in ("StatefulSet", "Deployment"):
            continue
        spec = res.obj["spec"]
        containers = spec["template"]["spec"]["containers"]
        per_pod = sum(
            _cpu(c.get("resources", {}).get("requests", {}).get("cpu", 0)) for c in containers
        )
        total += spec.get("replicas", 1) * per_pod
    return total


def nodes_needed(resources: list[Resource], spare_cpu: float = 0.0) -> int:
    """Nodes of this machine's size that schedule the cluster's requests, with room for the
    Jobs and for packing: a production-sized cluster does not fit one node of 2 cores.
    `spare_cpu`: what later revisions of the cluster add (a day-2 test's new nodes)."""
    wanted = (cpu_requested(resources) + spare_cpu) * NODE_HEADROOM
    return max(1, math.ceil(wanted / (os.cpu_count() or 1)))


def cluster_dirs(network_dir: Path) -> list[Path]:
    """The cluster directories; `_argocd` and other `_` folders are not clusters."""
    return sorted(p for p in network_dir.iterdir() if p.is_dir() and not p.name.startswith("_"))


@dataclass
class Twin:
    network_dir: Path
    log: Callable[[str], None] = print
    root: Path = field(default_factory=state_root)
    # images the clusters need beside those output/ names: applications' (tests' clients)
    extra_images: tuple[str, ...] = ()
    # CPU kept spare for later revisions of the network (day-2 tests), by cluster name
    spare_cpu: Mapping[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.network_dir.name

    def _nodes(self, directory: Path) -> int:
        return nodes_needed(load(directory), self.spare_cpu.get(directory.name, 0.0))

    def clusters(self) -> list[TwinCluster]:
        return [
            TwinCluster(self.name, d.name, i, self.root, self._nodes(d))
            for i, d in enumerate(cluster_dirs(self.network_dir))
        ]

    def up(self) -> dict[str, float]:
        """Start every cluster, then sync each one's directory; returns step timings."""
        timings: dict[str, float] = {}
        start = time.monotonic()
        refs = images.images_in(r.obj for d in cluster_dirs(self.network_dir) for r in load(d))
        refs = sorted({*refs, *self.extra_images})
        archives = images.ImageSet.for_refs(refs).archives
        timings["images"] = time.monotonic() - start
        for cluster in self.clusters():
            t = time.monotonic()
            self.log(f"{cluster.name}: starting cluster")
            cluster.up(archives)
            timings[f"{cluster.name}: cluster"] = time.monotonic() - t
        # Argo CD syncs every cluster's Application at once: a cluster whose nodes enroll
        # at another cluster's CA waits for that CA while both sync
        synced = self.sync_at_once([(c, self.network_dir / c.name) for c in self.clusters()])
        timings |= {f"{name}: sync": seconds for name, seconds in synced.items()}
        timings["total"] = time.monotonic() - start
        return timings

    @functools.cached_property
    def _platform_values(self) -> prerequisites.PlatformValues:
        return prerequisites.PlatformValues(self.root / self.name / "platform-secrets.json")

    def sync_at_once(self, work: list[tuple[TwinCluster, Path]]) -> dict[str, float]:
        """Sync several clusters at once, as Argo CD syncs every cluster's Application (a
        cluster whose nodes enroll at another cluster's CA waits for that CA while both
        sync); returns the seconds each took. Waits for every cluster before it fails, and
        the failure says what each failed cluster waited for: the first one to fail is
        often not where the cause is."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(work)) as pool:
            futures = {c.name: pool.submit(self.sync, c, d) for c, d in work}
        failed: dict[str, BaseException] = {}
        for name, future in futures.items():
            if (error := future.exception()) is not None:
                if not isinstance(error, TwinError):
                    raise error
                failed[name] = error
        if failed:
            raise TwinError("\n".join(f"{name}: {error}" for name, error in sorted(failed.items())))
        return {name: f.result() for name, f in futures.items()}

    def sync(self, cluster: TwinCluster, directory: Path) -> float:
        """Sync one cluster directory (this network's, or a later revision of it) as Argo CD
        would, after the Secrets the platform provides; returns the seconds it took."""
        start = time.monotonic()
        prerequisites.create_secrets(
            cluster.kube,
            prerequisites.expected_secrets(r.obj for r in load(directory)),
            self._platform_values,
        )
        self.log(f"{cluster.name}: syncing {directory}")
        Syncer(cluster.kube, log=functools.partial(self._log_for, cluster.name)).sync(directory)
        return time.monotonic() - start

    def _log_for(self, cluster: str, message: str) -> None:
        self.log(f"{cluster}: {message}")

    def status(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for cluster in self.clusters():
            if not cluster.plane.admin_kubeconfig.exists():
                rows.append({"cluster": cluster.name, "pod": "-", "state": "down"})
                continue
            for pod in cluster.kube.items("pods", "-A"):
                meta = pod["metadata"]
                statuses = pod.get("status", {}).get("containerStatuses") or []
                row: dict[str, object] = {
                    "cluster": cluster.name,
                    "pod": f"{meta['namespace']}/{meta['name']}",
                    "state": pod.get("status", {}).get("phase", "?"),
                    "ready": all(s.get("ready") for s in statuses) and bool(statuses),
                    "restarts": sum(s.get("restartCount", 0) for s in statuses),
                }
                component = meta.get("labels", {}).get("app.kubernetes.io/component")
                if component in ("peer", "orderer") and row["state"] == "Running":
                    row["heights"] = channel_heights(cluster.kube, meta["namespace"], meta["name"])
                rows.append(row)
        return rows

    def down(self) -> None:
        for cluster in self.clusters():
            self.log(f"{cluster.name}: tearing down")
            cluster.down()
        shutil.rmtree(self.root / self.name, ignore_errors=True)
        if not any(self.root.iterdir() if self.root.exists() else []):
            network.remove_bridge()
            with contextlib.suppress(OSError):
                self.root.rmdir()
