"""One read for two purposes, and names resolved once (docs/design.md, "One observation per dataset").

A waiter's read of its dataset's export list renews the shared observation when that page is the whole list;
a lone waiter reads that page instead of its export whenever it renews an observation bounded in age. A dataset
name's id is looked up once per observer, while what decides a write stays bounded in age. Reads go to the
emulator over real sockets; time is the emulator's virtual clock (a wait's sleep advances it).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from pulumi_modelarts.api.errors import NotFoundError
from pulumi_modelarts.reconcile import export, follow
from pulumi_modelarts.reconcile.board import PAGE_SIZE
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.observe import DatasetObserver
from support.emulator_process import EmulatorProcess
from support.reconcile import VIRTUAL_POLLS, VirtualTime, converge

LIST = "GET /v2/{project_id}/datasets/{dataset_id}/export-tasks"
ONE = "GET /v2/{project_id}/datasets/{dataset_id}/export-tasks/{task_id}"
CREATE = "POST /v2/{project_id}/datasets/{dataset_id}/export-tasks"
DATASETS = "GET /v2/{project_id}/datasets"
EXPORTS = ("exports", None)


def calls(emulator: EmulatorProcess, route: str) -> int:
    return int(emulator.stats()["requests"].get(route, 0))


def pulumi_ctx(emulator: EmulatorProcess, max_age: float | None = 10.0) -> tuple[ReconcileContext, VirtualTime]:
    """A context as a Pulumi host's session builds it (an observer bounded in age), on the virtual clock."""
    virtual = VirtualTime(emulator)
    client = ModelArtsClient(resolve_settings(**emulator.client_settings()), sleep=virtual.sleep)
    observer = DatasetObserver(client, max_age=max_age, clock=virtual.clock)
    ctx = ReconcileContext(
        client, observer, poll_policy=VIRTUAL_POLLS, sleep=virtual.sleep, clock=virtual.clock, log=lambda _: None
    )
    return ctx, virtual


def export_spec(name: str, path: str, dataset: str = "flowers") -> export.ExportTaskSpec:
    from pulumi_modelarts import schema

    inputs, violations = schema.validate_inputs(
        "modelarts:ExportTask", {"dataset_name": dataset, "path": path, "export_type": 0}
    )
    assert violations == []
    return export.ExportTaskSpec(name, inputs)


@dataclass(frozen=True)
class RenewableCase:
    name: str
    max_age: float | None
    held: bool  # the observation holds the export list
    after: float  # seconds between that read and the question
    invalidated: bool = False
    full_page: bool = False  # the held list fills a page
    renewable: bool = False


RENEWABLE_CASES = [
    RenewableCase("not observed", 10.0, held=False, after=0.0),
    RenewableCase("just read", 10.0, held=True, after=0.0, renewable=True),
    RenewableCase("older than the max age", 10.0, held=True, after=11.0, renewable=True),
    RenewableCase("invalidated by a write", 10.0, held=True, after=0.0, invalidated=True, renewable=True),
    RenewableCase("a page cannot hold it", 10.0, held=True, after=6.0, full_page=True),
    RenewableCase("kept for the whole run (the CLI)", None, held=True, after=600.0),
]


@pytest.mark.parametrize("case", RENEWABLE_CASES, ids=[case.name for case in RENEWABLE_CASES])
def test_a_page_of_an_observed_list_renews_it(emulator: EmulatorProcess, case: RenewableCase) -> None:
    ctx, virtual = pulumi_ctx(emulator, case.max_age)
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    held = ctx.observer.export_tasks(dataset_id) if case.held else []
    virtual.sleep(case.after)
    if case.invalidated:
        ctx.observer.invalidate(dataset_id, "exports")
    page_size = len(held) if case.full_page else PAGE_SIZE
    assert ctx.observer.renewable(dataset_id, EXPORTS, page_size) is case.renewable


