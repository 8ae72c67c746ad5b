"""Benchmark: enrollment of a node identity (signing + TLS certificate, registered at both
CAs) in-process against the rendered CA run for real on 127.0.0.1 (fabric-ca-server from
`make tools`), and its Secrets written to a recording Kubernetes API (tests/kube_fake.py).

Where the time goes, as measured: Fabric CA hashes every registered secret and checks every
enrollment secret with bcrypt at its fixed DefaultCost (lib/dbaccessor.go), six times for a
new identity (the registrar's enrollment, the registration and the identity's enrollment,
at each of the two CAs); key generation and TLS are small beside that. Each CA's three
requests run one after the other (two CAs at once), so the registrar's enrollment is a
third of the time: the first Job of an organisation keeps it in a Secret for the next ones
(compiler/enroll/registrar.py), and the two cases are printed apart.

Prints figures; asserts nothing about time. Run: `make bench`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compiler.enroll.flow import run  # noqa: E402
from compiler.enroll.secrets import KubeSecrets  # noqa: E402
from tests.ca_harness import running_ca  # noqa: E402
from tests.kube_fake import FakeKube  # noqa: E402
from tests.test_enroll import NS, REGISTRAR, config  # noqa: E402  (the tests' identity)

FIRST = "enrolled, first of its organisation"


def main() -> None:
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, running_ca(Path(tmp), REGISTRAR) as ca:
        for org in range(5):  # each a new organisation: its namespace has no kept registrar
            kube = FakeKube()
            try:
                store = KubeSecrets.for_server(kube.url, NS)
                kept = f"bench-org{org}-registrar-enrollment"  # as rendered (enrollment.py)
                for i in range(3):
                    name = f"bench-org{org}-peer{i}"
                    cfg = config(ca, name, deadline_seconds=30, registrar_secret=kept)
                    first = FIRST if i == 0 else "enrolled"
                    for case in (first, "unchanged"):  # new, then the run that finds it
                        start = time.perf_counter()
                        outcome = run(cfg, store)
                        samples.setdefault(case, []).append(time.perf_counter() - start)
                        assert outcome.value == case.split(",")[0], (case, outcome)
            finally:
                kube.close()
    print("enrollment of a node identity, in-process, local fabric-ca-server")
    for case in (FIRST, "enrolled", "unchanged"):
        values = samples[case]
        print(
            f"  {case:<36} median {statistics.median(values) * 1000:6.0f} ms   "
            f"min {min(values) * 1000:6.0f} ms   (n={len(values)})"
        )


if __name__ == "__main__":
    main()
