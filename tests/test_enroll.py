"""`hlfc enroll` against the real fabric-ca-server (rendered config, 127.0.0.1) and a
Kubernetes API over HTTP that records every request the client library makes."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from compiler.enroll import crypto
from compiler.enroll.ca_client import CAClient, CAError, Identity
from compiler.enroll.config import CAConfig, EnrollConfig
from compiler.enroll.flow import EnrollFailed, Outcome, Retry, keep_registrar, revoke, run
from compiler.enroll.secrets import KubeSecrets, Stored
from tests.ca_harness import LocalCA, running_ca
from tests.kube_fake import FakeKube

REGISTRAR = ("registrar", "registrar-secret-from-a-Secret")
NS = "org1"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCA]:
    with running_ca(tmp_path_factory.mktemp("ca"), REGISTRAR) as local:
        yield local


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    fake = FakeKube()
    try:
        yield fake
    finally:
        fake.close()


def config(ca: LocalCA, name: str = "org1-peer0", **changes: object) -> EnrollConfig:
    base = EnrollConfig(
        ca_url=ca.url,
        ca_name="ca",
        tlsca_name="tlsca",
        enrollment_id=name,
        identity_type="peer",
        msp_id="Org1MSP",
        namespace=NS,
        msp_secret=f"{name}-msp",
        tls_secret=f"{name}-tls",
        hosts=(name, f"{name}.{NS}", f"{name}.{NS}.svc.cluster.local", "localhost"),
        registrar_username=REGISTRAR[0],
        registrar_password=REGISTRAR[1],
        deadline_seconds=20,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def stored(kube: FakeKube, name: str) -> dict[str, bytes]:
    data = kube.secrets[(NS, name)]["data"]
    return {k: base64.b64decode(v) for k, v in data.items()}


def cert_of(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def test_first_enrollment_writes_the_msp_and_tls_secrets(ca: LocalCA, kube: FakeKube) -> None:
    start = time.perf_counter()
    outcome = run(config(ca), KubeSecrets.for_server(kube.url, NS))
    elapsed = time.perf_counter() - start
    print(f"\nfull enrollment (sign + TLS, register at both CAs): {elapsed * 1000:.0f} ms")
    assert outcome is Outcome.ENROLLED
    # the exact requests: two reads that find nothing, then two creates, TLS first
    assert [(r.method, r.path) for r in kube.requests] == [
        ("GET", f"/api/v1/namespaces/{NS}/secrets/org1-peer0-msp"),
        ("GET", f"/api/v1/namespaces/{NS}/secrets/org1-peer0-tls"),
        ("POST", f"/api/v1/namespaces/{NS}/secrets"),
        ("POST", f"/api/v1/namespaces/{NS}/secrets"),
    ]
    tls_body, msp_body = (r.body for r in kube.writes())
    assert tls_body is not None and msp_body is not None
    assert tls_body["type"] == "kubernetes.io/tls" and msp_body["type"] == "Opaque"
    assert set(tls_body["data"]) == {"tls.crt", "tls.key", "ca.crt", "ccaas-builder.json"}
    assert set(msp_body["data"]) == {
        "signcert.pem",
        "key.pem",
        "cacert.pem",
        "tlscacert.pem",
        "config.yaml",
    }
    for body in (tls_body, msp_body):
        assert body["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "hlfc-enroll"}
        assert "hlfc.dev/not-after" in body["metadata"]["annotations"]
        assert "resourceVersion" not in body["metadata"]
    msp = stored(kube, "org1-peer0-msp")
    sign = cert_of(msp["signcert.pem"])
    assert sign.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "org1-peer0"
    # NodeOUs: the CA stamped the identity type into the OU
    assert "OU=peer" in sign.subject.rfc4514_string()
    assert b"Enable: true" in msp["config.yaml"]
    assert crypto.inspect(
        msp["signcert.pem"],
        msp["key.pem"],
        msp["cacert.pem"],
        renew_at=0.8,
        now=dt.datetime.now(dt.UTC),
    ).usable
    tls = stored(kube, "org1-peer0-tls")
    sans = cert_of(tls["tls.crt"]).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert set(sans.value.get_values_for_type(x509.DNSName)) >= set(config(ca).hosts)
    assert tls["ca.crt"] == msp["tlscacert.pem"] and tls["ca.crt"] != msp["cacert.pem"]


def test_second_run_writes_nothing(ca: LocalCA, kube: FakeKube) -> None:
    store = KubeSecrets.for_server(kube.url, NS)
    cfg = config(ca, "org1-peer1")
    assert run(cfg, store) is Outcome.ENROLLED
    before = len(kube.writes())
    assert run(cfg, store) is Outcome.UNCHANGED
    assert len(kube.writes()) == before
    assert [r.method for r in kube.requests[-2:]] == ["GET", "GET"]


def test_a_tls_secret_without_the_builder_config_is_completed_not_reissued(
    ca: LocalCA, kube: FakeKube
) -> None:
    """Secrets an older enroller wrote lack the CCaaS builder's key: added, same certificate."""
    secrets = KubeSecrets.for_server(kube.url, NS)
    assert run(config(ca), secrets) is Outcome.ENROLLED
    before = stored(kube, "org1-peer0-tls")
    del kube.secrets[(NS, "org1-peer0-tls")]["data"]["ccaas-builder.json"]
    assert run(config(ca), secrets) is Outcome.COMPLETED
    after = stored(kube, "org1-peer0-tls")
    assert after["tls.crt"] == before["tls.crt"] and after["tls.key"] == before["tls.key"]
    assert json.loads(after["ccaas-builder.json"]) == {"tls_root": after["ca.crt"].decode()}
    assert run(config(ca), secrets) is Outcome.UNCHANGED


