"""Per identity, in the identity's own cluster and namespace (ARCHITECTURE.md decision 3):
an enrollment config, a ServiceAccount whose Role reaches only that identity's Secrets, a
Job (Argo CD Sync hook between the CA and the nodes), a daily renewal CronJob, and a
PostDelete hook that revokes the identity's certificates. Per organisation and namespace, a
wave before those, a registrar Job that enrolls the CA's registrar once and keeps it for the
identities' Jobs (compiler/enroll/registrar.py).

Identities: every peer and orderer; each organisation's admin (channel Jobs sign with it)
and application identities in every cluster where the organisation runs nodes; and each
chaincode server (its TLS certificate, for the peers that dial it).

RBAC cannot limit `create` by name: the Role grants get/update/patch on the identity's two
Secrets by name, and `create` on Secrets in the namespace. The README says how that is
contained (one namespace, one ServiceAccount used by this Job only, no list/read of other
Secrets).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from compiler.analysis import chaincodes
from compiler.analysis.endpoints import address, endpoint
from compiler.analysis.network import CaNode, Network, Node, Org
from compiler.render import credentials, jsontext, pod, waves
from compiler.render.manifest import Manifest, common_labels

CONFIG_DIR = "/etc/hlfc"
CONFIG_FILE = "enroll.json"


@dataclass(frozen=True)
class EnrollIdentity:
    org: Org
    name: str  # enrollment ID, also the base of every object name
    kind: str  # Fabric CA identity type: peer | orderer | admin
    cluster: str
    namespace: str
    hosts: tuple[str, ...]  # TLS SANs
    source: Node  # where the Job runs (for the CA address)
    attrs: tuple[tuple[str, str], ...] = ()  # put into the enrollment certificate
    affiliation: str = ""

    @property
    def msp_secret(self) -> str:
        return f"{self.name}-msp"

    @property
    def tls_secret(self) -> str:
        return f"{self.name}-tls"


def identities(network: Network) -> list[EnrollIdentity]:
    out: list[EnrollIdentity] = []
    for org in network.orgs:
        for node in (*org.orderers, *org.peers):
            out.append(
                EnrollIdentity(
                    org,
                    node.workload,
                    node.kind,
                    node.cluster,
                    node.namespace,
                    endpoint(network, node).tls_hosts(),
                    node,
                )
            )
        for cluster in sorted({n.cluster for n in (*org.orderers, *org.peers)}):
            anchor = next(n for n in (*org.orderers, *org.peers) if n.cluster == cluster)
            out.append(
                EnrollIdentity(
                    org, f"{org.name}-admin", "admin", cluster, org.namespace, (), anchor
                )
            )
            for app in org.identities:
                out.append(
                    EnrollIdentity(
                        org,
                        f"{org.name}-{app.name}",
                        app.type,
                        cluster,
                        org.namespace,
                        (),
                        anchor,
                        tuple(sorted(app.attributes.items())),
                        app.affiliation or "",
                    )
                )
    for cc, org, cluster in chaincodes.servers(network):
        source = next(p for p in org.peers if p.cluster == cluster)
        out.append(
            EnrollIdentity(
                org,
                cc.server,
                "client",
                cluster,
                org.namespace,
                service_hosts(cc.server, org),
                source,
            )
        )
    return out


def service_hosts(service: str, org: Org) -> tuple[str, ...]:
    ns = org.namespace
    return (service, f"{service}.{ns}", f"{service}.{ns}.svc", f"{service}.{ns}.svc.cluster.local")


def _ca_config(network: Network, org: Org, source: Node, namespace: str) -> dict[str, Any]:
    """The CA a Job in `namespace` dials from `source`'s cluster, and where it keeps the
    registrar's enrollment: an identity's Job and its registrar Job agree on all of it."""
    ca: CaNode = org.ca
    host, port = address(network, source, ca)
    data: dict[str, Any] = {
        "caURL": f"https://{host}:{port}",
        "caName": ca.spec.name,
        "tlsCAName": ca.spec.tls_name,
        "namespace": namespace,
        "registrarSecret": registrar_enrollment_secret(org),
        "renewAt": network.blueprint.spec.security.renew_at,
        "deadlineSeconds": 300,
    }
    if ca.spec.import_root is not None:
        data["caRootPEM"] = ca.spec.import_root.cert  # pinned: no trust on first use
    return data


def config(network: Network, ident: EnrollIdentity) -> dict[str, Any]:
    data = _ca_config(network, ident.org, ident.source, ident.namespace) | {
        "enrollmentID": ident.name,
        "type": ident.kind,
        "mspID": ident.org.msp_id,
        "mspSecret": ident.msp_secret,
        "tlsSecret": ident.tls_secret,
        "hosts": list(ident.hosts),
    }
    if ident.attrs:
        data["attrs"] = dict(ident.attrs)
    if ident.affiliation:
        data["affiliation"] = ident.affiliation
    if restarts(ident):
        # Fabric 2.5 reads its certificates once, at start: a renewal restarts the node
        data["restartPod"] = ident.source.pod
    return data


def registrar_enrollment_secret(org: Org) -> str:
    """Where the organisation's registrar Job keeps the registrar's enrollments for its
    identities' Jobs (compiler/enroll/registrar.py): written by Jobs, never by a sync. Its
    registrar Job's ConfigMap, ServiceAccount, Role and Job share the name."""
    return f"{org.name}-registrar-enrollment"


