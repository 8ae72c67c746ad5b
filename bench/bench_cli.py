"""Benchmark: the `hlfc` CLI as a user runs it, wall time including interpreter start.

- start-up: `hlfc --help`, `hlfc validate` and `hlfc render` of blueprints/global.yaml;
- scaling: `hlfc render` of generated networks of about 250, 500 and 1,000 nodes into a
  fresh directory (doubling the nodes should at most about double the time).

Each run renders into a directory of its own, and nothing is deleted until every bench is
done (scratch.py). On this VM's ext4, removing the previous run's 3,400 files just before
the next run charged it up to 2.7 s of kernel time (perf: 64 % in recently_deleted).

Prints figures; asserts nothing about time. Run: `make bench`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from bench_render import large_blueprint
from scratch import scratch

ROOT = Path(__file__).resolve().parent.parent
HLFC = str(Path(sys.executable).parent / "hlfc")
GLOBAL = ROOT / "blueprints" / "global.yaml"

# (clusters, orgs, peers per org, orderers): peers + orderers = nodes
SIZES = [(5, 12, 20, 7), (10, 25, 20, 7), (20, 50, 20, 7)]


def wall(args: list[str]) -> float:
    """One run's wall seconds."""
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout.decode()}{done.stderr.decode()}")
    return seconds


def line(label: str, samples: list[float]) -> None:
    print(
        f"  {label:<46} median {statistics.median(samples):6.2f} s   "
        f"min {min(samples):6.2f} s   (n={len(samples)})"
    )


def reference_loop() -> float:
    """Seconds of a bare 10**7-iteration Python loop, the best of three: this VM's CPU speed
    moves by up to 1.5x within an hour and 2x across days, and every figure here with it."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(10**7):
            pass
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    print(f"hlfc CLI, wall time with interpreter start ({os.cpu_count()} CPUs)")
    print(f"  load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  interpreter: Python {sys.version.split()[0]} from {sys.base_prefix}")
    print(f"  CPU speed now: a 10**7-iteration Python loop takes {reference_loop():.2f} s")
    with scratch("bench-cli-") as out:
        line("hlfc --help", [wall([HLFC, "--help"]) for _ in range(7)])
        line("hlfc validate global.yaml", [wall([HLFC, "validate", str(GLOBAL)]) for _ in range(7)])

        def render(target: Path) -> list[str]:
            return [HLFC, "render", str(GLOBAL), "-o", str(target)]

        fresh = [wall(render(out / f"g{i}")) for i in range(7)]
        line("hlfc render global.yaml (fresh dir)", fresh)
        line("hlfc render global.yaml (unchanged)", [wall(render(out / "g0")) for _ in range(7)])
        previous: tuple[int, float] | None = None
        for clusters, orgs, peers, orderers in SIZES:
            nodes = orgs * peers + orderers
            blueprint = out / f"n{nodes}.yaml"
            blueprint.write_text(large_blueprint(clusters, orgs, peers, orderers))
            targets = [out / f"out-{nodes}-{i}" for i in range(3)]
            samples = [wall([HLFC, "render", str(blueprint), "-o", str(t)]) for t in targets]
            target = targets[0]
            files = sum(1 for p in target.rglob("*") if p.is_file())
            line(f"render {nodes:,} nodes, {clusters} clusters ({files:,} files)", samples)
            probed = sum(
                len(yaml.safe_load(p.read_text())["spec"]["targets"]["staticConfig"]["static"])
                for p in target.rglob("probe-*-remote.yaml")
            )
            print(f"    cross-cluster probe targets: {probed:,}")
            median = statistics.median(samples)
            if previous is not None:
                ratio = median / previous[1]
                print(f"    {nodes / previous[0]:.2f}x the nodes: {ratio:.2f}x the time")
            previous = (nodes, median)


if __name__ == "__main__":
    main()
