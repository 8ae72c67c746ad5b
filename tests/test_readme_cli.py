"""The README's CLI reference is the CLI: every command and every option `--help` shows is
in its table row, and the table names nothing the CLI does not have."""

from __future__ import annotations

import re

import click

from compiler.cli.main import cli
from tests.conftest import ROOT


def _rows() -> dict[str, str]:
    """Synopsis (first cell) of each row of the table under `## CLI reference`, by command
    path; `hlfc twin up\\|status\\|down ...` stands for three commands."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## CLI reference", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        match = re.match(r"\| `hlfc ([a-z]+)((?: [a-z]+(?:\\\|[a-z]+)*)?)(?= |`)", line)
        if not match:
            continue
        name, subs = match.group(1), match.group(2).strip()
        synopsis = line.split("` |", 1)[0]
        for sub in subs.split("\\|") if subs else [""]:
            rows[f"{name} {sub}".strip()] = synopsis
    return rows


def _commands() -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            for sub, inner in command.commands.items():
                found[f"{name} {sub}"] = inner
        else:
            found[name] = command
    return found


def test_every_command_has_its_row_and_every_row_a_command() -> None:
    assert sorted(_rows()) == sorted(_commands())


def test_every_option_is_in_its_row_and_no_other() -> None:
    rows = _rows()
    for name, command in _commands().items():
        documented = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-z])(?![\w-])", rows[name]))
        options = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
        missing = [p.opts[-1] for p in options if not documented & set(p.opts)]
        assert not missing, f"hlfc {name}: {missing} missing from its README row"
        known = {o for p in options for o in p.opts}
        assert documented <= known, f"hlfc {name}: README names {sorted(documented - known)}"
