"""Ownership through the dynamic-provider host: a stack never adopts, replaces or stops another stack's task,
and a secret input stays out of every output but its own (the engine keeps that one secret)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest

import pulumi_modelarts as modelarts
from support.emulator_process import EmulatorProcess
from support.engine import CapturedResource, ProviderHost, capture_resources

SECRET_PATH = "/demo-bucket/SECRET-path-0c1d/"


@pytest.fixture
def host(emulator_factory: Callable[..., EmulatorProcess]) -> Iterator[tuple[ProviderHost, EmulatorProcess]]:
    emulator = emulator_factory("--seed", "demo", "--task-seconds", "600")
    started = ProviderHost()
    started.configure(emulator.stack_config())
    yield started, emulator
    started.close()


def autolabel(stack: str, algorithm: str) -> CapturedResource:
    def program() -> list[Any]:
        return [
            modelarts.IntelligentTask(
                "al", dataset_name="flowers", task_type="auto-label", config={"algorithm_type": algorithm}, wait=False
            )
        ]

    return capture_resources(program, stack=stack)[0]


def create(host: ProviderHost, resource: CapturedResource) -> tuple[str, dict[str, Any]]:
    inputs, failures = host.check(resource, resource.inputs)
    assert failures == []
    return host.create(resource, inputs)


@pytest.mark.parametrize("algorithm", ["accurate", "fast"], ids=["other-config", "same-request"])
def test_one_stack_never_takes_or_stops_another_stacks_task(
    host: tuple[ProviderHost, EmulatorProcess], algorithm: str
) -> None:
    provider, emulator = host
    team_a = autolabel("teamA", "fast")
    task_id, outputs = create(provider, team_a)
    assert outputs["namespace"] == "proj/teamA" and outputs["status_name"] in ("queuing", "initializing", "running")

    team_b = autolabel("teamB", algorithm)
    emulator.reset_stats()
    with pytest.raises(Exception, match=r"another auto-label task runs on dataset .*not this resource's"):
        create(provider, team_b)  # one auto-label task per dataset: teamA's is waited for (wait: true), never stopped
    assert emulator.stats()["writes"] == 0
    with pytest.raises(Exception, match="not this resource's"):
        provider.diff(team_b, task_id, outputs, team_b.inputs)  # nor adopted as teamB's own

    provider.delete(team_b, task_id, {**outputs, "namespace": "proj/teamB", "adopted": False})
    assert emulator.stats()["writes"] == 0  # destroying teamB's resource leaves teamA's task running


def test_a_secret_input_appears_in_no_other_output(host: tuple[ProviderHost, EmulatorProcess]) -> None:
    provider, _ = host

    def program() -> list[Any]:
        secret = pulumi.Output.secret(SECRET_PATH)
        return [modelarts.ExportTask("secret-export", dataset_name="flowers", path=secret, export_type=0)]

    resource = capture_resources(program)[0]
    _, outputs = create(provider, resource)
    holding = sorted(key for key, value in outputs.items() if SECRET_PATH in json.dumps(value, default=str))
    assert holding == ["path"]  # the engine keeps an output secret when the input of the same name is
