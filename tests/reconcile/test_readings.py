"""Answers the API documents but the emulator does not play by itself, injected as faults: a 200 with
ModelArts.4964 and no task_id, and the release locks ModelArts.4821 (task start) and 4381 (label update)."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_modelarts.reconcile import intelligent
from pulumi_modelarts.reconcile.errors import ChangedSinceApprovalError
from support.emulator_process import EmulatorProcess
from support.reconcile import converge, decide, make_ctx

TASKS = "/v2/{project_id}/datasets/{dataset_id}/tasks"
LABELS = "/v2/{project_id}/datasets/{dataset_id}/data-annotations/samples"


def spec(name: str, **inputs: Any) -> intelligent.IntelligentTaskSpec:
    return intelligent.IntelligentTaskSpec(name, {"dataset_name": "flowers", "timeout_seconds": 300, **inputs})


def fault(status: int, code: str, message: str, route: str, method: str, times: int) -> dict[str, Any]:
    return {
        "action": "error",
        "method": method,
        "route": route,
        "status": status,
        "error_code": code,
        "error_msg": message,
        "times": times,
    }


def test_a_running_grouping_task_of_someone_else_is_waited_for_as_the_plan_says(
    emulator_factory: Any, messages: list[str]
) -> None:
    emulator = emulator_factory("--seed", "demo", "--task-seconds", "30", "--grouping-conflict", "4964")
    ctx = make_ctx(emulator, messages)
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    other = ctx.client.create_task(dataset_id, {"task_type": "auto-grouping", "config": {"name": "someone-else"}})
    planned = decide(ctx, spec("grp", task_type="auto-grouping"))
    assert planned.waits_for is not None and planned.waits_for["task_id"] == other
    assert [write.kind for write in planned.writes] == ["start-task"]  # someone else's task is never stopped
    emulator.reset_stats()
    outputs = converge(ctx, spec("grp", task_type="auto-grouping"))
    assert outputs["status_name"] == "succeeded" and outputs["task_id"] != other
    assert ctx.client.get_task(dataset_id, other)["status"] == 3  # waited for, not stopped
    assert emulator.stats()["requests"]["POST " + TASKS] == 1


def test_a_200_with_4964_and_no_task_id_is_no_start(emulator_factory: Any, messages: list[str]) -> None:
    """The 4964 info code with HTTP 200 and no task_id is a refusal: nothing is adopted, the run says what moved."""
    emulator = emulator_factory("--seed", "demo", "--task-seconds", "30")
    ctx = make_ctx(emulator, messages)
    emulator.set_faults([fault(200, "ModelArts.4964", "Auto grouping task is already running", TASKS, "POST", 1)])
    emulator.reset_stats()
    with pytest.raises(ChangedSinceApprovalError, match=r"changed since the plan: .*ModelArts\.4964"):
        converge(ctx, spec("grp", task_type="auto-grouping"))
    assert emulator.stats()["requests"]["POST " + TASKS] == 1


def test_starting_auto_labeling_during_a_release_waits_for_the_lock(
    emulator: EmulatorProcess, messages: list[str]
) -> None:
    ctx = make_ctx(emulator, messages)
    message = "Task is publishing, the operation is forbidden"
    emulator.set_faults([fault(403, "ModelArts.4821", message, TASKS, "POST", 2)])
    emulator.reset_stats()
    outputs = converge(ctx, spec("label", task_type="auto-label"))
    assert outputs["status_name"] == "succeeded"
    assert emulator.stats()["requests"]["POST " + TASKS] == 3
    assert sum("ModelArts.4821" in line for line in messages) == 2


def test_a_label_update_during_a_release_waits_for_the_lock(emulator: EmulatorProcess, messages: list[str]) -> None:
    ctx = make_ctx(emulator, messages)
    inputs = {"dataset_name": "pets-detection", "task_type": "auto-label", "accept": {"min_score": 0.5}}
    emulator.set_faults(
        [fault(400, "ModelArts.4381", "Dataset is publishing, annotation is forbidden", LABELS, "PUT", 1)]
    )
    outputs = converge(ctx, spec("pets", **inputs))
    assert outputs["accepted_count"] > 0
    assert any("ModelArts.4381" in line for line in messages)
    again = decide(make_ctx(emulator, []), spec("pets", **inputs))
    assert not again.pending  # every qualifying label was confirmed
