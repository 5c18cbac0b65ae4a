from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support import plan_schema
from support.emulator_process import FAST_FLAGS, EmulatorProcess, start_emulator

# Every plan document a test produces, here or in a subprocess, is validated against `schema --plan`.
_PLAN_SPOOL = Path(tempfile.mkdtemp(prefix="plan-documents-"))
atexit.register(shutil.rmtree, _PLAN_SPOOL, True)
plan_schema.install(_PLAN_SPOOL)


@pytest.fixture(autouse=True)
def _plan_documents_match_the_schema() -> Iterator[None]:
    plan_schema.check_and_clear(_PLAN_SPOOL)  # a late process of an earlier test: checked before this one
    yield
    plan_schema.check_and_clear(_PLAN_SPOOL)


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., EmulatorProcess]]:
    """Start emulators with chosen flags; every one is stopped at the end of the test."""
    started: list[EmulatorProcess] = []

    def factory(*extra: str, fast: bool = True, port: int = 0) -> EmulatorProcess:
        flags = (*FAST_FLAGS, *extra) if fast else extra
        emulator = start_emulator(*flags, port=port)
        started.append(emulator)
        return emulator

    yield factory
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(emulator_factory: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    """A fresh emulator with demo seed data, fast tasks and the admin API, for one test."""
    return emulator_factory("--seed", "demo")
