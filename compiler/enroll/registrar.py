"""The registrar's enrollment at each CA, kept in a Secret for the organisation's Jobs.

A new identity costs three requests to each CA, one after the other: the registrar's
enrollment, the identity's registration, the identity's enrollment. Fabric CA checks an
enrollment secret, and hashes a registered one, with bcrypt at its fixed DefaultCost
(lib/dbaccessor.go): about 85 ms each on 2 cores, nearly all of a new identity's time
(bench/bench_enroll.py). Every enrollment Job of an organisation's namespace would enroll
the same registrar, and on the first sync they all start at once (one wave). So the
organisation's registrar Job, a wave earlier, enrolls it once and keeps the certificates
and keys in one Secret (flow.keep_registrar), and the identities' Jobs sign with
them while they are fresh: two round trips per CA instead of three, and the CA's database
gains one registrar certificate per namespace, not one per Job.

For an identity's Job only ever a shortcut. A kept enrollment that does not match its key,
does not chain to the CA's root, is due for renewal or is refused by the CA is replaced by
a new enrollment; a Secret that cannot be read or written is done without (the Job says so
and goes on). The Secret holds nothing a Job could not get already: every Job holds the
registrar's password.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field

from compiler.enroll import crypto
from compiler.enroll.ca_client import Identity
from compiler.enroll.secrets import SecretStore, Stored

CA, TLSCA = "ca", "tlsca"  # data keys <role>.crt and <role>.key, one pair per CA


@dataclass
class Kept:
    """The registrar's enrollments: usable ones read from the Secret, and the ones this run
    had to make (each CA's thread sets only its own role)."""

    secret: str | None
    stored: Stored | None = None
    usable: dict[str, Identity] = field(default_factory=dict)
    made: dict[str, Identity] = field(default_factory=dict)


def read(
    store: SecretStore,
    secret: str | None,
    roots: dict[str, bytes],
    *,
    renew_at: float,
    now: dt.datetime,
    strict: bool = False,
) -> Kept:
    """What the Secret holds that is fit to sign with, per role (roots: role -> CA root).
    Strict (the registrar Job, whose whole work it is): an error reading it is raised."""
    if secret is None:
        return Kept(None)
    try:
        stored = store.read(secret)
    except Exception as exc:  # a shortcut only: RBAC, the API server, anything
        if strict:
            raise
        _say(f"registrar enrollment not read from Secret {secret}: {exc}")
        return Kept(None)
    kept = Kept(secret, stored)
    data = stored.data if stored else {}
    for role, root in roots.items():
        cert, key = data.get(f"{role}.crt"), data.get(f"{role}.key")
        state = crypto.inspect(cert, key, root, renew_at=renew_at, now=now)
        if state.usable and not state.due and cert is not None and key is not None:
            kept.usable[role] = Identity(cert, crypto.load_key(key))
    return kept


def write(store: SecretStore, kept: Kept, *, strict: bool = False) -> None:
    """Keep what this run enrolled, beside what is still usable. An identity's Job that lost
    a race to another (409) or may not write leaves the Secret as it is; strict (the
    registrar Job), the error is raised."""
    if kept.secret is None or not kept.made:
        return
    identities = kept.usable | kept.made
    data: dict[str, bytes] = {}
    for role, identity in sorted(identities.items()):
        data[f"{role}.crt"] = identity.cert_pem
        data[f"{role}.key"] = crypto.key_pem(identity.key)
    not_after = min(crypto.not_after(i.cert_pem) for i in identities.values())
    try:
        store.write(kept.secret, data, "Opaque", not_after, kept.stored)
    except Exception as exc:  # a shortcut only: the identity is enrolled either way
        if strict:
            raise
        _say(f"registrar enrollment not kept in Secret {kept.secret}: {exc}")


def _say(line: str) -> None:
    print(f"hlfc enroll: {line}", file=sys.stderr, flush=True)
