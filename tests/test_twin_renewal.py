"""Renewal the nodes really pick up, on the twin.

Fabric 2.5.16 reads its certificates once, at start (see compiler/enroll/restart.py), so a
renewal restarts its node. minimal is rendered with 20-minute certificates renewed at half
their life; once they are due, each node's rendered renewal CronJob runs, in the order of
its compile-time slot. Then every node presents the renewed certificate in a TLS handshake
(same key: a consenter stays in the consenter set without a channel update), at most one
consenter was ever down, and transactions kept being ordered while the orderers restarted.
minimal has one peer, the application's only gateway: while it restarts, submissions fail
by design, so that phase is judged by the application working again once it is back.
Then the next sync records the renewed consenter certificates in the channel's
configuration, one consenter per update, and the sync after it changes nothing."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from compiler.pipeline import render_files
from compiler.twin.kube import Kube
from compiler.twin.twin import Twin
from tests import app_checks, channel_checks, twin_checks
from tests.conftest import MINIMAL

pytestmark = [pytest.mark.tools, pytest.mark.twin]

LIFETIME = dt.timedelta(minutes=20)
RENEW_AT = 0.5
ORDERERS = [("orderer-org", f"orderer-org-orderer{i}", 7050) for i in range(3)]
NODES = [*ORDERERS, ("org1", "org1-peer0", 7051)]


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    root = tmp_path_factory.mktemp("renewal")
    doc = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    doc["spec"]["security"] = {"certificateLifetime": "20m", "renewAt": RENEW_AT}
    blueprint = root / "minimal.yaml"
    blueprint.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert render_files([blueprint], root / "output").ok
    for running, _ in twin_checks.running(root / "output" / "minimal", (app_checks.APP_IMAGE,)):
        yield running


def _served(twin: Twin) -> dict[str, x509.Certificate]:
    (cluster,) = twin.clusters()
    out = {}
    for namespace, name, port in NODES:
        pod = twin_checks.wait_ready(cluster.kube, namespace, f"{name}-0")
        der = twin_checks.served_certificate(cluster, pod, port)
        out[name] = x509.load_der_x509_certificate(der)
    return out


def _public(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _slot(cron: dict[str, Any]) -> int:
    minute, hour, *_ = cron["spec"]["schedule"].split()
    return int(hour) * 60 + int(minute)


def _statuses(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return list(pod.get("status", {}).get("containerStatuses") or [{}])


class Watch(threading.Thread):
    """Every second: how many consenter pods are not Ready (a kill of the test's claim
    that at most one is ever down)."""

    def __init__(self, kube: Kube) -> None:
        super().__init__(daemon=True)
        self.kube = kube
        self.most_down = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            pods = self.kube.items("pods", "-n", "orderer-org")
            ready = {
                p["metadata"]["name"]
                for p in pods
                if p["metadata"].get("deletionTimestamp") is None
                and all(
                    s.get("ready") for s in p.get("status", {}).get("containerStatuses") or [{}]
                )
            }
            down = sum(f"{name}-0" not in ready for _, name, _ in ORDERERS)
            self.most_down = max(self.most_down, down)
            time.sleep(1)


def _renew_each(
    kube: Kube, crons: list[dict[str, Any]], directory: Path, tmp: Path
) -> dict[str, list[dict[str, Any]]]:
    """Run each renewal CronJob now, in slot order, submitting transactions while its node
    restarts; the outcomes by CronJob."""
    commits: dict[str, list[dict[str, Any]]] = {}
    step = {"peer": "org1-peer0", "chaincode": "assets", "op": "submit", "fn": "Put"}
    for cron in crons:
        ns, name = cron["metadata"]["namespace"], cron["metadata"]["name"]
        job = f"{name}-now"
        kube.run(["create", "job", f"--from=cronjob/{name}", job, "-n", ns])
        try:
            commits[name] = app_checks.run(
                kube, "org1", "org1", "app",
                [step | {"args": [f"renewal-{job}-{i}", str(i)]} for i in range(8)],
                directory=directory, tmp=tmp,
            )  # fmt: skip
        except AssertionError as failed:
            if ns == "orderer-org":
                raise
            print(f"application while {name} ran (its gateway peer restarting): {failed}")
            commits[name] = []
        kube.run(["wait", "--for=condition=complete", f"job/{job}", "-n", ns,
                  "--timeout=600s"], timeout=630)  # fmt: skip
        logs = kube.run(["logs", f"job/{job}", "-n", ns]).stdout
        print(logs)
        assert ": renewed" in logs and "is Ready again" in logs, logs
    return commits


def test_renewal_restarts_nodes_one_at_a_time_and_they_serve_the_new_certificates(
    twin: Twin, tmp_path: Path
) -> None:
    (cluster,) = twin.clusters()
    kube = cluster.kube
    directory = twin.network_dir / "local"
    before = _served(twin)
    # the enroller's own rule; Fabric CA backdates notBefore, so not issuance + lifetime/2
    due = max(
        c.not_valid_before_utc + (c.not_valid_after_utc - c.not_valid_before_utc) * RENEW_AT
        for c in before.values()
    )
    wait = (due - dt.datetime.now(dt.UTC)).total_seconds() + 20
    print(f"certificates due for renewal in {wait:.0f} s")
    time.sleep(max(wait, 0))

    names = {f"{n}-renew" for _, n, _ in NODES}
    crons = [
        c for c in twin_checks.rendered(directory, "CronJob") if c["metadata"]["name"] in names
    ]
    crons.sort(key=_slot)
    assert [c["metadata"]["name"] for c in crons][:3] == [f"{n}-renew" for _, n, _ in ORDERERS]

    watch = Watch(kube)
    watch.start()
    started = time.time()
    try:
        commits = _renew_each(kube, crons, directory, tmp_path)
    finally:
        watch.stop.set()
        watch.join()
    for name, results in commits.items():
        print(name, "".join("+" if c["ok"] else "-" for c in results))
    after = _served(twin)
    for name, old in before.items():
        new = after[name]
        assert new.serial_number != old.serial_number, name
        assert new.not_valid_after_utc > old.not_valid_after_utc, name
        # re-enrolled with the same key: the consenter set still knows the node
        assert _public(new) == _public(old), name
    assert watch.most_down <= 1, watch.most_down
    ordered = [c for _, name, _ in ORDERERS for c in commits[f"{name}-renew"]]
    ok = sorted(c["at"] / 1000 for c in ordered if c["ok"])
    failed = [c for c in ordered if not c["ok"]]
    print(f"{len(ok)} commits, {len(failed)} failed, over {time.time() - started:.0f} s")
    # the application submits one transaction at a time, so a restart costs at most two:
    # the one the restarting orderer had accepted (lost with it) and, when it led the Raft
    # set, one submitted before the others elect a leader (Fabric 2.5 does not hand the
    # leadership over on shutdown: the gateway gets SERVICE_UNAVAILABLE from the others and
    # gives up). Seen: 21 of 24 committed, the failures at the start of two restarts.
    assert len(failed) <= 2 * len(ORDERERS), failed
    # while each orderer restarted, ordering never stopped for long: two transactions
    # submitted one after the other both committed within a minute (between two orderers'
    # renewals the test itself waits for the Job, which is no ordering gap). A submission
    # that failed in between is not counted as a stop: one the restarting orderer had
    # accepted is lost with it, and its client waits out its own timeout (failures are
    # bounded above)
    for _, name, _ in ORDERERS:
        results = commits[f"{name}-renew"]
        gaps = [(b["at"] - a["at"]) / 1000 for a, b in itertools.pairwise(results)
                if a["ok"] and b["ok"]]  # fmt: skip
        assert gaps and max(gaps) < 60, (name, gaps)
    # the peer is back: the application submits and reads through it again
    back = app_checks.run(
        kube, "org1", "org1", "app",
        [{"peer": "org1-peer0", "chaincode": "assets", "op": "submit", "fn": "Put",
          "args": ["renewal-after", "1"]},
         {"peer": "org1-peer0", "chaincode": "assets", "op": "evaluate", "fn": "Get",
          "args": ["renewal-after"]}],
        directory=directory, tmp=tmp_path,
    )  # fmt: skip
    assert all(c["ok"] for c in back), back


def test_the_next_sync_records_the_renewed_consenter_certificates(twin: Twin) -> None:
    """Fabric 2.5 keeps a renewed consenter (same key) in the set, but the channel's
    configuration still holds its old TLS certificate. The orderer organisation's channel
    Job, run again as the next sync runs it, fetches each consenter's certificate in a TLS
    handshake and re-certifies the consenters, one per update (README: day 2): then the
    live configuration holds the certificates the nodes serve."""
    (cluster,) = twin.clusters()
    kube = cluster.kube
    directory = twin.network_dir / "local"
    everyone = channel_checks.parties({"local": directory})
    (peers,) = [p for p in everyone if p.role == "peer"]
    (orderers,) = [p for p in everyone if p.role == "orderer"]
    root = channel_checks.consenter_tls_root({"local": kube}, peers)
    before = channel_checks.live_config(kube, peers, root)
    # the organisation's admin signs the updates: its 20-minute certificate, due as well,
    # is renewed first by its own CronJob (a restart of nothing: the Job mounts the Secret)
    job = "orderer-org-admin-renew-now"
    kube.run(["create", "job", "--from=cronjob/orderer-org-admin-renew", job, "-n", "orderer-org"])
    kube.run(["wait", "--for=condition=complete", f"job/{job}", "-n", "orderer-org",
              "--timeout=300s"], timeout=330)  # fmt: skip
    # the CA answered that Job past the point where a TLS certificate of the 20-minute
    # lifetime, issued at its start, had expired (Fabric CA backdates notBefore by five
    # minutes): fabric-ca-server issues its own from its "tls" profile, which had that
    # lifetime, and every client, renewals included, was refused from then on
    ca = twin_checks.wait_ready(kube, "orderer-org", "orderer-org-ca-0")
    ca_cert = x509.load_der_x509_certificate(twin_checks.served_certificate(cluster, ca, 7054))
    now = dt.datetime.now(dt.UTC)
    assert ca_cert.not_valid_before_utc < now < ca_cert.not_valid_after_utc
    assert ca_cert.not_valid_after_utc - ca_cert.not_valid_before_utc > 1000 * LIFETIME
    logs = channel_checks.rerun(kube, directory, orderers)
    print(logs)
    after = channel_checks.live_config(kube, peers, root)
    served = {name: cert.public_bytes(Encoding.DER) for name, cert in _served(twin).items()}
    consensus = after["channel_group"]["groups"]["Orderer"]["values"]["ConsensusType"]
    recorded = {
        c["host"].split(".")[0]: x509.load_pem_x509_certificate(
            base64.b64decode(c["client_tls_cert"])
        ).public_bytes(Encoding.DER)
        for c in consensus["value"]["metadata"]["consenters"]
    }
    assert recorded == {name: served[name] for _, name, _ in ORDERERS}
    assert int(after["sequence"]) == int(before["sequence"]) + len(ORDERERS), "one per update"
    assert "one consenter change of several" in logs, logs
    # idempotent: the sync after that, with nothing left to change, changes nothing
    again = channel_checks.rerun(kube, directory, orderers)
    print(again)
    assert "the channel's configuration is as rendered" in again, again
    assert "proposed:" not in again and "submitted with" not in again, again
    settled = channel_checks.live_config(kube, peers, root)
    assert settled["sequence"] == after["sequence"], "a run with nothing to change updated"
