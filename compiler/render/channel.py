"""Channel Jobs (ARCHITECTURE.md decision 6): per channel, organisation, role and cluster, an
Argo CD Sync hook in the channel wave that creates or joins the channel with that
organisation's own admin, in that organisation's own namespace and cluster.

Each Job pod has two steps:
- `trust` (the enroller image, `hlfc trust`): fetches every organisation's roots from its
  CA and every consenter's TLS certificate from a TLS handshake, each verified against its
  issuer, into an emptyDir. Nothing crosses clusters as a Secret.
- `channel` (the Fabric tools image): the script in the namespace's scripts ConfigMap, which
  makes the genesis block (the creator only, once), or fetches block 0 from a joined
  orderer and checks it against the rendered configtx.yaml, then joins, then (peers) sets
  the organisation's anchor peers. Idempotent: what is already done is reported and kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from typing import Any

from compiler.analysis.channels import (
    Party,
    all_parties,
    exchange_of,
    member_orgs,
    orderer_orgs,
    proposer,
)
from compiler.analysis.endpoints import (
    CA_PORT,
    EXCHANGE_PORT,
    ORDERER_ADMIN_PORT,
    ORDERER_PORT,
    PEER_PORT,
    address,
    endpoint,
)
from compiler.analysis.network import ChannelInfo, Network, Node, Org
from compiler.render import configtx, identity, jsontext, pod, waves
from compiler.render.manifest import Manifest, common_labels

COMPONENT = "channel"
SERVICE_ACCOUNT = "hlfc-channel"
SCRIPTS = "hlfc-channel-scripts"
SCRIPT_FILES = ("lib.sh", "orderer-join.sh", "peer-join.sh", "chaincode.sh")
CONFIG_DIR = "/etc/hlfc/channel"
SCRIPTS_DIR = "/etc/hlfc/scripts"
ADMIN_DIR = "/var/hyperledger/admin"
# The script gives up before Kubernetes kills the pod, so that its last words are logged.
ACTIVE_DEADLINE = 900
SCRIPT_DEADLINE = 780


def script(name: str) -> str:
    return (resources.files("compiler") / "templates" / "channel" / name).read_text("utf-8")


def _labels(network: Network, party: Party | None = None) -> dict[str, str]:
    labels = common_labels(network.name, COMPONENT)
    if party is not None:
        labels |= {"hlfc.dev/organization": party.org.name, "hlfc.dev/channel": party.channel.name}
    return labels


def _meta(
    network: Network, name: str, namespace: str, party: Party | None = None, **extra: str
) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": _labels(network, party),
        "annotations": waves.annotation(waves.CHANNEL_JOBS) | extra,
    }


def consenters_from(
    network: Network, source: Node | None, channel: ChannelInfo
) -> list[dict[str, Any]]:
    """Each consenter of `channel` as a pod beside `source` reaches it (in-cluster name in
    its own cluster, advertised address elsewhere)."""
    out = []
    for c in channel.consenters:
        host, port = address(network, source, c)
        out.append({"name": c.workload, "org": c.org, "host": host, "port": port})
    return out


def _consenters(network: Network, party: Party) -> list[dict[str, Any]]:
    return consenters_from(network, party.nodes[0], party.channel)


def _orgs(network: Network, party: Party) -> list[Org]:
    seen: dict[str, Org] = {}
    for org in (*orderer_orgs(network, party.channel), *member_orgs(network, party.channel)):
        seen.setdefault(org.name, org)
    return list(seen.values())


def trust_for(
    network: Network, source: Node | None, orgs: list[Org], channel: ChannelInfo | None
) -> dict[str, Any]:
    """What the trust sidecar fetches: the roots of `orgs`, and the TLS certificates of the
    channel's consenters (if a channel is given), all as reached from beside `source`."""
    entries = []
    for org in orgs:
        host, port = address(network, source, org.ca)
        entry: dict[str, Any] = {
            "name": org.name,
            "mspID": org.msp_id,
            "caURL": f"https://{host}:{port}",
            "caName": org.ca.spec.name,
            "tlsCAName": org.ca.spec.tls_name,
        }
        if org.ca.spec.import_root is not None:
            entry["caRootPEM"] = org.ca.spec.import_root.cert
        entries.append(entry)
    return {
        "organizations": entries,
        "consenters": consenters_from(network, source, channel) if channel else [],
        "deadlineSeconds": SCRIPT_DEADLINE,
    }