def restarts(ident: EnrollIdentity) -> bool:
    """A node identity's renewal restarts its node (peer or orderer, the Secrets' reader)."""
    return ident.kind in ("peer", "orderer") and ident.source.workload == ident.name


def _secret_rules(names: list[str]) -> list[dict[str, Any]]:
    """An enrollment Job's reach into Secrets: its own, by name, and `create`, which RBAC
    cannot limit by name (README: how this is contained)."""
    return [
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": names,
         "verbs": ["get", "update", "patch"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
    ]  # fmt: skip


def _labels(network: Network, ident: EnrollIdentity) -> dict[str, str]:
    return common_labels(network.name, "enroll") | {
        "hlfc.dev/organization": ident.org.name,
        "hlfc.dev/identity": ident.name,
    }


def _meta(
    network: Network, ident: EnrollIdentity, name: str, annotations: dict[str, str]
) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": ident.namespace,
        "labels": _labels(network, ident),
        "annotations": annotations,
    }


HELD_DIR = "/var/run/hlfc/held"


def _revoke_pod(spec: dict[str, Any], ident: EnrollIdentity) -> dict[str, Any]:
    """The PostDelete pod runs after Argo CD deleted the Application's objects: its
    ServiceAccount, Role and ConfigMap are gone. It needs none of them: its config is a
    PostDelete ConfigMap of its own, and the certificates to revoke (never the keys) come
    from the identity's Secrets, which a sync never deletes, mounted as volumes."""
    container = spec["containers"][0]
    container["volumeMounts"] += [
        {"name": "held-msp", "mountPath": f"{HELD_DIR}/msp", "readOnly": True},
        {"name": "held-tls", "mountPath": f"{HELD_DIR}/tls", "readOnly": True},
    ]
    held = (
        ("held-msp", ident.msp_secret, "signcert.pem"),
        ("held-tls", ident.tls_secret, "tls.crt"),
    )
    spec["volumes"] = [
        {"name": "config", "configMap": {"name": f"{ident.name}-revoke", "defaultMode": 0o444}},
        pod.tmp_volume(),
        *(
            {"name": volume, "secret": {"secretName": secret, "optional": True,
                                        "items": [{"key": key, "path": key}]}}
            for volume, secret, key in held
        ),
    ]  # fmt: skip
    del spec["serviceAccountName"]  # the namespace's default: the pod calls no API
    spec["automountServiceAccountToken"] = False
    return spec


