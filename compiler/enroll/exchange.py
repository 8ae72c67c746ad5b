"""Signature exchange for a channel config update (README: "Day 2: changing a channel").

A config update must carry the signatures its modification policies require, and each
organisation's admin key stays in its own Secret, in its own cluster. So every party of a
channel signs in its own channel Job, and the signatures (public data: they end up in the
config block) travel between the Jobs over HTTPS:

- One party per channel is the **proposer** (the channel's creator party). Its Job's
  script computes the update from the live configuration and the rendered configtx.yaml
  and writes it as an unsigned envelope, `proposal.pb`. This sidecar serves it, accepts
  signed copies from the other parties, verifies each signature (the signer's certificate
  issued by its organisation's root, the signature over these exact update bytes), and
  keeps `collected.pb`: the proposal with every verified signature, which the script submits.
- Every other party is a **signer**. This sidecar fetches the proposal, and the Job's script
  signs it only after computing the same update itself from the live configuration: no
  party signs on another's word. This sidecar posts the signed copy back and keeps the
  proposer's answer (who has signed, who has not) for the script to report.

Signatures are combined at the wire level (protowire.py): the update's bytes are never
re-encoded. The proposer serves with its organisation admin's TLS certificate; signers
verify it against that organisation's TLS root (the certificate names no host, so the
host name is not checked). Whatever a signer receives is checked by content anyway.

Files, under `<work>/exchange/`: proposal.pb, signed.pb (signer: the script's signed copy),
signatures/<MSP ID>.pb (proposer: verified ConfigSignatures), collected.pb and
collected.json (proposer), status.json (both), outcome (proposer: what the orderer said).
"""

from __future__ import annotations

import hashlib
import http.server
import json
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from compiler.enroll.protowire import ConfigSignature, ConfigUpdateEnvelope, WireError

MAX_BODY = 1 << 20  # an update envelope with a few signatures is a few kilobytes
POLL_SECONDS = 3.0


class Refused(ValueError):
    """A posted copy that is not a valid signature of the current proposal."""


@dataclass(frozen=True)
class Party:
    msp_id: str
    org: str  # its folder under <work>/msp/: whose roots verify its signature


@dataclass(frozen=True)
class ExchangeConfig:
    role: str  # proposer | signer
    msp_id: str  # this party's organisation
    parties: tuple[Party, ...]  # every organisation asked to sign, this one included
    port: int = 7060
    proposer_url: str = ""  # signer: where the proposer serves
    proposer_org: str = ""  # signer: whose TLS root verifies the proposer
    tls_cert: str = ""  # proposer: its organisation admin's TLS pair
    tls_key: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExchangeConfig:
        role = str(data["role"])
        if role not in ("proposer", "signer"):
            raise ValueError(f"exchange role {role!r} is neither proposer nor signer")
        return cls(
            role=role,
            msp_id=str(data["mspID"]),
            parties=tuple(Party(str(p["mspID"]), str(p["org"])) for p in data["parties"]),
            port=int(data.get("port", 7060)),
            proposer_url=str(data.get("proposerURL", "")),
            proposer_org=str(data.get("proposerOrg", "")),
            tls_cert=str(data.get("tlsCert", "")),
            tls_key=str(data.get("tlsKey", "")),
        )


