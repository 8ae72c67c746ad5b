"""T001/T003: clusters that host nothing, and images pinned to a mutable tag."""

from __future__ import annotations

from collections.abc import Iterator

from compiler.analysis.network import Network
from compiler.analysis.rules.base import Rule
from compiler.diagnostics import Diagnostic, error, warning


def _unused_clusters(network: Network) -> Iterator[Diagnostic]:
    used = {n.cluster for n in network.nodes}
    for i, cluster in enumerate(network.clusters):
        if cluster.name not in used:
            yield warning(
                "T001",
                ("spec", "clusters", i, "name"),
                f"cluster {cluster.name!r} hosts no CA, peer or orderer",
            )


def _mutable_tags(network: Network) -> Iterator[Diagnostic]:
    images = network.blueprint.spec.fabric.images
    for field, ref in sorted(images.model_dump(by_alias=True).items()):
        repo_and_tag = ref.split("@", 1)[0]
        last = repo_and_tag.rsplit("/", 1)[-1]
        if last.endswith(":latest"):
            yield error(
                "T003",
                ("spec", "fabric", "images", field),
                f"image {ref!r} uses the mutable tag 'latest'; pin a version tag or a digest "
                "so that every cluster runs the same bits",
            )


def check(network: Network) -> Iterator[Diagnostic]:
    yield from _unused_clusters(network)
    yield from _mutable_tags(network)


RULE = Rule(id="topology", codes=("T001", "T003"), check=check)
