from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from support.emu_helpers import aksk_client
from support.emulator_process import EmulatorProcess, borrow_emulator, give_back

FAST = ("--admin", "--task-seconds", "1", "--export-seconds", "0.5", "--version-seconds", "0.3")


@pytest.fixture
def client(emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    """An AK/SK-signed client for the per-test demo emulator, based at /v2/{project_id}."""
    with aksk_client(emulator) as http:
        yield http


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[EmulatorProcess]:
    """One demo emulator for a whole module (for tests that only read or tolerate each other)."""
    emulator = borrow_emulator(*FAST, "--seed", "demo")
    yield emulator
    give_back(emulator)


@pytest.fixture
def slow_emulator(emulator_factory: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    """Demo data with long durations, so tests step through states with the virtual clock only."""
    return emulator_factory(
        "--admin",
        "--seed",
        "demo",
        "--task-seconds",
        "100",
        "--export-seconds",
        "100",
        "--version-seconds",
        "100",
        fast=False,
    )
