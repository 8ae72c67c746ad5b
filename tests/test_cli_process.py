"""The `hlfc` process around a compile command (compiler/cli/process.py): it ends as soon as
its output is flushed, with the status the command gave, and pydantic looks for no plugins."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from compiler.cli.main import cli
from compiler.cli.process import FLUSH_FAILED, batch
from tests.conftest import BAD, GLOBAL, ROOT

BAD_FILES = sorted(str(p) for p in BAD.glob("*.yaml"))


def console(*args: str) -> subprocess.CompletedProcess[str]:
    """`hlfc ARGS` as the console script runs it: a process of its own."""
    command = [sys.executable, "-m", "compiler", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["validate", str(GLOBAL)], 0),
        # 49 files' errors, 10 and 25 kB: more than one 8 KiB buffer of standard output
        (["validate", *BAD_FILES], 1),
        (["validate", "--format", "json", *BAD_FILES], 1),
        (["validate", str(ROOT / "no-such-blueprint.yaml")], 2),
    ],
)
def test_the_process_ends_with_all_its_output_and_the_commands_status(
    args: list[str], status: int
) -> None:
    ended = console(*args)
    in_process = CliRunner().invoke(cli, args)
    assert (ended.returncode, ended.stdout) == (status, in_process.output)


def test_a_compile_command_never_looks_for_pydantic_plugins() -> None:
    # what looking costs: importlib.metadata (and the email package it parses metadata with)
    ended = console("validate", str(GLOBAL))
    assert ended.returncode == 0, ended.stderr
    traced = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "compiler", "validate", str(GLOBAL)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in traced.stderr.splitlines()}
    assert "pydantic" in imported
    assert not {"importlib.metadata", "email"} & imported


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter whose standard output is buffered, as it is by default."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    command = [sys.executable, "-c", code]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_an_exit_message_is_printed_and_fails_the_process() -> None:
    ended = _run_python(
        "from compiler.cli.process import end_now\nprint('said', end='')\nend_now('gave up')"
    )
    assert (ended.returncode, ended.stdout, ended.stderr) == (1, "said", "gave up\n")


def test_output_that_cannot_be_flushed_fails_the_process_as_python_would() -> None:
    # standard output becomes a pipe nobody reads: the flush at the end meets EPIPE
    ended = _run_python(
        "import os\nfrom compiler.cli.process import end_now\n"
        "read, write = os.pipe()\nos.dup2(write, 1)\nos.close(read)\nprint('lost')\nend_now(0)"
    )
    assert ended.returncode == FLUSH_FAILED, ended.stderr


def test_a_batch_command_runs_with_the_collector_paused_then_restores_it() -> None:
    seen: list[bool] = []

    @batch
    def command() -> None:
        seen.append(gc.isenabled())

    assert gc.isenabled()
    command()
    assert seen == [False]
    assert gc.isenabled()
