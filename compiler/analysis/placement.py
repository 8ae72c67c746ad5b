"""What a refused Raft placement would need: the arithmetic behind Q003/Q004's hints.

n consenters keep quorum q = n // 2 + 1 while at most n - q are lost. Losing t clusters
loses, at worst, the t clusters holding the most consenters. No placement does better than
the even one (each cluster n // C or n // C + 1), whose t largest hold
t * (n // C) + min(t, n % C). So n consenters on C clusters can survive any t cluster
losses if and only if that number is at most n - q; with C <= 2t never (any t clusters
of an even spread hold at least half).
"""

from __future__ import annotations

from dataclasses import dataclass

from compiler.analysis.quorum import raft_quorum


def worst_loss(consenters: int, clusters: int, tolerate: int) -> int:
    """Consenters lost with the `tolerate` fullest clusters of the most even placement
    (all of them when `tolerate` clusters are all there are)."""
    if tolerate >= clusters:
        return consenters
    base, extra = divmod(consenters, clusters)
    return tolerate * base + min(tolerate, extra)


def survivable(consenters: int, clusters: int, tolerate: int) -> bool:
    """Some placement of `consenters` on `clusters` keeps quorum after any `tolerate`
    cluster losses."""
    if tolerate == 0:
        return True
    if clusters <= tolerate or consenters == 0:
        return False
    return worst_loss(consenters, clusters, tolerate) <= consenters - raft_quorum(consenters)


def even_placement(consenters: int, clusters: list[str]) -> list[tuple[str, int]]:
    """The most even placement, the first clusters taking the remainder."""
    base, extra = divmod(consenters, len(clusters))
    return [(c, base + (1 if i < extra else 0)) for i, c in enumerate(clusters)]


@dataclass(frozen=True)
class Fixes:
    """The smallest single changes that make the tolerance achievable (None: no such)."""

    clusters: int | None  # clusters needed for the same consenters
    consenters: int | None  # consenters needed on the same clusters
    tolerance: int  # the most cluster losses the same consenters and clusters can survive

    def text(self, consenters: int, clusters: int) -> str:
        options = []
        if self.clusters is not None:
            options.append(
                f"spread the {consenters} consenters over {self.clusters} clusters "
                f"(the network has {clusters})"
            )
        if self.consenters is not None:
            options.append(f"{self.consenters} consenters spread evenly over the {clusters}")
        options.append(f"safety.tolerateClusterLoss: {self.tolerance}")
        return "; or ".join(options)


def fixes(consenters: int, clusters: int, tolerate: int) -> Fixes:
    # more clusters than consenters would leave some empty: no help beyond n
    more_clusters = next(
        (c for c in range(clusters + 1, consenters + 1) if survivable(consenters, c, tolerate)),
        None,
    )
    # an even spread over C <= 2t clusters never survives; above that a few more suffice
    more_consenters = next(
        (
            n
            for n in range(consenters + 1, consenters + 2 * clusters + 2)
            if survivable(n, clusters, tolerate)
        ),
        None,
    )
    tolerance = max(t for t in range(tolerate) if survivable(consenters, clusters, t))
    return Fixes(more_clusters, more_consenters, tolerance)
