"""The signature exchange of a config update (compiler/enroll/exchange.py), judged by Fabric's
own tools: configtxlator makes the proposal envelope and decodes what the proposer collects,
`peer channel signconfigtx` signs it with admins cryptogen made, and the collected envelope
keeps the update's bytes so that every signature still verifies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from compiler.enroll import exchange
from compiler.enroll.protowire import ConfigSignature, ConfigUpdateEnvelope, WireError, field
from tests.tooling import TOOLS, free_port

pytestmark = pytest.mark.tools

FABRIC = TOOLS / "fabric-2.5.16" / "bin"
SAMPLE_CONFIG = TOOLS / "src" / "fabric-2.5.16" / "sampleconfig"
ORGS = {"AlphaMSP": "alpha", "BetaMSP": "beta", "GammaMSP": "gamma"}


def _run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    argv = [str(a) for a in args]
    done = subprocess.run(argv, check=False, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def orgs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three organisations' CAs and admins, from cryptogen; their roots laid out as the
    trust sidecar lays them out (<work>/msp/<org>/cacerts/ca.pem)."""
    for name in ("cryptogen", "configtxlator", "peer"):
        if not (FABRIC / name).exists():
            pytest.fail(f"{FABRIC / name} is missing: run `make tools` (make test does)")
    root = tmp_path_factory.mktemp("exchange")
    crypto = root / "crypto.yaml"
    crypto.write_text(
        "PeerOrgs:\n"
        + "".join(
            f"  - {{Name: {o}, Domain: {o}.example, EnableNodeOUs: true,"
            " Template: {Count: 0}, Users: {Count: 0}}\n"
            for o in ORGS.values()
        )
    )
    _run(FABRIC / "cryptogen", "generate", "--config", crypto, "--output", root / "crypto")
    for org in ORGS.values():
        base = root / "crypto" / "peerOrganizations" / f"{org}.example"
        target = root / "work" / "msp" / org / "cacerts"
        target.mkdir(parents=True)
        shutil.copy(base / "ca" / f"ca.{org}.example-cert.pem", target / "ca.pem")
    return root


def _admin(orgs: Path, msp_id: str) -> dict[str, str]:
    org = ORGS[msp_id]
    msp = (
        orgs / "crypto" / "peerOrganizations" / f"{org}.example" / "users" / f"Admin@{org}.example"
    )
    return os.environ | {
        "FABRIC_CFG_PATH": str(SAMPLE_CONFIG),
        "CORE_PEER_LOCALMSPID": msp_id,
        "CORE_PEER_MSPCONFIGPATH": str(msp / "msp"),
        "FABRIC_LOGGING_SPEC": "WARNING",
    }


def _proposal(orgs: Path, batch: int) -> bytes:
    """An unsigned CONFIG_UPDATE envelope, made by configtxlator as the proposer's script
    makes it (a batch size change of channel trade)."""
    envelope = {
        "payload": {
            "header": {"channel_header": {"channel_id": "trade", "type": 2}},
            "data": {
                "config_update": {
                    "channel_id": "trade",
                    "read_set": {"groups": {"Orderer": {"version": "0"}}},
                    "write_set": {
                        "groups": {
                            "Orderer": {
                                "version": "0",
                                "values": {
                                    "BatchSize": {
                                        "mod_policy": "Admins",
                                        "version": "1",
                                        "value": {
                                            "max_message_count": batch,
                                            "absolute_max_bytes": 10485760,
                                            "preferred_max_bytes": 2097152,
                                        },
                                    }
                                },
                            }
                        }
                    },
                }
            },
        }
    }
    source = orgs / f"proposal-{batch}.json"
    source.write_text(json.dumps(envelope))
    out = orgs / f"proposal-{batch}.pb"
    _run(FABRIC / "configtxlator", "proto_encode", "--type", "common.Envelope",
         "--input", source, "--output", out)  # fmt: skip
    return out.read_bytes()


def _signed(orgs: Path, proposal: bytes, msp_id: str) -> bytes:
    path = orgs / f"signed-{msp_id}.pb"
    path.write_bytes(proposal)
    _run(FABRIC / "peer", "channel", "signconfigtx", "-f", path, env=_admin(orgs, msp_id))
    return path.read_bytes()