@pytest.mark.parametrize(
    ("page_size", "renewed"),
    [(PAGE_SIZE, True), (1, False)],
    ids=["the page is the whole list", "a full page is not the whole list"],
)
def test_a_page_renews_the_observation_only_when_it_is_the_whole_list(
    emulator: EmulatorProcess, page_size: int, renewed: bool
) -> None:
    ctx, virtual = pulumi_ctx(emulator)
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    ctx.observer.export_tasks(dataset_id)  # held from t=0
    task_id = ctx.client.create_export_task(dataset_id, {"path": "/demo-bucket/flowers/by-others/", "export_type": 0})
    virtual.sleep(8)
    page = ctx.observer.renew(dataset_id, EXPORTS, lambda: export._list_page(ctx.client, dataset_id, None), page_size)
    assert task_id in {item["task_id"] for item in page}
    virtual.sleep(4)  # 12 s after the first read, 4 s after the page
    emulator.reset_stats()
    seen = ctx.observer.export_tasks(dataset_id)
    assert calls(emulator, LIST) == (0 if renewed else 1)
    assert task_id in {item["task_id"] for item in seen}  # the other writer's export, either way


def test_a_write_during_a_renewal_in_flight_is_not_hidden_by_it(emulator: EmulatorProcess) -> None:
    """The page was sent before our create was answered: the create's note lies over it; an invalidation made
    while it was in flight makes the next reader read again."""
    ctx, _ = pulumi_ctx(emulator)
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    ctx.observer.export_tasks(dataset_id)
    emulator.set_faults([{"action": "latency", "method": "GET", "route": LIST[4:], "latency_ms": 400}])
    emulator.reset_stats()

    def page() -> list[dict[str, Any]]:
        return export._list_page(ctx.client, dataset_id, None)

    renewal = threading.Thread(target=lambda: ctx.observer.renew(dataset_id, EXPORTS, page, PAGE_SIZE))
    renewal.start()
    while calls(emulator, LIST) == 0:  # the page is on its way (answered 400 ms later)
        threading.Event().wait(0.01)
    body = {"path": "/demo-bucket/flowers/during-renewal/", "export_type": 0}
    task_id = ctx.client.create_export_task(dataset_id, body)
    ctx.observer.note(dataset_id, EXPORTS, export.EXPORTS.as_listed(task_id, body) or {}, created=True)
    renewal.join()
    seen = ctx.observer.export_tasks(dataset_id)
    assert calls(emulator, LIST) == 1 and seen[0]["task_id"] == task_id

    renewal = threading.Thread(target=lambda: ctx.observer.renew(dataset_id, EXPORTS, page, PAGE_SIZE))
    renewal.start()
    while calls(emulator, LIST) == 1:
        threading.Event().wait(0.01)
    ctx.observer.invalidate(dataset_id, "exports")  # a write whose effect is not known (a failed create)
    renewal.join()
    ctx.observer.export_tasks(dataset_id)
    assert calls(emulator, LIST) == 3


@pytest.mark.parametrize(
    ("max_age", "list_calls", "gets"),
    [(10.0, 1, 0), (None, 0, 1)],
    ids=["bounded in age (Pulumi): one list for both", "for the whole run (the CLI): the waiter reads its export"],
)
def test_a_lone_waiter_renews_the_observation_with_its_one_look(
    emulator_factory: Any, max_age: float | None, list_calls: int, gets: int
) -> None:
    emulator: EmulatorProcess = emulator_factory("--seed", "demo", "--export-seconds", "0.05")
    ctx, virtual = pulumi_ctx(emulator, max_age)
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    ctx.observer.export_tasks(dataset_id)
    virtual.sleep(6)
    emulator.reset_stats()
    outputs = converge(ctx, export_spec("first", "/demo-bucket/flowers/first/"))
    assert outputs["status"] == "SUCCESSED"
    assert (calls(emulator, CREATE), calls(emulator, LIST), calls(emulator, ONE)) == (1, list_calls, gets)

    # 6.5 s later the next resource decides: past the max age of the first read, not of the look's renewal.
    virtual.sleep(6.5)
    emulator.reset_stats()
    second = export_spec("second", "/demo-bucket/flowers/second/")
    decision = export.decide(export.observe(ctx, second), second)
    assert decision.action == "create"
    assert calls(emulator, LIST) == 0 and calls(emulator, DATASETS) == 0


