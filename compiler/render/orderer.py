"""Raft orderers: one single-replica StatefulSet per consenter, channel participation only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from compiler.analysis.endpoints import (
    OPERATIONS_PORT,
    ORDERER_ADMIN_PORT,
    ORDERER_PORT,
)
from compiler.analysis.network import Network, OrdererNode, Org
from compiler.render import identity, pod, waves
from compiler.render.manifest import Manifest
from compiler.render.services import config_map, service_account, services
from compiler.render.templates import render_template

DATA_DIR = "/var/hyperledger/production/orderer"


@dataclass(frozen=True)
class OrdererPaths(identity.IdentityPaths):
    ledger: str = DATA_DIR
    wal: str = f"{DATA_DIR}/etcdraft/wal"
    snapshots: str = f"{DATA_DIR}/etcdraft/snapshot"


PATHS = OrdererPaths()
PORTS = {"orderer": ORDERER_PORT, "admin": ORDERER_ADMIN_PORT, "operations": OPERATIONS_PORT}


def orderer_yaml(network: Network, org: Org, orderer: OrdererNode) -> str:
    return render_template(
        "orderer.yaml.in",
        node=orderer,
        msp_id=org.msp_id,
        fabric_version=network.blueprint.spec.fabric.version,
        ports=PORTS,
        paths=PATHS,
    )


def environment(network: Network, org: Org, orderer: OrdererNode) -> list[dict[str, Any]]:
    values = [
        ("FABRIC_CFG_PATH", identity.CONFIG_DIR),
        ("FABRIC_LOGGING_SPEC", network.blueprint.spec.fabric.logging_spec),
        ("ORDERER_GENERAL_LISTENADDRESS", "0.0.0.0"),
        ("ORDERER_GENERAL_LISTENPORT", str(ORDERER_PORT)),
        ("ORDERER_GENERAL_LOCALMSPID", org.msp_id),
        ("ORDERER_GENERAL_LOCALMSPDIR", PATHS.msp),
        ("ORDERER_GENERAL_BOOTSTRAPMETHOD", "none"),
        ("ORDERER_CHANNELPARTICIPATION_ENABLED", "true"),
        ("ORDERER_GENERAL_TLS_ENABLED", "true"),
        ("ORDERER_GENERAL_TLS_CERTIFICATE", PATHS.tls_cert),
        ("ORDERER_GENERAL_TLS_PRIVATEKEY", PATHS.tls_key),
        ("ORDERER_GENERAL_TLS_ROOTCAS", f"[{PATHS.tls_ca}]"),
        ("ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE", PATHS.tls_cert),
        ("ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY", PATHS.tls_key),
        ("ORDERER_GENERAL_CLUSTER_ROOTCAS", f"[{PATHS.tls_ca}]"),
        ("ORDERER_FILELEDGER_LOCATION", PATHS.ledger),
        ("ORDERER_CONSENSUS_WALDIR", PATHS.wal),
        ("ORDERER_CONSENSUS_SNAPDIR", PATHS.snapshots),
        ("ORDERER_ADMIN_LISTENADDRESS", f"0.0.0.0:{ORDERER_ADMIN_PORT}"),
        ("ORDERER_ADMIN_TLS_ENABLED", "true"),
        ("ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED", "true"),
        ("ORDERER_ADMIN_TLS_CERTIFICATE", PATHS.tls_cert),
        ("ORDERER_ADMIN_TLS_PRIVATEKEY", PATHS.tls_key),
        ("ORDERER_ADMIN_TLS_ROOTCAS", f"[{PATHS.tls_ca}]"),
        # osnadmin clients present a certificate of this organisation's TLS CA
        ("ORDERER_ADMIN_TLS_CLIENTROOTCAS", f"[{PATHS.tls_ca}]"),
        ("ORDERER_OPERATIONS_LISTENADDRESS", f"0.0.0.0:{OPERATIONS_PORT}"),
        ("ORDERER_OPERATIONS_TLS_ENABLED", "false"),
        ("ORDERER_METRICS_PROVIDER", "prometheus"),
    ]
    return [{"name": name, "value": value} for name, value in values]


def _statefulset(
    network: Network, org: Org, orderer: OrdererNode, config: dict[str, str]
) -> dict[str, Any]:
    fabric = network.blueprint.spec.fabric
    cluster = network.cluster(orderer.cluster)
    storage = orderer.settings.storage
    storage_class = storage.storage_class or (cluster.storage_class if cluster else None)
    container = {
        "name": "orderer",
        "image": pod.image(fabric.images.orderer, fabric.version),
        "imagePullPolicy": "IfNotPresent",
        "command": ["orderer"],
        "workingDir": DATA_DIR,
        "env": environment(network, org, orderer),
        "ports": [
            {"name": "grpc", "containerPort": ORDERER_PORT, "protocol": "TCP"},
            {"name": "admin", "containerPort": ORDERER_ADMIN_PORT, "protocol": "TCP"},
            {"name": "operations", "containerPort": OPERATIONS_PORT, "protocol": "TCP"},
        ],
        **pod.probes("/healthz", "operations"),
        "resources": pod.resources(orderer.settings.resources),
        "securityContext": pod.container_security(),
        "volumeMounts": [
            *identity.mounts(),
            {"name": "config", "mountPath": identity.CONFIG_DIR, "readOnly": True},
            {"name": "data", "mountPath": DATA_DIR},
            {"name": pod.TMP_VOLUME, "mountPath": "/tmp"},
        ],
    }
    return pod.statefulset(
        network,
        orderer,
        wave=waves.ORDERERS,
        config=config,
        pod_spec={
            "terminationGracePeriodSeconds": 60,
            **pod.spread(network, orderer),
            "containers": [container],
            "volumes": [
                *identity.volumes(orderer),
                {
                    "name": "config",
                    "configMap": {"name": f"{orderer.workload}-config", "defaultMode": 0o444},
                },
                pod.tmp_volume(),
            ],
        },
        claims=[pod.volume_claim("data", storage.size or "50Gi", storage_class)],
    )


def render(network: Network) -> Iterator[Manifest]:
    for org in network.orgs:
        for orderer in org.orderers:
            config = {"orderer.yaml": orderer_yaml(network, org, orderer)}
            ports = [
                ("grpc", ORDERER_PORT),
                ("admin", ORDERER_ADMIN_PORT),
                ("operations", OPERATIONS_PORT),
            ]
            objects = [
                service_account(network, orderer, waves.ORDERERS),
                config_map(network, orderer, config, waves.ORDERERS),
                *services(network, orderer, ports, waves.ORDERERS),
                _statefulset(network, org, orderer, config),
            ]
            for obj in objects:
                yield Manifest(orderer.cluster, orderer.namespace, obj, pod.node_unit(orderer))
