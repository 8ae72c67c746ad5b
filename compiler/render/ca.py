"""A Fabric CA per organisation: one server holding the enrollment CA and the TLS CA.

The server keeps keys and its sqlite database beside its config file, and reads its
bootstrap registrar only from that file. The pod therefore runs a rendered start script
(compiler/templates/fabric-ca-start.sh.in) that installs both configs into the CA's home on
its volume, with the registrar from a Secret, and starts the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler.analysis.endpoints import CA_PORT, OPERATIONS_PORT, endpoint
from compiler.analysis.network import Network, Org
from compiler.blueprint.models import ImportedRoot
from compiler.render import credentials, pod, waves
from compiler.render.manifest import Manifest
from compiler.render.services import config_map, service_account, services
from compiler.render.templates import render_template

HOME = "/var/hyperledger/fabric-ca"
CONFIG_DIR = "/etc/hyperledger/fabric-ca-config"
IMPORT_DIR = "/etc/hyperledger/fabric-ca-import"
TLSCA_DIR = "tlsca"
# The server's own TLS certificate. fabric-ca-server issues it once, at its first start,
# from the enrollment CA's "tls" signing profile (lib/server.go, autoGenerateTLSCertificateKey),
# and never renews it. With that profile at the blueprint's certificateLifetime, every CA
# refused every TLS client, renewals included, once that lifetime had passed. So the
# enrollment CA's "tls" profile (used for nothing else: node TLS certificates come from the
# TLS CA) gets a lifetime of its own, five years as Fabric CA's "ca" profile, and the start
# script has the server issue a new one at each start.
SERVER_TLS_HOURS = 43800


def _root_files(key: str, caname: str, imported: ImportedRoot | None) -> list[str]:
    """The CA's key and certificate: an imported root's (public certificate from the
    blueprint, key from a Secret), or the ones the server makes at its first start."""
    if imported is None:
        return ["  keyfile:", "  certfile: ca-cert.pem"]
    return [
        "  # an existing root: public certificate from the blueprint, key from a Secret",
        f"  keyfile: {IMPORT_DIR}/{caname}/key.pem",
        f"  certfile: {CONFIG_DIR}/{key}",
    ]


def affiliations(org: Org) -> list[str]:
    """The `affiliations:` tree as YAML lines: the organisation, and every affiliation its
    application identities name (the enroller registers them there, at both CAs). Fabric CA
    reads this tree when its database is created; later additions need its affiliation API."""
    tree: dict[str, Any] = {org.name: {}}
    for ident in org.identities:
        if ident.affiliation:
            node = tree
            for part in ident.affiliation.split("."):
                node = node.setdefault(part, {})

    def lines(node: dict[str, Any], depth: int) -> list[str]:
        out = []
        for name in sorted(node):
            pad = "  " * depth
            if node[name]:
                out += [f"{pad}{name}:", *lines(node[name], depth + 1)]
            else:
                out.append(f"{pad}{name}: []")
        return out

    return lines(tree, 1)


def config_files(network: Network, org: Org) -> dict[str, str]:
    """ConfigMap contents: both CA configs, the start script, imported root certificates."""
    spec = org.ca.spec
    subject = spec.subject
    default_expiry = network.blueprint.spec.security.certificate_lifetime
    common = {
        "org": org.name,
        "default_expiry": default_expiry,
        "subject": subject,
        "subject_organization": subject.organization or org.name,
        "subject_ou": f" {subject.organizational_unit}" if subject.organizational_unit else "",
        "hosts": [f"    - {h}" for h in (*endpoint(network, org.ca).tls_hosts(), *spec.hosts)],
        "affiliations": affiliations(org),
    }
    # the server's own keys (port, TLS, the TLS CA's config file, operations): ca.yaml only
    server_section = render_template(
        "fabric-ca-server-section.yaml.in",
        ca_version=network.blueprint.spec.fabric.ca_version,
        port=CA_PORT,
        operations_port=OPERATIONS_PORT,
        tlsca_config=f"{TLSCA_DIR}/fabric-ca-server-config.yaml",
    ).splitlines()
    files = {
        "ca.yaml": render_template(
            "fabric-ca-server-config.yaml.in",
            role="CA",
            caname=spec.name,
            server_section=server_section,
            root_files=_root_files("ca-import-cert.pem", spec.name, spec.import_root),
            tls_profile_for="the server's own TLS certificate "
            "(compiler/render/ca.py: SERVER_TLS_HOURS)",
            tls_profile_expiry=f"{SERVER_TLS_HOURS}h",
            **common,
        ),
        "tlsca.yaml": render_template(
            "fabric-ca-server-config.yaml.in",
            role="TLS CA",
            caname=spec.tls_name,
            server_section=[],
            root_files=_root_files("tlsca-import-cert.pem", spec.tls_name, spec.import_tls_root),
            tls_profile_for="every node's TLS certificate",
            tls_profile_expiry=default_expiry,
            **common,
        ),
        "start.sh": render_template(
            "fabric-ca-start.sh.in",
            org=org.name,
            caname=spec.name,
            tls_caname=spec.tls_name,
            tls_dir=TLSCA_DIR,
        ),
    }
    if spec.import_root is not None:
        files["ca-import-cert.pem"] = spec.import_root.cert
    if spec.import_tls_root is not None:
        files["tlsca-import-cert.pem"] = spec.import_tls_root.cert
    return files


def _container(network: Network, org: Org) -> dict[str, Any]:
    fabric = network.blueprint.spec.fabric
    registrar = credentials.registrar(network, org)
    mounts: list[dict[str, Any]] = [
        {"name": "data", "mountPath": HOME},
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": pod.TMP_VOLUME, "mountPath": "/tmp"},
    ]
    for imported, caname in (
        (org.ca.spec.import_root, org.ca.spec.name),
        (org.ca.spec.import_tls_root, org.ca.spec.tls_name),
    ):
        if imported is not None:
            mounts.append(
                {
                    "name": f"{caname}-import",
                    "mountPath": f"{IMPORT_DIR}/{caname}",
                    "readOnly": True,
                }
            )
    return {
        "name": "fabric-ca",
        "image": pod.image(fabric.images.ca, fabric.ca_version),
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/sh", f"{CONFIG_DIR}/start.sh"],
        "env": [
            {"name": "FABRIC_CA_SERVER_HOME", "value": HOME},
            {"name": "HLFC_CA_CONFIG_DIR", "value": CONFIG_DIR},
            {
                "name": "CA_REGISTRAR_USERNAME",
                "valueFrom": {
                    "secretKeyRef": {"name": registrar.name, "key": credentials.USERNAME_KEY}
                },
            },
            {
                "name": "CA_REGISTRAR_PASSWORD",
                "valueFrom": {
                    "secretKeyRef": {"name": registrar.name, "key": credentials.PASSWORD_KEY}
                },
            },
        ],
        "ports": [
            {"name": "https", "containerPort": CA_PORT, "protocol": "TCP"},
            {"name": "operations", "containerPort": OPERATIONS_PORT, "protocol": "TCP"},
        ],
        "startupProbe": pod.http_probe("/cainfo", "https", scheme="HTTPS", period=5, failures=60),
        "readinessProbe": pod.http_probe("/cainfo", "https", scheme="HTTPS"),
        "livenessProbe": pod.http_probe("/healthz", "operations", failures=6),
        "resources": pod.resources(org.ca.spec.resources),
        "securityContext": pod.container_security(),
        "volumeMounts": mounts,
    }


def _statefulset(network: Network, org: Org, files: dict[str, str]) -> dict[str, Any]:
    ca = org.ca
    cluster = network.cluster(ca.cluster)
    storage_class = ca.spec.storage.storage_class or (cluster.storage_class if cluster else None)
    volumes: list[dict[str, Any]] = [
        {"name": "config", "configMap": {"name": f"{ca.workload}-config", "defaultMode": 0o444}},
        pod.tmp_volume(),
    ]
    for spec, name in (
        (ca.spec.import_root, ca.spec.name),
        (ca.spec.import_tls_root, ca.spec.tls_name),
    ):
        if spec is not None:
            volumes.append(
                {
                    "name": f"{name}-import",
                    "secret": {
                        "secretName": spec.key_secret.name,
                        "defaultMode": 0o400,
                        "items": [{"key": "key.pem", "path": "key.pem"}],
                    },
                }
            )
    return pod.statefulset(
        network,
        ca,
        wave=waves.CA,
        config=files,
        pod_spec={"containers": [_container(network, org)], "volumes": volumes},
        # one replica: the CA's sqlite database is not shared
        claims=[pod.volume_claim("data", ca.spec.storage.size or "5Gi", storage_class)],
    )


def render(network: Network) -> Iterator[Manifest]:
    for org in network.orgs:
        ca = org.ca
        files = config_files(network, org)
        ports = [("https", CA_PORT), ("operations", OPERATIONS_PORT)]
        objects = [
            service_account(network, ca, waves.CA),
            config_map(network, ca, files, waves.CA),
            *services(network, ca, ports, waves.CA),
            _statefulset(network, org, files),
        ]
        for obj in objects:
            yield Manifest(ca.cluster, ca.namespace, obj, pod.node_unit(ca))