def test_waiters_of_one_dataset_share_the_page_that_renews(emulator_factory: Any) -> None:
    """Concurrent waiters on one dataset: their looks share list calls, and a page renews the observation."""
    emulator: EmulatorProcess = emulator_factory("--seed", "demo", "--export-seconds", "0.05")
    ctx, virtual = pulumi_ctx(emulator)
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    ctx.observer.export_tasks(dataset_id)
    bodies = [{"path": f"/demo-bucket/out/together-{n}/", "export_type": 0} for n in range(4)]
    started = [(ctx.client.create_export_task(dataset_id, body), body) for body in bodies]
    virtual.sleep(6)
    emulator.reset_stats()

    def follow_one(item: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        task_id, body = item
        initial = export.EXPORTS.as_listed(task_id, body)
        return follow.wait(ctx, export.EXPORTS, task_id, dataset_id, task_id, 60, initial=initial)

    with ThreadPoolExecutor(max_workers=len(started)) as pool:
        done = list(pool.map(follow_one, started))
    assert [task["status"] for task in done] == ["SUCCESSED"] * len(started)
    looks = calls(emulator, LIST), calls(emulator, ONE)
    assert looks[0] >= 1 and sum(looks) <= len(started)  # the first look is a list, and may be shared
    seen = ctx.observer.export_tasks(dataset_id)
    assert calls(emulator, LIST) == looks[0]  # renewed by the waiters' page
    assert {task_id for task_id, _ in started} <= {item["task_id"] for item in seen}


def test_a_dataset_name_is_resolved_once_while_what_decides_stays_bounded_in_age(emulator: EmulatorProcess) -> None:
    ctx, virtual = pulumi_ctx(emulator)
    emulator.reset_stats()
    first = ctx.observer.dataset_id_for(None, "flowers")
    virtual.sleep(60)
    assert ctx.observer.dataset_id_for(None, "flowers") == first
    assert calls(emulator, DATASETS) == 1
    # Whether a name is taken (an export to a new dataset decides on it) is read again after the max age.
    assert ctx.observer.dataset_by_name("flowers") is not None
    assert calls(emulator, DATASETS) == 2
    # Dropping the whole observation (the CLI after its prompt) drops the ids too.
    ctx.observer.invalidate()
    assert ctx.observer.dataset_id_for(None, "flowers") == first
    assert calls(emulator, DATASETS) == 3


def make_dataset(ctx: ReconcileContext, name: str) -> str:
    return ctx.client.create_dataset(
        {
            "dataset_name": name,
            "dataset_type": 0,
            "data_sources": [{"data_type": 0, "data_path": f"/demo-bucket/{name}/"}],
            "work_path": f"/demo-bucket/{name}-output/",
            "work_path_type": 0,
            "labels": [{"name": "cat", "type": 0}],
        }
    )


def test_a_name_not_found_is_not_kept(emulator: EmulatorProcess) -> None:
    ctx, virtual = pulumi_ctx(emulator)
    with pytest.raises(NotFoundError):
        ctx.observer.dataset_id_for(None, "made-later")
    made = make_dataset(ctx, "made-later")
    virtual.sleep(11)
    assert ctx.observer.dataset_id_for(None, "made-later") == made


def test_a_dataset_deleted_after_its_name_was_resolved_fails_closed(emulator: EmulatorProcess) -> None:
    ctx, _ = pulumi_ctx(emulator)
    short_lived = make_dataset(ctx, "short-lived")
    assert ctx.observer.dataset_id_for(None, "short-lived") == short_lived
    ctx.client.delete_dataset(short_lived)
    emulator.reset_stats()
    with pytest.raises(NotFoundError):
        converge(ctx, export_spec("orphaned", "/demo-bucket/short-lived/out/", "short-lived"))
    assert emulator.stats()["writes"] == 0
