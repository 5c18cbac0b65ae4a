"""Fixtures for the real-engine tests: the engine, an emulator per test, and stacks in temporary folders.

Without an engine these tests are skipped, with the one command that enables them; CI sets
PULUMI_MODELARTS_E2E=require so that a missing engine fails the run instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.emulator_process import FAST_FLAGS, EmulatorProcess, borrow_emulator, give_back
from support.pulumi_engine import ENABLE_HINT, SENTINEL_SECRET_KEY, EngineStack, find_engine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def engine() -> Path:
    found = find_engine()
    if found is None:
        message = f"no Pulumi engine: run `{ENABLE_HINT}` once to build it, then rerun the tests"
        if os.environ.get("PULUMI_MODELARTS_E2E") == "require":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def e2e_emulator() -> Iterator[Callable[..., EmulatorProcess]]:
    """An emulator (demo data, admin API, the sentinel secret key), borrowed from the shared ones for the test."""
    borrowed: list[EmulatorProcess] = []

    def start(*extra: str) -> EmulatorProcess:
        borrowed.append(borrow_emulator(*FAST_FLAGS, "--seed", "demo", "--secret-key", SENTINEL_SECRET_KEY, *extra))
        return borrowed[-1]

    yield start
    for emulator in borrowed:
        give_back(emulator)


@pytest.fixture
def make_stack(engine: Path, tmp_path: Path) -> Callable[..., EngineStack]:
    """A stack of a project folder, configured for an emulator with the secret key set as a secret."""

    def make(
        project: Path,
        emulator: EmulatorProcess,
        program: Callable[[], None] | None,
        *,
        project_name: str = "",
        config: dict[str, str] | None = None,
    ) -> EngineStack:
        stack = EngineStack(
            engine=engine,
            project=project,
            state=tmp_path / "state",
            home=tmp_path / "pulumi-home",
            program=program,
            project_name=project_name,
        )
        values = emulator.stack_config()
        secret_key = values.pop("modelarts:secretKey")  # set as a secret, as users are told to
        stack.configure({**values, **(config or {})}, secrets={"modelarts:secretKey": secret_key})
        return stack

    return make


@pytest.fixture
def yaml_engine(engine: Path) -> Path:
    if not (engine / "pulumi-language-yaml").is_file():
        pytest.skip("no pulumi-language-yaml beside the engine (scripts/pulumi-engine.sh builds it)")
    if shutil.which("pulumi-resource-modelarts") is None:
        pytest.skip("pulumi-resource-modelarts is not on PATH (pip install -e .)")
    return engine
