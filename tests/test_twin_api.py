"""compiler/twin/api.py against a real kube-apiserver: the lists the twin's controllers and
ingress routers poll without kubectl, and the routing table the router makes of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.twin import api
from compiler.twin.api import ApiReader
from compiler.twin.kube import Kube
from compiler.twin.paths import tools_dir
from compiler.twin.process import TwinError
from compiler.twin.router import Router
from tests import apiserver

SHOP = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {ports: [{port: 8443, name: tls}], selector: {app: web}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    tls: {mode: PASSTHROUGH}
    hosts: ["*.shop.example"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [web.shop.example]
  gateways: [public]
  tls:
  - match: [{port: 443, sniHosts: [web.shop.example]}]
    route: [{destination: {host: web.shop.svc.cluster.local, port: {number: 8443}}}]
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[apiserver.ApiServer]:
    with apiserver.running(tmp_path_factory.mktemp("apiserver")) as running:
        kube = Kube(running.kubeconfig)
        kube.run(["apply", "--server-side", "-f", str(tools_dir() / "crds" / "istio")])
        kube.run(["wait", "--for=condition=Established", "crd", "--all", "--timeout=120s"])
        kube.run(["apply", "--server-side", "-f", "-"], stdin=SHOP)
        yield running


def test_a_list_names_each_items_kind_as_kubectl_would(server: apiserver.ApiServer) -> None:
    reader = ApiReader(server.kubeconfig)
    services = {
        (s["metadata"]["namespace"], s["metadata"]["name"]): s for s in reader.items(api.SERVICES)
    }
    assert {("default", "kubernetes"), ("shop", "web")} <= set(services)
    assert {(s["kind"], s["apiVersion"]) for s in services.values()} == {("Service", "v1")}
    (route,) = reader.items(api.VIRTUAL_SERVICES)
    assert (route["kind"], route["apiVersion"]) == ("VirtualService", "networking.istio.io/v1")


def test_a_label_selector_narrows_the_list(server: apiserver.ApiServer) -> None:
    reader = ApiReader(server.kubeconfig)
    assert [n["metadata"]["name"] for n in reader.items(api.NAMESPACES, "team=shop")] == ["shop"]


def test_a_kind_the_server_does_not_serve_has_no_items(server: apiserver.ApiServer) -> None:
    # the Gateway API's CRDs are not installed here: a cluster without them has no routes
    assert ApiReader(server.kubeconfig).items(api.TLS_ROUTES) == []


def test_the_router_reads_its_table_from_the_live_objects(server: apiserver.ApiServer) -> None:
    router = Router(ApiReader(server.kubeconfig), "127.0.0.1", {"istio": "ingressgateway"})
    table, cluster_ips = router.read()
    assert table == {(443, "web.shop.example"): ("web.shop.svc.cluster.local", 8443)}
    live_ip = Kube(server.kubeconfig).get("service", "web", "-n", "shop")["spec"]["clusterIP"]
    assert cluster_ips["web.shop.svc.cluster.local"] == live_ip


def test_an_api_server_that_does_not_answer_is_a_twin_error(
    server: apiserver.ApiServer, tmp_path: Path
) -> None:
    closed = tmp_path / "closed.kubeconfig"
    text = server.kubeconfig.read_text(encoding="utf-8")
    closed.write_text(text.replace(server.url, "https://127.0.0.1:1"), encoding="utf-8")
    with pytest.raises(TwinError, match="GET /api/v1/services"):
        ApiReader(closed, timeout=5).items(api.SERVICES)
