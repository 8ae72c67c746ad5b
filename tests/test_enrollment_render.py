"""The enrollment objects the compiler renders for each identity."""

from __future__ import annotations

import itertools
import json
from typing import Any

from compiler.analysis.endpoints import endpoint
from compiler.pipeline import check_file
from tests.conftest import GLOBAL
from tests.tooling import rendered


def objects(cluster: str, namespace: str, name: str) -> dict[str, dict[str, Any]]:
    net = "global-fabric-network"
    return {
        kind: rendered(net, cluster, namespace, kind, f"{name}-{suffix}")
        for kind, suffix in (
            ("ConfigMap", "enroll"),
            ("ServiceAccount", "enroll"),
            ("Role", "enroll"),
            ("RoleBinding", "enroll"),
            ("Job", "enroll"),
            ("CronJob", "renew"),
        )
    }


def test_role_reaches_only_the_identitys_own_secrets() -> None:
    role = objects("us-west-2", "org2", "org2-peer0")["Role"]
    named, create, own_pod = role["rules"]
    # its two Secrets, and where its organisation's Jobs keep the registrar's enrollments
    assert named["resourceNames"] == [
        "org2-peer0-msp",
        "org2-peer0-tls",
        "org2-registrar-enrollment",
    ]
    assert named["verbs"] == ["get", "update", "patch"]
    assert create == {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]}
    # a renewal restarts its own node: delete on that one pod, nothing else
    assert own_pod == {"apiGroups": [""], "resources": ["pods"],
                       "resourceNames": ["org2-peer0-0"], "verbs": ["get", "delete"]}  # fmt: skip
    assert "list" not in str(role)
    config = json.loads(
        objects("us-west-2", "org2", "org2-peer0")["ConfigMap"]["data"]["enroll.json"]
    )
    assert config["registrarSecret"] == "org2-registrar-enrollment"
    admin = objects("us-west-2", "org2", "org2-admin")["Role"]
    assert "pods" not in str(admin)  # an admin identity restarts nothing


def test_renewals_never_overlap_two_consenters_or_two_peers_of_an_organisation() -> None:
    from compiler.render.enrollment import RENEWAL_SPACING  # noqa: PLC0415

    def slot(cluster: str, ns: str, ident: str) -> int:
        minute, hour, *_ = objects(cluster, ns, ident)["CronJob"]["spec"]["schedule"].split()
        return int(hour) * 60 + int(minute)

    orderers = [slot(c, "orderer-org", f"orderer-org-orderer{i}")
                for i, c in enumerate(["us-east-1", "us-east-1", "us-west-2", "us-west-2",
                                       "eu-west-1"])]  # fmt: skip
    peers = [slot("us-east-1", "org1", f"org1-peer{i}") for i in range(2)]
    for times in (orderers, peers):
        ordered = sorted(times)
        assert all(b - a >= RENEWAL_SPACING for a, b in itertools.pairwise(ordered))


def test_config_names_every_tls_host_and_the_right_ca_address() -> None:
    result = check_file(GLOBAL)
    assert result.analysis is not None
    network = result.analysis.network
    orderer2 = next(n for n in network.nodes if n.workload == "orderer-org-orderer2")
    config = json.loads(
        objects("us-west-2", "orderer-org", "orderer-org-orderer2")["ConfigMap"]["data"][
            "enroll.json"
        ]
    )
    assert config["hosts"] == list(endpoint(network, orderer2).tls_hosts())
    assert "orderer-org-orderer2.us-west-2.fabric.global" in config["hosts"]
    assert "orderer-org-orderer2-admin.us-west-2.fabric.global" in config["hosts"]
    # its CA runs in us-east-1: dialled by its external name through the gateway
    assert config["caURL"] == "https://orderer-org-ca.us-east-1.fabric.global:443"
    local = json.loads(
        objects("us-east-1", "orderer-org", "orderer-org-orderer0")["ConfigMap"]["data"][
            "enroll.json"
        ]
    )
    assert local["caURL"] == "https://orderer-org-ca.orderer-org.svc.cluster.local:7054"
    assert (config["type"], config["mspSecret"], config["tlsSecret"]) == (
        "orderer",
        "orderer-org-orderer2-msp",
        "orderer-org-orderer2-tls",
    )


