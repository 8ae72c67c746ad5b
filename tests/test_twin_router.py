"""The twin's Istio ingress gateway: SNI from real ClientHellos, routes from the rendered
Gateways and VirtualServices (fast; the twin tests route real traffic through it)."""

from __future__ import annotations

import copy
import ssl
from typing import Any

import pytest

from compiler.twin import router
from compiler.twin.sync import load
from tests.conftest import ROOT

GLOBAL = ROOT / "output" / "global-fabric-network"


def _client_hello(server_name: str | None) -> bytes:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    conn = ctx.wrap_bio(incoming, outgoing, server_hostname=server_name)
    with pytest.raises(ssl.SSLWantReadError):
        conn.do_handshake()
    return outgoing.read()


def test_the_server_name_is_read_from_a_real_client_hello() -> None:
    assert router.server_name(_client_hello("org1-peer0.us-east-1.fabric.global")) == (
        "org1-peer0.us-east-1.fabric.global"
    )
    assert router.server_name(_client_hello(None)) is None
    assert router.server_name(b"GET / HTTP/1.1\r\n\r\n") is None
    assert router.server_name(_client_hello("a.example")[:20]) is None


def _objects(cluster: str, kind: str) -> list[dict[str, object]]:
    return [r.obj for r in load(GLOBAL / cluster) if r.kind == kind]


@pytest.mark.parametrize("cluster", ["us-east-1", "us-west-2", "eu-west-1"])
def test_every_rendered_virtual_service_routes_its_host_to_its_destination(cluster: str) -> None:
    gateways = _objects(cluster, "Gateway")
    services = _objects(cluster, "VirtualService")
    table = router.routes(gateways, services, {"istio": "ingressgateway"})
    expected = {}
    for vs in services:
        spec = vs["spec"]
        assert isinstance(spec, dict)
        for route in spec["tls"]:
            dest = route["route"][0]["destination"]
            for match in route["match"]:
                for sni in match["sniHosts"]:
                    expected[(match["port"], sni)] = (dest["host"], dest["port"]["number"])
    assert expected and table == expected
    # every name DNS must point at the gateway is a routed one
    hosts = router.gateway_hosts(gateways, {"istio": "ingressgateway"})
    assert hosts == {sni for _, sni in table}


def test_a_route_on_a_gateway_of_another_ingress_is_not_served() -> None:
    gateways = _objects("us-east-1", "Gateway")
    services = _objects("us-east-1", "VirtualService")
    assert router.routes(gateways, services, {"istio": "other-gateway"}) == {}


CONSORTIUM = ROOT / "output" / "consortium" / "beta"  # ingress: gatewayApi


def _gateway_api(kind: str) -> list[dict[str, Any]]:
    return [
        r.obj
        for r in load(CONSORTIUM)
        if r.kind == kind and str(r.obj["apiVersion"]).startswith(router.GATEWAY_API)
    ]


def _labels() -> dict[str, dict[str, str]]:
    return {
        str(r.obj["metadata"]["name"]): dict(r.obj["metadata"].get("labels", {}))
        for r in load(CONSORTIUM)
        if r.kind == "Namespace"
    }


def test_every_rendered_tls_route_routes_its_host_to_its_service() -> None:
    gateways, tls_routes = _gateway_api("Gateway"), _gateway_api("TLSRoute")
    assert len(gateways) == 1  # one per cluster
    table = router.gateway_api_routes(gateways, tls_routes, _labels())
    expected = {
        (443, host): (
            f"{rule['backendRefs'][0]['name']}.{route['metadata']['namespace']}.svc.cluster.local",
            rule["backendRefs"][0]["port"],
        )
        for route in tls_routes
        for host in route["spec"]["hostnames"]
        for rule in route["spec"]["rules"]
    }
    assert len(expected) == len(tls_routes) and table == expected


def test_a_gateway_takes_routes_only_from_the_namespaces_and_listeners_it_admits() -> None:
    gateways, tls_routes = _gateway_api("Gateway"), _gateway_api("TLSRoute")
    labels = _labels()
    # a namespace outside the network (not labelled part-of) is refused by the selector
    stray = copy.deepcopy(tls_routes[0])
    stray["metadata"]["namespace"] = "someone-else"
    stray["spec"]["hostnames"] = ["intruder.beta.consortium.example"]
    table = router.gateway_api_routes(gateways, [stray], labels)
    assert table == {}
    # a host outside the listener's *.<externalDomain>
    foreign = copy.deepcopy(tls_routes[0])
    foreign["spec"]["hostnames"] = ["orderer0.alpha.consortium.example"]
    assert router.gateway_api_routes(gateways, [foreign], labels) == {}
    # another listener section, or a listener that terminates TLS, serves nothing here
    other = copy.deepcopy(tls_routes[0])
    other["spec"]["parentRefs"][0]["sectionName"] = "https"
    assert router.gateway_api_routes(gateways, [other], labels) == {}
    terminating = copy.deepcopy(gateways[0])
    terminating["spec"]["listeners"][0]["tls"]["mode"] = "Terminate"
    assert router.gateway_api_routes([terminating], tls_routes, labels) == {}
