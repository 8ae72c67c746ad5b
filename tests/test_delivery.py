"""Argo CD delivery, cross-cluster endpoints and the network picture."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from compiler.analysis.endpoints import dial_table, endpoint
from compiler.cli.main import cli
from compiler.pipeline import check_file
from compiler.render.network import render_network
from tests.conftest import GLOBAL, MINIMAL, ROOT
from tests.tooling import OUTPUT, all_rendered, object_in, rendered

NETWORKS = ["global-fabric-network", "minimal"]


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def rendered_in(network: str) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, d) for p, d in all_rendered() if p.relative_to(OUTPUT).parts[0] == network]


def argocd_objects(network: str, kind: str) -> list[dict[str, Any]]:
    return [d for p, d in rendered_in(network) if d["kind"] == kind and "_argocd" in p.parts]


@pytest.mark.parametrize("network", NETWORKS)
def test_app_project_allows_every_rendered_kind_and_nothing_more(network: str) -> None:
    (project,) = argocd_objects(network, "AppProject")
    spec = project["spec"]
    objects = rendered_in(network)
    namespaced = {
        (_group(d["apiVersion"]), d["kind"])
        for p, d in objects
        if p.parent.name != "_cluster" and d["kind"] != "Namespace"
    }
    cluster_wide = {
        (_group(d["apiVersion"]), d["kind"])
        for p, d in objects
        if p.parent.name == "_cluster" or d["kind"] == "Namespace"
    }
    allowed_namespaced = {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]}
    allowed_cluster = {(k["group"], k["kind"]) for k in spec["clusterResourceWhitelist"]}
    assert allowed_namespaced == namespaced
    assert allowed_cluster == cluster_wide
    assert allowed_cluster <= {
        ("", "Namespace"),
        ("storage.k8s.io", "StorageClass"),
        ("snapshot.storage.k8s.io", "VolumeSnapshotClass"),
    }
    blueprint = yaml.safe_load((GLOBAL if network != "minimal" else MINIMAL).read_text())
    assert spec["sourceRepos"] == [blueprint["spec"]["argocd"]["repoURL"]]
    # destinations: exactly the namespaces written per cluster, plus the root app's own
    apps = {
        a["spec"]["source"]["path"].rsplit("/", 1)[1]: a
        for a in argocd_objects(network, "Application")
    }
    expected = set()
    for p, _ in objects:
        parts = p.relative_to(OUTPUT / network).parts
        if parts[1] == "_cluster":
            continue
        dest = apps[parts[0]]["spec"]["destination"]
        expected.add((dest.get("server"), dest.get("name"), parts[1]))
    got = {(d.get("server"), d.get("name"), d["namespace"]) for d in spec["destinations"]}
    assert got == expected


@pytest.mark.parametrize("network", NETWORKS)
def test_one_application_per_cluster_directory_and_a_root(network: str) -> None:
    apps = argocd_objects(network, "Application")
    directories = sorted(
        p.name for p in (OUTPUT / network).iterdir() if p.is_dir() and p.name != "_profiles"
    )
    paths = sorted(a["spec"]["source"]["path"] for a in apps)
    assert paths == [f"output/{network}/{d}" for d in directories]
    for app in apps:
        sync = app["spec"]["syncPolicy"]
        assert sync["automated"] == {"prune": True, "selfHeal": True}
        assert {"ServerSideApply=true", "CreateNamespace=false"} <= set(sync["syncOptions"])
        # no resources-finalizer: deleting an Application never cascades to ledgers
        assert "finalizers" not in app["metadata"]
        assert (ROOT / app["spec"]["source"]["path"]).is_dir()
    (root,) = [a for a in apps if a["spec"]["source"]["path"].endswith("/_argocd")]
    assert root["spec"]["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": "argocd",
    }


def _wave(obj: dict[str, Any]) -> int:
    return int(obj["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))


def test_sync_waves_order_every_kind() -> None:
    waves: dict[str, set[int]] = {}
    for _, obj in all_rendered():
        if obj["kind"] in {"Application", "AppProject"}:
            continue
        key = obj["kind"]
        if obj["kind"] in {"StatefulSet", "ConfigMap", "ServiceAccount", "Service"}:
            key = f"{obj['kind']}/{obj['metadata']['labels']['app.kubernetes.io/component']}"
        waves.setdefault(key, set()).add(_wave(obj))
    order = [
        ["Backup"],
        ["Namespace", "StorageClass", "VolumeSnapshotClass"],
        ["NetworkPolicy", "PodDisruptionBudget"],
        ["ExternalSecret"],
        ["StatefulSet/ca", "ConfigMap/ca", "Service/ca", "ServiceAccount/ca", "Gateway"],
        ["StatefulSet/orderer", "ConfigMap/orderer", "Service/orderer"],
        ["StatefulSet/peer", "ConfigMap/peer", "Service/peer"],
        ["ServiceMonitor", "PrometheusRule", "Probe", "Schedule"],
    ]
    flat = [k for step in order for k in step]
    assert set(flat) <= set(waves), set(flat) - set(waves)
    for earlier, later in itertools.pairwise(order):
        latest = max(w for k in earlier for w in waves[k])
        earliest = min(w for k in later for w in waves[k])
        assert latest < earliest, (earlier, later)
    # every Job that runs during a sync sits above what it needs (the CA) and below what
    # needs it (the nodes whose identities it writes); PostDelete hooks run after deletion
    rendered_jobs = all_rendered("Job")
    jobs = [
        (
            _wave(j),
            j["metadata"]["annotations"].get("argocd.argoproj.io/hook"),
            j["metadata"]["labels"]["app.kubernetes.io/component"],
        )
        for _, j in rendered_jobs
    ]
    hooks = [(w, hook) for w, hook, _ in jobs]
    enroll = [w for w, hook, part in jobs if hook == "Sync" and part == "enroll"]
    # identities: global: 11 nodes + 6 (org, cluster) admins + 2 application identities +
    # 3 chaincode servers; minimal: 4 nodes + 2 admins + an application identity + a
    # chaincode server; consortium: 6 nodes + 5 admins (shared runs peers in both clusters).
    # Registrars: one per organisation and namespace its identities' Jobs run in (cluster
    # directory and namespace): global 6, minimal 2, consortium 5.
    sync_enroll = [
        (path.parent, j)
        for path, j in rendered_jobs
        if j["metadata"]["labels"]["app.kubernetes.io/component"] == "enroll"
        and j["metadata"]["annotations"].get("argocd.argoproj.io/hook") == "Sync"
    ]
    identity = [(d, j) for d, j in sync_enroll if "hlfc.dev/identity" in j["metadata"]["labels"]]
    registrar = [(d, j) for d, j in sync_enroll if (d, j) not in identity]
    assert len(identity) == 22 + 8 + 11 and len(registrar) == 6 + 2 + 5
    assert len(enroll) == len(identity) + len(registrar)
    assert all(max(waves["StatefulSet/ca"]) < w < min(waves["StatefulSet/orderer"]) for w in enroll)
    # each organisation's registrar Job, a wave before every identity Job it serves
    org = "hlfc.dev/organization"
    served = {(d, j["metadata"]["labels"][org]) for d, j in identity}
    assert sorted(served) == sorted((d, j["metadata"]["labels"][org]) for d, j in registrar)
    assert max(_wave(j) for _, j in registrar) < min(_wave(j) for _, j in identity)
    # channel Jobs: per channel, organisation and cluster; after every node is up.
    # global: orderer-org in 3 clusters + 3 peer orgs; minimal: orderer-org + org1;
    # consortium: ord-a, ord-b, shared in each of 2 clusters, retail
    channel = [w for w, hook, part in jobs if hook == "Sync" and part == "channel"]
    assert len(channel) == 6 + 2 + 5
    nodes = max(w for k in ("StatefulSet/orderer", "StatefulSet/peer") for w in waves[k])
    assert all(nodes < w for w in channel)
    # chaincode lifecycle Jobs: per chaincode, member organisation and cluster; after the
    # channel Jobs (the chaincode is defined on a joined channel). minimal: org1; global:
    # org1, org2, org3
    lifecycle = [w for w, hook, part in jobs if hook == "Sync" and part == "chaincode-lifecycle"]
    assert len(lifecycle) == 1 + 3
    assert all(max(channel) < w for w in lifecycle)
    assert len(enroll) + len(channel) + len(lifecycle) == len([h for h in hooks if h[1] == "Sync"])
    assert {hook for _, hook in hooks} == {"Sync", "PostDelete"}


def test_every_dialled_host_is_in_the_targets_tls_names() -> None:
    result = check_file(GLOBAL)
    assert result.analysis is not None
    network = result.analysis.network
    dials = dial_table(network)
    assert len(dials) > 50
    assert any(d.host.endswith(".fabric.global") for d in dials)  # crosses clusters
    for dial in dials:
        assert dial.host in endpoint(network, dial.target).tls_hosts(), dial
    # and the CA's rendered certificate request carries every name it is dialled by
    for org in network.orgs:
        config = rendered(
            "global-fabric-network",
            org.ca.cluster,
            org.namespace,
            "ConfigMap",
            f"{org.ca.workload}-config",
        )["data"]["ca.yaml"]
        hosts = set(yaml.safe_load(config)["csr"]["hosts"])
        assert {d.host for d in dials if d.target is org.ca} <= hosts


def test_virtual_services_route_each_external_host_to_its_node() -> None:
    services = all_rendered("VirtualService")
    # orderers (main + admin), peers, CAs, and the proposer of the one channel (day 2)
    assert len(services) == 5 * 2 + 6 + 4 + 1
    for path, vs in services:
        (host,) = vs["spec"]["hosts"]
        (route,) = vs["spec"]["tls"]
        assert route["match"][0]["sniHosts"] == [host]
        destination = route["route"][0]["destination"]
        assert destination["host"].endswith(f".{vs['metadata']['namespace']}.svc.cluster.local")
        port = destination["port"]["number"]
        if host.startswith("supply-chain-updates."):
            assert port == 7060
            assert destination["host"].startswith("supply-chain-updates.")
        else:
            assert port == (
                7053
                if host.split(".")[0].endswith("-admin")
                else {"orderer": 7050, "peer": 7051, "ca": 7054}[_kind_of(host)]
            )
        gateway = object_in(path.parent, "Gateway", "global-fabric-network-fabric")
        server = gateway["spec"]["servers"][0]
        assert server["tls"] == {"mode": "PASSTHROUGH"} and host in server["hosts"]


def _kind_of(host: str) -> str:
    name = host.split(".", maxsplit=1)[0]
    return "ca" if name.endswith("-ca") else "orderer" if "orderer" in name else "peer"


def test_gossip_external_endpoints_come_from_the_endpoint_table() -> None:
    result = check_file(GLOBAL)
    assert result.analysis is not None
    network = result.analysis.network
    for path, sts in all_rendered("StatefulSet"):
        if "global-fabric-network" not in path.parts:
            continue
        env = {
            e["name"]: e.get("value")
            for e in sts["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        if "CORE_PEER_GOSSIP_EXTERNALENDPOINT" in env:
            node = next(n for n in network.nodes if n.workload == sts["metadata"]["name"])
            assert env["CORE_PEER_GOSSIP_EXTERNALENDPOINT"] == endpoint(network, node).advertised


def _global_with_ingress(tmp_path: Path, ingress: str) -> Path:
    """blueprints/global.yaml with every cluster's Istio ingress replaced by `ingress`."""
    istio = "ingress: {kind: istio, gateway: istio-system/ingressgateway, port: 443}"
    text = GLOBAL.read_text()
    assert text.count(istio) == 3
    variant = tmp_path / "variant.yaml"
    variant.write_text(text.replace(istio, f"ingress: {ingress}"))
    return variant


