"""Argo CD sync waves: the order in which a sync applies what hlfc renders.

One table, so that every renderer orders its objects against the same scale.
"""

from __future__ import annotations

NAMESPACES = -10
POLICIES = -5
SECRETS = -3
CA = 0
REGISTRAR = 5  # each organisation's registrar enrollment, kept for the next wave
ENROLLMENT = 10
ORDERERS = 20
PEERS = 30
CHANNEL_JOBS = 40
CHAINCODE_JOBS = 45
MONITORING = 50


# A Job run during the sync, re-created by each one (Argo CD deletes the old Job first).
SYNC_HOOK = {
    "argocd.argoproj.io/hook": "Sync",
    "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
}


def annotation(wave: int) -> dict[str, str]:
    return {"argocd.argoproj.io/sync-wave": str(wave)}


def sync_options(*options: str) -> dict[str, str]:
    return {"argocd.argoproj.io/sync-options": ",".join(options)}


# Objects whose loss loses data: never pruned, never deleted with the Application.
KEEP_OPTIONS = ("Prune=false", "Delete=false")
KEEP = sync_options(*KEEP_OPTIONS)
# A custom resource whose CRD may not be installed yet when Argo CD dry-runs the sync.
CUSTOM = sync_options("SkipDryRunOnMissingResource=true")
