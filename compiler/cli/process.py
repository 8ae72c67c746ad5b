"""The `hlfc` process around a compile command: what a short-lived batch process can skip.

A compile command (validate, analyze, render, plan, graph, schema) reads blueprints, writes
files and ends. Three costs of an ordinary Python process buy it nothing. Measured on
`hlfc validate blueprints/global.yaml`, about 290 ms in all:
- the cycle collector walks the objects of pydantic's import and of the models it builds,
  none of them garbage: 66 collections, 15 ms;
- pydantic looks for plugins: it imports importlib.metadata and reads every installed
  distribution's entry points, 20-30 ms, to find none. A plugin installed beside hlfc
  (logfire, say) could only observe or alter how blueprints are validated;
- the interpreter tears itself down, freeing every object and module one by one: 45 ms.

`batch` marks such a command. `main` (the console script, not the click group that tests
invoke in-process) then ends the process as soon as its output is flushed.
"""

from __future__ import annotations

import functools
import os
import sys
import types
from collections.abc import Callable
from typing import NoReturn, ParamSpec

import click

from compiler.collector import cycle_collector_paused

P = ParamSpec("P")

# pydantic's only use of the module: `from ._loader import get_plugins` each time it builds
# a validator (pydantic/plugin/_schema_validator.py, pydantic 2.14). Anything else it grows
# would fail loudly at the first model, in every test that runs the console script.
PYDANTIC_PLUGIN_LOADER = "pydantic.plugin._loader"

# Python's own status when it cannot flush standard output at exit (a closed pipe)
FLUSH_FAILED = 120


class _State:
    batch_ended = False  # a batch command returned or exited; nothing else is left to run


def batch(command: Callable[P, None]) -> Callable[P, None]:
    """A compile command: its imports and its run with the cycle collector paused, and once
    it ends, the process may end without tearing the interpreter down."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        with cycle_collector_paused():
            try:
                command(*args, **kwargs)
            except SystemExit:
                _State.batch_ended = True
                raise
        _State.batch_ended = True

    return run


def without_pydantic_plugins() -> None:
    """pydantic runs with no plugins, and never looks for them."""
    if PYDANTIC_PLUGIN_LOADER in sys.modules:
        return  # pydantic has built a validator already: too late, and nothing to gain
    loader = types.ModuleType(PYDANTIC_PLUGIN_LOADER, "hlfc: no pydantic plugins")
    loader.get_plugins = lambda: ()  # type: ignore[attr-defined]
    sys.modules[PYDANTIC_PLUGIN_LOADER] = loader


def run(group: click.Group) -> None:
    """The process: the command line parsed and run, then the end (see the module)."""
    without_pydantic_plugins()
    try:
        group()  # standalone mode: ends in SystemExit, always
    except SystemExit as done:
        if _State.batch_ended:
            end_now(done.code)
        raise


def end_now(code: object) -> NoReturn:
    """End the process with `code` (as SystemExit takes it) once its output is flushed."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        status = FLUSH_FAILED
    os._exit(status)
