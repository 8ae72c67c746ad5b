"""Long-running daemons of a twin cluster: started detached, found again by pid file.

`hlfc twin up` returns while the cluster runs on, and `hlfc twin down` (another process)
stops it, so every daemon is started in its own session and recorded in the cluster's
state directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


class TwinError(RuntimeError):
    """A twin step failed; the message says which and where its log is."""


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """A short command; a failure, when checked, is a TwinError naming it and its stderr."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise TwinError(f"{' '.join(argv)}: {done.stderr.strip()}")
    return done


def ensure(name: str, argv: Sequence[str], state: Path, env: dict[str, str] | None = None) -> None:
    """Start the daemon unless it is running: `twin up` again restarts only what died."""
    if running(state, name) is None:
        start(name, argv, state, env)


def start(name: str, argv: Sequence[str], state: Path, env: dict[str, str] | None = None) -> int:
    """Start `argv` detached; stdout and stderr to state/logs/NAME.log; pid to state/pids/."""
    logs, pids = state / "logs", state / "pids"
    logs.mkdir(parents=True, exist_ok=True)
    pids.mkdir(parents=True, exist_ok=True)
    with (logs / f"{name}.log").open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    (pids / f"{name}.pid").write_text(str(proc.pid), encoding="utf-8")
    return proc.pid


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of this process still answers kill(0)
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def running(state: Path, name: str) -> int | None:
    path = state / "pids" / f"{name}.pid"
    if not path.exists():
        return None
    pid = int(path.read_text(encoding="utf-8"))
    return pid if alive(pid) else None


def log_tail(state: Path, name: str, lines: int = 20) -> str:
    path = state / "logs" / f"{name}.log"
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def stop_all(state: Path, grace: float = 10.0) -> None:
    """SIGTERM every recorded daemon's process group, SIGKILL what is left after `grace`."""
    pids_dir = state / "pids"
    if not pids_dir.is_dir():
        return
    pids = [int(p.read_text(encoding="utf-8")) for p in sorted(pids_dir.glob("*.pid"))]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    for path in pids_dir.glob("*.pid"):
        path.unlink()


def wait_for(
    what: str, check: Callable[[], bool], timeout: float, state: Path, daemon: str
) -> None:
    """Poll `check()` until true; on timeout or the daemon's death, fail with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if running(state, daemon) is None:
            raise TwinError(f"{daemon} exited while waiting for {what}:\n{log_tail(state, daemon)}")
        time.sleep(0.2)
    raise TwinError(
        f"timed out after {timeout:.0f}s waiting for {what}:\n{log_tail(state, daemon)}"
    )
