"""Who runs, approves and commits each chaincode (chaincode as a service), derived once.

Every member organisation of the channel approves the definition, in each cluster where it
has peers (an approval already given is kept, so two clusters of one organisation agree).
Organisations that run the chaincode also install its package on their peers there and
serve it from a chaincode server beside them. One party commits: the first running
organisation, in its first cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.analysis.channels import member_orgs
from compiler.analysis.network import ChannelInfo, Network, Org, PeerNode
from compiler.blueprint.models import Chaincode
from compiler.diagnostics import Diagnostic, Path, error

# Fabric's default LifecycleEndorsement: a majority of the application organisations.
DEFAULT_LIFECYCLE_POLICY = "MAJORITY Endorsement"


@dataclass(frozen=True)
class ChaincodeInfo:
    channel: ChannelInfo
    spec: Chaincode
    path: Path
    runners: tuple[Org, ...]  # install and serve it
    approvers: tuple[Org, ...]  # every channel member

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def server(self) -> str:
        """Base name of the chaincode server's Deployment, Service and TLS identity: unique
        per channel, as two channels may run different definitions of one name."""
        return f"{self.channel.name.replace('.', '-')}-{self.spec.name}"

    @property
    def label(self) -> str:
        """The package label, part of the package ID."""
        return f"{self.spec.name}_{self.spec.version}"


@dataclass(frozen=True)
class LifecycleParty:
    chaincode: ChaincodeInfo
    org: Org
    cluster: str
    peers: tuple[PeerNode, ...]  # the organisation's peers in `cluster`
    runs: bool
    committer: bool

    @property
    def job(self) -> str:
        return f"{self.chaincode.server}-{self.org.name}-cc"


def chaincodes(network: Network) -> tuple[ChaincodeInfo, ...]:
    out: list[ChaincodeInfo] = []
    for channel in network.channels:
        members = member_orgs(network, channel)
        by_name = {o.name: o for o in members}
        for i, spec in enumerate(channel.spec.chaincodes):
            names = spec.organizations if spec.organizations is not None else list(by_name)
            runners = tuple(by_name[n] for n in names if n in by_name)
            path = (*channel.path, "chaincodes", i)
            out.append(ChaincodeInfo(channel, spec, path, runners, members))
    return tuple(out)


def parties(chaincode: ChaincodeInfo) -> tuple[LifecycleParty, ...]:
    out: list[LifecycleParty] = []
    committer_set = False
    for org in (
        *chaincode.runners,
        *(o for o in chaincode.approvers if o not in chaincode.runners),
    ):
        runs = org in chaincode.runners
        for cluster in sorted({p.cluster for p in org.peers}):
            peers = tuple(p for p in org.peers if p.cluster == cluster)
            committer = not committer_set and runs
            committer_set = committer_set or committer
            out.append(LifecycleParty(chaincode, org, cluster, peers, runs, committer))
    return tuple(out)


def all_parties(network: Network) -> tuple[LifecycleParty, ...]:
    return tuple(p for cc in chaincodes(network) for p in parties(cc))


def servers(network: Network) -> tuple[tuple[ChaincodeInfo, Org, str], ...]:
    """Each (chaincode, organisation, cluster) that runs a chaincode server."""
    return tuple((p.chaincode, p.org, p.cluster) for p in all_parties(network) if p.runs)


def definition(chaincode: ChaincodeInfo) -> dict[str, object]:
    """What Fabric's chaincode definition holds besides its sequence: a change to any of it
    needs the sequence raised. (The package is each organisation's own choice, not part of
    the definition.)"""
    spec = chaincode.spec
    return {
        "version": spec.version,
        "endorsementPolicy": spec.endorsement_policy.model_dump(by_alias=True, exclude_none=True)
        if spec.endorsement_policy
        else None,
        "initRequired": spec.init_required,
        "collections": [c.model_dump(by_alias=True, exclude_none=True) for c in spec.collections],
    }


@dataclass(frozen=True)
class Deployed:
    """A chaincode definition as the committed output/ last rendered it."""

    sequence: int
    definition: dict[str, object]


def against_deployed(
    network: Network, deployed: dict[tuple[str, str], Deployed]
) -> list[Diagnostic]:
    """L001/L002: a definition may change only with a higher sequence, and a sequence never
    goes down (Fabric refuses both; here they are refused before anything is synced)."""
    out: list[Diagnostic] = []
    for cc in chaincodes(network):
        before = deployed.get((cc.channel.name, cc.name))
        if before is None:
            continue
        where = (*cc.path, "sequence")
        now = definition(cc)
        if cc.spec.sequence < before.sequence:
            out.append(
                error(
                    "L002",
                    where,
                    f"chaincode {cc.name!r} on channel {cc.channel.name!r} has sequence "
                    f"{cc.spec.sequence}, but the deployed definition has {before.sequence}: a "
                    "sequence never goes down",
                )
            )
        elif cc.spec.sequence == before.sequence and now != before.definition:
            changed = sorted(k for k in now if now[k] != before.definition.get(k))
            out.append(
                error(
                    "L001",
                    where,
                    f"chaincode {cc.name!r} on channel {cc.channel.name!r} changes its definition "
                    f"({', '.join(changed)}) but keeps sequence {cc.spec.sequence}: raise it to "
                    f"{cc.spec.sequence + 1}",
                )
            )
    return out
