"""A provider whose engine is killed (`kill -9` of `pulumi up`) stops on its own and writes nothing more.

The engine starts each provider in a process group of its own, so killing the engine leaves the provider
running; before the watchdog (resources/_host.py) it finished its wait and made the write that followed.
Here a fake engine (fake_engine.py) starts each host as the engine does: the plugin as its child, the
dynamic host through a shell that outlives the engine (as `pulumi-resource-pulumi-python` does), so both
ways of noticing are exercised: the parent gone, and the engine's address refusing connections.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import grpc
import pytest

from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from support import fake_engine
from support.emulator_process import EmulatorProcess
from support.faultkit import TASK, TASKS
from support.plugin_paths import (
    SCENARIOS,
    DynamicPath,
    EnginePath,
    PluginPath,
    captured_resource,
    clean_env,
    start_sentinel_emulator,
)

FAKE_ENGINE = [sys.executable, str(Path(fake_engine.__file__))]
PATHS: dict[str, tuple[Callable[..., EnginePath], list[str]]] = {
    "plugin": (PluginPath, FAKE_ENGINE),  # the plugin is the engine's child: its parent goes away
    "dynamic": (DynamicPath, [*FAKE_ENGINE, "--shell"]),  # a shell stays its parent: the engine's address tells
}
MARKER = "MODELARTS_TEST_ENGINE_GONE"


def marked(marker: str) -> list[int]:
    """The processes started with ``marker`` in their environment (the provider, and the shell around it)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        with suppress(OSError):
            if marker.encode() in (entry / "environ").read_bytes() and int(entry.name) != os.getpid():
                found.append(int(entry.name))
    return found


@pytest.fixture
def marker() -> Iterator[str]:
    value = f"{MARKER}={uuid.uuid4().hex}"
    yield value
    for pid in marked(value):  # whatever a failing run left behind
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds the provider's processes through /proc")
@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_provider_whose_engine_is_killed_stops_and_writes_nothing_more(
    path: str, marker: str, emulator_factory: Callable[..., EmulatorProcess]
) -> None:
    emulator = start_sentinel_emulator(emulator_factory, "--task-seconds", "3600")
    client = ModelArtsClient(resolve_settings(**emulator.client_settings()))
    dataset_id = next(item for item in client.iter_datasets() if item["dataset_name"] == "flowers")["dataset_id"]
    # Someone else's grouping task runs: ModelArts runs one at a time, so the provider's create waits for it to
    # end and then starts its own (the write a provider with no engine must never make).
    other = client.create_task(dataset_id, {"task_type": "auto-grouping", "config": {"name": "someone-else"}})
    emulator.reset_stats()

    name, env_value = marker.split("=", 1)
    captured_resource("IntelligentTask")  # what a program registers, captured here: Pulumi's mocks need this thread
    make, engine = PATHS[path]
    provider = make(emulator, env={**clean_env(), name: env_value}, engine=engine)
    outcome: list[BaseException] = []

    def create() -> None:
        try:
            provider.create("IntelligentTask", "grouping", SCENARIOS["IntelligentTask"])
        except grpc.RpcError as error:  # the host died under the call
            outcome.append(error)

    creating = threading.Thread(target=create, daemon=True)
    creating.start()

    def polled_other() -> bool:
        """The provider has decided (one list of the tasks) and polls the other task: by GET, or by a page of
        that list, which renews its observation (docs/design.md)."""
        requests = emulator.stats()["requests"]
        return bool(requests.get(f"GET {TASK}")) or requests.get(f"GET {TASKS}", 0) >= 2

    for _ in range(600):  # the provider has decided and now polls the other task, waiting for it to end
        if polled_other():
            break
        time.sleep(0.05)
    assert polled_other(), "the provider never waited on the running task"
    assert marked(marker)

    provider_process = provider.host.process  # type: ignore[attr-defined]  # the fake engine
    provider_process.kill()
    provider_process.wait()
    emulator.advance_clock(3600)  # the other task ends: a provider still running would start its own now

    for _ in range(300):
        if not marked(marker):
            break
        time.sleep(0.1)
    assert marked(marker) == [], "the provider kept running after its engine was killed"
    creating.join(timeout=30)
    assert outcome and not creating.is_alive()
    assert emulator.writes() == [], "a write was made after the engine was gone"
    assert client.get_task(dataset_id, other)["status"] == 3  # the task it waited for did end: it could have
    assert "the Pulumi engine is gone" in provider.close()
