"""Benchmark: `hlfc plan blueprints/global.yaml` against the previous commit that changed
it, wall time including the interpreter's start, as a reviewer's CI job runs it.

Prints figures; asserts nothing about time. Run: `make bench`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINT = "blueprints/global.yaml"
RUNS = 7


def previous_commit() -> str:
    commits = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-n", "2", "--format=%H", "--", BLUEPRINT],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return commits[1] if len(commits) > 1 else "HEAD"


def main() -> None:
    base = previous_commit()
    hlfc = str(Path(sys.executable).parent / "hlfc")
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        done = subprocess.run(
            [hlfc, "plan", BLUEPRINT, "--base", base, "--format", "json"],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 3):
            raise SystemExit(done.stdout + done.stderr)
    print(f"hlfc plan {BLUEPRINT} --base {base[:12]} (previous change of the file)")
    print(f"  wall, interpreter start included: median {statistics.median(times):.3f} s, "
          f"min {min(times):.3f} s over {RUNS} runs")  # fmt: skip


if __name__ == "__main__":
    main()
