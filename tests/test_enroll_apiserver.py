"""The enroller's Kubernetes side against a real kube-apiserver with RBAC on, as the
rendered enrollment Job runs it: its own ServiceAccount's token, the rendered Role and
RoleBinding of output/minimal, a real Fabric CA.

- the Job creates both Secrets, a second run changes nothing, a renewal updates them with
  the resourceVersion it read;
- a write from a stale read is refused (409), never a silent overwrite;
- the Role lets a node's Job neither read nor update another node's Secrets (the real RBAC
  authoriser says so, not the YAML);
- the organisation's registrar Job keeps the registrar's enrollment with its own token and
  reaches no other Secret."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from lightkube.core.exceptions import ApiError

from compiler.enroll.config import CAConfig, EnrollConfig
from compiler.enroll.flow import Outcome, keep_registrar, run
from compiler.enroll.secrets import KubeSecrets
from tests import apiserver
from tests.ca_harness import LocalCA, running_ca
from tests.conftest import ROOT
from tests.tooling import object_in

pytestmark = [pytest.mark.tools]

NS = "org1"
KEPT = "org1-registrar-enrollment"  # the registrar Job's objects, and its Secret
OUT = ROOT / "output" / "minimal" / "local" / NS
REGISTRAR = ("registrar", "registrar-secret-from-a-Secret")


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCA]:
    with running_ca(tmp_path_factory.mktemp("ca"), REGISTRAR) as local:
        yield local


def _rendered(kind: str, name: str) -> dict[str, Any]:
    return object_in(OUT, kind, name)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[apiserver.ApiServer]:
    with apiserver.running(tmp_path_factory.mktemp("apiserver")) as running:
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
        assert running.apply(ns).status_code < 300
        # the rendered RBAC of two identities of the same namespace, exactly as committed
        for name in ("org1-peer0-enroll", "org1-admin-enroll", KEPT):
            for kind in ("ServiceAccount", "Role", "RoleBinding"):
                response = running.apply(_rendered(kind, name))
                assert response.status_code < 300, response.text
        yield running


def _store(server: apiserver.ApiServer, identity: str) -> KubeSecrets:
    token = server.token(NS, f"{identity}-enroll")
    return KubeSecrets.for_server(server.url, NS, token, ca_file=server.ca_file)


def _config(ca: LocalCA, identity: str, **changes: object) -> EnrollConfig:
    rendered = _rendered("ConfigMap", f"{identity}-enroll")
    cfg = EnrollConfig.from_json(json.loads(rendered["data"]["enroll.json"]), REGISTRAR)
    # the CA runs on this machine, not at the in-cluster name the config carries
    return dataclasses.replace(cfg, ca_url=ca.url, **changes)  # type: ignore[arg-type]


def test_the_jobs_own_token_creates_then_keeps_then_renews(
    server: apiserver.ApiServer, ca: LocalCA
) -> None:
    store = _store(server, "org1-peer0")
    cfg = _config(ca, "org1-peer0")
    assert run(cfg, store) is Outcome.ENROLLED
    first = store.read(cfg.msp_secret)
    assert first is not None and first.resource_version
    assert run(cfg, store) is Outcome.UNCHANGED
    assert store.read(cfg.msp_secret) == first
    # past 80 % of the certificate's year: re-enrolled, the Secrets updated in place
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=300)
    assert run(cfg, store, now=later) is Outcome.RENEWED
    renewed = store.read(cfg.msp_secret)
    assert renewed is not None
    assert renewed.resource_version != first.resource_version
    assert renewed.data["signcert.pem"] != first.data["signcert.pem"]
    assert renewed.data["key.pem"] == first.data["key.pem"]  # the same key, re-enrolled


def test_a_write_from_a_stale_read_is_refused(server: apiserver.ApiServer, ca: LocalCA) -> None:
    store = _store(server, "org1-peer0")
    cfg = _config(ca, "org1-peer0")
    run(cfg, store)
    stale = store.read(cfg.tls_secret)
    assert stale is not None
    store.write(cfg.tls_secret, stale.data, "kubernetes.io/tls", "2099-01-01T00:00:00Z", stale)
    with pytest.raises(ApiError) as conflict:  # someone wrote since `stale` was read
        store.write(cfg.tls_secret, stale.data, "kubernetes.io/tls", "2099-01-01T00:00:00Z", stale)
    assert conflict.value.status.code == 409


def test_a_nodes_job_cannot_read_or_update_another_nodes_secrets(
    server: apiserver.ApiServer, ca: LocalCA
) -> None:
    admin_cfg = _config(ca, "org1-admin")
    run(admin_cfg, _store(server, "org1-admin"))
    peer_store = _store(server, "org1-peer0")
    for secret in (admin_cfg.msp_secret, admin_cfg.tls_secret):
        with pytest.raises(ApiError) as read:
            peer_store.read(secret)
        assert read.value.status.code == 403
        with pytest.raises(ApiError) as update:
            peer_store.write(secret, {"x": b"y"}, "Opaque", "2099-01-01T00:00:00Z",
                             dataclasses.replace(_any_version(), data={}))  # fmt: skip
        assert update.value.status.code == 403
    # `create` cannot be limited by name in RBAC: an existing Secret is not overwritten by it
    with pytest.raises(ApiError) as create:
        peer_store.write(admin_cfg.msp_secret, {"x": b"y"}, "Opaque", "2099-01-01T00:00:00Z", None)
    assert create.value.status.code == 409


def test_the_registrar_jobs_own_token_keeps_the_registrar_and_reaches_nothing_else(
    server: apiserver.ApiServer, ca: LocalCA
) -> None:
    server.client.delete(f"/api/v1/namespaces/{NS}/secrets/{KEPT}")  # an identity's may be there
    token = server.token(NS, KEPT)
    store = KubeSecrets.for_server(server.url, NS, token, ca_file=server.ca_file)
    rendered = json.loads(_rendered("ConfigMap", KEPT)["data"]["enroll.json"])
    cfg = dataclasses.replace(CAConfig.from_json(rendered, REGISTRAR), ca_url=ca.url)
    assert keep_registrar(cfg, store) is Outcome.ENROLLED
    assert keep_registrar(cfg, store) is Outcome.UNCHANGED
    kept = store.read(KEPT)
    assert kept is not None and sorted(kept.data) == ["ca.crt", "ca.key", "tlsca.crt", "tlsca.key"]
    # the identities' Jobs read it with their own tokens (their Roles name it)
    assert _store(server, "org1-peer0").read(KEPT) == kept
    run(_config(ca, "org1-admin"), _store(server, "org1-admin"))
    with pytest.raises(ApiError) as read:
        store.read("org1-admin-msp")
    assert read.value.status.code == 403


def _any_version() -> Any:
    from compiler.enroll.secrets import Stored  # noqa: PLC0415

    return Stored({}, "1")


class Killed(BaseException):
    """A kill at that instant: no `except Exception` of the enroller can catch it."""


def _kill_after(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, calls: int) -> None:
    real = getattr(owner, name)
    count = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        count["n"] += 1
        if count["n"] == calls:
            raise Killed(f"killed after {name} #{calls}")
        return result

    monkeypatch.setattr(owner, name, wrapper)


def _consistent(store: KubeSecrets, cfg: EnrollConfig) -> None:
    """Every Secret that exists holds a certificate with its own key."""
    from compiler.enroll import crypto  # noqa: PLC0415

    for name, cert_key, key_key in ((cfg.msp_secret, "signcert.pem", "key.pem"),
                                    (cfg.tls_secret, "tls.crt", "tls.key")):  # fmt: skip
        stored = store.read(name)
        if stored is None:
            continue
        cert = crypto.load_certs(stored.data[cert_key])[0]
        key = crypto.load_key(stored.data[key_key])
        assert crypto.public_key_id(cert) == crypto.public_key_id(key), name


KILL_POINTS = {
    "after the keys are generated": ("compiler.enroll.crypto", "new_key", 2),
    "after the signing certificate is enrolled": (
        "compiler.enroll.ca_client.CAClient",
        "enroll",
        1,
    ),
    "after both certificates are enrolled": ("compiler.enroll.ca_client.CAClient", "enroll", 2),
    "between the two Secret writes": ("compiler.enroll.secrets.KubeSecrets", "write", 1),
}


# a renewal keeps its keys: no key is generated for a kill to follow
CASES = [(p, False) for p in sorted(KILL_POINTS)] + [
    (p, True) for p in sorted(KILL_POINTS) if KILL_POINTS[p][1] != "new_key"
]


IDS = [f"{'renewal' if r else 'enrollment'}, {p}" for p, r in CASES]


@pytest.mark.parametrize(("point", "renewal"), CASES, ids=IDS)
def test_a_killed_enroller_converges_on_the_next_run(
    point: str, renewal: bool, server: apiserver.ApiServer, ca: LocalCA,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Killed at each step against the real CA and API server: the next run converges, and
    no Secret ever holds a certificate without its key."""
    import importlib  # noqa: PLC0415

    identity = "org1-admin"  # its Role is applied; each case starts from no Secrets
    store = _store(server, identity)
    admin = server.client
    cfg = _config(ca, identity)
    for secret in (cfg.msp_secret, cfg.tls_secret):
        admin.delete(f"/api/v1/namespaces/{NS}/secrets/{secret}")
    now = None
    if renewal:
        assert run(cfg, store) is Outcome.ENROLLED
        now = dt.datetime.now(dt.UTC) + dt.timedelta(days=300)
    module_name, _, attr = KILL_POINTS[point][0].rpartition(".")
    owner: Any = importlib.import_module(KILL_POINTS[point][0]) if not attr[0].isupper() else (
        getattr(importlib.import_module(module_name), attr))  # fmt: skip
    if renewal and KILL_POINTS[point][1] == "enroll":
        _kill_after(monkeypatch, owner, "reenroll", KILL_POINTS[point][2])
    else:
        _kill_after(monkeypatch, owner, KILL_POINTS[point][1], KILL_POINTS[point][2])
    with pytest.raises(Killed):
        run(cfg, store, now=now)
    _consistent(store, cfg)
    monkeypatch.undo()
    assert run(cfg, store, now=now) in {Outcome.ENROLLED, Outcome.RENEWED}
    _consistent(store, cfg)
    # converged: fresh certificates now (a renewal's new ones are fresh at the real time)
    assert run(cfg, store) is Outcome.UNCHANGED


