"""The twin's Istio ingress gateway: SNI from real ClientHellos, routes from the rendered
Gateways and VirtualServices (fast; the twin tests route real traffic through it)."""

from __future__ import annotations

import ssl

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