def test_renewal_keeps_the_key_and_changes_the_serial(ca: LocalCA, kube: FakeKube) -> None:
    store = KubeSecrets.for_server(kube.url, NS)
    cfg = config(ca, "org1-peer2")
    run(cfg, store)
    old_msp, old_tls = stored(kube, "org1-peer2-msp"), stored(kube, "org1-peer2-tls")
    versions = {
        n: kube.secrets[(NS, n)]["metadata"]["resourceVersion"]
        for n in ("org1-peer2-msp", "org1-peer2-tls")
    }
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=300)  # past 80 % of one year
    assert run(cfg, store, now=later) is Outcome.RENEWED
    new_msp, new_tls = stored(kube, "org1-peer2-msp"), stored(kube, "org1-peer2-tls")
    for old, new, cert in ((old_msp, new_msp, "signcert.pem"), (old_tls, new_tls, "tls.crt")):
        before, after = cert_of(old[cert]), cert_of(new[cert])
        assert crypto.public_key_id(after) == crypto.public_key_id(before)
        assert after.serial_number != before.serial_number
    assert new_msp["key.pem"] == old_msp["key.pem"]
    # replaced with the resourceVersion that was read
    puts = [r for r in kube.writes() if r.method == "PUT"]
    assert {
        r.path.rsplit("/", 1)[1]: r.body["metadata"]["resourceVersion"] for r in puts if r.body
    } == versions


def test_lost_secret_means_reregistration(ca: LocalCA, kube: FakeKube) -> None:
    store = KubeSecrets.for_server(kube.url, NS)
    cfg = config(ca, "org1-peer3")
    run(cfg, store)
    first = cert_of(stored(kube, "org1-peer3-msp")["signcert.pem"])
    del kube.secrets[(NS, "org1-peer3-msp")]  # someone deleted the MSP Secret
    assert run(cfg, store) is Outcome.ENROLLED  # identity exists: its secret is reset
    second = cert_of(stored(kube, "org1-peer3-msp")["signcert.pem"])
    assert crypto.public_key_id(second) != crypto.public_key_id(first)


def test_wrong_registrar_secret_fails_clearly_and_writes_nothing(
    ca: LocalCA, kube: FakeKube
) -> None:
    cfg = config(ca, "org1-peer4", registrar_password="wrong")
    with pytest.raises(EnrollFailed) as failure:
        run(cfg, KubeSecrets.for_server(kube.url, NS))
    assert ca.url in str(failure.value)
    assert "Authentication failure" in str(failure.value)
    assert kube.writes() == []


