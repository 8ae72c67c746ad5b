"""Keys, CSRs, Fabric CA tokens and certificate checks."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID

# order of the P-256 group: Fabric CA accepts only signatures with s <= n/2 ("low-S")
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

PrivateKey = ec.EllipticCurvePrivateKey


def new_key() -> PrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_key(pem: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("not an EC private key")
    return key


def csr_pem(key: PrivateKey, common_name: str, hosts: tuple[str, ...] = ()) -> str:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    )
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def low_s_signature(key: PrivateKey, payload: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(payload, ec.ECDSA(hashes.SHA256())))
    if s > P256_ORDER // 2:
        s = P256_ORDER - s
    return encode_dss_signature(r, s)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def token(cert_pem: bytes, key: PrivateKey, method: str, uri: str, body: bytes) -> str:
    """Fabric CA token auth: `b64(cert).b64(sig)` over `METHOD.b64(uri).b64(body).b64(cert)`."""
    payload = f"{method}.{b64(uri.encode())}.{b64(body)}.{b64(cert_pem)}".encode()
    return f"{b64(cert_pem)}.{b64(low_s_signature(key, payload))}"


def public_key_id(key: ec.EllipticCurvePublicKey | x509.Certificate | PrivateKey) -> bytes:
    """The SubjectPublicKeyInfo of a key or certificate: equal iff the keys are equal."""
    public = key.public_key() if isinstance(key, x509.Certificate | PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_certs(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)


@dataclass(frozen=True)
class CertState:
    """What a stored certificate and key are worth."""

    usable: bool  # parses, matches its key, chains to the expected root, not expired
    due: bool  # past the renewal point
    reason: str
    not_after: dt.datetime | None = None


def not_after(pem: bytes) -> str:
    """The end of the first certificate's validity, as the Secrets' annotation holds it
    (ISO 8601 in UTC: these strings order as the times do)."""
    return load_certs(pem)[0].not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def inspect(
    cert_pem: bytes | None,
    key_pem_bytes: bytes | None,
    roots_pem: bytes,
    *,
    renew_at: float,
    now: dt.datetime,
) -> CertState:
    if not cert_pem or not key_pem_bytes:
        return CertState(False, True, "missing")
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = load_key(key_pem_bytes)
    except ValueError as exc:
        return CertState(False, True, f"unreadable: {exc}")
    if public_key_id(cert) != public_key_id(key):
        return CertState(False, True, "key does not match certificate")
    if not any(_issued_by(cert, root) for root in load_certs(roots_pem)):
        return CertState(False, True, "does not chain to the CA root")
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now >= end:
        return CertState(False, True, "expired", end)
    renewal = start + (end - start) * renew_at
    due = now >= renewal
    return CertState(True, due, "due for renewal" if due else "fresh", end)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def serial_and_aki(pem: bytes) -> tuple[str, str]:
    """A certificate's serial number and authority key identifier as Fabric CA's revoke
    request names them: lower-case hex without leading zeros."""
    cert = load_certs(pem)[0]
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    identifier = (aki.key_identifier or b"").hex()
    return format(cert.serial_number, "x"), identifier.lstrip("0") or "0"
