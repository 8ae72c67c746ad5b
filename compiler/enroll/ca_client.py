"""A Fabric CA REST client: exactly the calls enrollment needs (fabric-ca-api.md)."""

from __future__ import annotations

import base64
import json
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from compiler.enroll.crypto import PrivateKey, token


class CAError(Exception):
    """The CA answered and refused (4xx): retrying will not help."""

    def __init__(self, url: str, status: int, errors: list[dict[str, Any]]) -> None:
        detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or "no detail"
        super().__init__(f"{url}: HTTP {status}: {detail}")
        self.status = status
        self.errors = errors


class CAUntrusted(CAError):
    """The CA's TLS certificate does not verify (expired, another root, another name):
    retrying until the deadline would only hide that, so it fails at once."""

    def __init__(self, url: str, reason: str) -> None:
        Exception.__init__(self, f"{url}: the CA's TLS certificate does not verify: {reason}")
        self.status = 0
        self.errors = []


def _verify_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error an httpx error was raised from, if any."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class CAUnavailable(Exception):
    """The CA did not answer, or answered 5xx: worth retrying."""


@dataclass(frozen=True)
class Identity:
    """Credentials to sign token-authenticated requests with."""

    cert_pem: bytes
    key: PrivateKey


def _certificate_request(
    csr: str, caname: str, profile: str, hosts: tuple[str, ...]
) -> dict[str, Any]:
    """The body of enroll and reenroll alike."""
    return {"certificate_request": csr, "caname": caname, "profile": profile, "hosts": list(hosts)}


class CAClient:
    def __init__(self, url: str, verify: ssl.SSLContext | bool, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(verify=verify, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        basic: tuple[str, str] | None = None,
        signer: Identity | None = None,
    ) -> Any:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = {"Content-Type": "application/json"}
        if signer is not None:
            headers["Authorization"] = token(signer.cert_pem, signer.key, method, path, raw)
        try:
            response = self._http.request(
                method, self.url + path, content=raw or None, headers=headers, auth=basic
            )
        except httpx.HTTPError as exc:
            untrusted = _verify_failure(exc)
            if untrusted is not None:
                reason = untrusted.verify_message or str(untrusted)
                raise CAUntrusted(self.url + path, reason) from exc
            raise CAUnavailable(f"{self.url}{path}: {exc}") from exc
        if response.status_code >= 500:
            raise CAUnavailable(f"{self.url}{path}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise CAUnavailable(
                f"{self.url}{path}: not JSON (HTTP {response.status_code})"
            ) from exc
        if response.status_code >= 400 or not answer.get("success"):
            raise CAError(self.url + path, response.status_code, answer.get("errors") or [])
        return answer["result"]

    def cainfo(self, caname: str) -> bytes:
        """The CA's certificate chain (PEM)."""
        result = self._call("POST", "/api/v1/cainfo", {"caname": caname})
        return base64.b64decode(result["CAChain"])

    def enroll(
        self,
        user: str,
        secret: str,
        csr: str,
        caname: str,
        *,
        profile: str = "",
        hosts: tuple[str, ...] = (),
    ) -> bytes:
        result = self._call(
            "POST",
            "/api/v1/enroll",
            _certificate_request(csr, caname, profile, hosts),
            basic=(user, secret),
        )
        return base64.b64decode(result["Cert"])

    def reenroll(
        self,
        current: Identity,
        csr: str,
        caname: str,
        *,
        profile: str = "",
        hosts: tuple[str, ...] = (),
    ) -> bytes:
        result = self._call(
            "POST",
            "/api/v1/reenroll",
            _certificate_request(csr, caname, profile, hosts),
            signer=current,
        )
        return base64.b64decode(result["Cert"])

    def register(
        self,
        registrar: Identity,
        user: str,
        secret: str,
        *,
        kind: str,
        caname: str,
        attrs: tuple[tuple[str, str], ...] = (),
        affiliation: str = "",
    ) -> None:
        self._call(
            "POST",
            "/api/v1/register",
            {
                "id": user,
                "type": kind,
                "secret": secret,
                "max_enrollments": -1,
                "affiliation": affiliation,
                "caname": caname,
                "attrs": [{"name": n, "value": v, "ecert": True} for n, v in attrs],
            },
            signer=registrar,
        )

    def set_secret(self, registrar: Identity, user: str, secret: str, caname: str) -> None:
        """Give an existing identity a new enrollment secret (re-registration)."""
        self._call(
            "PUT",
            f"/api/v1/identities/{user}?ca={caname}",
            {"secret": secret, "caname": caname},
            signer=registrar,
        )

    def revoke(self, signer: Identity, serial: str, aki: str, caname: str, reason: str) -> None:
        """Revoke one certificate (by serial and AKI), not every certificate of its owner."""
        self._call(
            "POST",
            "/api/v1/revoke",
            {"serial": serial, "aki": aki, "caname": caname, "reason": reason, "gencrl": False},
            signer=signer,
        )
