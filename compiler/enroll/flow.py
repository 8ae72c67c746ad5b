"""One node's identity, end to end (ARCHITECTURE.md decision 3).

1. Both Secrets hold a certificate that matches its key, chains to the CA's root and is
   before its renewal point: nothing to do, nothing written.
2. Usable but due: re-enroll with token auth and a CSR from the *existing* key (a Raft
   consenter's TLS identity stays valid), then replace the Secrets.
3. Otherwise: as the registrar, register the identity at both CAs with a fresh random
   secret (or reset the secret of an identity that exists), enroll with new keys, write.
   It signs with the registrar's enrollments that the organisation's registrar Job kept
   (keep_registrar, a wave earlier), or enrolls the registrar itself (registrar.py).

Safe to kill at any point: every step is repeated from what the Secrets hold.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets as random
import ssl
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from compiler.enroll import crypto, msp, registrar
from compiler.enroll.ca_client import CAClient, CAError, CAUnavailable, Identity
from compiler.enroll.config import CAConfig, EnrollConfig
from compiler.enroll.secrets import SecretStore, Stored

T = TypeVar("T")
U = TypeVar("U")


class Outcome(enum.StrEnum):
    UNCHANGED = "unchanged"
    RENEWED = "renewed"
    ENROLLED = "enrolled"
    COMPLETED = "completed"  # same certificates, a Secret key added


class EnrollFailed(Exception):
    pass


@dataclass
class Retry:
    """Exponential backoff while the CA is unreachable or failing, up to a deadline."""

    deadline: float  # time.monotonic() value
    first_delay: float = 0.5
    max_delay: float = 15.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def __call__(self, what: str, url: str, call: Callable[[], T]) -> T:
        delay = self.first_delay
        while True:
            try:
                return call()
            except CAError as exc:  # the CA answered no: retrying will not change that
                raise EnrollFailed(f"{what} refused by {url}: {exc}") from exc
            except CAUnavailable as exc:
                if self.clock() + delay > self.deadline:
                    raise EnrollFailed(
                        f"{what}: CA at {url} unavailable until the deadline; last error: {exc}"
                    ) from exc
                self.sleep(delay)
                delay = min(delay * 2, self.max_delay)


def _both(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """The signing CA and the TLS CA are independent: ask both at once. Fabric CA spends most
    of each request in bcrypt at a fixed cost (lib/dbaccessor.go), so a new identity's six
    hashes take half the time on two cores. A failure of either is raised once both end."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.submit(first), pool.submit(second)
        return a.result(), b.result()


def _trust(cfg: CAConfig, retry: Retry) -> ssl.SSLContext:
    """TLS trust in the CA: the pinned root if the blueprint imports one, else the chain the
    CA presents on first contact (its server certificate is signed by that root)."""
    if cfg.ca_root_pem:
        return ssl.create_default_context(cadata=cfg.ca_root_pem)
    first = CAClient(cfg.ca_url, verify=False)
    try:
        chain = retry("read the CA chain", cfg.ca_url, lambda: first.cainfo(cfg.ca_name))
    finally:
        first.close()
    return ssl.create_default_context(cadata=chain.decode())


@contextmanager
def _verified(cfg: CAConfig, retry: Retry) -> Iterator[CAClient]:
    """A client of the CA that verifies it (_trust), closed when done."""
    client = CAClient(cfg.ca_url, verify=_trust(cfg, retry))
    try:
        yield client
    finally:
        client.close()


def _roots(client: CAClient, cfg: CAConfig, retry: Retry) -> tuple[bytes, bytes]:
    """The CA's and the TLS CA's chains: one after the other, so that while the CA is down
    there is one backoff, not two interleaved."""
    ca_root = retry("read the CA chain", cfg.ca_url, lambda: client.cainfo(cfg.ca_name))
    tls_root = retry("read the TLS CA chain", cfg.ca_url, lambda: client.cainfo(cfg.tlsca_name))
    return ca_root, tls_root


