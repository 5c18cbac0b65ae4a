"""Export tasks: the seed 002 examples, states, validation, export to a new dataset."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from support.emu_helpers import FLOWERS, PETS, aksk_client, dataset_id
from support.emulator_process import EmulatorProcess
from support.seed_examples import EXPORT_TO_NEW_DATASET as TO_DATASET
from support.seed_examples import EXPORT_TO_OBS as TO_OBS


def _create(client: httpx.Client, dataset: str, body: dict[str, Any]) -> str:
    response = client.post(f"/datasets/{dataset}/export-tasks", json=body)
    assert response.status_code == 200, response.text
    assert list(response.json()) == ["task_id"]
    task_id: str = response.json()["task_id"]
    assert re.fullmatch(r"[A-Za-z0-9]{19}", task_id)
    return task_id


def _get(client: httpx.Client, dataset: str, task_id: str) -> dict[str, Any]:
    response = client.get(f"/datasets/{dataset}/export-tasks/{task_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_export_to_obs(slow_emulator: EmulatorProcess) -> None:
    http = aksk_client(slow_emulator)
    flowers = dataset_id(http, FLOWERS)
    task_id = _create(http, flowers, TO_OBS)
    first = _get(http, flowers, task_id)
    assert first["status"] == "INIT" and first["progress"] == 0.0
    assert first["task_id"] == task_id and first["dataset_id"] == flowers
    assert first["path"] == TO_OBS["path"] and first["export_type"] == 3
    assert first["export_params"] == TO_OBS["export_params"]
    assert first["total_sample_count"] == 120 and first["finished_sample_count"] == 0
    assert isinstance(first["create_time"], int) and first["create_time"] > 1_600_000_000_000
    slow_emulator.advance_clock(55)
    running = _get(http, flowers, task_id)
    assert running["status"] == "RUNNING" and 45 < running["progress"] < 55
    assert 0 < running["finished_sample_count"] < 120
    assert running["update_time"] > running["create_time"]
    slow_emulator.advance_clock(50)
    done = _get(http, flowers, task_id)
    assert done["status"] == "SUCCESSED" and done["progress"] == 100.0
    assert done["finished_sample_count"] == done["total_sample_count"] == 120
    assert done["update_time"] == done["create_time"] + 100_000


def test_export_echoes_every_field(client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    version = client.get(f"/datasets/{flowers}/versions").json()["versions"][-1]["version_id"]  # V001
    body = {
        "path": "/bucket/out/",
        "export_type": 0,
        "export_format": 2,
        "export_params": {"export_dest": "DIR", "clear_hard_property": False, "train_sample_ratio": 1.0},
        "version_id": version,
        "version_format": "Default",
        "annotation_format": "VOC",
        "sample_state": "",
        "source_type_header": "s3://",
        "with_column_header": True,
        "search_conditions": [{"label_list": {"labels": [{"name": "rose"}]}}],
        "samples": [],
    }
    got = _get(client, flowers, _create(client, flowers, body))
    for key, value in body.items():
        assert got[key] == value, key
    assert got["total_sample_count"] == 30  # the labelled samples of V001


@pytest.mark.parametrize(("export_type", "expected"), [(0, 45), (1, 75), (2, 120), (3, 120)])
def test_export_types(shared_emulator: EmulatorProcess, export_type: int, expected: int) -> None:
    http = aksk_client(shared_emulator)
    flowers = dataset_id(http, FLOWERS)
    task = _get(http, flowers, _create(http, flowers, {"path": "/b/x/", "export_type": export_type}))
    assert task["total_sample_count"] == expected


def test_search_conditions(shared_emulator: EmulatorProcess) -> None:
    http = aksk_client(shared_emulator)
    flowers = dataset_id(http, FLOWERS)
    rose = {"path": "/b/", "export_type": 3, "search_conditions": [{"label_list": {"labels": [{"name": "rose"}]}}]}
    assert _get(http, flowers, _create(http, flowers, rose))["total_sample_count"] == 15
    either = {
        "path": "/b/",
        "export_type": 3,
        "export_params": {
            "search_conditions": [
                {"label_list": {"labels": [{"name": "rose"}]}},
                {"label_list": {"labels": [{"name": "tulip"}]}},
            ]
        },
    }
    assert _get(http, flowers, _create(http, flowers, either))["total_sample_count"] == 30
    unlabelled = {"path": "/b/", "export_type": 3, "export_params": {"sample_state": "__NONE__"}}
    assert _get(http, flowers, _create(http, flowers, unlabelled))["total_sample_count"] == 75
    labelled = {"path": "/b/", "export_type": 3, "sample_state": "ALL"}  # the bare spelling works too
    assert _get(http, flowers, _create(http, flowers, labelled))["total_sample_count"] == 45


def test_export_to_new_dataset(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    task_id = _create(client, flowers, dict(TO_DATASET, export_type=0))
    names = [d["dataset_name"] for d in client.get("/datasets").json()["datasets"]]
    assert "dataset-export-test" not in names
    emulator.advance_clock(1)
    assert _get(client, flowers, task_id)["status"] == "SUCCESSED"
    new = client.get(f"/datasets/{dataset_id(client, 'dataset-export-test')}").json()
    assert new["work_path"] == "/test-obs/classify/output/"
    assert new["total_sample_count"] == new["annotated_sample_count"] == 45
    assert new["dataset_type"] == 0
    assert [label["name"] for label in new["labels"]] == ["rose", "daisy", "tulip"]
    # the new dataset can be worked on
    created = client.post(f"/datasets/{new['dataset_id']}/versions", json={"version_name": "V001"})
    assert created.status_code == 201


def test_export_to_an_existing_name_fails(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    body = dict(TO_DATASET, export_params=dict(TO_DATASET["export_params"], export_new_dataset_name=PETS))
    task_id = _create(client, flowers, body)
    emulator.advance_clock(1)
    task = _get(client, flowers, task_id)
    assert task["status"] == "FAILED"
    assert task["error_code"] == "ModelArts.4351" and PETS in task["error_msg"]
    assert client.get("/datasets").json()["total_number"] == 3


def test_list_exports(client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    first = _create(client, flowers, dict(TO_OBS, export_type=0))
    second = _create(client, flowers, dict(TO_OBS, export_type=1))
    third = _create(client, flowers, TO_OBS)
    body = client.get(f"/datasets/{flowers}/export-tasks").json()
    assert body["total_count"] == 3
    assert [t["task_id"] for t in body["export_tasks"]] == [third, second, first]
    filtered = client.get(f"/datasets/{flowers}/export-tasks", params={"export_type": 1}).json()
    assert filtered["total_count"] == 1 and filtered["export_tasks"][0]["task_id"] == second
    page = client.get(f"/datasets/{flowers}/export-tasks", params={"limit": 2, "offset": 1}).json()
    assert [t["task_id"] for t in page["export_tasks"]] == [first] and page["total_count"] == 3
    assert client.get(f"/datasets/{flowers}/export-tasks", params={"export_type": 4}).status_code == 400
    assert client.get(f"/datasets/{dataset_id(client, PETS)}/export-tasks").json() == {
        "total_count": 0,
        "export_tasks": [],
    }


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"export_type": 0}, "ModelArts.4358"),
        ({"path": "test-obs/no-slash/"}, "ModelArts.4358"),
        ({"path": "/b/", "export_type": 4}, "ModelArts.4384"),
        ({"path": "/b/", "export_type": "0"}, "ModelArts.4384"),
        ({"path": "/b/", "export_format": 3}, "ModelArts.4384"),
        ({"path": "/b/", "version_format": "Parquet"}, "ModelArts.4384"),
        ({"path": "/b/", "export_params": {"export_dest": "S3"}}, "ModelArts.4384"),
        ({"path": "/b/", "export_params": {"export_dest": "NEW_DATASET"}}, "ModelArts.4384"),
        (
            {
                "export_params": {
                    "export_dest": "NEW_DATASET",
                    "export_new_dataset_name": "a b",
                    "export_new_dataset_work_path": "/x/",
                }
            },
            "ModelArts.4384",
        ),
        (
            {
                "export_params": {
                    "export_dest": "NEW_DATASET",
                    "export_new_dataset_name": "ab",
                    "export_new_dataset_work_path": "x/",
                }
            },
            "ModelArts.4384",
        ),
        ({"path": "/b/", "version_id": "nosuchversion000000"}, "ModelArts.4353"),
        ({"path": "/b/", "samples": [1, 2]}, "ModelArts.4384"),
        ({"path": "/b/", "with_column_header": "yes"}, "ModelArts.4384"),
    ],
)
def test_export_validation(shared_emulator: EmulatorProcess, body: dict[str, Any], code: str) -> None:
    http = aksk_client(shared_emulator)
    response = http.post(f"/datasets/{dataset_id(http, FLOWERS)}/export-tasks", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == code


def test_new_dataset_export_needs_no_path(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    body = {"export_type": 2, "export_params": dict(TO_DATASET["export_params"], export_new_dataset_name="copy")}
    task_id = _create(client, flowers, body)
    emulator.advance_clock(1)
    assert _get(client, flowers, task_id)["status"] == "SUCCESSED"
    assert client.get(f"/datasets/{dataset_id(client, 'copy')}").json()["total_sample_count"] == 120


def test_missing_export(client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    response = client.get(f"/datasets/{flowers}/export-tasks/XXXXXXXXXXXXXXXXXXX")
    assert response.status_code == 400 and response.json()["error_code"] == "ModelArts.4359"
    missing_dataset = client.post("/datasets/nope/export-tasks", json=TO_OBS)
    assert missing_dataset.json()["error_code"] == "ModelArts.4352"
