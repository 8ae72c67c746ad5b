"""Every key of every rendered Fabric config is one the rendered Fabric version really reads.

Read back from output/; judged by the Fabric and Fabric CA sources of the version each
workload's image names (see tests/fabric_keys.py for where the known keys come from).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import fabric_keys
from tests.fabric_keys import KnownKeys, key_paths
from tests.tooling import all_rendered

# Variables with these prefixes are Fabric's; any other one must be named in a rendered script.
FABRIC_PREFIXES = ("FABRIC_", "CORE_", "ORDERER_")
STATEFULSETS = all_rendered("StatefulSet")
CONFIGMAPS = {
    (data["metadata"]["namespace"], data["metadata"]["name"], path.parts[-4]): data
    for path, data in all_rendered("ConfigMap")
}


def _ident(item: tuple[Path, dict[str, Any]]) -> str:
    path, _ = item
    return "/".join((*path.parts[-4:-1], path.stem))


def _version(image: str) -> str:
    return image.rsplit(":", 1)[1].split("@", 1)[0]


def _config_map(path: Path, sts: dict[str, Any]) -> dict[str, str]:
    volumes = {v["name"]: v for v in sts["spec"]["template"]["spec"]["volumes"]}
    name = volumes["config"]["configMap"]["name"]
    cm = CONFIGMAPS[(sts["metadata"]["namespace"], name, path.parts[-4])]
    data: dict[str, str] = cm["data"]
    return data


def _known(component: str, image: str) -> tuple[KnownKeys, list[str]]:
    version = _version(image)
    if component == "ca":
        assert version in fabric_keys.FABRIC_CA_VERSIONS, f"no fabric-ca {version} source"
        return fabric_keys.ca_keys(version), ["ca.yaml", "tlsca.yaml"]
    assert version in fabric_keys.FABRIC_VERSIONS, f"no Fabric {version} source"
    if component == "orderer":
        return fabric_keys.orderer_keys(version), ["orderer.yaml"]
    return fabric_keys.peer_keys(version), ["core.yaml"]


@pytest.mark.tools
@pytest.mark.parametrize(("path", "sts"), STATEFULSETS, ids=[_ident(s) for s in STATEFULSETS])
def test_every_config_key_and_variable_is_read_by_the_rendered_version(
    path: Path, sts: dict[str, Any]
) -> None:
    component = sts["metadata"]["labels"]["app.kubernetes.io/component"]
    main = sts["spec"]["template"]["spec"]["containers"][0]
    known, files = _known(component, main["image"])
    data = _config_map(path, sts)
    for name in files:
        unknown = known.unknown(key_paths(yaml.safe_load(data[name])))
        assert not unknown, f"{name}: keys Fabric does not read: {unknown}"
    scripts = "\n".join(data.values())
    unknown_env = sorted(
        e["name"]
        for e in main.get("env", [])
        if not (
            known.knows_env(e["name"])
            if e["name"].startswith(FABRIC_PREFIXES)
            else re.search(rf"\b{e['name']}\b", scripts)
        )
    )
    assert not unknown_env, f"variables neither Fabric nor the rendered scripts read: {unknown_env}"


ORDERERS = [
    s
    for s in STATEFULSETS
    if s[1]["metadata"]["labels"]["app.kubernetes.io/component"] == "orderer"
]


@pytest.mark.tools
@pytest.mark.parametrize(("path", "sts"), ORDERERS, ids=[_ident(s) for s in ORDERERS])
def test_the_orderers_own_loader_accepts_the_rendered_orderer_yaml(
    path: Path, sts: dict[str, Any], tmp_path: Path
) -> None:
    error = fabric_keys.orderer_loader_error(_config_map(path, sts)["orderer.yaml"], tmp_path)
    assert error is None, error


def _orderer_yaml_with(extra: str) -> str:
    path, sts = ORDERERS[0]
    return _config_map(path, sts)["orderer.yaml"].replace("General:\n", "General:\n" + extra, 1)


# The two Fabric 3 blocks that once made every orderer crash-loop on 2.5.16.
FABRIC3_GENERAL = """\
  Backoff:
    BaseDelay: 1s
    Multiplier: 1.6
    MaxDelay: 2m
  Throttling:
    Rate: 0
    InactiveClientExpiration: 0s
"""


@pytest.mark.tools
def test_the_check_catches_fabric3_keys_in_orderer_yaml(tmp_path: Path) -> None:
    text = _orderer_yaml_with(FABRIC3_GENERAL)
    error = fabric_keys.orderer_loader_error(text, tmp_path)
    assert error is not None and "'General' has invalid keys: Backoff, Throttling" in error
    unknown = fabric_keys.orderer_keys("2.5.16").unknown(key_paths(yaml.safe_load(text)))
    assert unknown == [
        "General.Backoff",
        "General.Backoff.BaseDelay",
        "General.Backoff.MaxDelay",
        "General.Backoff.Multiplier",
        "General.Throttling",
        "General.Throttling.InactiveClientExpiration",
        "General.Throttling.Rate",
    ]


@pytest.mark.tools
def test_the_check_catches_a_misspelt_peer_key_that_the_peer_would_ignore() -> None:
    known = fabric_keys.peer_keys("2.5.16")
    assert known.knows("peer.gossip.useLeaderElection")
    assert known.knows("peer.chaincodeAddress")  # only commented out in the sample
    assert not known.knows("peer.gossip.useLeaderElektion")
    assert known.knows_env("CORE_PEER_GOSSIP_USELEADERELECTION")
    assert not known.knows_env("CORE_PEER_GOSSIP_USELEADERELEKTION")


@pytest.mark.tools
def test_the_check_catches_an_unknown_ca_key() -> None:
    known = fabric_keys.ca_keys("1.5.21")
    assert known.knows("csr.hosts") and known.knows("db.tls.certfiles")
    assert known.knows("signing.profiles.tls.usage")  # a map of structs: any profile name
    assert not known.knows("signing.profiles.tls.usages")
    assert not known.knows("tls.certfile.extra")
