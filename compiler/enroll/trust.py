"""Public trust material a channel Job needs, fetched over the network and verified.

A channel's configuration names every organisation's root certificates and every
consenter's TLS certificate. None of that is secret, and none of it is copied between
clusters as a Secret (ARCHITECTURE.md decision 6): each Job fetches it from public
endpoints in the Job's init container, and the Fabric tools then read it as files.

- An organisation's roots come from its CA's `cainfo` (enrollment CA and TLS CA), trusted
  the way enrollment trusts the CA: the pinned root if the blueprint imports one, else the
  chain the CA presents on first contact (its TLS server certificate chains to that root).
- A consenter's TLS certificate comes from a TLS handshake with the consenter at the
  address the channel configuration gives it, verified by that handshake against its
  organisation's TLS root, with host-name checking: a certificate another CA issued, or
  issued for another name, is refused.

The result is the directory layout the rendered configtx.yaml points at:
`<out>/msp/<org>/{cacerts/ca.pem,tlscacerts/tlsca.pem,config.yaml}` and
`<out>/consenters/<orderer>.pem`, then `<out>/trust.done`, or `<out>/trust.failed` with
the reason. In a channel Job it runs as a native sidecar (`--stay`), and beside the fetch
serves or relays the signatures of a config update if the config says so (exchange.py).
The Job's script starts at once and waits for these files only when it needs them (a
join), so a Job with nothing to join, or only anchor peers to set, does not wait for every
CA of the channel to be reachable.
"""

from __future__ import annotations

import json
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from compiler.enroll import exchange, msp
from compiler.enroll.ca_client import CAClient, CAError, CAUnavailable

T = TypeVar("T")


class TrustFailed(Exception):
    pass


@dataclass(frozen=True)
class OrgSource:
    name: str  # directory name under msp/ (the organisation's name in the blueprint)
    msp_id: str
    ca_url: str
    ca_name: str
    tlsca_name: str
    ca_root_pem: str | None = None  # pinned: the blueprint imports this root


@dataclass(frozen=True)
class ConsenterSource:
    name: str  # file name under consenters/ (the orderer's workload name)
    org: str  # its organisation's name: whose TLS root verifies it
    host: str
    port: int


@dataclass(frozen=True)
class TrustConfig:
    orgs: tuple[OrgSource, ...]
    consenters: tuple[ConsenterSource, ...]
    deadline_seconds: float = 600.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrustConfig:
        return cls(
            orgs=tuple(
                OrgSource(
                    name=str(o["name"]),
                    msp_id=str(o["mspID"]),
                    ca_url=str(o["caURL"]),
                    ca_name=str(o["caName"]),
                    tlsca_name=str(o["tlsCAName"]),
                    ca_root_pem=o.get("caRootPEM"),
                )
                for o in data["organizations"]
            ),
            consenters=tuple(
                ConsenterSource(str(c["name"]), str(c["org"]), str(c["host"]), int(c["port"]))
                for c in data["consenters"]
            ),
            deadline_seconds=float(data.get("deadlineSeconds", 600)),
        )

    @classmethod
    def load(cls, path: Path) -> TrustConfig:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


@dataclass
class Patience:
    """Retry what is not up yet (a CA or an orderer still starting), up to one deadline."""

    deadline: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def __call__(self, what: str, call: Callable[[], T]) -> T:
        delay = 1.0
        while True:
            try:
                return call()
            except (CAUnavailable, OSError) as exc:
                if self.clock() + delay > self.deadline:
                    raise TrustFailed(f"{what}: not available before the deadline: {exc}") from exc
                self.sleep(delay)
                delay = min(delay * 2, 10.0)


def _first_certificate(chain: bytes) -> bytes:
    certs = x509.load_pem_x509_certificates(chain)
    return certs[0].public_bytes(Encoding.PEM)


