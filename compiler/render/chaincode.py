"""Chaincode as a service: the servers, and the lifecycle Jobs that define the chaincode.

Per running organisation and cluster, a chaincode server (Deployment, Service, TLS identity
enrolled like a node's, NetworkPolicy admitting only that organisation's peers), told its
package ID in its environment: the package is built here (compiler/render/ccaas.py), so
its ID is known before anything runs.

Per member organisation and cluster, a lifecycle Job (Argo CD Sync hook, after the channel
Jobs) acting with that organisation's admin: installs the package on its peers there (if it
runs the chaincode), approves the definition for its organisation, and, for the one
committing party, commits once the approvals satisfy the channel's lifecycle policy. Every
step first asks the peers what is already done.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from compiler.analysis import chaincodes as cc_analysis
from compiler.analysis.chaincodes import ChaincodeInfo, LifecycleParty
from compiler.analysis.channels import orderer_orgs
from compiler.analysis.endpoints import (
    CA_PORT,
    CHAINCODE_PORT,
    ORDERER_PORT,
    PEER_PORT,
    address,
    endpoint,
)
from compiler.analysis.network import Network, Org
from compiler.blueprint.models import EndorsementPolicy, PrivateCollection
from compiler.render import ccaas, channel, jsontext, pod, waves
from compiler.render.manifest import Manifest, common_labels

SERVER_COMPONENT = "chaincode"
JOB_COMPONENT = "chaincode-lifecycle"
TLS_DIR = "/var/hyperledger/chaincode/tls"
PACKAGE_FILE = "package.tar.gz"
COLLECTIONS_FILE = "collections.json"


def _labels(cc: ChaincodeInfo, org: Org, component: str, network: Network) -> dict[str, str]:
    return common_labels(network.name, component) | {
        "hlfc.dev/organization": org.name,
        "hlfc.dev/channel": cc.channel.name,
        "hlfc.dev/chaincode": cc.name,
    }


def _selector(network: Network, cc: ChaincodeInfo, org: Org) -> dict[str, str]:
    return {"app.kubernetes.io/instance": f"{network.name}-{cc.server}"}


# --- the chaincode server ----------------------------------------------------------------


def server_objects(network: Network, cc: ChaincodeInfo, org: Org) -> Iterator[dict[str, Any]]:
    labels = _labels(cc, org, SERVER_COMPONENT, network)
    selector = _selector(network, cc, org)
    meta = {
        "name": cc.server,
        "namespace": org.namespace,
        "labels": labels,
        "annotations": waves.annotation(waves.PEERS),
    }
    package_id = ccaas.package(cc).package_id
    port = {"name": "chaincode", "containerPort": CHAINCODE_PORT, "protocol": "TCP"}
    tcp = {"tcpSocket": {"port": "chaincode"}, "timeoutSeconds": 5}
    yield {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": cc.spec.replicas,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {
                    "labels": labels | selector,
                    # a new package ID (a new version) rolls the servers
                    "annotations": {"hlfc.dev/package-id": package_id},
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": pod.pod_security(network),
                    "containers": [
                        {
                            "name": "chaincode",
                            "image": cc.spec.image,
                            "imagePullPolicy": "IfNotPresent",
                            # the variables fabric-samples' CCaaS chaincodes read
                            "env": [
                                {"name": "CHAINCODE_ID", "value": package_id},
                                {
                                    "name": "CHAINCODE_SERVER_ADDRESS",
                                    "value": f"0.0.0.0:{CHAINCODE_PORT}",
                                },
                                {"name": "CHAINCODE_TLS_DISABLED", "value": "false"},
                                {"name": "CHAINCODE_TLS_KEY", "value": f"{TLS_DIR}/tls.key"},
                                {"name": "CHAINCODE_TLS_CERT", "value": f"{TLS_DIR}/tls.crt"},
                                {"name": "CHAINCODE_CLIENT_CA_CERT", "value": f"{TLS_DIR}/ca.crt"},
                            ],
                            "ports": [port],
                            "startupProbe": tcp | {"periodSeconds": 2, "failureThreshold": 60},
                            "readinessProbe": tcp | {"periodSeconds": 10, "failureThreshold": 3},
                            "livenessProbe": tcp | {"periodSeconds": 10, "failureThreshold": 6},
                            "resources": pod.resources(cc.spec.resources),
                            "securityContext": pod.container_security(),
                            "volumeMounts": [
                                {"name": "tls", "mountPath": TLS_DIR, "readOnly": True},
                                {"name": pod.TMP_VOLUME, "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "volumes": [
                        {
                            "name": "tls",
                            "secret": {
                                "secretName": f"{cc.server}-tls",
                                "defaultMode": 0o440,
                                "items": [
                                    {"key": k, "path": k} for k in ("tls.crt", "tls.key", "ca.crt")
                                ],
                            },
                        },
                        pod.tmp_volume(),
                    ],
                },
            },
        },
    }
    yield {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [
                {
                    "name": "chaincode",
                    "port": CHAINCODE_PORT,
                    "targetPort": "chaincode",
                    "protocol": "TCP",
                }
            ],
        },
    }
    if cc.spec.replicas > 1:
        yield {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta,
            "spec": {
                "maxUnavailable": 1,
                "unhealthyPodEvictionPolicy": "AlwaysAllow",
                "selector": {"matchLabels": selector},
            },
        }


def server_policy(network: Network, cc: ChaincodeInfo, org: Org) -> dict[str, Any]:
    """Only the organisation's own peers may dial its chaincode server; it dials nothing."""
    peers = {
        "app.kubernetes.io/part-of": network.name,
        "app.kubernetes.io/component": "peer",
        "hlfc.dev/organization": org.name,
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": f"allow-{cc.server}",
            "namespace": org.namespace,
            "labels": common_labels(network.name, "policy"),
            "annotations": waves.annotation(waves.POLICIES),
        },
        "spec": {
            "podSelector": {"matchLabels": _selector(network, cc, org)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": peers}}],
                    "ports": [{"protocol": "TCP", "port": CHAINCODE_PORT}],
                }
            ],
            "egress": [],
        },
    }


