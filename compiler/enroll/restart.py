"""After a renewal, restart the node that reads the Secrets: Fabric 2.5.16 reads its TLS
key pair and MSP signer once, at start (core/comm GRPCServer keeps them; no file watcher,
no signal reloads them), so a renewed certificate is served only by a new process.

The pod is deleted (its StatefulSet recreates it), not the StatefulSet patched: nothing
drifts from what Argo CD synced. The Job waits until the new pod is Ready, so the next
node's renewal (a later slot, see render/enrollment.py) never overlaps this one."""

from __future__ import annotations

import time
from collections.abc import Callable

from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.resources.core_v1 import Pod


class RestartFailed(Exception):
    pass


def _ready(pod: Pod) -> bool:
    conditions = (pod.status.conditions if pod.status else None) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def restart(
    client: Client,
    namespace: str,
    name: str,
    *,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = print,
) -> bool:
    """Delete the pod and wait for its successor to be Ready. False: there was no pod (the
    node is not running yet; it will start on the renewed Secrets)."""
    try:
        old = client.get(Pod, name, namespace=namespace)
    except ApiError as exc:
        if exc.status.code == 404:
            return False
        raise
    old_uid = old.metadata.uid if old.metadata else None
    client.delete(Pod, name, namespace=namespace)
    log(f"restarting {namespace}/{name} to serve the renewed certificates")
    while clock() < deadline:
        try:
            pod = client.get(Pod, name, namespace=namespace)
            if pod.metadata and pod.metadata.uid != old_uid and _ready(pod):
                log(f"{namespace}/{name} is Ready again")
                return True
        except ApiError as exc:
            if exc.status.code != 404:
                raise
        sleep(2)
    raise RestartFailed(f"{namespace}/{name} was not Ready again before the deadline")