def exchange_config(network: Network, party: Party) -> dict[str, Any]:
    """What the sidecar does with a config update's signatures (compiler/enroll/exchange.py)."""
    data: dict[str, Any] = {
        "role": "proposer" if party.creator else "signer",
        "mspID": party.org.msp_id,
        "parties": [{"mspID": o.msp_id, "org": o.name} for o in _orgs(network, party)],
        "port": EXCHANGE_PORT,
    }
    if party.creator:
        data |= {"tlsCert": f"{ADMIN_DIR}/tls/tls.crt", "tlsKey": f"{ADMIN_DIR}/tls/tls.key"}
    else:
        prop, ep = proposer(network, party.channel), exchange_of(network, party.channel)
        assert prop is not None and ep is not None  # a channel with parties has a creator
        host, port = ep.address(party.cluster)
        data |= {"proposerURL": f"https://{host}:{port}", "proposerOrg": prop.org.name}
    return data


def trust_config(network: Network, party: Party) -> dict[str, Any]:
    data = trust_for(network, party.nodes[0], _orgs(network, party), party.channel)
    return data | {"exchange": exchange_config(network, party)}


def _creator(network: Network, party: Party) -> str:
    first = party.channel.consenters[0]
    return f"{first.org} in cluster {first.cluster}"


def job_config(network: Network, party: Party) -> dict[str, Any]:
    data: dict[str, Any] = {
        "channel": party.channel.name,
        "organization": party.org.name,
        "mspID": party.org.msp_id,
        "role": party.role,
        "creator": party.creator,
        "creatorParty": _creator(network, party),
        "deadlineSeconds": SCRIPT_DEADLINE,
        "consenters": _consenters(network, party),
        # as configtx.yaml names them: a config update takes an unreachable one's certificate
        # from the live configuration
        "configConsenters": configtx.consenters(network, party.channel),
        "proposer": party.creator,
        "ordererMSPs": sorted(o.msp_id for o in orderer_orgs(network, party.channel)),
        "memberMSPs": sorted(o.msp_id for o in member_orgs(network, party.channel)),
    }
    if party.role == "orderer":
        data["nodes"] = [
            {
                "name": n.workload,
                "admin": f"{n.workload}.{n.namespace}:{ORDERER_ADMIN_PORT}",
                "consenter": endpoint(network, n).advertised,  # as the configuration names it
            }
            for n in party.nodes
        ]
        # this organisation's orderers here that are not consenters of the channel: one
        # dropped from `consenters` leaves the channel once the configuration no longer
        # lists it (osnadmin channel remove), its node and ledger stay
        data["retired"] = [
            {
                "name": n.workload,
                "admin": f"{n.workload}.{n.namespace}:{ORDERER_ADMIN_PORT}",
                "consenter": endpoint(network, n).advertised,
            }
            for n in party.org.orderers
            if n.cluster == party.cluster and n not in party.channel.consenters
        ]
    else:
        data["nodes"] = [
            {"name": n.workload, "address": f"{n.workload}.{n.namespace}:{PEER_PORT}"}
            for n in party.nodes
        ]
        data["anchorPeers"] = configtx.anchors(network, party.org)
    return data


PROPOSER_LABEL = "hlfc.dev/config-proposer"


def _job(network: Network, party: Party) -> dict[str, Any]:
    job = admin_job(
        network,
        name=party.job,
        org=party.org,
        labels=_labels(network, party),
        script=f"{party.role}-join.sh",
        wave=waves.CHANNEL_JOBS,
    )
    if party.creator:
        # the proposer's sidecar serves with the admin's TLS pair, to the exchange Service
        pod_spec = job["spec"]["template"]
        pod_spec["metadata"]["labels"] = {**pod_spec["metadata"]["labels"], PROPOSER_LABEL: "true"}
        sidecar = pod_spec["spec"]["initContainers"][0]
        sidecar["ports"] = [{"name": "exchange", "containerPort": EXCHANGE_PORT}]
        sidecar["volumeMounts"].append(
            {"name": "admin-tls", "mountPath": f"{ADMIN_DIR}/tls", "readOnly": True}
        )
    return job