def _roots(org: OrgSource, patience: Patience) -> tuple[bytes, bytes]:
    """The organisation's enrollment CA root and TLS CA root."""
    if org.ca_root_pem:
        trust: ssl.SSLContext | bool = ssl.create_default_context(cadata=org.ca_root_pem)
    else:
        first = CAClient(org.ca_url, verify=False)
        try:
            chain = patience(
                f"{org.name}: CA chain from {org.ca_url}", lambda: first.cainfo(org.ca_name)
            )
        finally:
            first.close()
        trust = ssl.create_default_context(cadata=chain.decode())
    client = CAClient(org.ca_url, verify=trust)
    try:
        ca = patience(f"{org.name}: CA chain", lambda: client.cainfo(org.ca_name))
        tls = patience(f"{org.name}: TLS CA chain", lambda: client.cainfo(org.tlsca_name))
    except CAError as exc:
        raise TrustFailed(f"{org.name}: {exc}") from exc
    finally:
        client.close()
    if org.ca_root_pem and _first_certificate(ca) != _first_certificate(org.ca_root_pem.encode()):
        raise TrustFailed(
            f"{org.name}: the CA at {org.ca_url} serves another root than the pinned one"
        )
    return _first_certificate(ca), _first_certificate(tls)


def handshake_certificate(host: str, port: int, tls_root: bytes, timeout: float = 5.0) -> bytes:
    """The certificate the server presents, verified against `tls_root` and for `host`."""
    context = ssl.create_default_context(cadata=tls_root.decode())
    context.set_alpn_protocols(["h2"])  # gRPC servers may insist on it
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if der is None:
        raise OSError(f"{host}:{port} presented no certificate")
    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)


def _write(path: Path, data: bytes) -> None:
    """Whole files only: the Job's script may read while this writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.rename(path)


def fetch(
    cfg: TrustConfig,
    out: Path,
    patience: Patience | None = None,
    presented: Callable[[str, int, bytes], bytes] = handshake_certificate,
) -> None:
    patience = patience or Patience(time.monotonic() + cfg.deadline_seconds)
    tls_roots: dict[str, bytes] = {}
    for org in cfg.orgs:
        ca_root, tls_root = _roots(org, patience)
        tls_roots[org.name] = tls_root
        folder = out / "msp" / org.name
        for rel, data in (
            ("cacerts/ca.pem", ca_root),
            ("tlscacerts/tlsca.pem", tls_root),
            ("config.yaml", msp.NODE_OUS.encode()),
        ):
            _write(folder / rel, data)
    for consenter in cfg.consenters:
        root = tls_roots.get(consenter.org)
        if root is None:
            raise TrustFailed(f"{consenter.name}: organisation {consenter.org!r} is not listed")
        address = f"{consenter.host}:{consenter.port}"

        def call(c: ConsenterSource = consenter, r: bytes = root) -> bytes:
            try:
                return presented(c.host, c.port, r)
            except ssl.SSLCertVerificationError as exc:  # answered, but not as itself
                raise TrustFailed(
                    f"{c.name} at {c.host}:{c.port}: its TLS certificate does not verify "
                    f"against {c.org}'s TLS root for that name: {exc.verify_message}"
                ) from exc

        pem = patience(f"{consenter.name}: TLS certificate at {address}", call)
        _write(out / "consenters" / f"{consenter.name}.pem", pem)


def main(config_path: Path, out: Path, *, stay: bool = False) -> int:
    """Entry point of a channel Job's trust container: 0 when every file is in place.

    With `stay`, it then waits to be stopped (a native sidecar that exits is restarted),
    and the outcome is told by the files `trust.done` or `trust.failed` instead.
    """
    code = 0
    try:
        cfg = TrustConfig.load(config_path)
        raw = json.loads(config_path.read_text("utf-8")).get("exchange")
        exchange_cfg = exchange.ExchangeConfig.from_json(raw) if raw else None
        if stay and exchange_cfg is not None:
            # beside the fetch, not after it: an update that leaves an unreachable
            # consenter as the channel has it still needs the other parties' signatures
            # while the fetch waits for that consenter
            threading.Thread(target=exchange.run, args=(exchange_cfg, out), daemon=True).start()
        fetch(cfg, out)
        names = ", ".join(c.name for c in cfg.consenters)
        print(f"hlfc trust: roots of {len(cfg.orgs)} organisations; consenters: {names}")
        _write(out / "trust.done", b"")
    except (TrustFailed, OSError, ValueError, KeyError) as exc:
        print(f"hlfc trust: {exc}", file=sys.stderr)
        _write(out / "trust.failed", f"{exc}\n".encode())
        code = 1
    sys.stdout.flush()
    if stay:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(code))
        while True:
            signal.pause()
    return code
