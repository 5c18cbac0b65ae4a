"""Several tasks waited on at once share list calls instead of each polling with GET."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pulumi_modelarts.reconcile import export, follow
from pulumi_modelarts.reconcile.context import ReconcileContext
from support.emulator_process import EmulatorProcess

ONE = "GET /v2/{project_id}/datasets/{dataset_id}/export-tasks/{task_id}"
LIST = "GET /v2/{project_id}/datasets/{dataset_id}/export-tasks"


def test_concurrent_waiters_share_one_list_call(emulator_factory: Any) -> None:
    from support.reconcile import make_ctx

    emulator: EmulatorProcess = emulator_factory("--seed", "demo", "--export-seconds", "2")
    ctx: ReconcileContext = make_ctx(emulator)
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    ids = [
        ctx.client.create_export_task(dataset_id, {"path": f"/demo-bucket/out/{n}/", "export_type": n % 3})
        for n in range(4)
    ]
    emulator.reset_stats()
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(lambda task_id: follow.wait(ctx, export.EXPORTS, task_id, dataset_id, task_id, 30), ids))
    assert [task["status"] for task in done] == ["SUCCESSED"] * 4
    calls = emulator.stats()["requests"]
    polls = calls.get(ONE, 0) + calls.get(LIST, 0)
    assert calls.get(LIST, 0) > 0
    # Each waiter alone would GET its task on every poll; sharing answers most polls from one list.
    solo = make_ctx(emulator)
    emulator.reset_stats()
    follow.wait(
        solo,
        export.EXPORTS,
        "solo",
        dataset_id,
        ctx.client.create_export_task(dataset_id, {"path": "/x/", "export_type": 0}),
        30,
    )
    solo_polls = emulator.stats()["requests"].get(ONE, 0)
    assert polls < 4 * solo_polls


def test_waits_started_together_share_one_list_call_per_poll(emulator_factory: Any) -> None:
    """Eight exports just started, waited on as apply does (production poll policy, the first look soon after the
    create): each poll is one list call for all of them, and none needs its own GET."""
    from pulumi_modelarts.api import ModelArtsClient, resolve_settings

    emulator: EmulatorProcess = emulator_factory("--seed", "demo", "--export-seconds", "0.3")
    client = ModelArtsClient(resolve_settings(**emulator.client_settings()))
    ctx = ReconcileContext.for_client(client, log=lambda _message: None)
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    bodies = [{"path": f"/demo-bucket/out/together-{n}/", "export_type": 0} for n in range(8)]
    started = [(client.create_export_task(dataset_id, body), body) for body in bodies]
    emulator.reset_stats()

    def follow_one(item: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        task_id, body = item
        return follow.wait(
            ctx, export.EXPORTS, task_id, dataset_id, task_id, 60, initial=export.EXPORTS.as_listed(task_id, body)
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(follow_one, started))
    assert [task["status"] for task in done] == ["SUCCESSED"] * 8
    calls = emulator.stats()["requests"]
    # Looks at about 0.1 s and 0.5 s after the creates (each waiter alone: 16 GETs); the last waiter left may
    # look on its own.
    assert 1 <= calls.get(LIST, 0) <= 3 and calls.get(LIST, 0) + calls.get(ONE, 0) <= 4
