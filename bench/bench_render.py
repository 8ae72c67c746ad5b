"""Benchmark: how long validate and render take, on the examples and on a large network.

Prints figures; asserts nothing about time (timings vary by machine).
Run: `make bench`.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from scratch import scratch

from compiler.pipeline import check_file, render_files

ROOT = Path(__file__).resolve().parent.parent


def large_blueprint(clusters: int, orgs: int, peers: int, orderers: int) -> str:
    """A generated network: `orgs` peer orgs with `peers` peers each, `orderers` consenters."""
    lines = [
        "apiVersion: hlfc/v1alpha1",
        "kind: FabricNetwork",
        "metadata: {name: bench}",
        "spec:",
        "  clusters:",
    ]
    for c in range(clusters):
        lines.append(
            f"    - {{name: c{c}, argocd: {{server: https://c{c}.example.com}}, "
            f"externalDomain: c{c}.example.com, zone: z{c}, ingress: {{kind: loadBalancer}}}}"
        )
    lines += [
        "  organizations:",
        "    - name: ord",
        "      mspID: OrdMSP",
        "      ca: {cluster: c0}",
        "      orderers:",
    ]
    lines += [f"        - {{name: o{i}, cluster: c{i % clusters}}}" for i in range(orderers)]
    for o in range(orgs):
        lines += [
            f"    - name: org{o}",
            f"      mspID: Org{o}MSP",
            f"      ca: {{cluster: c{o % clusters}}}",
            "      peers:",
        ]
        lines += [
            f"        - {{name: p{i}, cluster: c{o % clusters}, anchor: {str(i == 0).lower()}}}"
            for i in range(peers)
        ]
    members = ", ".join(f"org{o}" for o in range(orgs))
    lines += ["  channels:"]
    lines += [
        f"    - {{name: ch{n}, ordererOrganizations: [ord], members: [{members}]}}"
        for n in range(4)
    ]
    lines += ["  argocd: {repoURL: https://git.example.com/bench.git}", ""]
    return "\n".join(lines)


def timed(label: str, fn: Callable[[], object], repeat: int = 7) -> None:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<44} median {statistics.median(samples):8.1f} ms   "
        f"min {min(samples):8.1f} ms   (n={repeat})"
    )


def _bind(fn: Callable[[Path], object], arg: Path) -> Callable[[], object]:
    return lambda: fn(arg)


def main() -> None:
    examples = sorted((ROOT / "blueprints").glob("*.yaml"))
    with scratch("bench-render-") as out:
        big = out / "large.yaml"
        big.write_text(large_blueprint(clusters=5, orgs=40, peers=4, orderers=7))
        # figures about a refusal would mean nothing: the inputs must render
        if not render_files([*examples, big], out / "check").ok:
            raise SystemExit("benchmark input is not a valid blueprint")
        for example in examples:
            timed(f"validate {example.name}", _bind(check_file, example))
        timed(
            "render all examples (fresh dir each time)",
            lambda: render_files(examples, Path(tempfile.mkdtemp(dir=out))),
        )
        timed("validate large (5 clusters, 40 orgs, 160 peers)", lambda: check_file(big), 5)
        timed(
            "render large (again into the same dir)",
            lambda: render_files([big], out / "same"),
            5,
        )


if __name__ == "__main__":
    main()
