"""The admin API: request statistics, the virtual clock and the state dump."""

from __future__ import annotations

import time

import httpx

from support.emu_helpers import FLOWERS, PETS, dataset_id, get_token
from support.emulator_process import EmulatorProcess


def test_stats_count_requests_by_route_template(emulator: EmulatorProcess, client: httpx.Client) -> None:
    emulator.reset_stats()
    flowers = dataset_id(client, FLOWERS)
    task_id = client.post(f"/datasets/{flowers}/tasks", json={"task_type": "auto-label"}).json()["task_id"]
    for _ in range(3):
        client.get(f"/datasets/{flowers}/tasks/{task_id}")
    client.get("/datasets/unknown")  # errors count too
    get_token(emulator)
    stats = emulator.stats()
    assert stats["requests"] == {
        "GET /v2/{project_id}/datasets": 1,
        "POST /v2/{project_id}/datasets/{dataset_id}/tasks": 1,
        "GET /v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}": 3,
        "GET /v2/{project_id}/datasets/{dataset_id}": 1,
    }
    assert stats["total"] == 6 and stats["writes"] == 1 and stats["auth"] == 1
    emulator.reset_stats()
    assert emulator.stats() == {"requests": {}, "total": 0, "writes": 0, "auth": 0}


def test_clock(emulator: EmulatorProcess) -> None:
    before = emulator.admin.get("/clock").json()
    assert abs(before["now"] - time.time() * 1000) < 5000 and before["offset_ms"] == 0
    after = emulator.admin.post("/clock", json={"advance_seconds": 90.5}).json()
    assert after["offset_ms"] == 90_500
    assert after["now"] - before["now"] >= 90_500
    for bad in ({"advance_seconds": -1}, {"advance_seconds": "5"}, {}, {"advance_seconds": True}):
        assert emulator.admin.post("/clock", json=bad).status_code == 400
    assert emulator.admin.post("/clock", content=b"{").status_code == 400


def test_state_dump(emulator: EmulatorProcess, client: httpx.Client) -> None:
    state = emulator.admin.get("/state").json()
    by_name = {d["dataset_name"]: d for d in state["datasets"]}
    assert by_name[FLOWERS] | {"dataset_id": None} == {
        "dataset_id": None,
        "dataset_name": FLOWERS,
        "samples": 120,
        "labelled": 45,
        "unconfirmed": 0,
        "tasks": 0,
        "export_tasks": 0,
        "import_tasks": 0,
        "versions": 2,
    }
    assert state["totals"] == {
        "datasets": 3,
        "tasks": 0,
        "export_tasks": 0,
        "import_tasks": 0,
        "versions": 6,
        "tokens": 0,
    }
    flowers = dataset_id(client, FLOWERS)
    client.post(f"/datasets/{flowers}/export-tasks", json={"path": "/b/"})
    assert emulator.admin.get("/state").json()["totals"]["export_tasks"] == 1
    pets = dataset_id(client, PETS)
    client.post(f"/datasets/{pets}/import-tasks", json={"import_path": "/demo-bucket/pets-detection/raw/batch-01/"})
    assert emulator.admin.get("/state").json()["totals"]["import_tasks"] == 1


def test_expire_tokens_reports_count(emulator: EmulatorProcess) -> None:
    get_token(emulator)
    get_token(emulator)
    assert emulator.admin.post("/tokens/expire").json() == {"expired": 2}
    assert emulator.admin.post("/tokens/expire").json() == {"expired": 0}


def test_admin_method_and_path_errors(emulator: EmulatorProcess) -> None:
    assert emulator.admin.put("/clock").status_code == 405
    assert emulator.admin.get("/nothing").status_code == 404
    bad = emulator.admin.post("/credentials/temporary", json={"duration_seconds": 0})
    assert bad.status_code == 400