def _register_as_registrar(
    client: CAClient,
    cfg: EnrollConfig,
    kept: registrar.Kept,
    role: str,
    *,
    caname: str,
    secret: str,
    retry: Retry,
) -> None:
    """Register the identity signed by the kept registrar enrollment if there is one and
    the CA takes it, else by a new one, which is then kept (registrar.py)."""
    held = kept.usable.get(role)
    if held is not None:
        try:
            _register(client, cfg, held, caname=caname, secret=secret, retry=retry)
            return
        except EnrollFailed as exc:
            if not isinstance(exc.__cause__, CAError):
                raise  # the CA is unavailable: a new enrollment would not reach it either
            # refused (revoked, or the CA's database is new): enroll the registrar afresh
    fresh = _registrar(client, cfg, caname, retry)
    kept.made[role] = fresh
    _register(client, cfg, fresh, caname=caname, secret=secret, retry=retry)


def _registrar(client: CAClient, cfg: CAConfig, caname: str, retry: Retry) -> Identity:
    key = crypto.new_key()
    csr = crypto.csr_pem(key, cfg.registrar_username)
    cert = retry(
        f"enroll the registrar at {caname}",
        cfg.ca_url,
        lambda: client.enroll(cfg.registrar_username, cfg.registrar_password, csr, caname),
    )
    return Identity(cert, key)


def _register(
    client: CAClient,
    cfg: EnrollConfig,
    registrar: Identity,
    *,
    caname: str,
    secret: str,
    retry: Retry,
) -> None:
    def call() -> None:
        try:
            client.register(
                registrar,
                cfg.enrollment_id,
                secret,
                kind=cfg.identity_type,
                caname=caname,
                attrs=cfg.attrs,
                affiliation=cfg.affiliation,
            )
        except CAError as exc:
            if "already registered" not in str(exc).lower():
                raise
            # the identity exists (its Secret was lost): give it a new secret instead
            client.set_secret(registrar, cfg.enrollment_id, secret, caname)

    retry(f"register {cfg.enrollment_id} at {caname}", cfg.ca_url, call)


def run(
    cfg: EnrollConfig,
    store: SecretStore,
    *,
    now: dt.datetime | None = None,
    retry: Retry | None = None,
) -> Outcome:
    now = now or dt.datetime.now(dt.UTC)
    retry = retry or Retry(deadline=time.monotonic() + cfg.deadline_seconds)
    with _verified(cfg, retry) as client:
        return _run(cfg, store, client, now, retry)