def _write(path: Path, data: bytes) -> None:
    """Whole files only: the Job's script reads while this writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(sig: ConfigSignature, config_update: bytes, root_pem: bytes) -> None:
    """The signer's certificate is issued by `root_pem`, and the signature is its key's
    over the signature header and these exact update bytes (what Fabric checks)."""
    try:
        cert = x509.load_pem_x509_certificate(sig.certificate)
        root = x509.load_pem_x509_certificate(root_pem)
    except ValueError as exc:
        raise Refused(f"{sig.msp_id}: the signer's certificate does not parse: {exc}") from exc
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise Refused(f"{sig.msp_id}: the signer's certificate is not issued by its CA") from exc
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise Refused(f"{sig.msp_id}: the signer's key is not an ECDSA key")
    try:
        key.verify(sig.signature, sig.signature_header + config_update, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise Refused(f"{sig.msp_id}: the signature does not verify over this update") from exc


class Board:
    """The proposer's side: the current proposal and the verified signatures of it."""

    def __init__(self, cfg: ExchangeConfig, work: Path) -> None:
        self.cfg = cfg
        self.work = work
        self.dir = work / "exchange"
        self.lock = threading.RLock()

    def proposal(self) -> ConfigUpdateEnvelope | None:
        raw = _read(self.dir / "proposal.pb")
        return ConfigUpdateEnvelope.parse(raw) if raw else None

    def proposal_digest(self) -> str | None:
        """The proposal file's sha256, as the Job's script computes it (sha256sum)."""
        raw = _read(self.dir / "proposal.pb")
        return digest(raw) if raw else None

    def _root(self, msp_id: str) -> bytes:
        party = next((p for p in self.cfg.parties if p.msp_id == msp_id), None)
        if party is None:
            raise Refused(f"{msp_id} is not an organisation of this channel")
        root = _read(self.work / "msp" / party.org / "cacerts" / "ca.pem")
        if root is None:
            raise Refused(f"{msp_id}: its root certificate has not been fetched yet")
        return root

    def accept(self, body: bytes) -> list[str]:
        """Verify every signature of a posted copy of the proposal and keep them; returns
        the MSP IDs whose signatures were taken."""
        proposal = self.proposal()
        if proposal is None:
            raise Refused("there is no proposal at the moment")
        try:
            posted = ConfigUpdateEnvelope.parse(body)
        except WireError as exc:
            raise Refused(f"not a config update envelope: {exc}") from exc
        if posted.config_update != proposal.config_update:
            raise Refused("signed another update than the current proposal")
        taken = []
        with self.lock:
            for raw in posted.signatures:
                try:
                    sig = ConfigSignature.parse(raw)
                except WireError as exc:
                    raise Refused(f"a signature does not parse: {exc}") from exc
                verify(sig, proposal.config_update, self._root(sig.msp_id))
                _write(self.dir / "signatures" / f"{sig.msp_id}.pb", raw)
                taken.append(sig.msp_id)
            self.collect()
        return taken

    def collect(self) -> dict[str, Any]:
        """Write collected.pb (the proposal with every signature of it) and the status."""
        with self.lock:
            return self._collect()

    def _collect(self) -> dict[str, Any]:
        key = self.proposal_digest()
        proposal = self.proposal()
        signed: list[str] = []
        if proposal is not None:
            sigs = []
            folder = self.dir / "signatures"
            for path in sorted(folder.glob("*.pb")) if folder.is_dir() else []:
                raw = path.read_bytes()
                try:
                    sig = ConfigSignature.parse(raw)
                    verify(sig, proposal.config_update, self._root(sig.msp_id))
                except (WireError, Refused):
                    continue  # a signature of an earlier proposal
                sigs.append(raw)
                signed.append(sig.msp_id)
            collected = ConfigUpdateEnvelope(proposal.header, proposal.config_update, tuple(sigs))
            encoded = collected.encode()
            if _read(self.dir / "collected.pb") != encoded:
                _write(self.dir / "collected.pb", encoded)
            kept = {"proposal": key, "signed": signed}
            _write(self.dir / "collected.json", json.dumps(kept).encode())
        status = self.status(key, signed)
        _write(self.dir / "status.json", json.dumps(status, sort_keys=True).encode())
        return status

    def status(self, proposal: str | None, signed: list[str]) -> dict[str, Any]:
        outcome = (_read(self.dir / "outcome") or b"").decode("utf-8", "replace").strip()
        everyone = [p.msp_id for p in self.cfg.parties]
        have = sorted({*signed, self.cfg.msp_id}) if proposal else []
        return {
            "proposal": proposal,
            "proposer": self.cfg.msp_id,
            "signed": have,
            "unsigned": [m for m in everyone if m not in have] if proposal else [],
            "outcome": outcome,
        }