# --- the lifecycle Jobs --------------------------------------------------------------------


def _policy_args(flag: str, spec: EndorsementPolicy | None) -> list[str]:
    if spec is None:
        return []
    if spec.signature is not None:
        return [f"--{flag}signature-policy", spec.signature]
    assert spec.channel_policy is not None
    return [f"--{flag}channel-config-policy", spec.channel_policy]


def _collection(coll: PrivateCollection) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": coll.name,
        "policy": coll.policy,
        "requiredPeerCount": coll.required_peer_count,
        "maxPeerCount": coll.max_peer_count,
        "blockToLive": coll.block_to_live,
        "memberOnlyRead": coll.member_only_read,
        "memberOnlyWrite": coll.member_only_write,
    }
    policy = coll.endorsement_policy
    if policy is not None:
        out["endorsementPolicy"] = (
            {"signaturePolicy": policy.signature}
            if policy.signature is not None
            else {"channelConfigPolicy": policy.channel_policy}
        )
    return out


def collections_json(cc: ChaincodeInfo) -> str | None:
    if not cc.spec.collections:
        return None
    return jsontext.dumps([_collection(c) for c in cc.spec.collections]) + "\n"


def definition_args(cc: ChaincodeInfo) -> list[str]:
    """The chaincode definition as `peer lifecycle chaincode` flags: approve,
    checkcommitreadiness and commit all take exactly these."""
    args = [
        "--channelID",
        cc.channel.name,
        "--name",
        cc.name,
        "--version",
        cc.spec.version,
        "--sequence",
        str(cc.spec.sequence),
        *_policy_args("", cc.spec.endorsement_policy),
    ]
    if cc.spec.init_required:
        args.append("--init-required")
    if cc.spec.collections:
        args += ["--collections-config", f"{channel.CONFIG_DIR}/{COLLECTIONS_FILE}"]
    return args


def _required_approvals(cc: ChaincodeInfo) -> int:
    """Approvals the committer waits for: a majority of the members under Fabric's default
    lifecycle policy; all of them if the blueprint sets its own (hlfc cannot evaluate it)."""
    n = len(cc.approvers)
    custom = "LifecycleEndorsement" in cc.channel.spec.policies.application
    return n if custom else n // 2 + 1


def job_config(network: Network, party: LifecycleParty) -> dict[str, Any]:
    cc = party.chaincode
    source = party.peers[0]
    data: dict[str, Any] = {
        "channel": cc.channel.name,
        "chaincode": cc.name,
        "sequence": cc.spec.sequence,
        "version": cc.spec.version,
        "organization": party.org.name,
        "mspID": party.org.msp_id,
        "runs": party.runs,
        "committer": party.committer,
        "committerParty": next(
            f"{p.org.name} in cluster {p.cluster}" for p in cc_analysis.parties(cc) if p.committer
        ),
        "packageID": ccaas.package(cc).package_id,
        # the definition as rendered: the next render refuses to change it without a new
        # sequence (compiler/analysis/chaincodes.py, against_deployed)
        "definition": cc_analysis.definition(cc),
        "definitionArgs": definition_args(cc),
        "requiredApprovals": _required_approvals(cc),
        "deadlineSeconds": channel.SCRIPT_DEADLINE,
        "nodes": [
            {"name": p.workload, "address": f"{p.workload}.{p.namespace}:{PEER_PORT}"}
            for p in party.peers
        ],
        "consenters": channel.consenters_from(network, source, cc.channel),
    }
    if party.committer:
        # one peer of every member organisation, as this party reaches it: the commit
        # gathers endorsements from those whose organisation has approved
        endorsers = []
        for org in cc.approvers:
            peer = next((p for p in org.peers if p.cluster == party.cluster), org.peers[0])
            host, port = address(network, source, peer)
            endorsers.append({"mspID": org.msp_id, "org": org.name, "address": f"{host}:{port}"})
        data["endorsers"] = endorsers
    return data