def _decoded(orgs: Path, envelope: bytes) -> dict[str, Any]:
    path = orgs / "decode.pb"
    path.write_bytes(envelope)
    out = _run(FABRIC / "configtxlator", "proto_decode", "--type", "common.Envelope",
               "--input", path)  # fmt: skip
    decoded: dict[str, Any] = json.loads(out)
    return decoded


def _board(orgs: Path, role: str = "proposer") -> exchange.Board:
    work = orgs / "work"
    shutil.rmtree(work / "exchange", ignore_errors=True)
    parties = tuple(exchange.Party(m, o) for m, o in ORGS.items())
    return exchange.Board(exchange.ExchangeConfig(role, "AlphaMSP", parties), work)


def _propose(board: exchange.Board, proposal: bytes) -> None:
    board.dir.mkdir(parents=True, exist_ok=True)
    (board.dir / "proposal.pb").write_bytes(proposal)


def test_signatures_from_two_organisations_are_combined_without_touching_the_update(
    orgs: Path,
) -> None:
    proposal = _proposal(orgs, 20)
    board = _board(orgs)
    _propose(board, proposal)
    for msp in ("BetaMSP", "GammaMSP"):
        assert board.accept(_signed(orgs, proposal, msp)) == [msp]
    collected = (board.dir / "collected.pb").read_bytes()
    parsed = ConfigUpdateEnvelope.parse(collected)
    assert parsed.config_update == ConfigUpdateEnvelope.parse(proposal).config_update
    decoded = _decoded(orgs, collected)["payload"]["data"]
    signers = [s["signature_header"]["creator"]["mspid"] for s in decoded["signatures"]]
    assert signers == ["BetaMSP", "GammaMSP"]
    batch = decoded["config_update"]["write_set"]["groups"]["Orderer"]["values"]["BatchSize"]
    assert batch["value"]["max_message_count"] == 20
    status = json.loads((board.dir / "status.json").read_text())
    assert status["signed"] == ["AlphaMSP", "BetaMSP", "GammaMSP"]
    assert status["unsigned"] == []
    kept = json.loads((board.dir / "collected.json").read_text())
    assert kept["signed"] == ["BetaMSP", "GammaMSP"]
    assert kept["proposal"] == exchange.digest(proposal)


def test_the_status_names_who_has_not_signed(orgs: Path) -> None:
    proposal = _proposal(orgs, 30)
    board = _board(orgs)
    _propose(board, proposal)
    board.accept(_signed(orgs, proposal, "GammaMSP"))
    (board.dir / "outcome").write_text("not applied: missing signatures of: BetaMSP\n")
    status = board.collect()
    assert status["signed"] == ["AlphaMSP", "GammaMSP"]
    assert status["unsigned"] == ["BetaMSP"]
    assert status["outcome"] == "not applied: missing signatures of: BetaMSP"


def test_a_signature_of_another_update_is_refused_and_an_old_one_dropped(orgs: Path) -> None:
    first, second = _proposal(orgs, 40), _proposal(orgs, 41)
    board = _board(orgs)
    _propose(board, first)
    board.accept(_signed(orgs, first, "BetaMSP"))
    _propose(board, second)  # the live configuration moved: a new proposal
    with pytest.raises(exchange.Refused, match="another update"):
        board.accept(_signed(orgs, first, "GammaMSP"))
    status = board.collect()
    assert status["signed"] == ["AlphaMSP"], "Beta signed the first proposal only"
    assert json.loads((board.dir / "collected.json").read_text())["signed"] == []


