"""IntelligentTask reconcile against the emulator: adopt, never duplicate, wait, fail clearly."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_modelarts.reconcile import intelligent
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.errors import ConflictError, TaskFailedError, WaitTimeoutError
from support.emulator_process import EmulatorProcess
from support.reconcile import converge, decide, make_ctx

TASKS_ROUTE = "POST /v2/{project_id}/datasets/{dataset_id}/tasks"


def spec(name: str = "autolabel", **overrides: Any) -> intelligent.IntelligentTaskSpec:
    inputs: dict[str, Any] = {
        "dataset_name": "flowers",
        "task_type": "auto-label",
        "collect_key_sample": True,
        "config": {"algorithm_type": "fast"},
        "wait": True,
        "timeout_seconds": 60,
    }
    inputs.update(overrides)
    return intelligent.IntelligentTaskSpec(name, inputs)


def tasks_named(ctx: ReconcileContext, prefix: str) -> list[dict[str, Any]]:
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    return [t for t in ctx.client.iter_tasks(dataset_id, type="auto-label") if t["task_name"].startswith(prefix)]


def test_create_then_adopt_without_a_second_post(ctx: ReconcileContext, emulator: EmulatorProcess) -> None:
    first = converge(ctx, spec())
    assert first["status_name"] == "succeeded" and first["adopted"] is False
    assert first["task_name"] == spec().base_name
    emulator.reset_stats()
    second = converge(make_ctx(emulator), spec())
    assert second["task_id"] == first["task_id"] and second["adopted"] is True
    assert emulator.stats()["writes"] == 0
    assert len(tasks_named(ctx, "pm-autolabel-")) == 1


def test_plan_reports_create_in_sync_and_replace(ctx: ReconcileContext, emulator: EmulatorProcess) -> None:
    assert decide(ctx, spec()).action == "create"
    converge(ctx, spec())
    fresh = make_ctx(emulator)
    assert decide(fresh, spec()).action == "in-sync"
    changed = decide(fresh, spec(config={"algorithm_type": "accurate"}))
    assert changed.action == "replace"
    assert [(c.path, c.old, c.new) for c in changed.changes] == [("config.algorithm_type", "fast", "accurate")]
    assert emulator.stats()["writes"] == 1  # planning never writes


def test_lost_response_is_adopted_not_repeated(ctx: ReconcileContext, emulator: EmulatorProcess) -> None:
    emulator.set_faults(
        [{"action": "drop_after_commit", "method": "POST", "route": TASKS_ROUTE.split(" ")[1], "times": 1}]
    )
    outputs = converge(ctx, spec())
    assert outputs["status_name"] == "succeeded"
    assert emulator.stats()["requests"][TASKS_ROUTE] == 1
    assert len(tasks_named(ctx, "pm-autolabel-")) == 1


def test_waits_for_another_running_task_then_starts(ctx: ReconcileContext, emulator: EmulatorProcess) -> None:
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    foreign = ctx.client.create_task(dataset_id, {"task_type": "auto-label", "config": {"name": "someone-else"}})
    outputs = converge(ctx, spec())
    assert outputs["status_name"] == "succeeded" and outputs["task_id"] != foreign
    assert ctx.client.get_task(dataset_id, foreign)["status"] == 3


def test_conflict_names_the_running_task_when_not_waiting(ctx: ReconcileContext) -> None:
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    foreign = ctx.client.create_task(dataset_id, {"task_type": "auto-label", "config": {"name": "someone-else"}})
    with pytest.raises(ConflictError, match=foreign):
        converge(ctx, spec(wait=False))


def test_timeout_says_the_next_run_resumes(emulator_factory: Any) -> None:
    slow = emulator_factory("--seed", "demo", "--task-seconds", "30")
    ctx = make_ctx(slow)
    with pytest.raises(WaitTimeoutError, match="resumes waiting on this same task"):
        converge(ctx, spec(timeout_seconds=1))
    slow.advance_clock(60)
    resumed = converge(make_ctx(slow), spec(timeout_seconds=5))
    assert resumed["adopted"] is True and resumed["status_name"] == "succeeded"
    assert slow.stats()["requests"][TASKS_ROUTE] == 1


def test_failed_task_raises_code_and_next_run_starts_attempt_two(emulator_factory: Any) -> None:
    failing = emulator_factory("--seed", "demo", "--preconditions", "fail-task")
    ctx = make_ctx(failing)
    doomed = spec("grouping-less", dataset_name="support-tickets")  # every sample labelled: 4407
    with pytest.raises(TaskFailedError, match=r"ModelArts\.440"):
        converge(ctx, doomed)
    plan = decide(make_ctx(failing), doomed)
    assert plan.action == "retry" and "-r2" in plan.summary


def test_stop_on_delete(emulator_factory: Any) -> None:
    slow = emulator_factory("--seed", "demo", "--task-seconds", "30")
    ctx = make_ctx(slow)
    outputs = converge(ctx, spec(wait=False))
    assert outputs["status"] in (-1, 0, 1)
    done = intelligent.stop_if_owned(ctx, spec(wait=False), outputs["dataset_id"], outputs["task_id"], 30, started=True)
    assert done.startswith("stopped")
    assert ctx.client.get_task(outputs["dataset_id"], outputs["task_id"])["status"] == 5
