"""One observation per dataset shared by many operations at once, never hiding a write (docs/design.md).

Reads go to the emulator over real sockets; a latency fault keeps a list call in flight long enough for
another thread to write or invalidate meanwhile.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from pulumi_modelarts.reconcile import export
from pulumi_modelarts.reconcile.observe import DatasetObserver
from support.emulator_process import EmulatorProcess
from support.reconcile import converge

EXPORTS = "GET /v2/{project_id}/datasets/{dataset_id}/export-tasks"
DATASETS = "GET /v2/{project_id}/datasets"


def client_of(emulator: EmulatorProcess) -> ModelArtsClient:
    return ModelArtsClient(resolve_settings(**emulator.client_settings()))


def flowers(client: ModelArtsClient) -> str:
    return str(next(item for item in client.iter_datasets() if item["dataset_name"] == "flowers")["dataset_id"])


def calls(emulator: EmulatorProcess, route: str) -> int:
    return int(emulator.stats()["requests"].get(route, 0))


def slow_lists(emulator: EmulatorProcess, latency_ms: float = 400) -> None:
    emulator.set_faults([{"action": "latency", "method": "GET", "route": EXPORTS[4:], "latency_ms": latency_ms}])


def test_concurrent_readers_wait_on_one_read_in_flight(emulator: EmulatorProcess) -> None:
    client = client_of(emulator)
    dataset_id = flowers(client)
    observer = DatasetObserver(client, max_age=30)
    slow_lists(emulator)
    emulator.reset_stats()
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: observer.export_tasks(dataset_id), range(16)))
    assert calls(emulator, EXPORTS) == 1
    assert all(answer == answers[0] for answer in answers)


def test_a_read_in_flight_when_a_write_invalidates_is_not_served_afterwards(emulator: EmulatorProcess) -> None:
    client = client_of(emulator)
    dataset_id = flowers(client)
    observer = DatasetObserver(client)  # no max age: only invalidations make it read again
    slow_lists(emulator)
    emulator.reset_stats()
    early = threading.Thread(target=lambda: observer.export_tasks(dataset_id))
    early.start()
    while calls(emulator, EXPORTS) == 0:  # the list call is on its way (answered 400 ms later)
        threading.Event().wait(0.01)
    task_id = client.create_export_task(dataset_id, {"path": "/demo-bucket/flowers/during/", "export_type": 0})
    observer.invalidate(dataset_id, "exports")  # what every write of ours does
    seen = observer.export_tasks(dataset_id)  # asked after the write: must not take the read in flight
    early.join()
    assert calls(emulator, EXPORTS) == 2
    assert task_id in {item["task_id"] for item in seen}
    assert observer.export_tasks(dataset_id) == seen  # and that fresh answer is shared again
    assert calls(emulator, EXPORTS) == 2


def test_what_a_create_was_answered_shows_in_reads_made_before_it(emulator: EmulatorProcess) -> None:
    client = client_of(emulator)
    dataset_id = flowers(client)
    observer = DatasetObserver(client)
    before = observer.export_tasks(dataset_id)
    body = {"path": "/demo-bucket/flowers/noted/", "export_type": 0}
    task_id = client.create_export_task(dataset_id, body)
    observer.note(dataset_id, ("exports", None), export.EXPORTS.as_listed(task_id, body) or {}, created=True)
    emulator.reset_stats()
    noted = observer.export_tasks(dataset_id)
    assert calls(emulator, EXPORTS) == 0
    assert noted[0]["task_id"] == task_id and noted[0]["status"] == "INIT" and noted[1:] == before

    # A wait that saw it finish replaces the noted state; a list read afterwards is the API's own answer.
    finished = {**noted[0], "status": "SUCCESSED", "progress": 100.0}
    observer.note(dataset_id, ("exports", None), finished)
    assert observer.export_tasks(dataset_id)[0]["status"] == "SUCCESSED"
    observer.invalidate(dataset_id, "exports")
    fresh = observer.export_tasks(dataset_id)
    assert calls(emulator, EXPORTS) == 1 and fresh[0]["task_id"] == task_id


def test_reads_older_than_the_max_age_are_read_again(emulator: EmulatorProcess) -> None:
    now = [0.0]
    client = client_of(emulator)
    dataset_id = flowers(client)
    observer = DatasetObserver(client, max_age=10, clock=lambda: now[0])
    emulator.reset_stats()
    observer.export_tasks(dataset_id)
    now[0] = 10.0
    observer.export_tasks(dataset_id)
    assert calls(emulator, EXPORTS) == 1
    now[0] = 10.5
    observer.export_tasks(dataset_id)
    assert calls(emulator, EXPORTS) == 2


def test_a_write_of_one_resource_is_seen_by_the_next_decision_without_reading_again(
    emulator: EmulatorProcess,
) -> None:
    """Two resources with the same request in one run: the second adopts what the first started (no second
    export), from the shared observation (no second list call)."""
    from support.reconcile import make_ctx

    ctx = make_ctx(emulator)
    spec = _export_spec("first")
    converge(ctx, spec)
    emulator.reset_stats()
    outputs = converge(ctx, _export_spec("second"))
    assert outputs["adopted"] is True
    assert emulator.stats()["writes"] == 0
    assert calls(emulator, EXPORTS) == 0 and calls(emulator, DATASETS) == 0


def _export_spec(name: str) -> Any:
    from pulumi_modelarts import schema

    inputs, violations = schema.validate_inputs(
        "modelarts:ExportTask", {"dataset_name": "flowers", "path": "/demo-bucket/flowers/shared/", "export_type": 0}
    )
    assert violations == []
    return export.ExportTaskSpec(name, inputs)