def test_a_signature_by_a_certificate_of_another_ca_is_refused(orgs: Path) -> None:
    proposal = _proposal(orgs, 50)
    board = _board(orgs)
    _propose(board, proposal)
    signed = ConfigUpdateEnvelope.parse(_signed(orgs, proposal, "BetaMSP"))
    sig = ConfigSignature.parse(signed.signatures[0])
    # Beta's signature header and signature, claimed for Gamma: Gamma's CA did not issue it
    creator = field(1, b"GammaMSP") + field(2, sig.certificate)
    header = field(1, creator) + field(2, b"nonce")
    forged = field(1, header) + field(2, sig.signature)
    envelope = ConfigUpdateEnvelope(signed.header, signed.config_update, (forged,)).encode()
    with pytest.raises(exchange.Refused, match="not issued by its CA"):
        board.accept(envelope)


def test_a_signature_over_other_bytes_is_refused(orgs: Path) -> None:
    proposal = _proposal(orgs, 60)
    board = _board(orgs)
    _propose(board, proposal)
    signed = ConfigUpdateEnvelope.parse(_signed(orgs, proposal, "BetaMSP"))
    sig = ConfigSignature.parse(signed.signatures[0])
    header = field(1, field(1, b"BetaMSP") + field(2, sig.certificate)) + field(2, b"other")
    replayed = field(1, header) + field(2, sig.signature)  # the signature, another header
    envelope = ConfigUpdateEnvelope(signed.header, signed.config_update, (replayed,)).encode()
    with pytest.raises(exchange.Refused, match="does not verify"):
        board.accept(envelope)


def test_garbage_is_refused_as_such() -> None:
    with pytest.raises(WireError):
        ConfigUpdateEnvelope.parse(b"\x0a\xff\xff")
    with pytest.raises(WireError):
        ConfigUpdateEnvelope.parse(b"")


def test_a_signer_relays_over_https_to_the_proposer(orgs: Path) -> None:
    """The proposer serves with a TLS pair of its organisation's TLS CA; the signer's relay
    fetches the proposal once the proposer's TLS root has been fetched beside it (it starts
    before), posts the signed copy once its script wrote it, and keeps the proposer's
    answer."""
    tls = orgs / "crypto" / "peerOrganizations" / "alpha.example" / "users" / "Admin@alpha.example"
    work = orgs / "work"
    shutil.rmtree(work / "exchange", ignore_errors=True)
    signer_work = orgs / "signer-work"
    shutil.rmtree(signer_work, ignore_errors=True)
    tlsca = signer_work / "msp" / "alpha" / "tlscacerts"
    tlsca.mkdir(parents=True)
    port = free_port()
    parties = tuple(exchange.Party(m, o) for m, o in ORGS.items())
    proposer_cfg = exchange.ExchangeConfig(
        "proposer", "AlphaMSP", parties, port=port,
        tls_cert=str(tls / "tls" / "client.crt"), tls_key=str(tls / "tls" / "client.key"),
    )  # fmt: skip
    signer_cfg = exchange.ExchangeConfig(
        "signer", "BetaMSP", parties, proposer_url=f"https://127.0.0.1:{port}", proposer_org="alpha"
    )
    proposal = _proposal(orgs, 70)
    (work / "exchange").mkdir(parents=True)
    (work / "exchange" / "proposal.pb").write_bytes(proposal)
    threading.Thread(target=exchange.serve, args=(proposer_cfg, work), daemon=True).start()
    stop = threading.Event()
    relay = threading.Thread(target=exchange.relay, args=(signer_cfg, signer_work, stop))
    relay.start()
    try:
        fetched = signer_work / "exchange" / "proposal.pb"
        time.sleep(0.5)
        assert not fetched.exists(), "fetched without the proposer's TLS root"
        shutil.copy(tls / "tls" / "ca.crt", tlsca / "tlsca.pem")
        _wait(fetched.exists)
        assert fetched.read_bytes() == proposal
        (signer_work / "exchange" / "signed.pb").write_bytes(_signed(orgs, proposal, "BetaMSP"))
        status = signer_work / "exchange" / "status.json"
        _wait(lambda: status.exists() and "BetaMSP" in json.loads(status.read_text())["signed"])
        assert json.loads(status.read_text())["unsigned"] == ["GammaMSP"]
        kept = json.loads((work / "exchange" / "collected.json").read_text())
        assert kept["signed"] == ["BetaMSP"]
    finally:
        stop.set()
        relay.join(timeout=10)


def _wait(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