def _run(
    cfg: EnrollConfig, store: SecretStore, client: CAClient, now: dt.datetime, retry: Retry
) -> Outcome:
    ca_root, tls_root = _roots(client, cfg, retry)
    old_msp, old_tls = store.read(cfg.msp_secret), store.read(cfg.tls_secret)
    sign = _state(old_msp, ("signcert.pem", "key.pem"), ca_root, cfg, now)
    tls = _state(old_tls, ("tls.crt", "tls.key"), tls_root, cfg, now)

    if sign.usable and tls.usable and not sign.due and not tls.due:
        assert old_tls is not None
        if old_tls.data.get(msp.BUILDER_CONFIG_KEY) != msp.builder_config(tls_root):
            # written by an older enroller: complete the Secret, keep the identity
            data = dict(old_tls.data) | {msp.BUILDER_CONFIG_KEY: msp.builder_config(tls_root)}
            not_after = crypto.not_after(old_tls.data["tls.crt"])
            store.write(cfg.tls_secret, data, "kubernetes.io/tls", not_after, old_tls)
            return Outcome.COMPLETED
        return Outcome.UNCHANGED

    if sign.usable and tls.usable:
        assert old_msp is not None and old_tls is not None
        sign_key = crypto.load_key(old_msp.data["key.pem"])
        tls_key = crypto.load_key(old_tls.data["tls.key"])
        current_sign = Identity(old_msp.data["signcert.pem"], sign_key)
        current_tls = Identity(old_tls.data["tls.crt"], tls_key)
        # CSRs from the existing keys: the public keys, and so Raft consenters, stay valid
        sign_cert, tls_cert = _both(
            lambda: retry(
                "re-enroll the signing certificate",
                cfg.ca_url,
                lambda: client.reenroll(
                    current_sign, crypto.csr_pem(sign_key, cfg.enrollment_id), cfg.ca_name
                ),
            ),
            lambda: retry(
                "re-enroll the TLS certificate",
                cfg.ca_url,
                lambda: client.reenroll(
                    current_tls,
                    crypto.csr_pem(tls_key, cfg.enrollment_id, cfg.hosts),
                    cfg.tlsca_name,
                    profile="tls",
                    hosts=cfg.hosts,
                ),
            ),
        )
        issued = Issued(sign_cert, sign_key, tls_cert, tls_key, ca_root, tls_root)
        _write(cfg, store, issued, old_msp=old_msp, old_tls=old_tls)
        return Outcome.RENEWED

    secret = random.token_urlsafe(24)
    sign_key, tls_key = crypto.new_key(), crypto.new_key()
    roots = {registrar.CA: ca_root, registrar.TLSCA: tls_root}
    kept = registrar.read(store, cfg.registrar_secret, roots, renew_at=cfg.renew_at, now=now)

    def at_ca() -> bytes:
        _register_as_registrar(
            client, cfg, kept, registrar.CA, caname=cfg.ca_name, secret=secret, retry=retry
        )
        return retry(
            "enroll the signing certificate",
            cfg.ca_url,
            lambda: client.enroll(
                cfg.enrollment_id, secret, crypto.csr_pem(sign_key, cfg.enrollment_id), cfg.ca_name
            ),
        )

    def at_tlsca() -> bytes:
        _register_as_registrar(
            client, cfg, kept, registrar.TLSCA, caname=cfg.tlsca_name, secret=secret, retry=retry
        )
        return retry(
            "enroll the TLS certificate",
            cfg.ca_url,
            lambda: client.enroll(
                cfg.enrollment_id,
                secret,
                crypto.csr_pem(tls_key, cfg.enrollment_id, cfg.hosts),
                cfg.tlsca_name,
                profile="tls",
                hosts=cfg.hosts,
            ),
        )

    sign_cert, tls_cert = _both(at_ca, at_tlsca)
    issued = Issued(sign_cert, sign_key, tls_cert, tls_key, ca_root, tls_root)
    _write(cfg, store, issued, old_msp=old_msp, old_tls=old_tls)
    registrar.write(store, kept)
    return Outcome.ENROLLED


def keep_registrar(
    cfg: CAConfig,
    store: SecretStore,
    *,
    now: dt.datetime | None = None,
    retry: Retry | None = None,
) -> Outcome:
    """The organisation's registrar Job, a wave before its identities' Jobs: enroll the
    registrar at each CA whose kept enrollment is missing, unusable or due, and keep it
    (registrar.py). The identities' Jobs of a first sync start together: with it in place
    none of them enrolls the registrar, and a new identity takes two bcrypt round trips per
    CA instead of three. Its Secret is its whole work, so a Secret it cannot read or write
    fails the Job, where an identity's Job does without."""
    if cfg.registrar_secret is None:
        raise EnrollFailed("the config names no registrarSecret to keep the enrollment in")
    now = now or dt.datetime.now(dt.UTC)
    retry = retry or Retry(deadline=time.monotonic() + cfg.deadline_seconds)
    with _verified(cfg, retry) as client:
        names = {registrar.CA: cfg.ca_name, registrar.TLSCA: cfg.tlsca_name}
        roots = dict(zip(names, _roots(client, cfg, retry), strict=True))
        secret = cfg.registrar_secret
        try:
            kept = registrar.read(store, secret, roots, renew_at=cfg.renew_at, now=now, strict=True)
        except Exception as exc:  # RBAC, the API server: the Job's log says which
            raise EnrollFailed(f"Secret {secret} not read: {exc}") from exc
        missing = [role for role in names if role not in kept.usable]
        if not missing:
            return Outcome.UNCHANGED

        def enroll_at(role: str) -> None:
            kept.made[role] = _registrar(client, cfg, names[role], retry)

        if len(missing) == 2:
            _both(lambda: enroll_at(registrar.CA), lambda: enroll_at(registrar.TLSCA))
        else:
            enroll_at(missing[0])
        try:
            registrar.write(store, kept, strict=True)
        except Exception as exc:
            raise EnrollFailed(f"Secret {secret} not written: {exc}") from exc
        return Outcome.ENROLLED


