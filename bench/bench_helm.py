"""Benchmark: `hlfc render` side by side with `helm template` of Bevel Operator Fabric's charts.

For one network, (a) `hlfc render` through the real CLI into a fresh directory, wall time with
the interpreter's start; (b) what that operator renders for the same nodes: `helm template` of
`hlf-ca` once per organisation CA, `hlf-peer` once per peer and `hlf-ordnode` once per
orderer, with the values the operator would pass for that node (names, MSP ID, hosts, storage,
resources, Fabric 2.5.16 / fabric-ca images; certificates are dummy PEM text, since helm only
templates), one helm process per node, on a pool of parallel workers. Values files are written
before the clock starts; each helm output is written to a file inside the timed part. Every
run of either tool writes into a directory of its own, and nothing is removed until every
bench is done (scratch.py: what deleting files just before a run costs on this VM's disk).
hlfc's figure is a median of three runs; helm's of three, or of one at ~1,000 nodes.

The sizes: blueprints/global.yaml, and two networks from bench_render.large_blueprint (about 100
and about 1,000 nodes). A node here is a CA, a peer or an orderer: one helm release each. The
helm side covers only the per-node charts; hlfc's output also holds what the operator makes
otherwise (channel and enrolment Jobs, Argo CD applications, network policies, and monitoring
and backup where the blueprint asks), so its file and byte counts are of a larger whole.

Prints figures; asserts nothing about time. Exits non-zero only if a tool or a chart is
missing or a render fails. Run: `make bench` (builds helm and unpacks the charts first), or
`.venv/bin/python bench/bench_helm.py --helm .tools/bin/helm --charts DIR/charts`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from bench_render import large_blueprint
from scratch import scratch

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HELM = ROOT / ".tools" / "bin" / "helm"
DEFAULT_CHARTS = ROOT / ".tools" / "bevel-charts-50cf5ef" / "charts"
CHARTS = ("hlf-ca", "hlf-peer", "hlf-ordnode")

# hlfc's defaults where a blueprint says nothing (schemas/blueprint.schema.json)
FABRIC_VERSION = "2.5.16"
CA_VERSION = "1.5.21"
IMAGES = {
    "peer": "hyperledger/fabric-peer",
    "orderer": "hyperledger/fabric-orderer",
    "ca": "hyperledger/fabric-ca",
    "couchdb": "couchdb:3.4.3",
}
CA_STORAGE = "5Gi"
CA_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"cpu": "500m", "memory": "512Mi"},
}
ORDERER_DEFAULTS: dict[str, Any] = {
    "storage": {"size": "50Gi"},
    "resources": {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    },
}
PEER_DEFAULTS: dict[str, Any] = {
    "stateDb": "leveldb",
    "storage": {
        "ledger": {"size": "20Gi"},
        "stateDb": {"size": "10Gi"},
        "chaincode": {"size": "5Gi"},
    },
    "resources": {
        "peer": {
            "requests": {"cpu": "250m", "memory": "512Mi"},
            "limits": {"cpu": "1", "memory": "1Gi"},
        },
        "couchdb": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"cpu": "500m", "memory": "1Gi"},
        },
    },
}


def _pem(kind: str, lines: int) -> str:
    """Dummy PEM text of a real one's size: helm only base64-encodes and templates it."""
    body = base64.b64encode(bytes(range(256)) * 4).decode()
    rows = [body[i * 64 : (i + 1) * 64] for i in range(lines)]
    return "\n".join([f"-----BEGIN {kind}-----", *rows, f"-----END {kind}-----", ""])


CERT = _pem("CERTIFICATE", 13)  # about an ECDSA P-256 certificate with SANs
KEY = _pem("PRIVATE KEY", 3)


@dataclass(frozen=True)
class Release:
    """One `helm template` run: the chart the operator uses for one node, and its values."""

    chart: str
    name: str
    namespace: str
    values: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class Size:
    short: str
    label: str
    blueprint: Path
    runs: int


# hlfc's side takes seconds at most: a median of three, even where helm's takes one run
HLFC_RUNS = 3


@dataclass
class Output:
    files: int = 0
    bytes: int = 0
    objects: int = 0  # lines `kind: ...` at column 0 of the YAML written


# --- the values the operator passes per node --------------------------------------------------


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge(old, value)
        else:
            merged[key] = value
    return merged