def test_ca_down_then_up_within_the_deadline(tmp_path: Path, kube: FakeKube) -> None:
    local = LocalCA(tmp_path, REGISTRAR)
    local.start()
    local.stop()  # initialised, then down
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 3:  # the CA comes back while we back off
            local.start()
        time.sleep(seconds)

    cfg = config(local, "org1-peer5", ca_root_pem=(local.home / "ca-cert.pem").read_text())
    try:
        retry = Retry(deadline=time.monotonic() + 60, first_delay=0.2, sleep=sleep)
        assert run(cfg, KubeSecrets.for_server(kube.url, NS), retry=retry) is Outcome.ENROLLED
    finally:
        local.stop()
    assert slept[:3] == [0.2, 0.4, 0.8]  # exponential backoff


def test_ca_down_past_the_deadline_fails_naming_the_ca(tmp_path: Path, kube: FakeKube) -> None:
    local = LocalCA(tmp_path, REGISTRAR)
    cfg = config(local, "org1-peer6")
    retry = Retry(deadline=time.monotonic() + 2, first_delay=0.2)
    with pytest.raises(EnrollFailed) as failure:
        run(cfg, KubeSecrets.for_server(kube.url, NS), retry=retry)
    assert local.url in str(failure.value)
    assert "unavailable until the deadline" in str(failure.value)
    assert kube.writes() == []


def _another_root() -> str:
    key = crypto.new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "another root")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.PEM).decode()


def test_a_ca_tls_certificate_that_does_not_verify_fails_at_once(
    ca: LocalCA, kube: FakeKube
) -> None:
    """Not retried to the deadline as if the CA were down: an expired or foreign TLS
    certificate stays so, and the Job says which it is."""
    slept: list[float] = []
    cfg = config(ca, "org1-peer8", ca_root_pem=_another_root())
    retry = Retry(deadline=time.monotonic() + 60, sleep=slept.append)
    with pytest.raises(EnrollFailed) as failure:
        run(cfg, KubeSecrets.for_server(kube.url, NS), retry=retry)
    assert "the CA's TLS certificate does not verify" in str(failure.value)
    assert "unable to get local issuer certificate" in str(failure.value)
    assert slept == []
    assert kube.writes() == []


def _held(directory: Path, msp: dict[str, bytes], tls: dict[str, bytes]) -> Path:
    """What the PostDelete pod mounts: the certificates of its Secrets, never the keys."""
    (directory / "msp").mkdir(parents=True)
    (directory / "tls").mkdir()
    (directory / "msp" / "signcert.pem").write_bytes(msp["signcert.pem"])
    (directory / "tls" / "tls.crt").write_bytes(tls["tls.crt"])
    return directory


def _reenrolls(ca: LocalCA, msp: dict[str, bytes], name: str) -> bool:
    client = CAClient(ca.url, verify=ca.context())
    try:
        key = crypto.load_key(msp["key.pem"])
        client.reenroll(Identity(msp["signcert.pem"], key), crypto.csr_pem(key, name), "ca")
        return True
    except CAError:  # a revoked certificate no longer authenticates
        return False
    finally:
        client.close()


def test_revocation_takes_only_this_clusters_certificates(
    ca: LocalCA, kube: FakeKube, tmp_path: Path
) -> None:
    """An organisation's admin is enrolled by every cluster where it runs nodes: deleting
    one cluster's Application revokes that cluster's certificates, not the others'."""
    cfg = config(ca, "org1-admin7")
    run(cfg, KubeSecrets.for_server(kube.url, NS))
    here = stored(kube, "org1-admin7-msp"), stored(kube, "org1-admin7-tls")
    kube.secrets.clear()  # the other cluster: its own Secrets, the same identity
    run(cfg, KubeSecrets.for_server(kube.url, NS))
    there = stored(kube, "org1-admin7-msp")
    assert here[0]["signcert.pem"] != there["signcert.pem"]
    revoked = revoke(cfg, _held(tmp_path / "held", *here))
    assert [r.split(":")[0] for r in revoked] == ["ca", "tlsca"]
    assert not _reenrolls(ca, here[0], "org1-admin7")
    assert _reenrolls(ca, there, "org1-admin7")
    # again (the hook retried): already revoked is done, not a failure
    assert revoke(cfg, tmp_path / "held") == revoked
    # a cluster that never enrolled the identity holds nothing and revokes nothing
    assert revoke(cfg, tmp_path / "nothing") == []


