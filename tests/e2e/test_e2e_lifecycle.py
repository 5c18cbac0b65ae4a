"""Lifecycle behaviour under the real engine: in-place updates, drift, running tasks, many resources, secrets."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.emulator_process import EmulatorProcess
from support.programs import export_program, exports_over, grouping_program, release_program, task_program
from support.pulumi_engine import (
    EXPORTS,
    SENTINEL_SECRET_KEY,
    TASKS,
    VERSIONS,
    EngineStack,
    Run,
    client_for,
    clock_running,
    empty_project,
    kill_orphans,
    processes_with,
    writes,
)

ACTIVE = (-1, 0, 1)  # queuing, initializing, running
STOP = "POST /v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}/stop"


def test_changing_only_timeout_seconds_updates_in_place_without_an_api_write(
    tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    emulator = e2e_emulator()
    knobs: dict[str, Any] = {"timeout_seconds": 1800}
    stack = make_stack(empty_project(tmp_path, "timeouts"), emulator, export_program(knobs))
    stack.up()
    assert writes(emulator) == {EXPORTS: 1}

    knobs["timeout_seconds"] = 600
    emulator.reset_stats()
    preview = stack.preview(diff=True)
    assert re.search(r"~ timeout_seconds\s*: 1800 => 600", preview.stdout)
    assert "1 to update" in preview.stdout
    stack.up()
    assert writes(emulator) == {}, "an option change is an update with no API write"
    stack.preview(expect_no_changes=True)


def test_a_version_deleted_out_of_band_is_noticed_by_refresh_and_released_again_by_up(
    tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    emulator = e2e_emulator()
    stack = make_stack(empty_project(tmp_path, "drift"), emulator, release_program({}))
    stack.up()
    assert writes(emulator)[VERSIONS] == 1
    resources = {item["urn"].rsplit("::", 1)[1]: item for item in stack.resources()}
    dataset_id, version_id = resources["release"]["outputs"]["dataset_id"], resources["release"]["id"]

    client_for(emulator).delete_version(dataset_id, version_id)
    emulator.advance_clock(60)  # past the deletion and ModelArts.4370's one release per minute
    refreshed = stack.refresh()
    assert re.search(r"-\s+1 deleted|1 deleted", refreshed.stdout), refreshed.stdout
    assert "release" not in {item["urn"].rsplit("::", 1)[1] for item in stack.resources()}

    emulator.reset_stats()
    again = stack.up()
    assert "1 created" in again.stdout
    assert writes(emulator)[VERSIONS] == 1, "the release is made again, once"
    assert stack.outputs()["version_id"] != version_id
    stack.preview(expect_no_changes=True)


def test_replacing_a_running_task_stops_it_and_destroy_stops_the_replacement(
    tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    emulator = e2e_emulator("--task-seconds", "3600")
    knobs: dict[str, Any] = {"algorithm_type": "fast"}
    stack = make_stack(empty_project(tmp_path, "running"), emulator, task_program(knobs))
    stack.up()
    first_id = stack.outputs()["task_id"]
    client = client_for(emulator)
    dataset_id = next(item for item in stack.resources() if item["type"].endswith("IntelligentTask"))["outputs"][
        "dataset_id"
    ]
    assert client.get_task(dataset_id, first_id)["status"] in ACTIVE

    knobs["algorithm_type"] = "accurate"
    emulator.reset_stats()
    preview = stack.preview(diff=True)
    assert "+-pulumi-python:dynamic/modelarts:IntelligentTask: (replace)" in preview.stdout
    # The clock runs at 100x: stopping the old task (10% of 3600 s) takes about 4 s, while the new one stays
    # active for 36 s of real time, far longer than up needs to return.
    with clock_running(emulator.advance_clock, step_seconds=10):
        stack.up()
    second_id = stack.outputs()["task_id"]
    assert second_id != first_id
    assert writes(emulator) == {TASKS: 1, STOP: 1}
    assert client.get_task(dataset_id, first_id)["status"] in (4, 5), "the replaced task was stopped"
    assert client.get_task(dataset_id, second_id)["status"] in ACTIVE

    emulator.reset_stats()
    with clock_running(emulator.advance_clock, step_seconds=10):
        stack.destroy()
    assert writes(emulator) == {STOP: 1}
    assert client.get_task(dataset_id, second_id)["status"] in (4, 5)


def test_twenty_resources_through_the_four_call_host_complete_without_duplicates(
    tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    emulator = e2e_emulator()
    stack = make_stack(empty_project(tmp_path, "twenty"), emulator, export_program({"count": 20}))
    result = stack.up()
    assert "+ 21 created" in result.stdout  # 20 exports and the stack
    assert writes(emulator) == {EXPORTS: 20}
    emulator.reset_stats()
    stack.up()
    assert writes(emulator) == {}


def test_the_secret_key_never_appears_in_state_outputs_or_any_command_output(
    tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    emulator = e2e_emulator()
    stack = make_stack(empty_project(tmp_path, "secrets"), emulator, release_program({}))
    runs: list[Run] = [stack.preview(), stack.up(), stack.refresh(), stack.preview(diff=True)]
    exported = stack.pulumi("stack", "export")
    config = stack.pulumi("config")
    texts = [
        *(run.stdout + run.stderr for run in runs),
        exported.stdout + exported.stderr,
        config.stdout + config.stderr,
        stack.state_text(),
        repr(stack.outputs()),
    ]
    assert "[secret]" in config.stdout
    for text in texts:
        assert SENTINEL_SECRET_KEY not in text
    runs.append(stack.destroy())
    assert SENTINEL_SECRET_KEY not in runs[-1].stdout + runs[-1].stderr


def start_crash_driver(stack: EngineStack, program: str) -> subprocess.Popen[bytes]:
    """`pulumi up` of a program of programs.py in a process group of its own (crash_driver.py), to be killed."""
    args = [str(stack.engine), str(stack.project), str(stack.state), str(stack.home), program]
    return subprocess.Popen(
        [sys.executable, "-m", "support.crash_driver", *args],
        cwd=Path(__file__).parents[1],  # tests/, where the support package is
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("clear_pending_first", [False, True], ids=["cancel-then-up", "cancel-refresh-then-up"])
def test_a_killed_up_recovers_with_the_documented_steps_and_no_duplicate(
    clear_pending_first: bool,
    tmp_path: Path,
    e2e_emulator: Callable[..., EmulatorProcess],
    make_stack: Callable[..., EngineStack],
) -> None:
    emulator = e2e_emulator("--export-seconds", "3600")
    stack = make_stack(empty_project(tmp_path, "crash"), emulator, export_program({}))
    driver = start_crash_driver(stack, "export")
    try:
        for _ in range(600):  # the create POST has reached the emulator: the engine now waits inside Create
            if writes(emulator).get(EXPORTS):
                break
            time.sleep(0.1)
        assert writes(emulator) == {EXPORTS: 1}
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # like a CI runner killed mid-apply: no clean-up at all
        driver.wait()
        kill_orphans(str(stack.home))
    emulator.advance_clock(3600)  # the export the killed run started finishes meanwhile

    # The documented recovery (README, "After a crash"): the dead run's lock blocks every command until
    # `pulumi cancel` removes it; then `pulumi up` (optionally after `pulumi refresh --clear-pending-creates`)
    # runs Create again, which finds and adopts the export the dead run started instead of starting another.
    blocked = stack.pulumi("up", "--yes", check=False)
    assert blocked.returncode != 0 and "locked" in blocked.stderr + blocked.stdout
    stack.pulumi("cancel", "--yes")
    if clear_pending_first:
        stack.refresh(clear_pending_creates=True)
    recovered = stack.up()
    if not clear_pending_first:
        assert "pending operations from previous deployment" in recovered.stdout
    assert writes(emulator) == {EXPORTS: 1}, "up adopted the export the killed run had started"
    assert len([item for item in stack.resources() if item["type"].endswith("ExportTask")]) == 1
    stack.preview(expect_no_changes=True)


def test_a_provider_left_behind_by_a_killed_up_stops_by_itself_without_another_write(
    tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    """The engine leaves its provider running when it is killed; the provider notices and stops (issue 19). Here
    it waits for someone else's grouping task to end before it starts its own: after the kill that task ends,
    and no start may follow."""
    emulator = e2e_emulator("--task-seconds", "3600")
    client = client_for(emulator)
    dataset_id = next(item for item in client.iter_datasets() if item["dataset_name"] == "flowers")["dataset_id"]
    client.create_task(dataset_id, {"task_type": "auto-grouping", "config": {"name": "someone-else"}})
    stack = make_stack(empty_project(tmp_path, "orphan"), emulator, grouping_program({}))
    emulator.reset_stats()
    driver = start_crash_driver(stack, "grouping")

    def waiting() -> bool:
        """The provider decided (a read of the tasks list) and polls the running task: by GET, or by more pages
        of that list, which renew its observation (docs/design.md)."""
        requests, tasks = emulator.stats()["requests"], "GET /v2/{project_id}/datasets/{dataset_id}/tasks"
        return bool(requests.get(tasks + "/{task_id}")) or requests.get(tasks, 0) >= 3

    try:
        for _ in range(600):  # the provider decided to start after the running task, and waits for it
            if waiting():
                break
            time.sleep(0.1)
        assert waiting(), "the provider never waited for the running task"
    finally:
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait()
    emulator.advance_clock(3600)  # the running task ends: a provider still running would start its own now
    for _ in range(300):
        if not processes_with(str(stack.home)):
            break
        time.sleep(0.1)
    left = kill_orphans(str(stack.home))
    assert left == 0, "the provider kept running after the engine was killed"
    assert writes(emulator) == {}, "a write was made after the kill"


def test_a_preview_reads_each_dataset_once(
    tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    """12 exports over two datasets: a preview makes one name lookup and one list per dataset (it made two
    calls per resource before the observation was shared)."""
    emulator = e2e_emulator()
    knobs = {"count": 12, "datasets": ["flowers", "pets-detection"]}
    stack = make_stack(empty_project(tmp_path, "economy"), emulator, exports_over(knobs))
    stack.up()
    emulator.reset_stats()
    stack.preview(expect_no_changes=True)
    assert emulator.stats()["requests"] == {
        "GET /v2/{project_id}/datasets": 2,
        "GET /v2/{project_id}/datasets/{dataset_id}/export-tasks": 2,
    }
