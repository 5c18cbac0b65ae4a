"""The CLI in this process, as a user runs it: its argv, its environment, what it prints and its exit code.

Faster than a subprocess (no interpreter start, no imports again), and what it runs is ``main`` itself. Each run
starts as a new process would: without cached tokens, project ids or connection pools. Waits advance the virtual
clock instead of sleeping: an emulator process's with the admin API (``support.reconcile.VirtualTime``), or the
embedded emulator's of ``--emulator``. What stays with subprocesses: signals, the console script, runs that overlap.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from pulumi_modelarts.api import auth, client
from pulumi_modelarts.cli.main import main
from pulumi_modelarts.emulator.app import Application
from pulumi_modelarts.reconcile.waiting import STOP
from support.emulator_process import EmulatorProcess, cli_env
from support.reconcile import VirtualTime


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(
    *argv: str,
    emulator: EmulatorProcess | None = None,
    cwd: Path | None = None,
    environment: Mapping[str, str] | None = None,
    **env: str,
) -> Result:
    """``pulumi-modelarts *argv`` with ``cli_env(emulator, **env)`` as its environment (or ``environment`` whole);
    sleeps advance ``emulator``'s clock when it has the admin API."""
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    auth.clear_caches()  # a new process has no tokens, project ids or pools yet
    client.close_shared_clients()
    variables = dict(environment) if environment is not None else cli_env(emulator, **env)
    patches = contextlib.ExitStack()
    patches.enter_context(mock.patch.dict(os.environ, variables, clear=True))
    if emulator is not None and "--admin" in emulator.args:
        patches.enter_context(mock.patch.object(STOP, "sleep", VirtualTime(emulator).sleep))
    elif "--emulator" in argv:
        patches.enter_context(_embedded_on_its_virtual_clock())
    with patches, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            if cwd is not None:
                os.chdir(cwd)
            code = main(list(argv))
        except SystemExit as exit_:  # usage errors exit through argparse
            if isinstance(exit_.code, str):  # as the interpreter does with sys.exit("message")
                print(exit_.code, file=sys.stderr)
            code = exit_.code if isinstance(exit_.code, int) else 1 if exit_.code else 0
        finally:
            os.chdir(previous)
            auth.clear_caches()
            client.close_shared_clients()
    return Result(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _embedded_on_its_virtual_clock() -> Iterator[None]:
    """Sleeps of the run advance the clock of the embedded emulator it starts (the emulator is unchanged)."""
    started: list[Application] = []

    class Recorded(Application):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    def sleep(seconds: float) -> None:
        if seconds > 0:
            started[-1].advance_clock(seconds)

    with mock.patch("pulumi_modelarts.emulator.app.Application", Recorded), mock.patch.object(STOP, "sleep", sleep):
        yield
