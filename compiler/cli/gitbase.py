"""The base of `hlfc plan` from git: the same blueprint as it is at a ref."""

from __future__ import annotations

import subprocess
from pathlib import Path


class BaseError(Exception):
    """The base cannot be read: not a repository, an unknown ref (a usage error)."""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise BaseError(f"cannot run git: {exc}") from exc


def blueprint_at(file: Path, ref: str, into: Path) -> Path | None:
    """Write `file` as it is at `ref` under `into` and return its path; None if the file
    does not exist at `ref` (a new blueprint: everything in it is new)."""
    directory = file.resolve().parent
    top = _git(directory, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise BaseError(f"{file}: not in a git repository; give --base-file instead")
    if _git(directory, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode:
        raise BaseError(f"{ref!r} is not a commit of this repository")
    rel = file.resolve().relative_to(Path(top.stdout.strip()).resolve()).as_posix()
    if _git(directory, "cat-file", "-e", f"{ref}:{rel}").returncode != 0:
        return None
    shown = _git(directory, "show", f"{ref}:{rel}")
    if shown.returncode != 0:
        raise BaseError(f"git show {ref}:{rel}: {shown.stderr.strip()}")
    target = into / Path(rel).name
    target.write_text(shown.stdout, encoding="utf-8")
    return target