def exchange_services(network: Network, prop: Party) -> Iterator[dict[str, Any]]:
    """The proposer's Service; a LoadBalancer with its external name when the cluster
    publishes by load balancers and a party sits in another cluster (a gateway, Istio or
    Gateway API, routes it by SNI instead: ingress.py)."""
    ep = exchange_of(network, prop.channel)
    assert ep is not None
    spec = network.cluster(prop.cluster)
    balanced = ep.external_host is not None and spec is not None
    balanced = balanced and spec is not None and spec.ingress.kind == "loadBalancer"
    meta = _meta(network, ep.service, ep.namespace, prop)
    spec_body: dict[str, Any] = {
        "type": "ClusterIP",
        "selector": _labels(network, prop) | {PROPOSER_LABEL: "true"},
        "ports": [
            {"name": "https", "port": EXCHANGE_PORT, "targetPort": "exchange", "protocol": "TCP"}
        ],
    }
    if balanced:
        meta["annotations"]["external-dns.alpha.kubernetes.io/hostname"] = ep.external_host
        spec_body |= {"type": "LoadBalancer", "externalTrafficPolicy": "Local"}
    yield {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec_body}


def admin_job(
    network: Network, *, name: str, org: Org, labels: dict[str, str], script: str, wave: int
) -> dict[str, Any]:
    """A Sync hook Job that acts with `org`'s admin: the trust sidecar, then `script` from
    the namespace's scripts ConfigMap with the Job's own ConfigMap (`name`) as parameters."""
    fabric = network.blueprint.spec.fabric
    admin = f"{org.name}-admin"
    work = {"name": "work", "mountPath": configtx.WORK_DIR}
    tmp = {"name": pod.TMP_VOLUME, "mountPath": "/tmp"}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": org.namespace,
            "labels": labels,
            "annotations": waves.annotation(wave) | waves.SYNC_HOOK | pod.JOB_NO_PROBES,
        },
        "spec": {
            "backoffLimit": 2,
            "activeDeadlineSeconds": ACTIVE_DEADLINE,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": SERVICE_ACCOUNT,
                    "automountServiceAccountToken": False,  # it never calls the API
                    "restartPolicy": "Never",
                    "securityContext": pod.pod_security(network),
                    # a native sidecar (Kubernetes 1.29+): the script starts at once and
                    # waits for the certificates only when it needs them (a join)
                    "initContainers": [
                        {
                            "name": "trust",
                            "restartPolicy": "Always",
                            "image": fabric.images.enroller,
                            "imagePullPolicy": "IfNotPresent",
                            "command": [
                                "hlfc",
                                "trust",
                                "--config",
                                f"{CONFIG_DIR}/trust.json",
                                "--out",
                                configtx.WORK_DIR,
                                "--stay",
                            ],
                            "resources": {
                                "requests": {"cpu": "50m", "memory": "64Mi"},
                                "limits": {"cpu": "250m", "memory": "128Mi"},
                            },
                            "securityContext": pod.container_security(),
                            "volumeMounts": [
                                {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                                work,
                                tmp,
                            ],
                        }
                    ],
                    "containers": [
                        {
                            "name": COMPONENT,
                            "image": pod.image(fabric.images.tools, fabric.version),
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["bash", f"{SCRIPTS_DIR}/{script}"],
                            "env": [{"name": "HOME", "value": "/tmp"}],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"cpu": "500m", "memory": "256Mi"},
                            },
                            "securityContext": pod.container_security(),
                            "volumeMounts": [
                                {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                                {"name": "scripts", "mountPath": SCRIPTS_DIR, "readOnly": True},
                                {
                                    "name": "admin-msp",
                                    "mountPath": f"{ADMIN_DIR}/msp",
                                    "readOnly": True,
                                },
                                {
                                    "name": "admin-tls",
                                    "mountPath": f"{ADMIN_DIR}/tls",
                                    "readOnly": True,
                                },
                                work,
                                tmp,
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "config", "configMap": {"name": name, "defaultMode": 0o444}},
                        {"name": "scripts", "configMap": {"name": SCRIPTS, "defaultMode": 0o444}},
                        *identity.secret_volumes(f"{admin}-msp", f"{admin}-tls", "admin-"),
                        {"name": "work", "emptyDir": {"sizeLimit": "64Mi"}},
                        pod.tmp_volume(),
                    ],
                },
            },
        },
    }


