from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from emulator_process import FAST_FLAGS, EmulatorProcess, start_emulator


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