def _state(
    stored: Stored | None, names: tuple[str, str], root: bytes, cfg: EnrollConfig, now: dt.datetime
) -> crypto.CertState:
    data = stored.data if stored else {}
    cert, key = names
    return crypto.inspect(data.get(cert), data.get(key), root, renew_at=cfg.renew_at, now=now)


@dataclass(frozen=True)
class Issued:
    sign_cert: bytes
    sign_key: crypto.PrivateKey
    tls_cert: bytes
    tls_key: crypto.PrivateKey
    ca_root: bytes
    tls_root: bytes


def _write(
    cfg: EnrollConfig,
    store: SecretStore,
    issued: Issued,
    *,
    old_msp: Stored | None,
    old_tls: Stored | None,
) -> None:
    # TLS first, then MSP: each Secret holds a certificate with its own key, so a crash
    # between the two leaves two consistent identities, and the next run finishes the job
    tls = msp.tls_secret(issued.tls_cert, crypto.key_pem(issued.tls_key), issued.tls_root)
    store.write(
        cfg.tls_secret, tls, "kubernetes.io/tls", crypto.not_after(issued.tls_cert), old_tls
    )
    sign = msp.msp_secret(
        issued.sign_cert, crypto.key_pem(issued.sign_key), issued.ca_root, issued.tls_root
    )
    store.write(cfg.msp_secret, sign, "Opaque", crypto.not_after(issued.sign_cert), old_msp)


# where the PostDelete Job mounts the certificates (never the keys) of its own Secrets
HELD_FILES = (("msp", "signcert.pem"), ("tls", "tls.crt"))


def revoke(cfg: EnrollConfig, held: Path, *, retry: Retry | None = None) -> list[str]:
    """PostDelete: revoke the certificates this cluster's Secrets hold, each at the CA that
    issued it, as the registrar. An identity enrolled by several clusters (an organisation's
    admin) keeps the other clusters' certificates: one cluster's deletion must not revoke
    what another still uses. Returns what was revoked."""
    retry = retry or Retry(deadline=time.monotonic() + cfg.deadline_seconds)
    certificates = []
    for (folder, file), caname in zip(HELD_FILES, (cfg.ca_name, cfg.tlsca_name), strict=True):
        path = held / folder / file
        if path.is_file():
            certificates.append((caname, path.read_bytes()))
    if not certificates:
        return []
    done = []
    with _verified(cfg, retry) as client:
        for caname, pem in certificates:
            serial, aki = crypto.serial_and_aki(pem)
            as_registrar = _registrar(client, cfg, caname, retry)

            def call(signer: Identity = as_registrar, ca: str = caname, s: str = serial,
                     a: str = aki) -> None:  # fmt: skip
                try:
                    client.revoke(signer, s, a, ca, "cessationofoperation")
                except CAError as exc:
                    if "already revoked" not in str(exc).lower():
                        raise

            retry(f"revoke certificate {serial} at {caname}", cfg.ca_url, call)
            done.append(f"{caname}:{serial}")
    return done
