"""The CLI in this process, as a user runs it: its argv, its environment, what it prints and its exit code.

Faster than a subprocess (no interpreter start, no imports again), and what it runs is ``main`` itself.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from pulumi_modelarts.cli.main import main
from support.emulator_process import EmulatorProcess, cli_env


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(*argv: str, emulator: EmulatorProcess | None = None, cwd: Path | None = None, **env: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    environment = mock.patch.dict(os.environ, cli_env(emulator, **env), clear=True)
    with environment, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            if cwd is not None:
                os.chdir(cwd)
            code = main(list(argv))
        except SystemExit as exit_:  # usage errors exit through argparse
            code = int(exit_.code or 0)
        finally:
            os.chdir(previous)
    return Result(code, out.getvalue(), err.getvalue())