def _pod_spec(network: Network, org: Org, name: str, args: list[str]) -> dict[str, Any]:
    """An enroller pod whose ServiceAccount and config ConfigMap are both named `name`."""
    fabric = network.blueprint.spec.fabric
    registrar = credentials.registrar(network, org)
    secret_env = [
        {"name": env, "valueFrom": {"secretKeyRef": {"name": registrar.name, "key": key}}}
        for env, key in (
            ("CA_REGISTRAR_USERNAME", credentials.USERNAME_KEY),
            ("CA_REGISTRAR_PASSWORD", credentials.PASSWORD_KEY),
        )
    ]
    return {
        "serviceAccountName": name,
        "automountServiceAccountToken": True,  # it writes Secrets through the API
        "restartPolicy": "OnFailure",
        "securityContext": pod.pod_security(network),
        "containers": [
            {
                "name": "enroll",
                "image": fabric.images.enroller,
                "imagePullPolicy": "IfNotPresent",
                "command": ["hlfc", "enroll", "--config", f"{CONFIG_DIR}/{CONFIG_FILE}", *args],
                "env": secret_env,
                "resources": {
                    "requests": {"cpu": "50m", "memory": "64Mi"},
                    "limits": {"cpu": "250m", "memory": "128Mi"},
                },
                "securityContext": pod.container_security(),
                "volumeMounts": [
                    {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                    {"name": pod.TMP_VOLUME, "mountPath": "/tmp"},
                ],
            }
        ],
        "volumes": [
            {"name": "config", "configMap": {"name": name, "defaultMode": 0o444}},
            pod.tmp_volume(),
        ],
    }


def _job(
    network: Network, ident: EnrollIdentity, name: str, annotations: dict[str, str], args: list[str]
) -> dict[str, Any]:
    spec = _pod_spec(network, ident.org, f"{ident.name}-enroll", args)
    return _job_object(
        _meta(network, ident, name, annotations | pod.JOB_NO_PROBES),
        _labels(network, ident),
        _revoke_pod(spec, ident) if "--revoke" in args else spec,
    )


def _job_object(
    metadata: dict[str, Any], labels: dict[str, str], spec: dict[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {
            "backoffLimit": 6,
            "activeDeadlineSeconds": 900,
            "ttlSecondsAfterFinished": 86400,
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }


RENEWAL_SPACING = 10  # minutes between two restarts that must not overlap
ORDERER_WINDOW = 60  # 01:00: orderers, one at a time across the whole network
PEER_WINDOW = 180  # 03:00: each organisation's peers, one at a time


def renewal_schedule(network: Network, ident: EnrollIdentity) -> str:
    """When the identity's renewal CronJob runs. Renewal restarts nodes, so the compiler,
    which knows every node, gives each orderer of the network and each peer of an
    organisation its own slot, RENEWAL_SPACING minutes apart: never two consenters down at
    once (every channel keeps quorum), never two peers of one organisation. Other
    identities restart nothing: a fixed minute per identity spreads their CA load."""
    if restarts(ident) and ident.kind == "orderer":
        orderers = sorted(o.workload for org in network.orgs for o in org.orderers)
        slot = ORDERER_WINDOW + orderers.index(ident.source.workload) * RENEWAL_SPACING
    elif restarts(ident):
        peers = sorted(p.workload for p in ident.org.peers)
        slot = PEER_WINDOW + peers.index(ident.source.workload) * RENEWAL_SPACING
    else:
        minute = int(hashlib.sha256(ident.name.encode()).hexdigest(), 16) % 60
        return f"{minute} 5 * * *"
    slot %= 24 * 60  # past a day's slots (over 144 nodes) two may share one
    return f"{slot % 60} {slot // 60} * * *"


def objects(network: Network, ident: EnrollIdentity) -> Iterator[dict[str, Any]]:
    wave = waves.annotation(waves.ENROLLMENT)
    name = f"{ident.name}-enroll"
    yield {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(network, ident, name, wave),
        "data": {CONFIG_FILE: jsontext.dumps(config(network, ident), sort_keys=True) + "\n"},
    }
    yield {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(network, ident, name, wave),
        "automountServiceAccountToken": False,  # only the enrollment pods mount it
    }
    yield {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _meta(network, ident, name, wave),
        "rules": [
            *_secret_rules(
                [ident.msp_secret, ident.tls_secret, registrar_enrollment_secret(ident.org)]
            ),
            *(
                # a renewal restarts its own node's pod, and no other
                [{"apiGroups": [""], "resources": ["pods"],
                  "resourceNames": [ident.source.pod], "verbs": ["get", "delete"]}]
                if restarts(ident) else []
            ),
        ],
    }  # fmt: skip
    yield {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _meta(network, ident, name, wave),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ident.namespace}],
    }
    yield _job(network, ident, name, wave | waves.SYNC_HOOK, [])
    yield {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta(network, ident, f"{ident.name}-renew", wave | pod.JOB_NO_PROBES),
        "spec": {
            "schedule": renewal_schedule(network, ident),
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            # history limits bound the CronJob's Jobs; a TTL on them would fight those
            "jobTemplate": {
                "spec": {
                    k: v
                    for k, v in _job(network, ident, name, {}, [])["spec"].items()
                    if k != "ttlSecondsAfterFinished"
                }
            },
        },
    }
    post_delete = {
        "argocd.argoproj.io/hook": "PostDelete",
        "argocd.argoproj.io/hook-delete-policy": "HookSucceeded",
    }
    yield {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        # created with the Job when the Application is deleted, after its ConfigMaps went
        "metadata": _meta(network, ident, f"{ident.name}-revoke", post_delete),
        "data": {CONFIG_FILE: jsontext.dumps(config(network, ident), sort_keys=True) + "\n"},
    }
    yield _job(network, ident, f"{ident.name}-revoke", post_delete, ["--revoke"])


@dataclass(frozen=True)
class RegistrarJob:
    """An organisation's registrar Job in one namespace of one cluster where its identities'
    Jobs run, a wave before them: it enrolls the registrar at both CAs once and keeps that
    in the Secret the identities' Jobs sign their registrations with (registrar.py)."""

    org: Org
    cluster: str
    namespace: str
    source: Node  # the CA is dialled from here, as by the identities' Jobs

    @property
    def name(self) -> str:
        return registrar_enrollment_secret(self.org)


def registrar_jobs(idents: list[EnrollIdentity]) -> list[RegistrarJob]:
    found: dict[tuple[str, str, str], RegistrarJob] = {}
    for ident in idents:
        key = (ident.cluster, ident.namespace, ident.org.name)
        found.setdefault(key, RegistrarJob(ident.org, ident.cluster, ident.namespace, ident.source))
    return [found[key] for key in sorted(found)]


def registrar_objects(network: Network, job: RegistrarJob) -> Iterator[dict[str, Any]]:
    wave = waves.annotation(waves.REGISTRAR)
    labels = common_labels(network.name, "enroll") | {"hlfc.dev/organization": job.org.name}

    def meta(annotations: dict[str, str]) -> dict[str, Any]:
        return {
            "name": job.name,
            "namespace": job.namespace,
            "labels": labels,
            "annotations": annotations,
        }

    data = _ca_config(network, job.org, job.source, job.namespace)
    yield {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(wave),
        "data": {CONFIG_FILE: jsontext.dumps(data, sort_keys=True) + "\n"},
    }
    yield {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta(wave),
        "automountServiceAccountToken": False,  # only the Job's pod mounts it
    }
    yield {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": meta(wave),
        "rules": _secret_rules([job.name]),
    }
    yield {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": meta(wave),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": job.name},
        "subjects": [{"kind": "ServiceAccount", "name": job.name, "namespace": job.namespace}],
    }
    yield _job_object(
        meta(wave | waves.SYNC_HOOK | pod.JOB_NO_PROBES),
        labels,
        _pod_spec(network, job.org, job.name, ["--registrar"]),
    )


