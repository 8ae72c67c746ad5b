"""Where identities live: Kubernetes Secrets, written through lightkube.

One Secret holds a certificate and its key together, so a write can never leave a
certificate without its key. Updates replace with the resourceVersion that was read, so
two Jobs racing cannot silently overwrite each other.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Protocol

from lightkube import Client
from lightkube.config.kubeconfig import KubeConfig
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Secret

MANAGED = {"app.kubernetes.io/managed-by": "hlfc-enroll"}
NOT_AFTER = "hlfc.dev/not-after"


@dataclass(frozen=True)
class Stored:
    data: dict[str, bytes]
    resource_version: str | None


class SecretStore(Protocol):
    def read(self, name: str) -> Stored | None: ...
    def write(
        self,
        name: str,
        data: dict[str, bytes],
        secret_type: str,
        not_after: str,
        previous: Stored | None,
    ) -> None: ...


class KubeSecrets:
    def __init__(self, namespace: str, client: Client | None = None) -> None:
        self.namespace = namespace
        self.client = client or Client(namespace=namespace)

    @classmethod
    def for_server(
        cls, url: str, namespace: str, token: str = "", ca_file: str | None = None
    ) -> KubeSecrets:
        """An explicit API server (tests, or running outside the cluster)."""
        cluster: dict[str, str] = {"server": url}
        if ca_file is not None:
            cluster["certificate-authority"] = ca_file
        config = KubeConfig.from_dict(
            {
                "clusters": [{"name": "target", "cluster": cluster}],
                "users": [{"name": "enroller", "user": {"token": token or "none"}}],
                "contexts": [
                    {
                        "name": "target",
                        "context": {
                            "cluster": "target",
                            "user": "enroller",
                            "namespace": namespace,
                        },
                    }
                ],
                "current-context": "target",
            }
        )
        return cls(namespace, Client(config=config, namespace=namespace))

    def read(self, name: str) -> Stored | None:
        try:
            secret = self.client.get(Secret, name, namespace=self.namespace)
        except ApiError as exc:
            if exc.status.code == 404:
                return None
            raise
        data = {k: base64.b64decode(v) for k, v in (secret.data or {}).items()}
        version = secret.metadata.resourceVersion if secret.metadata else None
        return Stored(data, version)

    def write(
        self,
        name: str,
        data: dict[str, bytes],
        secret_type: str,
        not_after: str,
        previous: Stored | None,
    ) -> None:
        secret = Secret(
            metadata=ObjectMeta(
                name=name,
                namespace=self.namespace,
                labels=dict(MANAGED),
                annotations={NOT_AFTER: not_after},
                resourceVersion=previous.resource_version if previous else None,
            ),
            type=secret_type,
            data={k: base64.b64encode(v).decode() for k, v in sorted(data.items())},
        )
        if previous is None:
            self.client.create(secret)
        else:
            self.client.replace(secret)
