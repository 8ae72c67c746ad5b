"""Entry point of the enrollment Job: exit 0 when the identity is in place, 1 otherwise.

The registrar's credential comes from the environment (a Secret reference in the Job);
it is never logged, and neither is any key.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from compiler.enroll.config import EnrollConfig
from compiler.enroll.flow import EnrollFailed, Outcome, revoke, run
from compiler.enroll.restart import RestartFailed, restart
from compiler.enroll.secrets import KubeSecrets


def main(
    config_path: Path, *, revoke_identity: bool = False, held: Path = Path("/var/run/hlfc/held")
) -> int:
    try:
        registrar = (os.environ["CA_REGISTRAR_USERNAME"], os.environ["CA_REGISTRAR_PASSWORD"])
    except KeyError as missing:
        print(f"hlfc enroll: environment variable {missing} is not set", file=sys.stderr)
        return 1
    cfg = EnrollConfig.load(config_path, registrar)
    try:
        if revoke_identity:
            revoked = revoke(cfg, held)
            what = ", ".join(revoked) if revoked else "nothing held in this cluster"
            print(f"hlfc enroll: {cfg.enrollment_id}: revoked {what}")
            return 0
        store = KubeSecrets(cfg.namespace)
        outcome = run(cfg, store)
        print(f"hlfc enroll: {cfg.enrollment_id}: {outcome}")
        if outcome is Outcome.RENEWED and cfg.restart_pod:
            restart(store.client, cfg.namespace, cfg.restart_pod,
                    deadline=time.monotonic() + cfg.deadline_seconds)  # fmt: skip
    except (EnrollFailed, RestartFailed) as exc:
        print(f"hlfc enroll: {cfg.enrollment_id}: {exc}", file=sys.stderr)
        return 1
    return 0
