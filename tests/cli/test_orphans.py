"""Orphans: a running task whose resource was removed from the specs is listed by the plan, and stopped only by
`apply --prune` (or `apply --plan` of a plan made with `--prune`); never another namespace's task, never one
whose name does not say it is this namespace's.

Before: the plan said in-sync, the task kept running, and nothing in the CLI could stop it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pulumi_modelarts.reconcile import identity
from support.cli import run
from support.emulator_process import EmulatorProcess
from support.reconcile import make_ctx

STOP = "POST /v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}/stop"
START = "POST /v2/{project_id}/datasets/{dataset_id}/tasks"


def _task(name: str, dataset: str, *, wait: bool = False) -> str:
    return (
        f"  {name}:\n    type: modelarts:IntelligentTask\n"
        f"    properties: {{dataset_name: {dataset}, task_type: auto-label, config: {{algorithm_type: fast}}}}\n"
        f"    options: {{wait: {str(wait).lower()}}}\n"
    )


PINS = (
    "  pets-pin:\n    type: modelarts:DatasetVersionRef\n"
    "    properties: {dataset_name: pets-detection, version_name: V001}\n"
    "  flowers-pin:\n    type: modelarts:DatasetVersionRef\n"
    "    properties: {dataset_name: flowers, version_name: V001}\n"
)


def _specs(folder: Path, *resources: str) -> None:
    (folder / "specs.yaml").write_text("name: team\nresources:\n" + "".join(resources) + PINS)


@pytest.fixture
def slow(emulator_factory: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    """Tasks run for ten minutes: they are still running while the tests plan and apply."""
    return emulator_factory("--seed", "demo", "--task-seconds", "600")


@pytest.fixture
def removed(slow: EmulatorProcess, tmp_path: Path) -> dict[str, Any]:
    """`old-al` (namespace `team`) started its task on pets-detection, then was removed from the specs. Running too:
    another namespace's `old-al` on flowers, and a task on pets-detection named before namespaces existed."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "specs.yaml").write_text("name: other\nresources:\n" + _task("old-al", "flowers"))
    assert run("apply", "specs.yaml", "--yes", emulator=slow, cwd=other).returncode == 0
    _specs(tmp_path, _task("old-al", "pets-detection"))
    assert run("apply", "specs.yaml", "--yes", emulator=slow, cwd=tmp_path).returncode == 0

    ctx = make_ctx(slow)
    pets = ctx.observer.dataset_id_for(None, "pets-detection")
    legacy = identity.task_name(identity.legacy_tag("old-grouping"), "0" * 12)
    legacy_id = ctx.client.create_task(pets, {"task_type": "auto-grouping", "config": {"name": legacy}})
    tasks = {task["task_name"]: task for dataset in ("pets-detection", "flowers") for task in _tasks(slow, dataset)}
    ours = next(task for name, task in tasks.items() if name.startswith(identity.resource_tag("old-al", "team")))
    foreign = next(task for name, task in tasks.items() if name.startswith(identity.resource_tag("old-al", "other")))
    _specs(tmp_path)  # old-al is no longer declared
    slow.reset_stats()
    legacy_task = {"dataset_id": pets, "task_id": legacy_id}
    return {"ours": ours, "foreign": foreign, "legacy": legacy_task, "pets": pets, "folder": tmp_path}


@contextmanager
def _time_flies_after_each_write(emulator: EmulatorProcess) -> Iterator[None]:
    """Tasks run ten minutes here (and take 30 s to stop): after each write apply makes, the emulator's clock jumps
    past the end of what it started or stopped, so apply waits on virtual time, not on ours."""
    done = threading.Event()

    def advance() -> None:
        seen = 0
        while not done.wait(0.1):
            count = len(emulator.writes())
            if count > seen:
                seen = count
                emulator.advance_clock(700)

    thread = threading.Thread(target=advance, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=10)


def _tasks(emulator: EmulatorProcess, dataset: str) -> list[dict[str, Any]]:
    ctx = make_ctx(emulator)
    dataset_id = ctx.observer.dataset_id_for(None, dataset)
    return [task for kind in ("auto-label", "auto-grouping") for task in ctx.client.iter_tasks(dataset_id, type=kind)]


def _status(emulator: EmulatorProcess, task: dict[str, Any]) -> int:
    ctx = make_ctx(emulator)
    return int(ctx.client.get_task(task["dataset_id"], task["task_id"])["status"])