def test_token_signatures_are_low_s() -> None:
    key = crypto.new_key()
    for i in range(64):
        _, s = decode_dss_signature(crypto.low_s_signature(key, f"payload {i}".encode()))
        assert s <= crypto.P256_ORDER // 2


KEPT = "org1-registrar-enrollment"


@pytest.fixture
def enrolled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every enrollment ID the CA is asked to enroll, in order."""
    asked: list[str] = []
    original = CAClient.enroll

    def counting(self: CAClient, enrollment_id: str, *args: object, **kwargs: object) -> bytes:
        asked.append(enrollment_id)
        return original(self, enrollment_id, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(CAClient, "enroll", counting)
    return asked


def test_the_registrar_enrollment_is_kept_for_the_next_identity(
    ca: LocalCA, kube: FakeKube, enrolled: list[str]
) -> None:
    store = KubeSecrets.for_server(kube.url, NS)
    assert run(config(ca, "org1-peer10", registrar_secret=KEPT), store) is Outcome.ENROLLED
    assert sorted(enrolled) == ["org1-peer10", "org1-peer10", "registrar", "registrar"]
    kept = stored(kube, KEPT)
    assert set(kept) == {"ca.crt", "ca.key", "tlsca.crt", "tlsca.key"}
    assert (
        cert_of(kept["ca.crt"]).subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        == REGISTRAR[0]
    )

    enrolled.clear()
    assert run(config(ca, "org1-peer11", registrar_secret=KEPT), store) is Outcome.ENROLLED
    assert enrolled == ["org1-peer11", "org1-peer11"]  # registered as the kept registrar
    assert stored(kube, KEPT) == kept  # and nothing rewritten
    assert cert_of(stored(kube, "org1-peer11-msp")["signcert.pem"])


def test_a_kept_registrar_enrollment_the_ca_refuses_is_replaced(
    ca: LocalCA, kube: FakeKube, enrolled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = KubeSecrets.for_server(kube.url, NS)
    run(config(ca, "org1-peer12", registrar_secret=KEPT), store)
    kept = stored(kube, KEPT)
    original = CAClient.register

    def refusing_the_kept(self: CAClient, signer: Identity, *args: object, **kw: object) -> None:
        if signer.cert_pem in (kept["ca.crt"], kept["tlsca.crt"]):  # as if revoked
            raise CAError(self.url, 401, [{"code": 20, "message": "Authentication failure"}])
        original(self, signer, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(CAClient, "register", refusing_the_kept)
    enrolled.clear()
    assert run(config(ca, "org1-peer13", registrar_secret=KEPT), store) is Outcome.ENROLLED
    assert sorted(enrolled) == ["org1-peer13", "org1-peer13", "registrar", "registrar"]
    replaced = stored(kube, KEPT)
    assert replaced["ca.crt"] != kept["ca.crt"] and replaced["tlsca.crt"] != kept["tlsca.crt"]


class _NoRegistrarSecret(KubeSecrets):
    """A Role without the registrar Secret: the API server refuses both calls."""

    def read(self, name: str) -> Stored | None:
        if name == KEPT:
            raise PermissionError(f"secrets {name!r} is forbidden")
        return super().read(name)

    def write(self, name: str, *args: Any, **kwargs: Any) -> None:
        if name == KEPT:
            raise PermissionError(f"secrets {name!r} is forbidden")
        super().write(name, *args, **kwargs)


def test_a_registrar_secret_the_job_may_not_reach_is_done_without(
    ca: LocalCA, kube: FakeKube, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = KubeSecrets.for_server(kube.url, NS)
    store = _NoRegistrarSecret(NS, plain.client)
    assert run(config(ca, "org1-peer14", registrar_secret=KEPT), store) is Outcome.ENROLLED
    assert (NS, KEPT) not in kube.secrets
    assert cert_of(stored(kube, "org1-peer14-tls")["tls.crt"])
    assert f"registrar enrollment not read from Secret {KEPT}" in capsys.readouterr().err


def registrar_config(ca: LocalCA, **changes: object) -> CAConfig:
    """The registrar Job's config: the identities' CA fields, no identity."""
    fields = {f.name for f in dataclasses.fields(CAConfig)}
    base = {k: v for k, v in dataclasses.asdict(config(ca)).items() if k in fields}
    return CAConfig(**(base | {"registrar_secret": KEPT} | changes))


def test_the_registrar_job_keeps_one_enrollment_per_ca_for_every_identity(
    ca: LocalCA, kube: FakeKube, enrolled: list[str]
) -> None:
    store = KubeSecrets.for_server(kube.url, NS)
    assert keep_registrar(registrar_config(ca), store) is Outcome.ENROLLED
    assert enrolled == ["registrar", "registrar"]
    kept = stored(kube, KEPT)
    assert set(kept) == {"ca.crt", "ca.key", "tlsca.crt", "tlsca.key"}
    client = CAClient(ca.url, verify=False)
    ca_root = client.cainfo("ca")
    client.close()
    now = dt.datetime.now(dt.UTC)
    assert crypto.inspect(kept["ca.crt"], kept["ca.key"], ca_root, renew_at=0.8, now=now).usable

    enrolled.clear()
    assert keep_registrar(registrar_config(ca), store) is Outcome.UNCHANGED
    for name in ("org1-peer20", "org1-peer21"):  # the identities' Jobs of the next wave
        assert run(config(ca, name, registrar_secret=KEPT), store) is Outcome.ENROLLED
    assert enrolled == ["org1-peer20", "org1-peer20", "org1-peer21", "org1-peer21"]
    assert stored(kube, KEPT) == kept


def test_the_registrar_job_replaces_only_the_enrollment_that_is_unfit(
    ca: LocalCA, kube: FakeKube, enrolled: list[str]
) -> None:
    store = KubeSecrets.for_server(kube.url, NS)
    keep_registrar(registrar_config(ca), store)
    kept = stored(kube, KEPT)
    broken = dict(kept) | {"tlsca.key": crypto.key_pem(crypto.new_key())}  # not its key
    store.write(KEPT, broken, "Opaque", "2100-01-01T00:00:00Z", store.read(KEPT))
    enrolled.clear()
    assert keep_registrar(registrar_config(ca), store) is Outcome.ENROLLED
    assert enrolled == ["registrar"]  # at the TLS CA only
    replaced = stored(kube, KEPT)
    assert replaced["ca.crt"] == kept["ca.crt"] and replaced["ca.key"] == kept["ca.key"]
    assert replaced["tlsca.crt"] != kept["tlsca.crt"]


def test_the_registrar_job_fails_where_an_identitys_job_does_without(
    ca: LocalCA, kube: FakeKube
) -> None:
    plain = KubeSecrets.for_server(kube.url, NS)
    with pytest.raises(EnrollFailed, match=f"Secret {KEPT} not read: .*forbidden"):
        keep_registrar(registrar_config(ca), _NoRegistrarSecret(NS, plain.client))

    class ReadOnly(KubeSecrets):
        def write(self, name: str, *args: Any, **kwargs: Any) -> None:
            raise PermissionError(f"secrets {name!r} is forbidden")

    with pytest.raises(EnrollFailed, match=f"Secret {KEPT} not written: .*forbidden"):
        keep_registrar(registrar_config(ca), ReadOnly(NS, plain.client))
    with pytest.raises(EnrollFailed, match="registrarSecret"):
        keep_registrar(registrar_config(ca, registrar_secret=None), plain)