def _image(ref: str, tag: str) -> dict[str, str]:
    repo, _, pinned = ref.partition(":")
    return {"repository": repo, "tag": pinned or tag, "pullPolicy": "IfNotPresent"}


def _volume(size: str, storage_class: str | None) -> dict[str, Any]:
    return {
        "enabled": True,
        "annotations": {},
        "storageClass": storage_class or "",
        "accessMode": "ReadWriteOnce",
        "size": size,
    }


@dataclass(frozen=True)
class _Cluster:
    domain: str
    storage_class: str | None
    ingress: str
    gateway: str

    def hosts(self, name: str) -> list[str]:
        return [f"{name}.{self.domain}"]

    @property
    def istio(self) -> bool:
        return self.ingress == "istio"

    @property
    def service_type(self) -> str:
        return "LoadBalancer" if self.ingress == "loadBalancer" else "ClusterIP"


def _ingress_values(cluster: _Cluster, hosts: list[str]) -> dict[str, Any]:
    return {
        "istio": {
            "port": 443,
            "hosts": hosts if cluster.istio else [],
            "ingressGateway": cluster.gateway,
        },
        "traefik": {"entryPoints": [], "middlewares": [], "hosts": []},
    }


def _service_monitor(enabled: bool) -> dict[str, Any]:
    return {
        "enabled": enabled,
        "labels": {},
        "interval": "10s",
        "scrapeTimeout": "10s",
        "scheme": "http",
        "relabelings": [],
        "targetLabels": [],
        "metricRelabelings": [],
        "sampleLimit": 0,
    }


def _ca_conf(name: str, org: str, hosts: list[str]) -> dict[str, Any]:
    """The operator's FabricCAChartItemConf, with its defaults."""
    return {
        "name": name,
        "cfg": {"identities": {"allowRemove": True}, "affiliations": {"allowRemove": True}},
        "csr": {
            "cn": name,
            "hosts": hosts,
            "names": [{"C": "US", "ST": "North Carolina", "O": org, "L": "Durham", "OU": ""}],
            "ca": {"expiry": "131400h", "pathlength": 0},
        },
        "crl": {"expiry": "24h"},
        "registry": {
            "maxenrollments": -1,
            "identities": [
                {
                    "name": "enroll",
                    "pass": "enrollpw",
                    "type": "client",
                    "affiliation": "",
                    "attrs": {
                        "hf.Registrar.Roles": "*",
                        "hf.Registrar.DelegateRoles": "*",
                        "hf.Registrar.Attributes": "*",
                        "hf.Revoker": True,
                        "hf.IntermediateCA": True,
                        "hf.GenCRL": True,
                        "hf.AffiliationMgr": True,
                    },
                }
            ],
        },
        "signing": {
            "default": {"expiry": "8760h", "usage": ["digital signature"]},
            "profiles": {
                "ca": {
                    "usage": ["cert sign", "crl sign"],
                    "expiry": "43800h",
                    "caconstraint": {"isCA": True, "maxPathLen": 0},
                },
                "tls": {
                    "usage": [
                        "signing",
                        "key encipherment",
                        "server auth",
                        "client auth",
                        "key agreement",
                    ],
                    "expiry": "8760h",
                },
            },
        },
        "intermediate": {"parentServer": {"url": "", "caName": ""}},
        "bccsp": {"default": "SW", "sw": {"hash": "SHA2", "security": "256"}},
        "affiliations": [{"name": org, "departments": []}],
    }


@dataclass(frozen=True)
class _Fabric:
    """What every node of the network shares: versions, images, monitoring."""

    version: str
    ca_version: str
    images: Mapping[str, str]
    monitoring: bool