def network_policy(network: Network, namespace: str) -> dict[str, Any]:
    """Enrollment pods reach their CA (any cluster) and the Kubernetes API, nothing else."""
    part_of = {"app.kubernetes.io/part-of": network.name}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "allow-enroll",
            "namespace": namespace,
            "labels": common_labels(network.name, "policy"),
            "annotations": waves.annotation(waves.POLICIES),
        },
        "spec": {
            "podSelector": {"matchLabels": part_of | {"app.kubernetes.io/component": "enroll"}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": part_of},
                            "podSelector": {
                                "matchLabels": part_of | {"app.kubernetes.io/component": "ca"}
                            },
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": 7054}],
                },
                # the API server and other clusters' gateways have addresses hlfc cannot know
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                    "ports": [{"protocol": "TCP", "port": p} for p in (443, 6443)],
                },
            ],
        },
    }


def render(network: Network) -> Iterator[Manifest]:
    idents = identities(network)
    for job in registrar_jobs(idents):
        for obj in registrar_objects(network, job):
            yield Manifest(job.cluster, job.namespace, obj, f"registrar-{job.org.name}")
    for ident in idents:
        for obj in objects(network, ident):
            yield Manifest(ident.cluster, ident.namespace, obj, f"identity-{ident.name}")
    if network.blueprint.spec.security.network_policies:
        for cluster in network.clusters:
            for namespace in network.namespaces(cluster.name):
                yield Manifest(cluster.name, namespace, network_policy(network, namespace))