def test_load_balancer_ingress_renders_a_service_per_node(tmp_path: Path) -> None:
    result = check_file(_global_with_ingress(tmp_path, "{kind: loadBalancer}"))
    assert result.ok and result.analysis is not None
    manifests = render_network(result.analysis.network)
    balancers = [
        m.obj
        for m in manifests
        if m.obj["kind"] == "Service" and m.obj["spec"]["type"] == "LoadBalancer"
    ]
    assert len(balancers) == 5 + 6 + 4 + 1  # nodes, and the channel's proposer (day 2)
    proposer = next(b for b in balancers if b["metadata"]["name"] == "supply-chain-updates")
    assert [p["port"] for p in proposer["spec"]["ports"]] == [7060]
    orderer = next(b for b in balancers if b["metadata"]["name"] == "orderer-org-orderer2-external")
    assert [p["port"] for p in orderer["spec"]["ports"]] == [7050, 7053]
    assert orderer["metadata"]["annotations"]["external-dns.alpha.kubernetes.io/hostname"] == (
        "orderer-org-orderer2.us-west-2.fabric.global,orderer-org-orderer2-admin.us-west-2.fabric.global"
    )
    assert not [m for m in manifests if m.obj["kind"] in {"Gateway", "VirtualService"}]


def test_analyze_prints_the_endpoint_table() -> None:
    out = CliRunner().invoke(cli, ["analyze", str(GLOBAL)]).output
    assert "endpoints (who dials what)" in out
    assert re.search(
        r"org2-peer0\s+orderer-org-orderer0\s+deliver supply-chain\s+"
        r"orderer-org-orderer0\.us-east-1\.fabric\.global:443",
        out,
    )
    assert "orderer-org-orderer0.us-east-1.fabric.global:443" in out


