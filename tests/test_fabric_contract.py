"""The rendered pods honour Fabric's contract (shared/reference/fabric-runtime.md): env vars,
ports, the MSP layout behind the mounts, probes, security contexts, storage that survives.

Read back from output/, i.e. exactly what Argo CD would apply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tooling import OUTPUT, all_rendered, object_in

# The reference's lists, verbatim.
PEER_ENV = [
    "CORE_PEER_ID",
    "CORE_PEER_LOCALMSPID",
    "CORE_PEER_MSPCONFIGPATH",
    "CORE_PEER_LISTENADDRESS",
    "CORE_PEER_ADDRESS",
    "CORE_PEER_CHAINCODELISTENADDRESS",
    "CORE_PEER_CHAINCODEADDRESS",
    "CORE_PEER_GOSSIP_BOOTSTRAP",
    "CORE_PEER_GOSSIP_ENDPOINT",
    "CORE_PEER_GOSSIP_EXTERNALENDPOINT",
    "CORE_PEER_GOSSIP_USELEADERELECTION",
    "CORE_PEER_GOSSIP_ORGLEADER",
    "CORE_PEER_TLS_ENABLED",
    "CORE_PEER_TLS_CERT_FILE",
    "CORE_PEER_TLS_KEY_FILE",
    "CORE_PEER_TLS_ROOTCERT_FILE",
    "CORE_PEER_TLS_CLIENTAUTHREQUIRED",
    "CORE_PEER_TLS_CLIENTROOTCAS_FILES",
    "CORE_PEER_FILESYSTEMPATH",
    "CORE_OPERATIONS_LISTENADDRESS",
    "CORE_OPERATIONS_TLS_ENABLED",
    "CORE_METRICS_PROVIDER",
    "FABRIC_LOGGING_SPEC",
    "FABRIC_CFG_PATH",
    "CORE_LEDGER_STATE_STATEDATABASE",
]
COUCHDB_ENV = [
    "CORE_LEDGER_STATE_COUCHDBCONFIG_COUCHDBADDRESS",
    "CORE_LEDGER_STATE_COUCHDBCONFIG_USERNAME",
    "CORE_LEDGER_STATE_COUCHDBCONFIG_PASSWORD",
]
ORDERER_ENV = [
    "ORDERER_GENERAL_LISTENADDRESS",
    "ORDERER_GENERAL_LISTENPORT",
    "ORDERER_GENERAL_LOCALMSPID",
    "ORDERER_GENERAL_LOCALMSPDIR",
    "ORDERER_GENERAL_BOOTSTRAPMETHOD",
    "ORDERER_CHANNELPARTICIPATION_ENABLED",
    "ORDERER_GENERAL_TLS_ENABLED",
    "ORDERER_GENERAL_TLS_CERTIFICATE",
    "ORDERER_GENERAL_TLS_PRIVATEKEY",
    "ORDERER_GENERAL_TLS_ROOTCAS",
    "ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE",
    "ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY",
    "ORDERER_GENERAL_CLUSTER_ROOTCAS",
    "ORDERER_FILELEDGER_LOCATION",
    "ORDERER_CONSENSUS_WALDIR",
    "ORDERER_CONSENSUS_SNAPDIR",
    "ORDERER_ADMIN_LISTENADDRESS",
    "ORDERER_ADMIN_TLS_ENABLED",
    "ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED",
    "ORDERER_ADMIN_TLS_CERTIFICATE",
    "ORDERER_ADMIN_TLS_PRIVATEKEY",
    "ORDERER_ADMIN_TLS_ROOTCAS",
    "ORDERER_ADMIN_TLS_CLIENTROOTCAS",
    "ORDERER_OPERATIONS_LISTENADDRESS",
    "ORDERER_METRICS_PROVIDER",
    "FABRIC_CFG_PATH",
]
MSP_FILES = {
    "signcerts/cert.pem",
    "keystore/key.pem",
    "cacerts/ca.pem",
    "tlscacerts/tlsca.pem",
    "config.yaml",
}
KEEP = "Prune=false,Delete=false"

STATEFULSETS = all_rendered("StatefulSet")


def component(obj: dict[str, Any]) -> str:
    return str(obj["metadata"]["labels"]["app.kubernetes.io/component"])


def of(kind: str) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, s) for p, s in STATEFULSETS if component(s) == kind]


def ids(items: list[tuple[Path, dict[str, Any]]]) -> list[str]:
    return [str(p.relative_to(OUTPUT)) for p, _ in items]


def main_container(sts: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = sts["spec"]["template"]["spec"]["containers"][0]
    return container


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def mounts(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["mountPath"]: m for m in container["volumeMounts"]}


def volume(sts: dict[str, Any], name: str) -> dict[str, Any]:
    volumes = sts["spec"]["template"]["spec"]["volumes"]
    return next(v for v in volumes if v["name"] == name)


def mounted_file(sts: dict[str, Any], container: dict[str, Any], path: str) -> tuple[str, str]:
    """(volume name, path inside the volume) for a file path in the container."""
    best = max((m for m in mounts(container) if path.startswith(m.rstrip("/") + "/")), key=len)
    return mounts(container)[best]["name"], path[len(best) + 1 :]


def config_file(sts: dict[str, Any], key: str) -> dict[str, Any]:
    directory = OUTPUT.joinpath(*_dir_of(sts))
    data = object_in(directory, "ConfigMap", f"{sts['metadata']['name']}-config")["data"][key]
    parsed = yaml.safe_load(data)
    assert isinstance(parsed, dict)
    return parsed


def _dir_of(sts: dict[str, Any]) -> tuple[str, ...]:
    path = next(p for p, s in STATEFULSETS if s is sts)
    return path.relative_to(OUTPUT).parent.parts


def test_global_network_renders_the_expected_fleet() -> None:
    network = OUTPUT / "global-fabric-network"
    clusters = sorted(p.name for p in network.iterdir() if not p.name.startswith("_"))
    assert clusters == ["eu-west-1", "us-east-1", "us-west-2"]
    kinds = [component(s) for p, s in STATEFULSETS if network in p.parents]
    assert (kinds.count("orderer"), kinds.count("peer"), kinds.count("ca")) == (5, 6, 4)
    # orderers 2/2/1, peers and CAs where their organisations put them
    placed = {
        (p.relative_to(network).parts[0], component(s))
        for p, s in STATEFULSETS
        if network in p.parents
    }
    assert {c for c, k in placed if k == "orderer"} == set(clusters)


@pytest.mark.parametrize(("path", "sts"), of("peer"), ids=ids(of("peer")))
def test_peer_contract(path: Path, sts: dict[str, Any]) -> None:
    container = main_container(sts)
    values = env(container)
    couch = values["CORE_LEDGER_STATE_STATEDATABASE"] == "CouchDB"
    assert set(PEER_ENV) <= set(values)
    if couch:
        assert set(COUCHDB_ENV) <= set(values)
        assert values["CORE_LEDGER_STATE_COUCHDBCONFIG_COUCHDBADDRESS"] == "127.0.0.1:5984"
        assert "secretKeyRef" in values["CORE_LEDGER_STATE_COUCHDBCONFIG_PASSWORD"]
    else:
        assert values["CORE_LEDGER_STATE_STATEDATABASE"] == "goleveldb"
    assert values["CORE_PEER_LISTENADDRESS"] == "0.0.0.0:7051"
    assert values["CORE_PEER_CHAINCODELISTENADDRESS"] == "0.0.0.0:7052"
    assert values["CORE_OPERATIONS_LISTENADDRESS"] == "0.0.0.0:9443"
    assert values["CORE_METRICS_PROVIDER"] == "prometheus"
    assert values["CORE_PEER_TLS_ENABLED"] == "true"
    name, namespace = sts["metadata"]["name"], sts["metadata"]["namespace"]
    assert values["CORE_PEER_ADDRESS"] == f"{name}.{namespace}.svc.cluster.local:7051"
    external = values["CORE_PEER_GOSSIP_EXTERNALENDPOINT"]
    domain = {  # Istio and Gateway API: the gateway's port; LoadBalancers: Fabric's own
        "global-fabric-network": ".fabric.global:443",
        "alpha": ".alpha.consortium.example:7051",
        "beta": ".beta.consortium.example:443",
    }
    suffix = next((v for k, v in domain.items() if k in path.parts), None)
    assert external.endswith(suffix) if suffix else external == values["CORE_PEER_ADDRESS"]
    # peers of one organisation dial each other in-cluster, unless the organisation spans
    # clusters (consortium's "shared"): then through the external names
    spans = "shared" in path.parts
    want = external if spans else values["CORE_PEER_ADDRESS"]
    assert values["CORE_PEER_GOSSIP_ENDPOINT"] == want
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": 7051, "chaincode": 7052, "operations": 9443}
    _identity_mounts(
        sts,
        container,
        values["CORE_PEER_MSPCONFIGPATH"],
        [
            values[k]
            for k in (
                "CORE_PEER_TLS_CERT_FILE",
                "CORE_PEER_TLS_KEY_FILE",
                "CORE_PEER_TLS_ROOTCERT_FILE",
            )
        ],
    )
    # the ledger lives on a claim, not in the container
    ledger_volume, _ = mounted_file(sts, container, values["CORE_PEER_FILESYSTEMPATH"] + "/x")
    claims = {c["metadata"]["name"] for c in sts["spec"]["volumeClaimTemplates"]}
    assert ledger_volume in claims
    assert claims == ({"ledger", "chaincode", "statedb"} if couch else {"ledger", "chaincode"})
    # core.yaml is in FABRIC_CFG_PATH and agrees with the env
    config_volume, _ = mounted_file(sts, container, values["FABRIC_CFG_PATH"] + "/core.yaml")
    assert volume(sts, config_volume)["configMap"]["name"] == f"{name}-config"
    core = config_file(sts, "core.yaml")
    assert core["peer"]["mspConfigPath"] == values["CORE_PEER_MSPCONFIGPATH"]
    assert core["peer"]["localMspId"] == values["CORE_PEER_LOCALMSPID"]
    assert core["peer"]["handlers"]["endorsers"]["escc"]["name"] == "DefaultEndorsement"
    assert core["operations"]["listenAddress"] == "0.0.0.0:9443"
    assert core["metrics"]["provider"] == "prometheus"
    assert core["ledger"]["state"]["stateDatabase"] == ("CouchDB" if couch else "goleveldb")
    _probes(container)
    _security(sts)
    _storage(sts)
    if couch:
        sidecar = sts["spec"]["template"]["spec"]["containers"][1]
        assert sidecar["name"] == "couchdb"
        assert "ports" not in sidecar  # localhost only: nothing is exposed
        ini = object_in(OUTPUT.joinpath(*_dir_of(sts)), "ConfigMap", f"{name}-config")
        assert "bind_address = 127.0.0.1" in ini["data"]["10-hlfc.ini"]
        assert sidecar["securityContext"]["runAsNonRoot"] is True


@pytest.mark.parametrize(("path", "sts"), of("orderer"), ids=ids(of("orderer")))
def test_orderer_contract(path: Path, sts: dict[str, Any]) -> None:
    container = main_container(sts)
    values = env(container)
    assert set(ORDERER_ENV) <= set(values)
    assert values["ORDERER_GENERAL_BOOTSTRAPMETHOD"] == "none"
    assert values["ORDERER_CHANNELPARTICIPATION_ENABLED"] == "true"
    assert values["ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED"] == "true"
    assert values["ORDERER_ADMIN_LISTENADDRESS"] == "0.0.0.0:7053"
    assert values["ORDERER_OPERATIONS_LISTENADDRESS"] == "0.0.0.0:9443"
    assert values["ORDERER_METRICS_PROVIDER"] == "prometheus"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": 7050, "admin": 7053, "operations": 9443}
    tls = [values[k] for k in ("ORDERER_GENERAL_TLS_CERTIFICATE", "ORDERER_GENERAL_TLS_PRIVATEKEY")]
    tls.append(values["ORDERER_GENERAL_TLS_ROOTCAS"].strip("[]"))
    _identity_mounts(sts, container, values["ORDERER_GENERAL_LOCALMSPDIR"], tls)
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    for key in (
        "ORDERER_FILELEDGER_LOCATION",
        "ORDERER_CONSENSUS_WALDIR",
        "ORDERER_CONSENSUS_SNAPDIR",
    ):
        assert mounted_file(sts, container, values[key] + "/x")[0] == claim["metadata"]["name"]
    conf = config_file(sts, "orderer.yaml")
    assert conf["General"]["BootstrapMethod"] == "none"
    assert conf["ChannelParticipation"]["Enabled"] is True
    assert conf["Admin"]["TLS"]["ClientAuthRequired"] is True
    assert conf["General"]["LocalMSPDir"] == values["ORDERER_GENERAL_LOCALMSPDIR"]
    _probes(container)
    _security(sts)
    _storage(sts)


@pytest.mark.parametrize(("path", "sts"), of("ca"), ids=ids(of("ca")))
def test_ca_contract(path: Path, sts: dict[str, Any]) -> None:
    container = main_container(sts)
    probes = {k: container[k] for k in ("startupProbe", "readinessProbe", "livenessProbe")}
    assert probes["readinessProbe"]["httpGet"] == {
        "path": "/cainfo",
        "port": "https",
        "scheme": "HTTPS",
    }
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"https": 7054, "operations": 9443}
    registrar = env(container)["CA_REGISTRAR_PASSWORD"]
    assert "secretKeyRef" in registrar  # a reference, never a value
    _security(sts)
    _storage(sts)


def _identity_mounts(
    sts: dict[str, Any], container: dict[str, Any], msp: str, tls: list[str]
) -> None:
    """The MSP directory Fabric reads is exactly the MSP layout, from the node's Secrets."""
    name = sts["metadata"]["name"]
    msp_volume = volume(sts, mounted_file(sts, container, msp + "/config.yaml")[0])
    assert msp_volume["secret"]["secretName"] == f"{name}-msp"
    assert {item["path"] for item in msp_volume["secret"]["items"]} == MSP_FILES
    for file in tls:
        vol, inside = mounted_file(sts, container, file)
        secret = volume(sts, vol)["secret"]
        assert secret["secretName"] == f"{name}-tls"
        assert inside in {item["path"] for item in secret["items"]}
    for mount in mounts(container).values():
        if mount["name"] in {"msp", "tls"}:
            assert mount["readOnly"] is True


