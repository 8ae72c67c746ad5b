"""A Kubernetes object to be written, with the cluster and namespace it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MANAGED_BY = "hlfc"


@dataclass(frozen=True)
class Manifest:
    cluster: str
    # Directory under the cluster: the object's namespace, or for a Namespace object its
    # own name, so that everything about one namespace sits together. None: cluster-wide.
    directory: str | None
    obj: dict[str, Any]
    # The file the object shares with the others of one thing a reviewer reasons about
    # (a node, an identity, a channel or chaincode Job): "peer-org1-peer0" is
    # org1/peer-org1-peer0.yaml. None: a file of its own, "<kind>-<name>.yaml".
    unit: str | None = None

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])


def common_labels(network: str, component: str | None = None) -> dict[str, str]:
    labels = {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": network,
    }
    if component is not None:
        labels["app.kubernetes.io/component"] = component
    return labels