def releases(blueprint: Mapping[str, Any]) -> list[Release]:
    """The helm releases the operator would render for the blueprint's CAs, peers, orderers."""
    spec = blueprint["spec"]
    fabric = spec.get("fabric") or {}
    net = _Fabric(
        version=str(fabric.get("version", FABRIC_VERSION)),
        ca_version=str(fabric.get("caVersion", CA_VERSION)),
        images={**IMAGES, **(fabric.get("images") or {})},
        monitoring=bool((spec.get("monitoring") or {}).get("prometheusOperator", False)),
    )
    clusters: dict[str, _Cluster] = {}
    for c in spec["clusters"]:
        ingress = c.get("ingress") or {}
        clusters[c["name"]] = _Cluster(
            domain=c.get("externalDomain") or f"{c['name']}.example.com",
            storage_class=c.get("storageClass"),
            ingress=ingress.get("kind", "none"),
            gateway=str(ingress.get("gateway") or "ingressgateway").rpartition("/")[2],
        )
    out: list[Release] = []
    for org in spec["organizations"]:
        ca = org.get("ca")
        if ca is not None:
            out.append(_ca_release(net, org, ca, clusters[ca["cluster"]]))
        peer_defaults = _merge(PEER_DEFAULTS, org.get("peerDefaults") or {})
        for p in org.get("peers") or []:
            peer = _merge(peer_defaults, p)
            out.append(_peer_release(net, org, peer, clusters[peer["cluster"]]))
        orderer_defaults = _merge(ORDERER_DEFAULTS, org.get("ordererDefaults") or {})
        for o in org.get("orderers") or []:
            orderer = _merge(orderer_defaults, o)
            out.append(_orderer_release(net, org, orderer, clusters[orderer["cluster"]]))
    return out


def _ca_release(
    net: _Fabric, org: Mapping[str, Any], ca: Mapping[str, Any], cluster: _Cluster
) -> Release:
    full = f"{org['name']}-{ca.get('name', 'ca')}"
    hosts = [full, f"{full}.{org['name']}", *cluster.hosts(full), *(ca.get("hosts") or [])]
    storage = ca.get("storage") or {}
    values: dict[str, Any] = {
        **_ingress_values(cluster, cluster.hosts(full)),
        "gatewayApi": {"port": 443, "hosts": [], "gatewayName": "", "gatewayNamespace": ""},
        "fullnameOverride": full,
        "image": _image(net.images["ca"], net.ca_version),
        "service": {"type": cluster.service_type, "port": 7054},
        "persistence": _volume(
            storage.get("size", CA_STORAGE), storage.get("storageClass") or cluster.storage_class
        ),
        "msp": {
            "keyfile": KEY,
            "certfile": CERT,
            "chainfile": "",
            "tlsCAKeyFile": KEY,
            "tlsCACertFile": CERT,
            "tlsCAChainfile": "",
            "tlsKeyFile": KEY,
            "tlsCertFile": CERT,
        },
        "db": {"type": "sqlite3", "datasource": "fabric-ca-server.db"},
        "resources": ca.get("resources", CA_RESOURCES),
        "tolerations": [],
        "metrics": {
            "provider": "prometheus",
            "statsd": {
                "network": "udp",
                "address": "127.0.0.1:8125",
                "writeInterval": "10s",
                "prefix": "server",
            },
        },
        "debug": False,
        "clrSizeLimit": 512000,
        "ca": _ca_conf(str(ca.get("name", "ca")), org["name"], hosts),
        "tlsCA": _ca_conf(str(ca.get("tlsName", "tlsca")), org["name"], hosts),
        "cors": {"enabled": False, "origins": []},
        "serviceMonitor": _service_monitor(net.monitoring),
        "envVars": [],
        "imagePullSecrets": [],
    }
    return Release("hlf-ca", full, org["name"], values)


