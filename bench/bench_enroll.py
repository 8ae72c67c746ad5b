"""Benchmark: enrollment of a node identity (signing + TLS certificate, registered at both
CAs) in-process against the rendered CA run for real on 127.0.0.1 (fabric-ca-server from
`make tools`), and its Secrets written to a recording Kubernetes API (tests/kube_fake.py).

Where the time goes, as measured: Fabric CA hashes every registered secret and checks every
enrollment secret with bcrypt at its fixed DefaultCost (lib/dbaccessor.go), six times for a
new identity (the registrar's enrollment, the registration and the identity's enrollment,
at each of the two CAs); key generation and TLS are small beside that.

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

from compiler.enroll.flow import Outcome, run  # noqa: E402
from compiler.enroll.secrets import KubeSecrets  # noqa: E402
from tests.ca_harness import running_ca  # noqa: E402
from tests.kube_fake import FakeKube  # noqa: E402
from tests.test_enroll import NS, REGISTRAR, config  # noqa: E402  (the tests' identity)


def main() -> None:
    samples: dict[Outcome, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, running_ca(Path(tmp), REGISTRAR) as ca:
        kube = FakeKube()
        try:
            store = KubeSecrets.for_server(kube.url, NS)
            for i in range(7):
                cfg = config(ca, f"bench-peer{i}", deadline_seconds=30)
                for _ in range(2):  # a new identity, then the run that finds it in order
                    start = time.perf_counter()
                    outcome = run(cfg, store)
                    samples.setdefault(outcome, []).append(time.perf_counter() - start)
        finally:
            kube.close()
    print("enrollment of a node identity, in-process, local fabric-ca-server")
    for outcome, values in samples.items():
        print(
            f"  {outcome.name.lower():<10} median {statistics.median(values) * 1000:6.0f} ms   "
            f"min {min(values) * 1000:6.0f} ms   (n={len(values)})"
        )


if __name__ == "__main__":
    main()
