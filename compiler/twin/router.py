"""The ingress gateway of one twin cluster, routing TLS by SNI as Envoy would.

Envoy cannot be had here, so this router plays the `istio: ingressgateway` pods and the
data plane of every Gateway API Gateway: its table is derived from the live objects of the
cluster (what istiod or a Gateway API controller would program), so a wrong route in
output/ fails the twin. Only TLS passthrough is served: the router reads the ClientHello's
server name and splices the connection to the destination Service's cluster IP (kube-proxy
takes it from there). A name no route matches is closed, as Envoy closes a connection no
filter chain matches.
- Istio: the VirtualService `tls` route whose `sniHosts` and `port` match on a Gateway
  server (PASSTHROUGH) for that host;
- Gateway API: the TLSRoute hostname attached to a Gateway listener (protocol TLS, mode
  Passthrough) whose hostname it matches, and whose allowedRoutes admit the route's
  namespace and kind; the route's first backendRef is the Service in its namespace.

Run as a daemon: `python -m compiler.twin.router KUBECONFIG ADDRESS SELECTOR_KEY=VALUE`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.twin import api
from compiler.twin.api import ApiReader
from compiler.twin.process import TwinError


def server_name(hello: bytes) -> str | None:
    """The SNI of a TLS ClientHello record, or None."""
    try:
        if hello[0] != 0x16 or hello[5] != 0x01:  # handshake record, ClientHello
            return None
        pos = 9 + 2 + 32  # record header, handshake header, version, random
        pos += 1 + hello[pos]  # session id
        pos += 2 + int.from_bytes(hello[pos : pos + 2], "big")  # cipher suites
        pos += 1 + hello[pos]  # compression methods
        end = pos + 2 + int.from_bytes(hello[pos : pos + 2], "big")
        pos += 2
        while pos + 4 <= end:
            kind = int.from_bytes(hello[pos : pos + 2], "big")
            size = int.from_bytes(hello[pos + 2 : pos + 4], "big")
            if kind == 0:  # server_name: list length, type, name length, name
                length = int.from_bytes(hello[pos + 7 : pos + 9], "big")
                return hello[pos + 9 : pos + 9 + length].decode("ascii").lower()
            pos += 4 + size
    except (IndexError, UnicodeDecodeError):
        return None
    return None


def _host_matches(pattern: str, host: str) -> bool:
    pattern = pattern.split("/", 1)[-1].lower()  # "namespace/host" form of Gateway hosts
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return pattern == host


def routes(
    gateways: list[dict[str, Any]], services: list[dict[str, Any]], selector: dict[str, str]
) -> dict[tuple[int, str], tuple[str, int]]:
    """(port, sni) -> (destination host, port) from Gateways and VirtualServices."""
    served: dict[str, list[tuple[int, list[str]]]] = {}
    for gw in gateways:
        if gw["spec"].get("selector") != selector:
            continue
        key = f"{gw['metadata']['namespace']}/{gw['metadata']['name']}"
        for server in gw["spec"].get("servers", []):
            if server["port"].get("protocol") == "TLS" and (
                server.get("tls", {}).get("mode") == "PASSTHROUGH"
            ):
                served.setdefault(key, []).append((int(server["port"]["number"]), server["hosts"]))
    table: dict[tuple[int, str], tuple[str, int]] = {}
    for vs in services:
        ns = vs["metadata"]["namespace"]
        bound = [g if "/" in g else f"{ns}/{g}" for g in vs["spec"].get("gateways", [])]
        for route in vs["spec"].get("tls", []):
            destination = route["route"][0]["destination"]
            target = (destination["host"], int(destination["port"]["number"]))
            for match in route.get("match", []):
                for gateway in bound:
                    for port, hosts in served.get(gateway, []):
                        if "port" in match and int(match["port"]) != port:
                            continue
                        for name in match.get("sniHosts", []):
                            if any(_host_matches(h, name.lower()) for h in hosts):
                                table.setdefault((port, name.lower()), target)
    return table


GATEWAY_API = "gateway.networking.k8s.io"


def _admits(
    listener: dict[str, Any], gateway_ns: str, route_ns: str, labels: dict[str, str]
) -> bool:
    """Whether a listener's allowedRoutes take a TLSRoute from `route_ns` (labelled `labels`)."""
    allowed = listener.get("allowedRoutes", {})
    kinds = allowed.get("kinds")
    if kinds and not any(
        k.get("kind") == "TLSRoute" and k.get("group", GATEWAY_API) == GATEWAY_API for k in kinds
    ):
        return False
    namespaces = allowed.get("namespaces", {})
    source = namespaces.get("from", "Same")
    if source == "All":
        return True
    if source == "Selector":
        wanted = namespaces.get("selector", {}).get("matchLabels", {})
        return all(labels.get(k) == v for k, v in wanted.items())
    return route_ns == gateway_ns


