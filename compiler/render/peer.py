"""Peers: one single-replica StatefulSet each, with an optional CouchDB sidecar."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from compiler.analysis.endpoints import (
    CHAINCODE_PORT,
    COUCHDB_PORT,
    OPERATIONS_PORT,
    PEER_PORT,
    Endpoint,
    endpoint,
)
from compiler.analysis.network import Network, Org, PeerNode
from compiler.render import ccaas, credentials, identity, pod, waves
from compiler.render.manifest import Manifest
from compiler.render.services import config_map, service_account, services
from compiler.render.templates import render_template, yaml_bool

LEDGER_DIR = "/var/hyperledger/production"
# External builders unpack and run chaincode here (chaincode as a service).
CHAINCODE_DIR = f"{LEDGER_DIR}/externalbuilder"
COUCHDB_DATA = "/opt/couchdb/data"
COUCHDB_USER = 5984  # the uid the official couchdb image owns its files with
COUCHDB_INI = "10-hlfc.ini"
# Bound to localhost: only the peer in the same pod ever talks to its state database.
COUCHDB_CONFIG = """[chttpd]
bind_address = 127.0.0.1
port = 5984

[couchdb]
single_node = true
max_document_size = 8000000
"""


@dataclass(frozen=True)
class PeerPaths(identity.IdentityPaths):
    ledger: str = LEDGER_DIR


PATHS = PeerPaths()
PORTS = {
    "peer": PEER_PORT,
    "chaincode": CHAINCODE_PORT,
    "operations": OPERATIONS_PORT,
    "couchdb": COUCHDB_PORT,
}


def gossip_bootstrap(network: Network, org: Org, peer: PeerNode) -> str:
    """Other peers of the same organisation in the same cluster, else the peer itself.

    Gossip bootstrap must name peers of the peer's own organisation; other clusters' peers
    are found through the anchor peers' external endpoints.
    """
    others = [p for p in org.peers if p.cluster == peer.cluster and p is not peer]
    targets = others or [peer]
    return " ".join(endpoint(network, p).internal for p in targets)


def gossip_endpoint(network: Network, org: Org, peer: PeerNode) -> str:
    """What peers of the same organisation dial (gossip's internal endpoint): the in-cluster
    name, unless the organisation has peers in several clusters, whose peers must then
    reach each other through the external names."""
    ep = endpoint(network, peer)
    return ep.advertised if len({p.cluster for p in org.peers}) > 1 else ep.internal


def core_yaml(network: Network, org: Org, peer: PeerNode) -> str:
    gossip = peer.settings.gossip
    return render_template(
        "core.yaml.in",
        node=peer,
        network=network.name,
        msp_id=org.msp_id,
        fabric_version=network.blueprint.spec.fabric.version,
        endpoint=endpoint(network, peer),
        use_leader_election=yaml_bool(gossip.use_leader_election),
        org_leader=yaml_bool(gossip.org_leader),
        gossip_bootstrap=gossip_bootstrap(network, org, peer),
        gossip_endpoint=gossip_endpoint(network, org, peer),
        state_database="CouchDB" if peer.settings.state_db == "couchdb" else "goleveldb",
        ports=PORTS,
        paths=PATHS,
    )


def environment(network: Network, org: Org, peer: PeerNode, ep: Endpoint) -> list[dict[str, Any]]:
    gossip = peer.settings.gossip
    env: list[dict[str, Any]] = [
        {"name": "FABRIC_CFG_PATH", "value": identity.CONFIG_DIR},
        {"name": "FABRIC_LOGGING_SPEC", "value": network.blueprint.spec.fabric.logging_spec},
        {"name": "CORE_PEER_ID", "value": peer.workload},
        {"name": "CORE_PEER_LOCALMSPID", "value": org.msp_id},
        {"name": "CORE_PEER_MSPCONFIGPATH", "value": PATHS.msp},
        {"name": "CORE_PEER_LISTENADDRESS", "value": f"0.0.0.0:{PEER_PORT}"},
        {"name": "CORE_PEER_ADDRESS", "value": ep.internal},
        {"name": "CORE_PEER_CHAINCODELISTENADDRESS", "value": f"0.0.0.0:{CHAINCODE_PORT}"},
        {"name": "CORE_PEER_CHAINCODEADDRESS", "value": f"{ep.service_host}:{CHAINCODE_PORT}"},
        {"name": "CORE_PEER_GOSSIP_BOOTSTRAP", "value": gossip_bootstrap(network, org, peer)},
        {"name": "CORE_PEER_GOSSIP_ENDPOINT", "value": gossip_endpoint(network, org, peer)},
        {"name": "CORE_PEER_GOSSIP_EXTERNALENDPOINT", "value": ep.advertised},
        {
            "name": "CORE_PEER_GOSSIP_USELEADERELECTION",
            "value": str(gossip.use_leader_election).lower(),
        },
        {"name": "CORE_PEER_GOSSIP_ORGLEADER", "value": str(gossip.org_leader).lower()},
        {"name": "CORE_PEER_TLS_ENABLED", "value": "true"},
        {"name": "CORE_PEER_TLS_CERT_FILE", "value": PATHS.tls_cert},
        {"name": "CORE_PEER_TLS_KEY_FILE", "value": PATHS.tls_key},
        {"name": "CORE_PEER_TLS_ROOTCERT_FILE", "value": PATHS.tls_ca},
        {"name": "CORE_PEER_TLS_CLIENTAUTHREQUIRED", "value": "false"},
        {"name": "CORE_PEER_TLS_CLIENTROOTCAS_FILES", "value": PATHS.tls_ca},
        {"name": "CORE_PEER_FILESYSTEMPATH", "value": LEDGER_DIR},
        {"name": "CORE_OPERATIONS_LISTENADDRESS", "value": f"0.0.0.0:{OPERATIONS_PORT}"},
        {"name": "CORE_OPERATIONS_TLS_ENABLED", "value": "false"},
        {"name": "CORE_METRICS_PROVIDER", "value": "prometheus"},
        {"name": "CORE_VM_ENDPOINT", "value": ""},
        # the CCaaS builder fills each chaincode package's TLS root from this
        _secret_env(
            "CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG",
            identity.tls_secret(peer),
            ccaas.BUILDER_CONFIG_KEY,
        ),
    ]
    if peer.settings.state_db == "couchdb":
        cred = credentials.couchdb(network, peer)
        env += [
            {"name": "CORE_LEDGER_STATE_STATEDATABASE", "value": "CouchDB"},
            {
                "name": "CORE_LEDGER_STATE_COUCHDBCONFIG_COUCHDBADDRESS",
                "value": f"127.0.0.1:{COUCHDB_PORT}",
            },
            _secret_env(
                "CORE_LEDGER_STATE_COUCHDBCONFIG_USERNAME", cred.name, credentials.USERNAME_KEY
            ),
            _secret_env(
                "CORE_LEDGER_STATE_COUCHDBCONFIG_PASSWORD", cred.name, credentials.PASSWORD_KEY
            ),
        ]
    else:
        env.append({"name": "CORE_LEDGER_STATE_STATEDATABASE", "value": "goleveldb"})
    return env


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _peer_container(network: Network, org: Org, peer: PeerNode) -> dict[str, Any]:
    fabric = network.blueprint.spec.fabric
    ep = endpoint(network, peer)
    return {
        "name": "peer",
        "image": pod.image(fabric.images.peer, fabric.version),
        "imagePullPolicy": "IfNotPresent",
        "command": ["peer"],
        "args": ["node", "start"],
        "workingDir": LEDGER_DIR,
        "env": environment(network, org, peer, ep),
        "ports": [
            {"name": "grpc", "containerPort": PEER_PORT, "protocol": "TCP"},
            {"name": "chaincode", "containerPort": CHAINCODE_PORT, "protocol": "TCP"},
            {"name": "operations", "containerPort": OPERATIONS_PORT, "protocol": "TCP"},
        ],
        **pod.probes("/healthz", "operations"),
        "resources": pod.resources(peer.settings.resources.peer),
        "securityContext": pod.container_security(),
        "volumeMounts": [
            *identity.mounts(),
            {"name": "config", "mountPath": identity.CONFIG_DIR, "readOnly": True},
            {"name": "ledger", "mountPath": LEDGER_DIR},
            {"name": "chaincode", "mountPath": CHAINCODE_DIR},
            {"name": pod.TMP_VOLUME, "mountPath": "/tmp"},
        ],
    }


def _couchdb_container(network: Network, peer: PeerNode) -> dict[str, Any]:
    cred = credentials.couchdb(network, peer)
    up = ["curl", "-fsS", f"http://127.0.0.1:{COUCHDB_PORT}/_up"]

    def exec_probe(period: int, failures: int) -> dict[str, Any]:
        # exec, not httpGet: CouchDB listens on 127.0.0.1, which the kubelet cannot reach
        return {
            "exec": {"command": up},
            "periodSeconds": period,
            "timeoutSeconds": 5,
            "failureThreshold": failures,
        }

    return {
        "name": "couchdb",
        "image": network.blueprint.spec.fabric.images.couchdb,
        "imagePullPolicy": "IfNotPresent",
        "env": [
            _secret_env("COUCHDB_USER", cred.name, credentials.USERNAME_KEY),
            _secret_env("COUCHDB_PASSWORD", cred.name, credentials.PASSWORD_KEY),
            # Erlang writes a random distribution cookie to $HOME/.erlang.cookie at start;
            # with a read-only root it must be the writable /tmp, or CouchDB exits (erofs)
            {"name": "HOME", "value": "/tmp"},
        ],
        "startupProbe": exec_probe(5, 60),
        "readinessProbe": exec_probe(10, 3),
        "livenessProbe": exec_probe(10, 6),
        "resources": pod.resources(peer.settings.resources.couchdb),
        "securityContext": pod.container_security(run_as_user=COUCHDB_USER),
        "volumeMounts": [
            {"name": "statedb", "mountPath": COUCHDB_DATA},
            {
                "name": "config",
                "mountPath": f"/opt/couchdb/etc/default.d/{COUCHDB_INI}",
                "subPath": COUCHDB_INI,
                "readOnly": True,
            },
            # the image's entrypoint writes its own ini here at start
            {"name": "couchdb-local", "mountPath": "/opt/couchdb/etc/local.d"},
            {"name": pod.TMP_VOLUME, "mountPath": "/tmp"},
        ],
    }


def _statefulset(
    network: Network, org: Org, peer: PeerNode, config: dict[str, str]
) -> dict[str, Any]:
    cluster = network.cluster(peer.cluster)
    default_class = cluster.storage_class if cluster else None
    storage = peer.settings.storage
    couch = peer.settings.state_db == "couchdb"
    containers = [_peer_container(network, org, peer)]
    volumes: list[dict[str, Any]] = [
        *identity.volumes(peer),
        {"name": "config", "configMap": {"name": f"{peer.workload}-config", "defaultMode": 0o444}},
        pod.tmp_volume(),
    ]
    claims = [
        pod.volume_claim(
            "ledger", storage.ledger.size or "20Gi", storage.ledger.storage_class or default_class
        ),
        pod.volume_claim(
            "chaincode",
            storage.chaincode.size or "5Gi",
            storage.chaincode.storage_class or default_class,
        ),
    ]
    if couch:
        containers.append(_couchdb_container(network, peer))
        volumes.append({"name": "couchdb-local", "emptyDir": {"sizeLimit": "16Mi"}})
        claims.append(
            pod.volume_claim(
                "statedb",
                storage.state_db.size or "10Gi",
                storage.state_db.storage_class or default_class,
            )
        )
    return pod.statefulset(
        network,
        peer,
        wave=waves.PEERS,
        config=config,
        pod_spec={
            "terminationGracePeriodSeconds": 60,
            **pod.spread(network, peer),
            "containers": containers,
            "volumes": volumes,
        },
        claims=claims,
    )


def render(network: Network) -> Iterator[Manifest]:
    for org in network.orgs:
        for peer in org.peers:
            config = {"core.yaml": core_yaml(network, org, peer)}
            if peer.settings.state_db == "couchdb":
                config[COUCHDB_INI] = COUCHDB_CONFIG
            ports = [
                ("grpc", PEER_PORT),
                ("chaincode", CHAINCODE_PORT),
                ("operations", OPERATIONS_PORT),
            ]
            objects = [
                service_account(network, peer, waves.PEERS),
                config_map(network, peer, config, waves.PEERS),
                *services(network, peer, ports, waves.PEERS),
                _statefulset(network, org, peer, config),
            ]
            for obj in objects:
                yield Manifest(peer.cluster, peer.namespace, obj, pod.node_unit(peer))