def _peer_release(
    net: _Fabric, org_spec: Mapping[str, Any], peer: Mapping[str, Any], cluster: _Cluster
) -> Release:
    org, msp = str(org_spec["name"]), str(org_spec["mspID"])
    full = f"{org}-{peer['name']}"
    external = cluster.hosts(full)
    storage, resources = peer["storage"], peer["resources"]
    couchdb = peer.get("stateDb") == "couchdb"
    sc = cluster.storage_class
    gossip = peer.get("gossip") or {}
    values: dict[str, Any] = {
        **_ingress_values(cluster, external),
        "gatewayApi": {"port": 443, "hosts": [], "gatewayName": "", "gatewayNamespace": ""},
        "replicas": 1,
        "externalChaincodeBuilder": True,
        "couchdbUsername": "couchdb",
        "couchdbPassword": "couchdb-password",
        "image": _image(net.images["peer"], net.version),
        "couchdb": {
            "external": {"enabled": False, "host": "", "port": 0},
            **_image(net.images["couchdb"], "3.4.3"),
        },
        "rbac": {"ns": org},
        "dockerSocketPath": "",
        "peer": {
            "databaseType": "CouchDB" if couchdb else "goleveldb",
            "couchdbInstance": "",
            "mspID": msp,
            "gossip": {
                "bootstrap": "",
                "endpoint": f"{full}:7051",
                "externalEndpoint": f"{external[0]}:443",
                "orgLeader": bool(gossip.get("orgLeader", False)),
                "useLeaderElection": bool(gossip.get("useLeaderElection", True)),
            },
            "tls": {"server": {"enabled": True}, "client": {"enabled": False}},
        },
        "cert": CERT,
        "key": KEY,
        "hosts": [full, f"{full}.{org}", *external],
        "tls": {"cert": CERT, "key": KEY},
        "opsTLS": {"cert": CERT, "key": KEY},
        "cacert": CERT,
        "tlsrootcert": CERT,
        "resources": {
            "peer": resources["peer"],
            "couchdb": resources["couchdb"],
            "chaincode": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "500m", "memory": "512Mi"},
            },
        },
        "tolerations": [],
        "imagePullSecrets": [],
        "externalHost": f"{external[0]}:443",
        "fullnameOverride": full,
        "hostAliases": [],
        "service": {
            "type": cluster.service_type,
            "portRequest": 7051,
            "portEvent": 7053,
            "portOperations": 9443,
        },
        "persistence": {
            "peer": _volume(storage["ledger"]["size"], storage["ledger"].get("storageClass") or sc),
            "couchdb": _volume(
                storage["stateDb"]["size"], storage["stateDb"].get("storageClass") or sc
            ),
            "chaincode": _volume(
                storage["chaincode"]["size"], storage["chaincode"].get("storageClass") or sc
            ),
        },
        "logging": {
            "level": "info",
            "peer": "info",
            "cauthdsl": "warning",
            "gossip": "info",
            "grpc": "error",
            "ledger": "info",
            "msp": "info",
            "policies": "warning",
        },
        "externalBuilders": [
            {
                "name": "ccaas_builder",
                "path": "/opt/hyperledger/ccaas_builder",
                "propagateEnvironment": ["CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"],
            }
        ],
        "serviceMonitor": _service_monitor(net.monitoring),
        "envVars": [],
    }
    return Release("hlf-peer", full, org, values)


def _orderer_release(
    net: _Fabric, org_spec: Mapping[str, Any], orderer: Mapping[str, Any], cluster: _Cluster
) -> Release:
    org, msp = str(org_spec["name"]), str(org_spec["mspID"])
    full = f"{org}-{orderer['name']}"
    external, admin = cluster.hosts(full), cluster.hosts(f"{full}-admin")
    storage = orderer["storage"]
    values: dict[str, Any] = {
        **_ingress_values(cluster, external),
        "adminIstio": {
            "port": 443,
            "hosts": admin if cluster.istio else [],
            "ingressGateway": cluster.gateway,
        },
        "adminTraefik": {"entryPoints": [], "middlewares": [], "hosts": []},
        "replicas": 1,
        "genesis": "",
        "channelParticipationEnabled": True,
        "bootstrapMethod": "none",
        "admin": {"cert": CERT, "key": KEY, "rootCAs": CERT, "clientRootCAs": CERT},
        "cacert": CERT,
        "tlsrootcert": CERT,
        "adminCert": CERT,
        "cert": CERT,
        "key": KEY,
        "tls": {"cert": CERT, "key": KEY},
        "fullnameOverride": full,
        "hostAliases": [],
        "service": {"type": cluster.service_type, "port": 7050, "portOperations": 9443},
        "image": _image(net.images["orderer"], net.version),
        "persistence": _volume(
            storage["size"], storage.get("storageClass") or cluster.storage_class
        ),
        "ord": {
            "type": "etcdraft",
            "mspID": msp,
            "tls": {"server": {"enabled": True}, "client": {"enabled": False}},
        },
        "clientcerts": {},
        "hosts": [full, f"{full}.{org}", *external, *admin],
        "logging": {"spec": "INFO"},
        "resources": orderer["resources"],
        "serviceMonitor": _service_monitor(net.monitoring),
    }
    return Release("hlf-ordnode", full, org, values)


# --- running and measuring ----------------------------------------------------------------------


class RenderFailed(Exception):
    pass


def _tree(root: Path) -> Iterator[Path]:
    return (p for p in root.rglob("*") if p.is_file())


def measure(root: Path) -> Output:
    out = Output()
    for path in _tree(root):
        data = path.read_bytes()
        out.files += 1
        out.bytes += len(data)
        if path.suffix in {".yaml", ".yml"}:
            out.objects += sum(1 for line in data.splitlines() if line.startswith(b"kind:"))
    return out