def namespace_labels(namespaces: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Every namespace's labels: what allowedRoutes selectors are matched against."""
    return {n["metadata"]["name"]: n["metadata"].get("labels", {}) for n in namespaces}


def gateway_api_routes(
    gateways: list[dict[str, Any]],
    tls_routes: list[dict[str, Any]],
    namespace_labels: dict[str, dict[str, str]],
) -> dict[tuple[int, str], tuple[str, int]]:
    """(port, sni) -> (destination host, port) from Gateway API Gateways and TLSRoutes."""
    listeners: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for gw in gateways:
        key = (gw["metadata"]["namespace"], gw["metadata"]["name"])
        listeners[key] = [
            ls
            for ls in gw["spec"].get("listeners", [])
            if ls.get("protocol") == "TLS" and ls.get("tls", {}).get("mode") == "Passthrough"
        ]
    table: dict[tuple[int, str], tuple[str, int]] = {}
    for route in tls_routes:
        ns = route["metadata"]["namespace"]
        spec = route["spec"]
        backends = [b for rule in spec.get("rules", []) for b in rule.get("backendRefs", [])]
        if not backends or backends[0].get("kind", "Service") != "Service":
            continue
        backend = backends[0]
        target = (f"{backend['name']}.{backend.get('namespace', ns)}.svc.cluster.local",
                  int(backend["port"]))  # fmt: skip
        for ref in spec.get("parentRefs", []):
            if ref.get("group", GATEWAY_API) != GATEWAY_API or ref.get("kind", "Gateway") != (
                "Gateway"
            ):
                continue
            gw_ns = ref.get("namespace", ns)
            for listener in listeners.get((gw_ns, ref["name"]), []):
                if "sectionName" in ref and ref["sectionName"] != listener["name"]:
                    continue
                if "port" in ref and int(ref["port"]) != int(listener["port"]):
                    continue
                if not _admits(listener, gw_ns, ns, namespace_labels.get(ns, {})):
                    continue
                pattern = listener.get("hostname", "*")
                for name in spec.get("hostnames", []):
                    if _host_matches(pattern, name.lower()):
                        table.setdefault((int(listener["port"]), name.lower()), target)
    return table


@dataclass
class Router:
    api: ApiReader
    address: str
    selector: dict[str, str]
    table: dict[tuple[int, str], tuple[str, int]] = field(default_factory=dict)
    cluster_ips: dict[str, str] = field(default_factory=dict)

    def read(self) -> tuple[dict[tuple[int, str], tuple[str, int]], dict[str, str]]:
        """The routing table and the Services' cluster IPs, from the live objects."""
        table = routes(
            self.api.items(api.ISTIO_GATEWAYS), self.api.items(api.VIRTUAL_SERVICES), self.selector
        )
        from_gateway_api = gateway_api_routes(
            self.api.items(api.GATEWAYS),
            self.api.items(api.TLS_ROUTES),
            namespace_labels(self.api.items(api.NAMESPACES)),
        )
        cluster_ips = {
            f"{s['metadata']['name']}.{s['metadata']['namespace']}.svc.cluster.local": str(
                s["spec"].get("clusterIP", "")
            )
            for s in self.api.items(api.SERVICES)
        }
        return from_gateway_api | table, cluster_ips

    async def handle(
        self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            hello = await asyncio.wait_for(reader.read(16384), timeout=10)
            sni = server_name(hello)
            target = self.table.get((port, sni or ""))
            address = self.cluster_ips.get(target[0], "") if target else ""
            if not target or not address or address == "None":
                print(f"no route for {sni!r} on {port}", flush=True)
                return
            up_reader, up_writer = await asyncio.open_connection(address, target[1])
            up_writer.write(hello)
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, TimeoutError):
            return
        finally:
            with contextlib.suppress(OSError):
                writer.close()

    async def serve(self) -> None:
        servers: dict[int, asyncio.Server] = {}
        while True:
            # read in a thread: the event loop must keep splicing meanwhile. When the reads
            # ran in the loop (as kubectl processes, seconds each on a loaded machine), every
            # refresh froze all traffic through this ingress for as long, Raft heartbeats
            # between clusters included.
            try:
                self.table, self.cluster_ips = await asyncio.to_thread(self.read)
            except TwinError as err:
                print(f"refresh: {err}", flush=True)
            for port in sorted({p for p, _ in self.table} - set(servers)):
                try:
                    servers[port] = await asyncio.start_server(
                        functools.partial(self.handle, port), self.address, port
                    )
                except OSError as err:  # the address is published by the controllers
                    print(f"not yet listening on {self.address}:{port}: {err}", flush=True)
                    continue
                print(f"listening on {self.address}:{port}", flush=True)
            await asyncio.sleep(2)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.close()


def gateway_hosts(gateways: list[dict[str, Any]], selector: dict[str, str]) -> set[str]:
    """Every host the Gateways on this ingress serve: the names DNS must point here."""
    return {
        h.split("/", 1)[-1]
        for gw in gateways
        if gw["spec"].get("selector") == selector
        for server in gw["spec"].get("servers", [])
        for h in server.get("hosts", [])
        if "*" not in h
    }


def main(argv: list[str]) -> int:
    kubeconfig, address, selector = argv
    key, _, value = selector.partition("=")
    router = Router(ApiReader(Path(kubeconfig)), address, {key: value})
    print(f"router {address} for {selector} started {time.strftime('%H:%M:%S')}", flush=True)
    asyncio.run(router.serve())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
