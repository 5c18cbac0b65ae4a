"""Fail closed: unknown statuses are waited on then quoted, release locks are waited out within the
deadline, and stopping a task that has just finished is a success."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_modelarts.api.errors import APIError
from pulumi_modelarts.reconcile import export, intelligent
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.errors import ReconcileError, WaitTimeoutError
from pulumi_modelarts.reconcile.locks import Deadline, while_release_locked
from pulumi_modelarts.reconcile.waiting import PollPolicy, Waiter
from support.emulator_process import EmulatorProcess
from support.reconcile import make_ctx


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("family", "item"),
    [
        (intelligent.TASKS, {"task_id": "t", "status": 7}),
        (intelligent.TASKS, {"task_id": "t"}),
        (export.EXPORTS, {"task_id": "e", "status": "CANCELED"}),
    ],
)
def test_an_unknown_status_is_waited_on_then_quoted(family: Any, item: dict[str, Any]) -> None:
    time = FakeTime()
    waiter: Waiter[dict[str, Any]] = Waiter(
        fetch=lambda: dict(item),
        probe=family.probe,
        timeout=30,
        timeout_message=lambda last: f"not finished: {family.describe(last)}",
        policy=PollPolicy(),
        clock=time.clock,
        sleep=time.sleep,
    )
    with pytest.raises(WaitTimeoutError, match=r"unknown status (7|None|'CANCELED')"):
        waiter.run()
    assert time.now >= 30


def lock_error() -> APIError:
    return APIError(
        "ModelArts.4381 (HTTP 400) on PUT ...: Dataset is publishing, annotation is forbidden",
        status_code=400,
        error_code="ModelArts.4381",
        error_msg="Dataset is publishing, annotation is forbidden",
    )


def test_a_release_lock_is_waited_out(ctx: ReconcileContext) -> None:
    time = FakeTime()
    ctx.clock, ctx.sleep = time.clock, time.sleep
    answers: list[Any] = [lock_error(), lock_error(), "done"]

    def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    assert while_release_locked(ctx, "pets", Deadline(ctx, 60), call) == "done"
    assert len(time.slept) == 2 and time.now < 60


def test_a_release_lock_beyond_the_deadline_fails_quoting_it(ctx: ReconcileContext) -> None:
    time = FakeTime()
    ctx.clock, ctx.sleep = time.clock, time.sleep

    def call() -> str:
        raise lock_error()

    with pytest.raises(ReconcileError, match=r"timeout_seconds \(20s\).*ModelArts\.4381"):
        while_release_locked(ctx, "pets", Deadline(ctx, 20), call)
    assert time.now <= 20


def test_other_errors_are_not_retried(ctx: ReconcileContext) -> None:
    def call() -> str:
        raise APIError("ModelArts.4200 bad", error_code="ModelArts.4200")

    with pytest.raises(APIError, match="4200"):
        while_release_locked(ctx, "pets", Deadline(ctx, 60), call)


def test_stopping_a_task_that_just_finished_succeeds(ctx: ReconcileContext, emulator: EmulatorProcess) -> None:
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    task_id = ctx.client.create_task(dataset_id, {"task_type": "auto-label", "config": {"name": "quick"}})
    emulator.advance_clock(60)
    assert ctx.client.get_task(dataset_id, task_id)["status"] == 3
    emulator.reset_stats()
    intelligent.stop_task(make_ctx(emulator), dataset_id, task_id, timeout=10)  # the API answers ModelArts.4393
    assert emulator.stats()["requests"]["POST /v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}/stop"] == 1