def party_objects(network: Network, party: Party) -> Iterator[dict[str, Any]]:
    namespace = party.org.namespace
    yield {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(network, party.job, namespace, party),
        "data": {
            "configtx.yaml": configtx.configtx_yaml(network, party.channel),
            "job.json": jsontext.dumps(job_config(network, party)) + "\n",
            "trust.json": jsontext.dumps(trust_config(network, party)) + "\n",
        },
    }
    yield _job(network, party)
    if party.creator:
        yield from exchange_services(network, party)


def namespace_objects(network: Network, namespace: str) -> Iterator[dict[str, Any]]:
    """The scripts of every admin Job (channel and chaincode lifecycle), and their
    ServiceAccount."""
    yield {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(network, SCRIPTS, namespace),
        "data": {name: script(name) for name in SCRIPT_FILES},
    }
    yield {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(network, SERVICE_ACCOUNT, namespace),
        "automountServiceAccountToken": False,  # channel Jobs hold no API rights at all
    }


def network_policy(network: Network, cluster: str, namespace: str) -> dict[str, Any]:
    """Channel Jobs reach CAs (cainfo), orderers (deliver, osnadmin), peers and config-update
    proposers of the network in this cluster, and other clusters' CAs, orderers and
    proposers through their gateways; only a proposer is reached, by the other parties."""
    part_of = {"app.kubernetes.io/part-of": network.name}
    here = [p for p in all_parties(network) if (p.cluster, p.org.namespace) == (cluster, namespace)]
    remote = {
        node.workload: node
        for p in here
        for node in (*p.channel.consenters, *(o.ca for o in _orgs(network, p)))
        if node.cluster != cluster
    }
    external = {
        port for n in remote.values() if (port := endpoint(network, n).external_port) is not None
    }
    exchanges = {p.channel.name: exchange_of(network, p.channel) for p in here}
    for ep in exchanges.values():
        if ep is not None and ep.cluster != cluster and ep.external_port is not None:
            external.add(ep.external_port)
    network_pods = {
        "namespaceSelector": {"matchLabels": part_of},
        "podSelector": {"matchLabels": part_of},
    }
    ports = (ORDERER_PORT, PEER_PORT, ORDERER_ADMIN_PORT, CA_PORT, EXCHANGE_PORT)
    egress: list[dict[str, Any]] = [
        {"to": [network_pods], "ports": [{"protocol": "TCP", "port": p} for p in ports]}
    ]
    # the proposer's sidecar takes signatures from the channel's other parties' Jobs
    proposing = [p for p in here if p.creator]
    ingress: list[dict[str, Any]] = []
    if proposing:
        sources: list[dict[str, Any]] = [network_pods]
        if any((ep := exchanges[p.channel.name]) and ep.external_host for p in proposing):
            sources.append({"ipBlock": {"cidr": "0.0.0.0/0"}})
        ingress.append({"from": sources, "ports": [{"protocol": "TCP", "port": EXCHANGE_PORT}]})
    if external:
        egress.append(
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                "ports": [{"protocol": "TCP", "port": p} for p in sorted(external)],
            }
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "allow-channel",
            "namespace": namespace,
            "labels": common_labels(network.name, "policy"),
            "annotations": waves.annotation(waves.POLICIES),
        },
        "spec": {
            "podSelector": {"matchLabels": part_of | {"app.kubernetes.io/component": COMPONENT}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }


def render(network: Network) -> Iterator[Manifest]:
    homes: set[tuple[str, str]] = set()
    for party in all_parties(network):
        homes.add((party.cluster, party.org.namespace))
        for obj in party_objects(network, party):
            yield Manifest(party.cluster, party.org.namespace, obj, f"channel-{party.job}")
    policies = network.blueprint.spec.security.network_policies
    for cluster, namespace in sorted(homes):
        for obj in namespace_objects(network, namespace):
            yield Manifest(cluster, namespace, obj)
        if policies:
            yield Manifest(cluster, namespace, network_policy(network, cluster, namespace))