def hlfc_render(hlfc: Path, blueprint: Path, out: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [str(hlfc), "render", str(blueprint), "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RenderFailed(f"hlfc render {blueprint} failed:\n{done.stdout}{done.stderr}")
    return elapsed


@dataclass(frozen=True)
class Tools:
    hlfc: Path
    helm: Path
    charts: Path
    workers: int
    env: Mapping[str, str]  # helm's environment


def helm_render(
    tools: Tools, jobs: list[tuple[Release, Path]], out: Path
) -> tuple[float, dict[str, list[float]]]:
    """Every release through its own `helm template` process; wall time, and per process."""
    out.mkdir(parents=True)

    def one(job: tuple[Release, Path]) -> tuple[str, float]:
        release, values = job
        start = time.perf_counter()
        done = subprocess.run(
            [
                str(tools.helm),
                "template",
                release.name,
                str(tools.charts / release.chart),
                "--namespace",
                release.namespace,
                "-f",
                str(values),
            ],
            capture_output=True,
            check=False,
            env=tools.env,
        )
        if done.returncode != 0:
            raise RenderFailed(
                f"helm template {release.chart} for {release.namespace}/{release.name} "
                f"failed:\n{done.stderr.decode(errors='replace')}"
            )
        (out / f"{release.namespace}--{release.name}.yaml").write_bytes(done.stdout)
        return release.chart, time.perf_counter() - start

    per_chart: dict[str, list[float]] = {c: [] for c in CHARTS}
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=tools.workers) as pool:
        for chart, seconds in pool.map(one, jobs):
            per_chart[chart].append(seconds)
    return time.perf_counter() - start, per_chart


def helm_startup(helm: Path, env: Mapping[str, str], runs: int = 9) -> float:
    """A helm process that renders nothing (`helm version`): its start and exit alone."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(helm), "version", "--short"], capture_output=True, check=True, env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


@dataclass
class Row:
    label: str
    nodes: int
    hlfc_s: float
    helm_s: float
    hlfc_out: Output
    helm_out: Output


def run_size(size: Size, tools: Tools, tmp: Path) -> Row:
    blueprint = yaml.safe_load(size.blueprint.read_text())
    rels = releases(blueprint)
    counts = {c: sum(1 for r in rels if r.chart == c) for c in CHARTS}
    print(
        f"\n== {size.label}: {len(rels):,} nodes ({counts['hlf-ca']:,} CAs, "
        f"{counts['hlf-peer']:,} peers, {counts['hlf-ordnode']:,} orderers), "
        f"medians of {max(HLFC_RUNS, size.runs)} hlfc and {size.runs} helm run(s)"
    )
    # a name of plain letters and digits: helm splits `-f` on commas ("~1,000 nodes")
    slug = "".join(c for c in size.short if c.isalnum())
    values_dir = tmp / f"values-{slug}"
    values_dir.mkdir()
    jobs = []
    for r in rels:
        path = values_dir / f"{r.namespace}--{r.name}.json"
        path.write_text(json.dumps(r.values))  # JSON is YAML: helm reads it with -f
        jobs.append((r, path))

    hlfc_times, helm_times = [], []
    per_chart: dict[str, list[float]] = {c: [] for c in CHARTS}
    hlfc_out = helm_out = Output()
    for i in range(max(HLFC_RUNS, size.runs)):
        target = tmp / f"hlfc-{slug}-{i}"
        hlfc_times.append(hlfc_render(tools.hlfc, size.blueprint, target))
        hlfc_out = measure(target)
        if i >= size.runs:
            continue
        target = tmp / f"helm-{slug}-{i}"
        seconds, by_chart = helm_render(tools, jobs, target)
        helm_times.append(seconds)
        for chart, samples in by_chart.items():
            per_chart[chart] += samples
        helm_out = measure(target)
    hlfc_s, helm_s = statistics.median(hlfc_times), statistics.median(helm_times)
    print(
        f"  hlfc render (1 process)                   {hlfc_s:8.2f} s   "
        f"{hlfc_out.files:>6,} files  {_mb(hlfc_out.bytes):>10}  {hlfc_out.objects:>7,} objects"
    )
    print(
        f"  helm template ({len(rels):,} processes, {tools.workers} workers) {helm_s:8.2f} s   "
        f"{helm_out.files:>6,} files  {_mb(helm_out.bytes):>10}  {helm_out.objects:>7,} objects"
    )
    parts = ", ".join(
        f"{c} {statistics.median(s) * 1000:.0f} ms" for c, s in per_chart.items() if s
    )
    print(f"  helm per process (median wall): {parts}")
    print(f"  ratio helm/hlfc: {helm_s / hlfc_s:.2f}x")
    return Row(size.short, len(rels), hlfc_s, helm_s, hlfc_out, helm_out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--helm", type=Path, default=DEFAULT_HELM, help="helm v3 binary")
    parser.add_argument("--charts", type=Path, default=DEFAULT_CHARTS, help="folder with hlf-*")
    parser.add_argument("--workers", type=int, default=2, help="parallel helm processes")
    parser.add_argument(
        "--sizes", default="example,100,1000", help="comma-separated: example, 100, 1000"
    )
    args = parser.parse_args()

    hlfc = Path(sys.executable).parent / "hlfc"
    helm: Path = args.helm.resolve()
    charts: Path = args.charts.resolve()
    missing = [str(p) for p in (hlfc, helm) if not os.access(p, os.X_OK)]
    missing += [str(charts / c) for c in CHARTS if not (charts / c / "Chart.yaml").is_file()]
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)} (run `make helm`)")
    wanted = set(args.sizes.split(","))

    with scratch("bench-helm-") as tmp:
        # helm writes nothing outside the run: its config, cache and data go to the temp dir
        env = {
            **os.environ,
            **{f"HELM_{k}_HOME": str(tmp / k.lower()) for k in ("CACHE", "CONFIG", "DATA")},
        }
        tools = Tools(hlfc, helm, charts, args.workers, env)
        version = subprocess.run(
            [str(helm), "version", "--short"], capture_output=True, text=True, check=True, env=env
        ).stdout.strip()
        sizes = []
        if "example" in wanted:
            example = ROOT / "blueprints" / "global.yaml"
            sizes.append(Size("global.yaml", "example blueprints/global.yaml", example, 3))
        for key, label, shape, runs in (
            ("100", "~100 nodes", {"clusters": 5, "orgs": 10, "peers": 9, "orderers": 5}, 3),
            ("1000", "~1,000 nodes", {"clusters": 20, "orgs": 50, "peers": 20, "orderers": 7}, 1),
        ):
            if key in wanted:
                path = tmp / f"large-{key}.yaml"
                path.write_text(large_blueprint(**shape))
                shape_text = ", ".join(f"{k}={v}" for k, v in shape.items())
                sizes.append(Size(label, f"{label} (large_blueprint {shape_text})", path, runs))

        print(f"hlfc render vs helm {version} `helm template` of Bevel Operator Fabric's charts")
        print(f"  charts: {charts}")
        print(
            f"  helm: one process per node on {args.workers} parallel workers "
            f"(machine: {os.cpu_count()} cores); hlfc: one process, its own CLI, fresh output dir"
        )
        print(
            "  wall times; helm's side is only the per-node charts, while hlfc's output also "
            "holds\n  channel and enrolment Jobs, Argo CD, network policies, and monitoring and "
            "backup where asked"
        )
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"  load average before the runs: {load} (other work on the machine skews times)")
        print(
            f"  helm process start alone (`helm version`): {helm_startup(helm, env) * 1000:.0f} ms"
        )
        rows = []
        try:
            for size in sizes:
                rows.append(run_size(size, tools, tmp))
        except RenderFailed as error:
            raise SystemExit(str(error)) from None

    print("\nsummary")
    print(
        f"  {'size':<16}{'nodes':>7}{'hlfc s':>9}{'helm s':>9}{'helm/hlfc':>11}"
        f"{'hlfc files':>12}{'hlfc MB':>9}{'helm files':>12}{'helm MB':>9}"
    )
    for row in rows:
        print(
            f"  {row.label:<16}{row.nodes:>7,}{row.hlfc_s:>9.2f}"
            f"{row.helm_s:>9.2f}{row.helm_s / row.hlfc_s:>10.2f}x"
            f"{row.hlfc_out.files:>12,}{row.hlfc_out.bytes / 1e6:>9.2f}"
            f"{row.helm_out.files:>12,}{row.helm_out.bytes / 1e6:>9.2f}"
        )


if __name__ == "__main__":
    main()
