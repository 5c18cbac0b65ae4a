"""--db FILE: everything survives a crash (kill -9) and a restart, tokens and the clock included."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx

from support.emu_helpers import FLOWERS, aksk_client, dataset_id, get_token, token_client
from support.emulator_process import EmulatorProcess


def test_state_survives_kill_9(tmp_path: Path, emulator_factory: Callable[..., EmulatorProcess]) -> None:
    db = str(tmp_path / "emulator.db")
    first = emulator_factory("--seed", "demo", "--db", db)
    token = get_token(first)
    with aksk_client(first) as http:
        flowers = dataset_id(http, FLOWERS)
        task_id = http.post(f"/datasets/{flowers}/tasks", json={"task_type": "auto-label"}).json()["task_id"]
        created = http.post(
            "/datasets",
            json={
                "dataset_name": "kept",
                "data_sources": [{"data_type": 0, "data_path": "/b/in/"}],
                "work_path": "/b/out/",
                "work_path_type": 0,
            },
        ).json()["dataset_id"]
        version_id = http.post(f"/datasets/{flowers}/versions", json={"version_name": "persisted"}).json()["version_id"]
    first.advance_clock(3600)
    offset = first.admin.get("/clock").json()["offset_ms"]
    first.kill()

    second = emulator_factory("--seed", "demo", "--db", db)
    assert second.admin.get("/clock").json()["offset_ms"] == offset
    with token_client(second, token) as http:  # the token issued before the crash still works
        names = sorted(d["dataset_name"] for d in http.get("/datasets").json()["datasets"])
        assert names == sorted([FLOWERS, "pets-detection", "support-tickets", "kept"])  # seeded only once
        task = http.get(f"/datasets/{flowers}/tasks/{task_id}").json()
        assert task["status"] == 3  # an hour of virtual time has passed
        assert http.get(f"/datasets/{created}").json()["total_sample_count"] == 50
        version = http.get(f"/datasets/{flowers}/versions/{version_id}").json()
        assert version["status"] == 1 and version["is_current"] is True
        auto = http.get(f"/datasets/{flowers}/auto-annotations/samples").json()
        assert auto["sample_count"] == 75  # the task's side effect applied exactly once
        assert http.get(f"/datasets/{flowers}").json()["unconfirmed_sample_count"] == 75
    second.expire_tokens()
    second.stop()

    third = emulator_factory("--db", db)
    with token_client(third, token) as http:
        assert http.get("/datasets").status_code == 401  # expiry persisted too


def test_deleted_seed_datasets_stay_deleted(tmp_path: Path, emulator_factory: Callable[..., EmulatorProcess]) -> None:
    db = str(tmp_path / "emulator.db")
    first = emulator_factory("--seed", "demo", "--db", db)
    with aksk_client(first) as http:
        assert http.delete(f"/datasets/{dataset_id(http, FLOWERS)}").status_code == 204
    first.stop()
    second = emulator_factory("--seed", "demo", "--db", db)
    with aksk_client(second) as http:
        assert FLOWERS not in [d["dataset_name"] for d in http.get("/datasets").json()["datasets"]]


def test_database_is_consistent_after_a_crash_under_load(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorProcess]
) -> None:
    db = str(tmp_path / "emulator.db")
    em = emulator_factory("--db", db, "--samples-per-dataset", "200")
    with aksk_client(em) as http:
        for index in range(5):
            response = http.post(
                "/datasets",
                json={
                    "dataset_name": f"load-{index}",
                    "data_sources": [{"data_type": 0, "data_path": "/b/in/"}],
                    "work_path": "/b/out/",
                    "work_path_type": 0,
                },
            )
            assert response.status_code == 201
    em.kill()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        datasets = conn.execute("SELECT count(*) FROM objects WHERE kind='dataset'").fetchone()[0]
        samples = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
    assert samples == datasets * 200


def test_in_memory_by_default(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    first = emulator_factory("--seed", "demo")
    with aksk_client(first) as http:
        http.post(
            "/datasets",
            json={
                "dataset_name": "gone",
                "data_sources": [{"data_type": 0, "data_path": "/b/in/"}],
                "work_path": "/b/out/",
                "work_path_type": 0,
            },
        )
    first.kill()
    second = emulator_factory("--seed", "demo")
    with aksk_client(second) as http:
        assert "gone" not in [d["dataset_name"] for d in http.get("/datasets").json()["datasets"]]
    assert isinstance(httpx.__version__, str)
