"""Q001 to Q005: Raft safety of every channel, across nodes and across clusters.

Q003 is the point of hlfc: a channel whose consenters are placed so that losing
`safety.tolerateClusterLoss` clusters leaves fewer than a quorum is refused at compile
time, with the arithmetic in the message.
"""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis import placement
from compiler.analysis.network import Network
from compiler.analysis.quorum import channel_quorum, raft_quorum
from compiler.analysis.rules.base import Rule
from compiler.diagnostics import Diagnostic, error, warning

MIN_PRODUCTION_CONSENTERS = 3


def _clusters_text(clusters: tuple[str, ...]) -> str:
    names = ", ".join(repr(c) for c in clusters)
    return f"cluster {names}" if len(clusters) == 1 else f"clusters {names}"


def check(network: Network) -> Iterator[Diagnostic]:
    development = network.blueprint.spec.safety.development
    tolerate = network.tolerate_cluster_loss
    for channel in network.channels:
        q = channel_quorum(network, channel)
        where = channel.path
        if q.size == 0:
            yield error(
                "Q005",
                where,
                f"channel {channel.name!r} has no consenters: its orderer organisations "
                f"({', '.join(channel.spec.orderer_organizations)}) have no orderers",
            )
            continue
        if q.size < MIN_PRODUCTION_CONSENTERS and not development:
            yield error(
                "Q001",
                where,
                f"channel {channel.name!r} has {q.size} Raft consenter(s); production needs "
                f"at least {MIN_PRODUCTION_CONSENTERS} to survive a node failure (set "
                "spec.safety.development: true for a throw-away network)",
            )
        elif q.size % 2 == 0:
            yield warning(
                "Q002",
                where,
                f"channel {channel.name!r} has an even number of consenters ({q.size}): "
                f"quorum is {q.quorum}, so it tolerates {q.tolerated_node_failures} failure(s), "
                f"the same as {q.size - 1} consenters; add or remove one",
            )
        if tolerate == 0 or q.survivable_cluster_losses >= tolerate:
            continue
        hosting = [c for c, n in q.placement if n > 0]
        hint = _hint(network, q.size, hosting, tolerate)
        if tolerate >= q.hosting_clusters:
            yield error(
                "Q004",
                ("spec", "safety", "tolerateClusterLoss"),
                f"channel {channel.name!r} has consenters in {q.hosting_clusters} cluster(s) "
                f"({q.placement_text()}); losing {tolerate} of them cannot keep a Raft quorum "
                f"of {q.quorum}; {hint}",
            )
            continue
        lost = q.breaking_loss or ()
        left = q.remaining_after(lost)
        yield error(
            "Q003",
            where,
            f"channel {channel.name!r}: losing {_clusters_text(lost)} leaves {left} of "
            f"{q.size} consenters, below the Raft quorum of {q.quorum} (placement "
            f"{q.placement_text()}; safety.tolerateClusterLoss is {tolerate}); {hint}",
        )


def _hint(network: Network, consenters: int, hosting: list[str], tolerate: int) -> str:
    """The smallest change that would do, from the arithmetic (compiler/analysis/placement):
    a placement of the same consenters (on the clusters hosting them, else on all), or,
    where none exists, more clusters, more consenters or a lower tolerance."""
    names = [c.name for c in network.clusters]
    for candidates in (hosting, names):
        if placement.survivable(consenters, len(candidates), tolerate):
            spread = placement.even_placement(consenters, candidates)
            text = ", ".join(f"{c}={n}" for c, n in spread if n)
            return f"move consenters, for example to {text}"
    clusters = len(names)
    worst = placement.worst_loss(consenters, clusters, tolerate)
    spare = consenters - raft_quorum(consenters)
    fixes = placement.fixes(consenters, clusters, tolerate)
    return (
        f"no placement of {consenters} consenters on the network's {clusters} cluster(s) "
        f"survives losing {tolerate}: any {tolerate} of them would hold at least "
        f"{worst}, more than the {spare} that a quorum of "
        f"{raft_quorum(consenters)} can spare. Smallest changes: "
        f"{fixes.text(consenters, clusters)}"
    )


RULE = Rule(id="consensus", codes=("Q001", "Q002", "Q003", "Q004", "Q005"), check=check)
