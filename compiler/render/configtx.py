"""configtx.yaml for one channel: configtxgen's input, rendered from the blueprint.

One profile named after the channel, everything inline, so that the file in the output is
the reviewable whole of what the genesis block will say. Certificates are not known at
compile time: MSP folders and consenter certificates are paths under WORK_DIR, which the
channel Job's init container fills from public endpoints (compiler/enroll/trust.py).

Defaults are Fabric 2.5's own (sampleconfig/configtx.yaml of the rendered version;
tests/test_configtx.py checks the ACL table against it).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from compiler.analysis.channels import anchor_peers, consenters_of, member_orgs, orderer_orgs
from compiler.analysis.endpoints import endpoint
from compiler.analysis.network import ChannelInfo, Network, Org
from compiler.blueprint.models import Policy

WORK_DIR = "/work"  # the Job's emptyDir: MSP folders and consenter certificates

# Fabric 2.5.16 sampleconfig/configtx.yaml, Application.ACLs
DEFAULT_ACLS: dict[str, str] = {
    "_lifecycle/CheckCommitReadiness": "/Channel/Application/Writers",
    "_lifecycle/CommitChaincodeDefinition": "/Channel/Application/Writers",
    "_lifecycle/QueryChaincodeDefinition": "/Channel/Application/Writers",
    "_lifecycle/QueryChaincodeDefinitions": "/Channel/Application/Writers",
    "lscc/ChaincodeExists": "/Channel/Application/Readers",
    "lscc/GetDeploymentSpec": "/Channel/Application/Readers",
    "lscc/GetChaincodeData": "/Channel/Application/Readers",
    "lscc/GetInstantiatedChaincodes": "/Channel/Application/Readers",
    "qscc/GetChainInfo": "/Channel/Application/Readers",
    "qscc/GetBlockByNumber": "/Channel/Application/Readers",
    "qscc/GetBlockByHash": "/Channel/Application/Readers",
    "qscc/GetTransactionByID": "/Channel/Application/Readers",
    "qscc/GetBlockByTxID": "/Channel/Application/Readers",
    "cscc/GetConfigBlock": "/Channel/Application/Readers",
    "cscc/GetChannelConfig": "/Channel/Application/Readers",
    "peer/Propose": "/Channel/Application/Writers",
    "peer/ChaincodeToChaincode": "/Channel/Application/Writers",
    "event/Block": "/Channel/Application/Readers",
    "event/FilteredBlock": "/Channel/Application/Readers",
}


def _implicit(rule: str) -> Policy:
    return Policy(type="ImplicitMeta", rule=rule)


def _signature(rule: str) -> Policy:
    return Policy(type="Signature", rule=rule)


# Fabric 2.5.16 sampleconfig/configtx.yaml, the Channel, Orderer and Application Policies
DEFAULT_CHANNEL_POLICIES = {
    "Readers": _implicit("ANY Readers"),
    "Writers": _implicit("ANY Writers"),
    "Admins": _implicit("MAJORITY Admins"),
}
DEFAULT_ORDERER_POLICIES = {**DEFAULT_CHANNEL_POLICIES, "BlockValidation": _implicit("ANY Writers")}
DEFAULT_APPLICATION_POLICIES = {
    "LifecycleEndorsement": _implicit("MAJORITY Endorsement"),
    "Endorsement": _implicit("MAJORITY Endorsement"),
    **DEFAULT_CHANNEL_POLICIES,
}


def org_policies(org: Org, *, member: bool) -> dict[str, Policy]:
    """Per organisation, by NodeOU role (every identity hlfc enrolls carries one)."""
    msp = org.msp_id
    if not member:  # an orderer organisation: its orderers sign blocks as members
        return {
            "Readers": _signature(f"OR('{msp}.member')"),
            "Writers": _signature(f"OR('{msp}.member')"),
            "Admins": _signature(f"OR('{msp}.admin')"),
        }
    return {
        "Readers": _signature(f"OR('{msp}.admin', '{msp}.peer', '{msp}.client')"),
        "Writers": _signature(f"OR('{msp}.admin', '{msp}.client')"),
        "Admins": _signature(f"OR('{msp}.admin')"),
        "Endorsement": _signature(f"OR('{msp}.peer')"),
    }


def application_policies(network: Network, channel: ChannelInfo) -> dict[str, Policy]:
    """Fabric's defaults; `admins` narrows Admins to a majority of the listed organisations'
    admins; explicit `policies.application` entries win over both."""
    policies = dict(DEFAULT_APPLICATION_POLICIES)
    spec = channel.spec
    if spec.admins is not None and set(spec.admins) != set(spec.members):
        by_name = {o.name: o for o in network.orgs}
        admins = [by_name[a].msp_id for a in spec.admins if a in by_name]
        need = len(admins) // 2 + 1
        listed = ", ".join(f"'{msp}.admin'" for msp in admins)
        policies["Admins"] = _signature(f"OutOf({need}, {listed})")
    return policies | dict(spec.policies.application)


@dataclass(frozen=True)
class ConfigOrg:
    name: str  # the organisation's name in the blueprint: its MSP folder under WORK_DIR
    msp_id: str  # configtx Name and ID: the group key in the channel configuration
    policies: dict[str, Policy]
    orderer_endpoints: tuple[str, ...]


def _orderer_org(network: Network, channel: ChannelInfo, org: Org) -> ConfigOrg:
    endpoints = tuple(endpoint(network, c).advertised for c in consenters_of(channel, org))
    return ConfigOrg(org.name, org.msp_id, org_policies(org, member=False), endpoints)


def _member_org(org: Org) -> ConfigOrg:
    return ConfigOrg(org.name, org.msp_id, org_policies(org, member=True), ())


def consenter_file(name: str) -> str:
    return f"{WORK_DIR}/consenters/{name}.pem"


def consenters(network: Network, channel: ChannelInfo) -> list[dict[str, Any]]:
    """Host and port as every other consenter dials it; its TLS certificate (server and
    client alike: an orderer uses one TLS pair for both)."""
    out = []
    for c in channel.consenters:
        host, _, port = endpoint(network, c).advertised.rpartition(":")
        out.append({"name": c.workload, "org": c.org, "host": host, "port": int(port)})
    return out


def _policies(items: dict[str, Policy]) -> dict[str, Any]:
    return {name: {"Type": p.type, "Rule": p.rule} for name, p in items.items()}


def _organization(org: ConfigOrg) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Name": org.msp_id,
        "ID": org.msp_id,
        "MSPDir": f"{WORK_DIR}/msp/{org.name}",
        "Policies": _policies(org.policies),
    }
    if org.orderer_endpoints:
        out["OrdererEndpoints"] = list(org.orderer_endpoints)
    return out


def profile(network: Network, channel: ChannelInfo) -> dict[str, Any]:
    """The channel's configtxgen profile, as data."""
    spec = channel.spec
    caps = spec.capabilities
    return {
        "Policies": _policies(DEFAULT_CHANNEL_POLICIES | dict(spec.policies.channel)),
        "Capabilities": {caps.channel: True},
        "Orderer": {
            "OrdererType": "etcdraft",
            "BatchTimeout": spec.batch.timeout,
            "BatchSize": {
                "MaxMessageCount": spec.batch.max_message_count,
                "AbsoluteMaxBytes": spec.batch.absolute_max_bytes,
                "PreferredMaxBytes": spec.batch.preferred_max_bytes,
            },
            "MaxChannels": 0,
            "EtcdRaft": {
                "Consenters": [
                    {
                        "Host": c["host"],
                        "Port": c["port"],
                        "ClientTLSCert": consenter_file(c["name"]),
                        "ServerTLSCert": consenter_file(c["name"]),
                    }
                    for c in consenters(network, channel)
                ],
                "Options": {
                    "TickInterval": spec.raft.tick_interval,
                    "ElectionTick": spec.raft.election_tick,
                    "HeartbeatTick": spec.raft.heartbeat_tick,
                    "MaxInflightBlocks": spec.raft.max_inflight_blocks,
                    "SnapshotIntervalSize": spec.raft.snapshot_interval_size,
                },
            },
            "Organizations": [
                _organization(_orderer_org(network, channel, o))
                for o in orderer_orgs(network, channel)
            ],
            "Policies": _policies(DEFAULT_ORDERER_POLICIES | dict(spec.policies.orderer)),
            "Capabilities": {caps.orderer: True},
        },
        "Application": {
            "Organizations": [_organization(_member_org(o)) for o in member_orgs(network, channel)],
            "Policies": _policies(application_policies(network, channel)),
            "ACLs": DEFAULT_ACLS | spec.acls,
            "Capabilities": {caps.application: True},
        },
    }


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _string(str(value))


