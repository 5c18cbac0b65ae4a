"""Dataset versions: seed 003 list shape, release over time, auto names and the release rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from support.emu_helpers import FLOWERS, TICKETS, aksk_client, dataset_id
from support.emulator_process import EmulatorProcess

SEED_003_FIELDS = {
    "version_id",
    "version_name",
    "version_format",
    "previous_version_id",
    "status",
    "create_time",
    "total_sample_count",
    "annotated_sample_count",
    "total_sub_sample_count",
    "annotated_sub_sample_count",
    "manifest_path",
    "data_path",
    "is_current",
    "train_evaluate_sample_ratio",
    "remove_sample_usage",
    "export_images",
    "description",
    "task_type",
    "extract_serial_number",
}


def _versions(client: httpx.Client, dataset: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/datasets/{dataset}/versions", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_list_like_seed_003(client: httpx.Client) -> None:
    tickets = dataset_id(client, TICKETS)
    body = _versions(client, tickets)
    assert body["total_number"] == 3
    versions = body["versions"]
    assert [v["version_name"] for v in versions] == ["V003", "V002", "V001"]
    assert [v["is_current"] for v in versions] == [True, False, False]
    for version in versions[:2]:
        assert set(version) >= SEED_003_FIELDS, SEED_003_FIELDS - set(version)
    assert "previous_version_id" not in versions[2]
    assert versions[0]["previous_version_id"] == versions[1]["version_id"]
    assert versions[1]["previous_version_id"] == versions[2]["version_id"]
    v3 = versions[0]
    assert v3["status"] == 1 and v3["version_format"] == "Default" and v3["task_type"] == 100
    assert v3["manifest_path"] == (
        f"/demo-bucket/support-tickets/output/dataset-support-tickets-{tickets}/annotation/V003/V003.manifest"
    )
    assert v3["data_path"].endswith("/annotation/V003/data/")
    assert [v["annotated_sample_count"] for v in versions] == [60, 45, 30]
    assert versions[0]["previous_annotated_sample_count"] == 45 and versions[0]["modified_sample_count"] == 15
    assert versions[2]["add_sample_count"] == 60
    assert isinstance(v3["create_time"], int) and v3["create_time"] > versions[1]["create_time"]
    assert sum(stat["count"] for stat in v3["label_stats"]) == 60
    assert {stat["name"] for stat in v3["label_stats"]} == {"billing", "bug", "feature"}
    assert v3["label_type"] == "single" and v3["train_evaluate_sample_ratio"] == "1.00"


def test_release(slow_emulator: EmulatorProcess) -> None:
    http = aksk_client(slow_emulator)
    flowers = dataset_id(http, FLOWERS)
    body = {
        "version_name": "release-1",
        "description": "first",
        "train_evaluate_sample_ratio": "0.80",
        "clear_hard_property": False,
        "remove_sample_usage": False,
        "export_images": True,
    }
    response = http.post(f"/datasets/{flowers}/versions", json=body)
    assert response.status_code == 201 and list(response.json()) == ["version_id"]
    version_id = response.json()["version_id"]
    creating = http.get(f"/datasets/{flowers}/versions/{version_id}").json()
    assert creating["status"] == 0 and creating["is_current"] is False
    assert creating["version_name"] == "release-1" and creating["description"] == "first"
    assert creating["train_evaluate_sample_ratio"] == "0.80" and creating["export_images"] is True
    assert creating["clear_hard_property"] is False and creating["remove_sample_usage"] is False
    assert creating["total_sample_count"] == 120 and creating["annotated_sample_count"] == 45
    assert creating["previous_total_sample_count"] == 120 and creating["modified_sample_count"] == 0
    dataset = http.get(f"/datasets/{flowers}").json()
    assert dataset["current_version_name"] == "V002" and dataset["dataset_version_count"] == 3
    assert dataset["next_version_num"] == 4
    busy = http.get(f"/datasets/{flowers}", params={"check_running_task": "true"}).json()
    assert busy["running_tasks_id"] == [version_id]
    assert _versions(http, flowers, status=0)["total_number"] == 1
    slow_emulator.advance_clock(101)
    ready = http.get(f"/datasets/{flowers}/versions/{version_id}").json()
    assert ready["status"] == 1 and ready["is_current"] is True
    assert ready["update_time"] == ready["create_time"] + 100_000
    dataset = http.get(f"/datasets/{flowers}").json()
    assert dataset["current_version_id"] == version_id and dataset["current_version_name"] == "release-1"
    assert [v["is_current"] for v in _versions(http, flowers)["versions"]] == [True, False, False]


def test_auto_names(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    names = []
    for _ in range(3):
        response = client.post(f"/datasets/{flowers}/versions")
        assert response.status_code == 201, response.text
        names.append(client.get(f"/datasets/{flowers}/versions/{response.json()['version_id']}").json()["version_name"])
        emulator.advance_clock(61)
    assert names == ["V003", "V004", "V005"]
    assert client.get(f"/datasets/{flowers}").json()["next_version_num"] == 6


def test_auto_name_skips_taken_names(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    assert client.post(f"/datasets/{flowers}/versions", json={"version_name": "V004"}).status_code == 201
    emulator.advance_clock(61)
    created = client.post(f"/datasets/{flowers}/versions", json={}).json()["version_id"]
    assert client.get(f"/datasets/{flowers}/versions/{created}").json()["version_name"] == "V005"


def test_release_rules(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    duplicate = client.post(f"/datasets/{flowers}/versions", json={"version_name": "V002"})
    assert duplicate.status_code == 400 and duplicate.json()["error_code"] == "ModelArts.4371"
    assert client.post(f"/datasets/{flowers}/versions", json={"version_name": "a"}).status_code == 201
    # still creating (0.3 s): 4343
    creating = client.post(f"/datasets/{flowers}/versions", json={"version_name": "b"})
    assert creating.status_code == 400 and creating.json()["error_code"] in ("ModelArts.4343", "ModelArts.4370")
    emulator.advance_clock(1)
    too_soon = client.post(f"/datasets/{flowers}/versions", json={"version_name": "b"})
    assert too_soon.status_code == 400 and too_soon.json()["error_code"] == "ModelArts.4370"
    emulator.advance_clock(60)
    assert client.post(f"/datasets/{flowers}/versions", json={"version_name": "b"}).status_code == 201
    # other datasets are not limited
    assert client.post(f"/datasets/{dataset_id(client, TICKETS)}/versions", json={}).status_code == 201


def test_publishing_blocks_with_4343(slow_emulator: EmulatorProcess) -> None:
    http = aksk_client(slow_emulator)
    flowers = dataset_id(http, FLOWERS)
    assert http.post(f"/datasets/{flowers}/versions", json={}).status_code == 201
    slow_emulator.advance_clock(61)  # past the interval, still creating (100 s)
    response = http.post(f"/datasets/{flowers}/versions", json={})
    assert response.status_code == 400 and response.json()["error_code"] == "ModelArts.4343"


def test_release_interval_flag(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    em = emulator_factory("--seed", "demo", "--release-interval-seconds", "0")
    with aksk_client(em) as http:
        flowers = dataset_id(http, FLOWERS)
        assert http.post(f"/datasets/{flowers}/versions", json={}).status_code == 201
        em.advance_clock(1)
        assert http.post(f"/datasets/{flowers}/versions", json={}).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"version_name": ""},
        {"version_name": "has space"},
        {"version_name": "x" * 33},
        {"version_name": 3},
        {"version_format": "Parquet"},
        {"version_format": "CarbonData"},
        {"train_evaluate_sample_ratio": 0.8},
        {"train_evaluate_sample_ratio": "1.5"},
        {"clear_hard_property": "true"},
        {"description": "a<b"},
    ],
)
def test_create_validation(shared_emulator: EmulatorProcess, body: dict[str, Any]) -> None:
    http = aksk_client(shared_emulator)
    response = http.post(f"/datasets/{dataset_id(http, FLOWERS)}/versions", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "ModelArts.4200"
    assert next(iter(body)) in response.json()["error_msg"]


def test_filters_and_pagination(emulator: EmulatorProcess, client: httpx.Client) -> None:
    tickets = dataset_id(client, TICKETS)
    emulator.advance_clock(61)
    client.post(f"/datasets/{tickets}/versions", json={"train_evaluate_sample_ratio": "0.50"})
    assert _versions(client, tickets)["total_number"] == 4
    assert _versions(client, tickets, train_evaluate_ratio="0.4,0.6")["total_number"] == 1
    assert _versions(client, tickets, train_evaluate_ratio="0.9,1.0")["total_number"] == 3
    assert _versions(client, tickets, version_format=0)["total_number"] == 4
    assert _versions(client, tickets, version_format=2)["total_number"] == 0
    assert _versions(client, tickets, status=3)["total_number"] == 0
    page = _versions(client, tickets, limit=2, offset=1)
    assert page["total_number"] == 4 and [v["version_name"] for v in page["versions"]] == ["V002", "V001"]
    for params in (
        {"limit": 1001},
        {"limit": 0},
        {"version_format": 3},
        {"status": 9},
        {"train_evaluate_ratio": "abc"},
        {"train_evaluate_ratio": "0.9,0.1"},
    ):
        assert client.get(f"/datasets/{tickets}/versions", params=params).status_code == 400, params
    assert len(_versions(client, tickets, limit=1000)["versions"]) == 4


def test_delete(client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    current, older = _versions(client, flowers)["versions"]
    assert client.delete(f"/datasets/{flowers}/versions/{older['version_id']}").status_code == 204
    assert client.get(f"/datasets/{flowers}/versions/{older['version_id']}").json()["error_code"] == "ModelArts.4353"
    assert client.delete(f"/datasets/{flowers}/versions/{current['version_id']}").status_code == 204
    dataset = client.get(f"/datasets/{flowers}").json()
    assert "current_version_id" not in dataset and dataset["dataset_version_count"] == 0
    again = client.delete(f"/datasets/{flowers}/versions/{current['version_id']}")
    assert again.status_code == 400 and again.json()["error_code"] == "ModelArts.4353"


def test_missing_version(client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    response = client.get(f"/datasets/{flowers}/versions/XXXXXXXXXXXXXXXXXXX")
    assert response.status_code == 400
    assert response.json() == {
        "error_code": "ModelArts.4353",
        "error_msg": "Dataset version XXXXXXXXXXXXXXXXXXX does not exist.",
    }