def _probes(container: dict[str, Any]) -> None:
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {
            "path": "/healthz",
            "port": "operations",
            "scheme": "HTTP",
        }


def _security(sts: dict[str, Any]) -> None:
    spec = sts["spec"]["template"]["spec"]
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] > 0 and pod["runAsGroup"] > 0 and pod["fsGroup"] > 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["readOnlyRootFilesystem"] is True
        assert not container["image"].endswith(":latest") and ":" in container["image"]
        assert container["resources"]["requests"] and container["resources"]["limits"]


def _storage(sts: dict[str, Any]) -> None:
    spec = sts["spec"]
    assert spec["replicas"] == 1
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    for claim in spec["volumeClaimTemplates"]:
        assert (claim["apiVersion"], claim["kind"]) == ("v1", "PersistentVolumeClaim")
        assert claim["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == KEEP
        assert "labels" not in claim["metadata"]  # Argo CD tracking labels break templates


def test_sync_waves_put_the_ca_before_the_nodes() -> None:
    waves = {
        component(s): int(s["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for _, s in STATEFULSETS
    }
    assert waves["ca"] < waves["orderer"] < waves["peer"]
    namespace_waves = {
        int(d["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for _, d in all_rendered("Namespace")
    }
    assert max(namespace_waves) < waves["ca"]


def test_every_namespace_is_default_deny_and_every_component_has_an_allow_list() -> None:
    policies: dict[Path, set[str]] = {}
    for path, obj in all_rendered("NetworkPolicy"):
        policies.setdefault(path.parent, set()).add(obj["metadata"]["name"])
    for path, sts in STATEFULSETS:
        names = policies[path.parent]
        assert {"default-deny", "allow-dns", f"allow-{component(sts)}"} <= names


def test_orderer_disruption_budgets_keep_quorum() -> None:
    budgets = {
        str(p.relative_to(OUTPUT)): d["spec"]["maxUnavailable"]
        for p, d in all_rendered("PodDisruptionBudget")
        if d["metadata"]["name"].endswith("-orderers")
    }
    # 2/2/1 over three clusters tolerates 2 failures: one per cluster at a time
    pdb = "orderer-org/poddisruptionbudget-orderer-org-orderers.yaml"
    assert budgets == {
        f"global-fabric-network/eu-west-1/{pdb}": 1,
        f"global-fabric-network/us-east-1/{pdb}": 1,
        f"global-fabric-network/us-west-2/{pdb}": 1,
        f"minimal/local/{pdb}": 1,
        # 3 consenters over 2 clusters tolerate 1 failure: the share left to each cluster
        # is 0, and a budget is never below 1 (0 would block every drain forever)
        "consortium/alpha/ord-a/poddisruptionbudget-ord-a-orderers.yaml": 1,
        "consortium/beta/ord-b/poddisruptionbudget-ord-b-orderers.yaml": 1,
    }
