from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pulumi_modelarts.api import auth, client
from support import bytecode, plan_schema, properties
from support.emulator_process import FAST_FLAGS, EmulatorProcess, borrow_emulator, give_back, poolable, start_emulator

bytecode.cache_outside_the_tree()  # before the test modules are collected (see support/bytecode.py)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    properties.mark(items)  # `-m properties`: every Hypothesis test (support/properties.py has the profiles)
    # The tests marked slow (seconds each, most of it waiting in real time) go first, so that xdist's workers start
    # them early instead of one of them finishing alone at the end. The rest keep their order.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# Every plan document a test produces, here or in a subprocess, is validated against `schema --plan`.
_PLAN_SPOOL = Path(tempfile.mkdtemp(prefix="plan-documents-"))
atexit.register(shutil.rmtree, _PLAN_SPOOL, True)
plan_schema.install(_PLAN_SPOOL)


@pytest.fixture(autouse=True)
def _plan_documents_match_the_schema() -> Iterator[None]:
    plan_schema.check_and_clear(_PLAN_SPOOL)  # a late process of an earlier test: checked before this one
    yield
    plan_schema.check_and_clear(_PLAN_SPOOL)


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    """Tokens, project ids and connection pools are process-wide by design, and emulators are shared between tests
    (reset to their start): each test starts without what an earlier one cached, and leaves nothing behind."""
    auth.clear_caches()
    yield
    auth.clear_caches()
    client.close_shared_clients()


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., EmulatorProcess]]:
    """Emulators with chosen flags, fresh from their start: shared ones reset where the flags allow
    (``borrow_emulator``), else started; at the end of the test each is given back or stopped."""
    borrowed: list[EmulatorProcess] = []
    started: list[EmulatorProcess] = []

    def factory(*extra: str, fast: bool = True, port: int = 0) -> EmulatorProcess:
        flags = (*FAST_FLAGS, *extra) if fast else extra
        if poolable(flags, port):
            borrowed.append(borrow_emulator(*flags))
            return borrowed[-1]
        started.append(start_emulator(*flags, port=port))
        return started[-1]

    yield factory
    for emulator in borrowed:
        give_back(emulator)
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(emulator_factory: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    """A fresh emulator with demo seed data, fast tasks and the admin API, for one test."""
    return emulator_factory("--seed", "demo")