def test_a_renewal_may_delete_its_own_nodes_pod_and_no_other(
    server: apiserver.ApiServer,
) -> None:
    """The rendered Role, judged by the real RBAC: the peer's renewal restarts its pod,
    and cannot touch another pod."""
    from lightkube.resources.core_v1 import Pod  # noqa: PLC0415

    from compiler.enroll.restart import restart  # noqa: PLC0415

    for name in ("org1-peer0-0", "org1-other-0"):
        # a ServiceAccount the fixture made: "default" comes from the controller-manager,
        # and a pod created before it has is refused (403), as CI saw once
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
               "spec": {"serviceAccountName": "org1-peer0-enroll",
                        "automountServiceAccountToken": False,
                        "containers": [{"name": "c", "image": "none"}]}}  # fmt: skip
        created = server.apply(pod)
        assert created.status_code < 300, created.text
    client = _store(server, "org1-peer0").client
    with pytest.raises(ApiError) as other:
        client.delete(Pod, "org1-other-0", namespace=NS)
    assert other.value.status.code == 403
    clock = iter(range(100))
    with pytest.raises(Exception, match="not Ready again"):  # no kubelet here to start it
        restart(client, NS, "org1-peer0-0", deadline=3, clock=lambda: next(clock),
                sleep=lambda _: None, log=lambda _: None)  # fmt: skip
    assert server.client.get(f"/api/v1/namespaces/{NS}/pods/org1-peer0-0").status_code == 404
    assert restart(client, NS, "org1-peer0-0", deadline=3, log=lambda _: None) is False
