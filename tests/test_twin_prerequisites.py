"""What the twin creates before the first sync, in a platform team's place: the Secrets the
pods read that neither a secret store nor an enrollment Job makes."""

from __future__ import annotations

from compiler.twin.prerequisites import expected_secrets
from compiler.twin.sync import load
from tests.conftest import ROOT


def test_only_secrets_nothing_in_the_output_makes_are_expected() -> None:
    objects = [res.obj for res in load(ROOT / "output" / "minimal" / "local")]
    wanted = expected_secrets(objects)
    # the CA's registrar credential, read by the CA and by every enrollment Job
    assert wanted[("org1", "org1-ca-registrar")] == {"username", "password"}
    # written by the identities' Jobs and by the registrar Job, named in their configs
    for made in ("org1-peer0-msp", "org1-peer0-tls", "org1-registrar-enrollment"):
        assert ("org1", made) not in wanted
    assert all(not name.endswith(("-msp", "-tls")) for _, name in wanted)