@functools.lru_cache(maxsize=65536)
def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML string


_FABRIC_KEY = re.compile(r"[A-Z][A-Za-z0-9_]*")


def _key(key: str) -> str:
    """Fabric's own keys as they are; anything else (a channel name, an ACL resource)
    quoted, so that YAML never reads a name such as `yes` or `null` as something else."""
    return key if _FABRIC_KEY.fullmatch(key) else _scalar(key)


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                out.append(f"{pad}{_key(key)}:")
                out.extend(_lines(item, indent + 2))
            else:
                empty = "{}" if isinstance(item, dict) else "[]"
                text = empty if isinstance(item, dict | list) else _scalar(item)
                out.append(f"{pad}{_key(key)}: {text}")
    else:
        for item in value:
            if isinstance(item, dict):
                nested = _lines(item, indent + 2)
                out.append(f"{pad}- {nested[0].lstrip()}")
                out.extend(nested[1:])
            else:
                out.append(f"{pad}- {_scalar(item)}")
    return out


HEADER = """\
# configtx.yaml of channel {channel} (network {network}), rendered by hlfc.
# `configtxgen -profile {channel}` makes the genesis block from it, once; every party
# checks the block it is served against it. Certificates are read from {work}, which the
# channel Job fills from public endpoints, each verified against its issuer. Anchor peers
# are not here: each organisation sets its own by a config update after joining.
"""


def configtx_yaml(network: Network, channel: ChannelInfo) -> str:
    # every party's Job of the channel carries the same text: made once per channel
    known: dict[str, str] = network.memo.setdefault("configtx.yaml", {})
    if channel.name not in known:
        header = HEADER.format(channel=channel.name, network=network.name, work=WORK_DIR)
        body = _lines({"Profiles": {channel.name: profile(network, channel)}}, 0)
        known[channel.name] = header + "\n".join(body) + "\n"
    return known[channel.name]


def anchors(network: Network, org: Org) -> list[dict[str, Any]]:
    """The AnchorPeers value the peer Job sets (configtxlator's JSON field names)."""
    return [{"host": h, "port": p} for h, p in anchor_peers(network, org)]