def test_the_plan_lists_the_orphan_and_apply_without_prune_leaves_it_running(
    slow: EmulatorProcess, removed: dict[str, Any]
) -> None:
    folder, ours = removed["folder"], removed["ours"]
    text = run("plan", "specs.yaml", "--detailed-exitcode", emulator=slow, cwd=folder)
    assert text.returncode == 0, text.stdout + text.stderr  # nothing would change without --prune
    assert f"⊘ old-al (no longer declared): auto-label task {ours['task_id']} '{ours['task_name']}'" in text.stdout
    assert "    left running: apply --prune stops it" in text.stdout
    assert text.stdout.rstrip().endswith("Plan: 2 in-sync; 1 orphaned task left running (apply --prune stops it)")

    document = json.loads(run("plan", "specs.yaml", "--format", "json", emulator=slow, cwd=folder).stdout)
    assert document["orphans"] == {
        "prune": False,
        "tasks": [
            {
                "resource": "old-al",
                "type": "modelarts:IntelligentTask",
                "task_type": "auto-label",
                "dataset_id": removed["pets"],
                "task_id": ours["task_id"],
                "task_name": ours["task_name"],
                "status": document["orphans"]["tasks"][0]["status"],
                "summary": document["orphans"]["tasks"][0]["summary"],
                "writes": [],
            }
        ],
    }
    assert document["changes_pending"] is False

    applied = run("apply", "specs.yaml", "--yes", emulator=slow, cwd=folder)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert slow.writes() == []
    assert _status(slow, ours) in (-1, 0, 1)  # still running


def test_a_plan_made_with_prune_stops_exactly_the_orphan_and_the_waiting_task_then_starts(
    slow: EmulatorProcess, removed: dict[str, Any]
) -> None:
    """A rename: `new-al` replaces `old-al` and waits for its task (one auto-label task per dataset). The pruned plan
    stops the orphan first, then starts the new task. Another namespace's task and a legacy one keep running."""
    folder, ours, foreign = removed["folder"], removed["ours"], removed["foreign"]
    _specs(folder, _task("new-al", "pets-detection", wait=True))
    planned = run(
        "plan", "specs.yaml", "--prune", "--out", "plan.json", "--detailed-exitcode", emulator=slow, cwd=folder
    )
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert f"after the running task {ours['task_id']}" in planned.stdout
    assert f"    • stop task {ours['task_id']} (resource 'old-al' is no longer declared)" in planned.stdout
    saved = json.loads((folder / "plan.json").read_text())
    assert saved["orphans"]["prune"] is True and saved["changes_pending"] is True
    assert [write["kind"] for task in saved["orphans"]["tasks"] for write in task["writes"]] == ["stop-task"]

    markdown = run("plan", "specs.yaml", "--prune", "--format", "markdown", emulator=slow, cwd=folder).stdout
    assert "#### Orphans: 1 running task of resources no longer declared" in markdown
    assert f"| ⊘ | `old-al` | auto\\-label task {ours['task_id']}" in markdown

    slow.reset_stats()
    with _time_flies_after_each_write(slow):
        applied = run("apply", "--plan", "plan.json", "--yes", emulator=slow, cwd=folder)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    writes = [(entry["route"], entry["params"].get("task_id")) for entry in slow.writes()]
    assert writes == [(STOP, ours["task_id"]), (START, None)]
    # Nothing else: not another namespace's task, not a task named before namespaces (its name says no owner).
    assert _status(slow, ours) == 5  # stopped
    assert foreign["task_id"] not in str(slow.writes()) and removed["legacy"]["task_id"] not in str(slow.writes())

    again = run("plan", "specs.yaml", "--prune", "--detailed-exitcode", emulator=slow, cwd=folder)
    assert again.returncode == 0 and "Orphans" not in again.stdout


def test_apply_prune_stops_it_in_one_run_and_a_plan_without_prune_approves_no_stop(
    slow: EmulatorProcess, removed: dict[str, Any]
) -> None:
    folder, ours = removed["folder"], removed["ours"]
    assert run("plan", "specs.yaml", "--out", "plain.json", emulator=slow, cwd=folder).returncode == 0
    refused = run("apply", "--plan", "plain.json", "--prune", "--yes", emulator=slow, cwd=folder)
    assert refused.returncode == 1
    assert "the plan was made without --prune, so it approves no stop" in refused.stderr
    applied_plain = run("apply", "--plan", "plain.json", "--yes", emulator=slow, cwd=folder)
    assert applied_plain.returncode == 0 and slow.writes() == []  # the plan approved no stop

    with _time_flies_after_each_write(slow):
        applied = run("apply", "specs.yaml", "--prune", "--yes", "--format", "json", emulator=slow, cwd=folder)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    document = json.loads(applied.stdout)
    assert [(item["task_id"], item["ok"]) for item in document["orphans"]] == [(ours["task_id"], True)]
    assert [entry["route"] for entry in slow.writes()] == [STOP]
    assert _status(slow, ours) == 5