def _handler(board: Board) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "hlfc-exchange"

        def _send(self, code: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, code: int, data: dict[str, Any]) -> None:
            self._send(code, json.dumps(data, sort_keys=True).encode())

        def do_GET(self) -> None:
            if self.path == "/v1/proposal":
                raw = _read(board.dir / "proposal.pb")
                if raw is None:
                    self._json(404, {"error": "no proposal at the moment"})
                else:
                    self._send(200, raw, "application/octet-stream")
            elif self.path == "/v1/status":
                self._json(200, board.collect())
            else:
                self._json(404, {"error": f"no such path: {self.path}"})

        def do_POST(self) -> None:
            if self.path != "/v1/signatures":
                self._json(404, {"error": f"no such path: {self.path}"})
                return
            size = int(self.headers.get("Content-Length") or 0)
            if size <= 0 or size > MAX_BODY:
                self._json(413, {"error": f"a signed copy is 1 to {MAX_BODY} bytes"})
                return
            try:
                taken = board.accept(self.rfile.read(size))
            except Refused as exc:
                self._json(409, {"error": str(exc)} | board.collect())
                return
            print(f"hlfc exchange: signature of {', '.join(taken)} verified and kept", flush=True)
            self._json(200, board.collect())

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the accepted signatures are logged above; probes need no log line

    return Handler


def serve(cfg: ExchangeConfig, work: Path) -> None:
    """The proposer's sidecar: serve until the pod stops."""
    board = Board(cfg, work)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cfg.tls_cert, cfg.tls_key)
    server = http.server.ThreadingHTTPServer(("0.0.0.0", cfg.port), _handler(board))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"hlfc exchange: serving proposals on port {cfg.port}", flush=True)
    threading.Thread(target=_keep_collecting, args=(board,), daemon=True).start()
    server.serve_forever()


def _keep_collecting(board: Board) -> None:
    """The script writes a new proposal whenever the live configuration moves: collected.pb
    follows it within a poll, whether or not a signer is posting."""
    while True:
        try:
            board.collect()
        except (OSError, WireError) as exc:
            print(f"hlfc exchange: {exc}", file=sys.stderr, flush=True)
        time.sleep(POLL_SECONDS / 3)


def _client_context(root: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(root))
    # an admin TLS certificate names no host; the chain to the proposer's TLS root is checked
    context.check_hostname = False
    return context


def _request(url: str, context: ssl.SSLContext, body: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    if body:
        request.add_header("Content-Type", "application/octet-stream")
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


def relay(cfg: ExchangeConfig, work: Path, stop: threading.Event | None = None) -> None:
    """The signer's sidecar: fetch the current proposal into proposal.pb; post signed.pb
    once the script has signed that proposal; keep the proposer's answer in status.json."""
    folder = work / "exchange"
    said = ""
    posted: str | None = None
    while not (stop and stop.is_set()):
        try:
            # read each time: the proposer's TLS root arrives when the fetch beside this
            # reaches its CA
            root = work / "msp" / cfg.proposer_org / "tlscacerts" / "tlsca.pem"
            if not root.exists():
                raise FileNotFoundError(f"{cfg.proposer_org}'s TLS root is not fetched yet")
            context = _client_context(root)
            code, raw = _request(f"{cfg.proposer_url}/v1/proposal", context)
            if code == 200:
                current = ConfigUpdateEnvelope.parse(raw)
                if _read(folder / "proposal.pb") != raw:
                    _write(folder / "proposal.pb", raw)
                signed_raw = _read(folder / "signed.pb")
                signed = ConfigUpdateEnvelope.parse(signed_raw) if signed_raw else None
                key = digest(current.config_update)
                if signed and signed.config_update == current.config_update and posted != key:
                    url = f"{cfg.proposer_url}/v1/signatures"
                    code, answer = _request(url, context, signed_raw)
                    if code == 200:
                        posted = key
                    _write(folder / "status.json", answer)
                else:
                    code, answer = _request(f"{cfg.proposer_url}/v1/status", context)
                    if code == 200:
                        _write(folder / "status.json", answer)
                        if cfg.msp_id not in json.loads(answer).get("signed", []):
                            posted = None  # the proposer restarted, or lost it: post again
                now = "proposal fetched"
            else:
                now = f"proposer answered {code}: {raw[:200].decode('utf-8', 'replace')}"
        except (OSError, WireError, ValueError) as exc:
            now = f"proposer at {cfg.proposer_url} not reached: {exc}"
        if now != said:
            print(f"hlfc exchange: {now}", flush=True)
            said = now
        time.sleep(POLL_SECONDS)


def run(cfg: ExchangeConfig, work: Path) -> None:
    try:
        if cfg.role == "proposer":
            serve(cfg, work)
        else:
            relay(cfg, work)
    except (OSError, ssl.SSLError) as exc:
        print(f"hlfc exchange: {exc}", file=sys.stderr, flush=True)
        _write(work / "exchange" / "failed", f"{exc}\n".encode())
        raise