def trust_config(network: Network, party: LifecycleParty) -> dict[str, Any]:
    cc = party.chaincode
    orgs = {o.name: o for o in (*orderer_orgs(network, cc.channel), *cc.approvers)}
    return channel.trust_for(network, party.peers[0], list(orgs.values()), cc.channel)


def party_objects(network: Network, party: LifecycleParty) -> Iterator[dict[str, Any]]:
    cc = party.chaincode
    labels = _labels(cc, party.org, JOB_COMPONENT, network)
    data = {
        "job.json": jsontext.dumps(job_config(network, party)) + "\n",
        "trust.json": jsontext.dumps(trust_config(network, party)) + "\n",
    }
    data |= ccaas.readable(cc)
    collections = collections_json(cc)
    if collections is not None:
        data[COLLECTIONS_FILE] = collections
    yield {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": party.job,
            "namespace": party.org.namespace,
            "labels": labels,
            "annotations": waves.annotation(waves.CHAINCODE_JOBS),
        },
        "data": data,
        "binaryData": {PACKAGE_FILE: base64.b64encode(ccaas.package(cc).data).decode()},
    }
    yield channel.admin_job(
        network,
        name=party.job,
        org=party.org,
        labels=labels,
        script="chaincode.sh",
        wave=waves.CHAINCODE_JOBS,
    )


def job_policy(network: Network, cluster: str, namespace: str) -> dict[str, Any]:
    """Lifecycle Jobs reach the network's CAs (cainfo), orderers and peers, and other
    clusters' gateways; nothing reaches them. Unlike channel Jobs, never an orderer's
    admin port."""
    part_of = {"app.kubernetes.io/part-of": network.name}
    egress: list[dict[str, Any]] = [
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": part_of},
                    "podSelector": {"matchLabels": part_of},
                }
            ],
            "ports": [{"protocol": "TCP", "port": p} for p in (ORDERER_PORT, PEER_PORT, CA_PORT)],
        }
    ]
    remote = {
        node.workload: node
        for p in cc_analysis.all_parties(network)
        if (p.cluster, p.org.namespace) == (cluster, namespace)
        for node in (
            *p.chaincode.channel.consenters,
            *(o.ca for o in (*orderer_orgs(network, p.chaincode.channel), *p.chaincode.approvers)),
            *(peer for o in p.chaincode.approvers for peer in o.peers),
        )
        if node.cluster != cluster
    }
    external = sorted(
        {port for n in remote.values() if (port := endpoint(network, n).external_port) is not None}
    )
    if external:
        egress.append(
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                "ports": [{"protocol": "TCP", "port": p} for p in external],
            }
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "allow-chaincode-lifecycle",
            "namespace": namespace,
            "labels": common_labels(network.name, "policy"),
            "annotations": waves.annotation(waves.POLICIES),
        },
        "spec": {
            "podSelector": {
                "matchLabels": part_of | {"app.kubernetes.io/component": JOB_COMPONENT}
            },
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": egress,
        },
    }


def render(network: Network) -> Iterator[Manifest]:
    policies = network.blueprint.spec.security.network_policies
    homes: set[tuple[str, str]] = set()
    for cc, org, cluster in cc_analysis.servers(network):
        for obj in server_objects(network, cc, org):
            yield Manifest(cluster, org.namespace, obj, f"chaincode-{cc.server}")
        if policies:
            yield Manifest(cluster, org.namespace, server_policy(network, cc, org))
    for party in cc_analysis.all_parties(network):
        homes.add((party.cluster, party.org.namespace))
        for obj in party_objects(network, party):
            yield Manifest(party.cluster, party.org.namespace, obj, f"chaincode-{party.job}")
    # the scripts ConfigMap and ServiceAccount come with the channel Jobs of the namespace
    if policies:
        for cluster, namespace in sorted(homes):
            yield Manifest(cluster, namespace, job_policy(network, cluster, namespace))
