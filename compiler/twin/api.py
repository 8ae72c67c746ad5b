"""Reads lists of objects straight from a twin cluster's API server, without kubectl.

The twin's controllers and ingress routers poll their cluster every second or two. A kubectl
process per list cost a tenth of a second of CPU each: measured on a running global twin,
the pollers of three clusters took about one of this machine's two cores, which the Fabric
nodes under test then lacked. One HTTPS request costs a few milliseconds. Writes stay with
kubectl (Kube), as they are rare and kubectl's messages are the ones users know.
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from compiler.twin.process import TwinError

# API paths of the kinds the pollers list, across all namespaces
SERVICES = "/api/v1/services"
NAMESPACES = "/api/v1/namespaces"
SECRETS = "/api/v1/secrets"
PVCS = "/api/v1/persistentvolumeclaims"
STORAGE_CLASSES = "/apis/storage.k8s.io/v1/storageclasses"
ENDPOINT_SLICES = "/apis/discovery.k8s.io/v1/endpointslices"
ISTIO_GATEWAYS = "/apis/networking.istio.io/v1/gateways"
VIRTUAL_SERVICES = "/apis/networking.istio.io/v1/virtualservices"
GATEWAYS = "/apis/gateway.networking.k8s.io/v1/gateways"
TLS_ROUTES = "/apis/gateway.networking.k8s.io/v1/tlsroutes"
EXTERNAL_SECRETS = "/apis/external-secrets.io/v1/externalsecrets"


@dataclass
class ApiReader:
    kubeconfig: Path
    timeout: float = 30.0
    _server: tuple[str, int, ssl.SSLContext] | None = field(init=False, default=None, repr=False)

    def _connection(self) -> http.client.HTTPSConnection:
        # the kubeconfig the twin writes: one cluster and one user, certificates as files;
        # read at the first request (a poller may be made before its cluster is up)
        if self._server is None:
            config = yaml.safe_load(self.kubeconfig.read_text(encoding="utf-8"))
            cluster = config["clusters"][0]["cluster"]
            user = config["users"][0]["user"]
            url = urllib.parse.urlsplit(cluster["server"])
            context = ssl.create_default_context(cafile=cluster["certificate-authority"])
            context.load_cert_chain(user["client-certificate"], user["client-key"])
            self._server = (url.hostname or "", url.port or 443, context)
        host, port, context = self._server
        return http.client.HTTPSConnection(host, port, context=context, timeout=self.timeout)

    def items(self, path: str, label_selector: str = "") -> list[dict[str, Any]]:
        """Every object at a list path. A kind the API server does not serve (its CRD is
        not installed, or not yet) has none."""
        if label_selector:
            path += "?" + urllib.parse.urlencode({"labelSelector": label_selector})
        conn = self._connection()
        try:
            conn.request("GET", path, headers={"Accept": "application/json"})
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as err:
            raise TwinError(f"GET {path}: {err}") from err
        finally:
            conn.close()
        if response.status == 404:
            return []
        if response.status != 200:
            raise TwinError(f"GET {path}: {response.status} {body[:300]!r}")
        listed = json.loads(body)
        # a list's items carry no kind or apiVersion of their own (kubectl adds them)
        kind = str(listed.get("kind", "")).removesuffix("List")
        found: list[dict[str, Any]] = listed["items"] or []
        for item in found:
            item.setdefault("kind", kind)
            item.setdefault("apiVersion", listed.get("apiVersion", ""))
        return found
