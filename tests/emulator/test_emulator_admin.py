"""The admin API: request statistics, the virtual clock, the state dump and the reset."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import httpx
import pytest

from support.emu_helpers import FLOWERS, PETS, aksk_client, dataset_id, get_token
from support.emulator_process import FAST_FLAGS, EmulatorProcess, start_emulator


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


def test_reset_returns_to_the_start(tmp_path: Path) -> None:
    """What tests that share an emulator rely on: after a reset it is as freshly started (seed, clock, stats,
    faults, tokens); a reset without a body returns to the command line's start, also after a reset with flags;
    with --db it is refused, the database keeping its state."""
    emulator = start_emulator(*FAST_FLAGS, "--seed", "demo", "--fault", '{"action": "latency", "latency_ms": 1}')
    try:
        fresh = emulator.admin.get("/state").json()
        configured = emulator.admin.get("/faults").json()
        token = get_token(emulator)
        with aksk_client(emulator) as client:
            flowers = dataset_id(client, FLOWERS)
            assert client.post(f"/datasets/{flowers}/tasks", json={"task_type": "auto-label"}).status_code == 200
        emulator.advance_clock(3600)
        emulator.set_faults([{"action": "error", "method": "GET", "route": "*", "times": 1}])

        assert emulator.admin.post("/reset").status_code == 204
        state = emulator.admin.get("/state").json()
        assert state["totals"] == {**fresh["totals"], "tokens": 0}
        assert state["datasets"] == fresh["datasets"]  # the task started above is gone, the seed as it was
        assert emulator.admin.get("/clock").json()["offset_ms"] == 0
        assert emulator.stats() == {"requests": {}, "total": 0, "writes": 0, "auth": 0}
        assert emulator.admin.get("/faults").json() == configured
        validated = httpx.get(
            f"{emulator.url}/v3/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token}
        )
        assert validated.status_code == 401, "a token of before the reset is unknown"

        assert emulator.admin.post("/reset", json={"flags": ["--admin", "--project-id", "f" * 32]}).status_code == 204
        assert emulator.admin.get("/state").json()["totals"]["datasets"] == 0
        assert emulator.admin.post("/reset", content=b"").status_code == 204
        assert emulator.admin.get("/state").json()["datasets"] == fresh["datasets"]
        assert emulator.admin.get("/faults").json() == configured
        with aksk_client(emulator) as client:  # the command line's project and credentials again
            assert client.get("/datasets").status_code == 200
    finally:
        emulator.stop()

    kept = start_emulator(*FAST_FLAGS, "--seed", "demo", "--db", str(tmp_path / "state.db"))
    try:
        refused = kept.admin.post("/reset")
        assert refused.status_code == 400 and "--db" in refused.json()["error_msg"]
    finally:
        kept.stop()


def test_reset_with_flags_plays_the_start_they_describe(emulator: EmulatorProcess, tmp_path: Path) -> None:
    """The seed file, the durations, the reading, the fault rules and the credentials of the flags hold from the
    reset on, over the same socket; the clock, tokens and stats start anew."""
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"datasets": [{"name": "birds", "labels": ["owl"], "samples": 7}]}))
    fault = {"action": "error", "method": "DELETE", "route": "/v2/{project_id}/datasets/{dataset_id}", "status": 503}
    played = dataclasses.replace(
        emulator, access_key="RESETACCESSKEY000001", secret_key="reset-secret", project_id="f" * 32, _admin=None
    )
    get_token(emulator)
    emulator.advance_clock(60)
    flags = [
        *("--admin", "--seed", str(seed), "--export-seconds", "600", "--reading", "cloud-strict"),
        *("--fault", json.dumps(fault), "--access-key", played.access_key, "--secret-key", played.secret_key),
        *("--project-id", played.project_id),
    ]
    assert emulator.admin.post("/reset", json={"flags": flags}).status_code == 204

    assert emulator.admin.get("/clock").json()["offset_ms"] == 0
    state = emulator.admin.get("/state").json()
    assert [(d["dataset_name"], d["samples"]) for d in state["datasets"]] == [("birds", 7)]
    assert state["totals"]["tokens"] == 0
    assert emulator.admin.get("/faults").json()["rules"][0]["status"] == 503
    with aksk_client(emulator) as old:
        assert old.get("/datasets").status_code in (401, 403), "the credentials of before the reset are unknown"
    with aksk_client(played) as client:
        birds = dataset_id(client, "birds")
        export = client.post(f"/datasets/{birds}/export-tasks", json={"path": "/b/"}).json()
        emulator.advance_clock(599)
        assert client.get(f"/datasets/{birds}/export-tasks/{export['task_id']}").json()["status"] == "RUNNING"
        emulator.advance_clock(2)
        assert client.get(f"/datasets/{birds}/export-tasks/{export['task_id']}").json()["status"] == "SUCCESSED"
        refused = client.delete(f"/datasets/{birds}")
        assert refused.status_code == 503
        assert "request_id" in refused.json(), "cloud-strict: error bodies carry the request id"
    assert emulator.stats()["writes"] == 2


STRICT = ["--reading", "cloud-strict"]  # beside each mistake: were it played, errors would carry a request id


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"flags": [*STRICT, "--task-seconds", "-1"]}, "--task-seconds"),
        ({"flags": ["--reading", "strictest"]}, "--reading"),
        ({"flags": [*STRICT, "--no-such-flag"]}, "--no-such-flag"),
        ({"flags": [*STRICT, "--fault", '{"action": "explode"}']}, "action"),
        ({"flags": [*STRICT, "--seed", "/no/such/seed.json"]}, "/no/such/seed.json"),
        ({"flags": [*STRICT, "--db", "state.db"]}, "--db"),
        ({"flags": [*STRICT, "--port", "8380"]}, "--port"),
        ({"flags": [*STRICT, "--help"]}, "--help"),
        ({"flags": "--reading cloud-strict"}, "flags"),
        ({"flag": STRICT}, "flags"),
    ],
)
def test_reset_with_bad_flags_is_refused_and_changes_nothing(
    emulator: EmulatorProcess, body: dict[str, object], named: str
) -> None:
    with aksk_client(emulator) as client:
        flowers = dataset_id(client, FLOWERS)
        assert client.post(f"/datasets/{flowers}/tasks", json={"task_type": "auto-label"}).status_code == 200
    emulator.advance_clock(60)
    emulator.set_faults([{"action": "latency", "latency_ms": 1}])
    before = (emulator.admin.get("/state").json(), emulator.admin.get("/faults").json(), emulator.stats())

    refused = emulator.admin.post("/reset", json=body)

    assert refused.status_code == 400
    assert refused.json()["error_code"] == "Emulator.0400" and named in refused.json()["error_msg"]
    after = (emulator.admin.get("/state").json(), emulator.admin.get("/faults").json(), emulator.stats())
    assert after[0]["totals"]["tasks"] == 1 and after[0]["now"] >= before[0]["now"]
    assert (after[0]["datasets"], *after[1:]) == (before[0]["datasets"], *before[1:])
    assert emulator.admin.get("/clock").json()["offset_ms"] == 60_000
    with aksk_client(emulator) as client:  # the same credentials, and still lenient: no request id in errors
        assert "request_id" not in client.get("/datasets/unknown").json()