def test_job_is_a_sync_hook_and_the_cronjob_renews_daily() -> None:
    objs = objects("eu-west-1", "org3", "org3-peer1")
    job, cron = objs["Job"], objs["CronJob"]
    notes = job["metadata"]["annotations"]
    assert notes["argocd.argoproj.io/hook"] == "Sync"
    assert notes["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "org3-peer1-enroll"
    assert pod["containers"][0]["command"][:3] == ["hlfc", "enroll", "--config"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in pod["containers"][0]["env"]}
    assert env == {
        "CA_REGISTRAR_USERNAME": "org3-ca-registrar",
        "CA_REGISTRAR_PASSWORD": "org3-ca-registrar",
    }
    minute, hour, *rest = cron["spec"]["schedule"].split()
    assert 0 <= int(minute) < 60 and hour == "3" and rest == ["*", "*", "*"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert cron["spec"]["jobTemplate"]["spec"]["template"] == job["spec"]["template"]
    revoke = rendered("global-fabric-network", "eu-west-1", "org3", "Job", "org3-peer1-revoke")
    assert revoke["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PostDelete"
    assert revoke["spec"]["template"]["spec"]["containers"][0]["command"][-1] == "--revoke"
    # it runs after Argo CD deleted the Application's objects: nothing of theirs is needed
    spec = revoke["spec"]["template"]["spec"]
    assert "serviceAccountName" not in spec and spec["automountServiceAccountToken"] is False
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["config"]["configMap"]["name"] == "org3-peer1-revoke"
    hook_config = rendered("global-fabric-network", "eu-west-1", "org3", "ConfigMap",
                           "org3-peer1-revoke")  # fmt: skip
    assert hook_config["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PostDelete"
    # only the certificates of the identity's Secrets (which a sync never deletes), no key
    assert {n: (v["secret"]["secretName"], v["secret"]["items"]) for n, v in volumes.items()
            if "secret" in v} == {
        "held-msp": ("org3-peer1-msp", [{"key": "signcert.pem", "path": "signcert.pem"}]),
        "held-tls": ("org3-peer1-tls", [{"key": "tls.crt", "path": "tls.crt"}]),
    }  # fmt: skip


def test_every_organisation_has_an_admin_identity_where_it_runs_nodes() -> None:
    for cluster in ("us-east-1", "us-west-2", "eu-west-1"):
        config = json.loads(
            objects(cluster, "orderer-org", "orderer-org-admin")["ConfigMap"]["data"]["enroll.json"]
        )
        assert config["type"] == "admin" and config["hosts"] == []


def test_each_organisations_registrar_job_serves_its_identities_jobs_a_wave_earlier() -> None:
    net = "global-fabric-network"
    name = "org2-registrar-enrollment"
    job = rendered(net, "us-west-2", "org2", "Job", name)
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "Sync"
    peer_job = objects("us-west-2", "org2", "org2-peer0")["Job"]
    wave = "argocd.argoproj.io/sync-wave"
    assert int(job["metadata"]["annotations"][wave]) < int(
        peer_job["metadata"]["annotations"][wave]
    )
    pod = job["spec"]["template"]["spec"]
    assert pod["containers"][0]["command"][-1] == "--registrar"
    assert pod["serviceAccountName"] == name
    # the same registrar credential as the identities' Jobs
    assert (
        pod["containers"][0]["env"] == peer_job["spec"]["template"]["spec"]["containers"][0]["env"]
    )
    # the CA the identities' Jobs dial, and the Secret they read, no identity
    config_map = rendered(net, "us-west-2", "org2", "ConfigMap", name)
    config = json.loads(config_map["data"]["enroll.json"])
    peer_map = objects("us-west-2", "org2", "org2-peer0")["ConfigMap"]
    peer = json.loads(peer_map["data"]["enroll.json"])
    assert config == {k: v for k, v in peer.items() if k in config}
    assert config["registrarSecret"] == name
    assert "enrollmentID" not in config and "mspSecret" not in config
    named, create = rendered(net, "us-west-2", "org2", "Role", name)["rules"]
    assert named["resourceNames"] == [name] and named["verbs"] == ["get", "update", "patch"]
    assert create == {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]}
