"""Benchmark: enrollment of a node identity (signing + TLS certificate, registered at both
CAs) in-process against the rendered CA run for real on 127.0.0.1 (fabric-ca-server from
`make tools`), and its Secrets written to a recording Kubernetes API (tests/kube_fake.py).

Where the time goes, as measured: Fabric CA hashes every registered secret and checks every
enrollment secret with bcrypt at its fixed DefaultCost (lib/dbaccessor.go), about 85 ms
each here; key generation and TLS are small beside that. A new identity needs, at each of
the two CAs (asked at once), the registrar's enrollment, the registration and the
identity's enrollment, one after the other. The organisation's registrar Job, a wave
before the identities' Jobs, enrolls the registrar once and keeps it
(compiler/enroll/registrar.py), so an identity's Job needs two of the three. Printed apart:
the registrar Job, a node identity with the registrar kept (what every identity Job of a
sync does), one without (the fallback when the kept enrollment is gone or refused), and the
run that finds the identity in place.

Prints figures; asserts nothing about time. Run: `make bench`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler.enroll.config import CAConfig  # noqa: E402
from compiler.enroll.flow import (  # noqa: E402
    Outcome,
    keep_registrar,
    run,
)
from compiler.enroll.secrets import KubeSecrets  # noqa: E402
from tests.ca_harness import running_ca  # noqa: E402
from tests.kube_fake import FakeKube  # noqa: E402
from tests.test_enroll import NS, REGISTRAR, config  # noqa: E402  (the tests' identity)

REGISTRAR_JOB = "registrar Job, once per organisation"
ENROLLED = "node identity, registrar kept"
FALLBACK = "node identity, no registrar kept"
UNCHANGED = "node identity, unchanged"


def main() -> None:
    samples: dict[str, list[float]] = {}

    def timed(case: str, expect: Outcome, call: Callable[..., Outcome], *args: object) -> None:
        start = time.perf_counter()
        outcome = call(*args)
        samples.setdefault(case, []).append(time.perf_counter() - start)
        assert outcome is expect, (case, outcome)

    with tempfile.TemporaryDirectory() as tmp, running_ca(Path(tmp), REGISTRAR) as ca:
        for org in range(5):  # each a new organisation: its namespace has no kept registrar
            kube = FakeKube()
            try:
                store = KubeSecrets.for_server(kube.url, NS)
                kept = f"bench-org{org}-registrar-enrollment"  # as rendered (enrollment.py)
                job = CAConfig(
                    ca_url=ca.url, ca_name="ca", tlsca_name="tlsca", namespace=NS,
                    registrar_username=REGISTRAR[0], registrar_password=REGISTRAR[1],
                    deadline_seconds=30, registrar_secret=kept,
                )  # fmt: skip
                timed(REGISTRAR_JOB, Outcome.ENROLLED, keep_registrar, job, store)
                for i in range(3):
                    cfg = config(
                        ca, f"bench-org{org}-peer{i}", deadline_seconds=30, registrar_secret=kept
                    )
                    timed(ENROLLED, Outcome.ENROLLED, run, cfg, store)
                    timed(UNCHANGED, Outcome.UNCHANGED, run, cfg, store)
                alone = config(
                    ca,
                    f"bench-org{org}-orderer0",
                    deadline_seconds=30,
                    registrar_secret=f"bench-org{org}-nothing-kept",
                )
                timed(FALLBACK, Outcome.ENROLLED, run, alone, store)
            finally:
                kube.close()
    print("enrollment of a node identity, in-process, local fabric-ca-server")
    for case in (REGISTRAR_JOB, ENROLLED, FALLBACK, UNCHANGED):
        values = samples[case]
        print(
            f"  {case:<36} median {statistics.median(values) * 1000:6.0f} ms   "
            f"min {min(values) * 1000:6.0f} ms   (n={len(values)})"
        )


if __name__ == "__main__":
    main()