@pytest.mark.parametrize("fmt", ["svg", "dot", "mermaid"])
def test_graph_names_every_cluster_and_node(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"g.{fmt}"
    result = CliRunner().invoke(cli, ["graph", str(GLOBAL), "-o", str(out), "--format", fmt])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    check = check_file(GLOBAL)
    assert check.analysis is not None
    network = check.analysis.network
    if fmt == "svg":
        tree = ET.fromstring(text)
        ids = {e.get("id") for e in tree.iter() if e.get("id")}
        assert {f"cluster-{c.name}" for c in network.clusters} <= ids
        assert {f"node-{n.workload}" for n in network.nodes} <= ids
        assert "channel-supply-chain" in ids
        assert len([e for e in tree.iter() if e.get("class") == "raft"]) == 5
    for cluster in network.clusters:
        assert cluster.name in text
    assert "survives losing any 1 cluster" in text


def test_committed_picture_is_current() -> None:
    out = CliRunner().invoke(cli, ["graph", str(GLOBAL)]).output
    assert out == (ROOT / "docs" / "global.svg").read_text()


def test_gateway_api_ingress_renders_one_gateway_per_cluster_and_a_route_per_endpoint(
    tmp_path: Path,
) -> None:
    ingress = "{kind: gatewayApi, gatewayClass: eg, proxyNamespace: envoy-gateway-system}"
    result = check_file(_global_with_ingress(tmp_path, ingress))
    assert result.ok and result.analysis is not None
    network = result.analysis.network
    manifests = render_network(network)
    api = [m for m in manifests if m.obj["apiVersion"] == "gateway.networking.k8s.io/v1"]
    gateways = {m.cluster: m.obj for m in api if m.obj["kind"] == "Gateway"}
    assert sorted(gateways) == sorted(c.name for c in network.clusters)
    for cluster, gateway in gateways.items():
        assert gateway["metadata"]["namespace"] == "global-fabric-network-gateway"
        (listener,) = gateway["spec"]["listeners"]
        assert listener["tls"] == {"mode": "Passthrough"} and listener["port"] == 443
        assert listener["hostname"] == f"*.{cluster}.fabric.global"
    # the Gateway's namespace is rendered (and kept) in each cluster
    namespaces = {
        (m.cluster, m.obj["metadata"]["name"]) for m in manifests if m.obj["kind"] == "Namespace"
    }
    assert {(c, "global-fabric-network-gateway") for c in gateways} <= namespaces
    routes = [m for m in api if m.obj["kind"] == "TLSRoute"]
    # orderers (main + admin), peers, CAs, and the channel's proposer, as with Istio
    assert len(routes) == 5 * 2 + 6 + 4 + 1
    for m in routes:
        spec = m.obj["spec"]
        (parent,) = spec["parentRefs"]
        assert (parent["namespace"], parent["name"]) == ("global-fabric-network-gateway", "fabric")
        (host,) = spec["hostnames"]
        assert host.endswith(f".{m.cluster}.fabric.global")
        (rule,) = spec["rules"]
        (backend,) = rule["backendRefs"]
        # the Service beside the route, on the port the endpoint table gives that host
        assert backend["port"] == (
            7060
            if host.startswith("supply-chain-updates.")
            else 7053
            if host.split(".")[0].endswith("-admin")
            else {"orderer": 7050, "peer": 7051, "ca": 7054}[_kind_of(host)]
        )
    # traffic from other clusters enters from the proxies' namespace, on the gateway's port
    policies = [m.obj for m in manifests if m.obj["kind"] == "NetworkPolicy"]
    assert any(
        {"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "envoy-gateway-system"}}} in rule.get("from", [])
        for p in policies
        for rule in p["spec"].get("ingress", [])
    )  # fmt: skip
    assert not [m for m in manifests if "istio" in m.obj["apiVersion"]]
    # and every endpoint of another cluster is dialled on the gateway's port
    assert {d.port for d in dial_table(network) if d.host.endswith(".fabric.global")} == {443}


def test_gateway_api_needs_a_gateway_class(tmp_path: Path) -> None:
    variant = _global_with_ingress(tmp_path, "{kind: gatewayApi}")
    found = {(d.code, ".".join(map(str, d.path))) for d in check_file(variant).diagnostics}
    assert found == {("T004", f"spec.clusters.{i}.ingress.gatewayClass") for i in range(3)}
