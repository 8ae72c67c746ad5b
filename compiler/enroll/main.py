"""Entry point of the enrollment Jobs: exit 0 when the identity (or, with registrar=True,
the organisation's kept registrar enrollment) is in place, 1 otherwise.

The registrar's credential comes from the environment (a Secret reference in the Job);
it is never logged, and neither is any key.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from compiler.enroll.config import CAConfig, EnrollConfig
from compiler.enroll.flow import EnrollFailed, Outcome, keep_registrar, revoke, run
from compiler.enroll.restart import RestartFailed, restart
from compiler.enroll.secrets import KubeSecrets


def main(
    config_path: Path,
    *,
    revoke_identity: bool = False,
    held: Path = Path("/var/run/hlfc/held"),
    registrar_only: bool = False,
) -> int:
    try:
        registrar = (os.environ["CA_REGISTRAR_USERNAME"], os.environ["CA_REGISTRAR_PASSWORD"])
    except KeyError as missing:
        print(f"hlfc enroll: environment variable {missing} is not set", file=sys.stderr)
        return 1
    if registrar_only:
        return _registrar(CAConfig.load(config_path, registrar))
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


def _registrar(cfg: CAConfig) -> int:
    try:
        outcome = keep_registrar(cfg, KubeSecrets(cfg.namespace))
    except EnrollFailed as exc:
        print(f"hlfc enroll: registrar: {exc}", file=sys.stderr)
        return 1
    print(f"hlfc enroll: registrar: {outcome}, kept in Secret {cfg.registrar_secret}")
    return 0
