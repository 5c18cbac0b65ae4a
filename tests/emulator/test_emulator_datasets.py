"""Datasets: list (page index pagination, filters), create, get, update, delete."""

from __future__ import annotations

import re

import httpx

from support.emu_helpers import FLOWERS, PETS, TICKETS, aksk_client, dataset_id, pages
from support.emulator_process import EmulatorProcess

ID = re.compile(r"^[A-Za-z0-9]{19}$")

NEW = {
    "dataset_name": "cars",
    "data_sources": [{"data_type": 0, "data_path": "/my-bucket/cars/input/"}],
    "work_path": "/my-bucket/cars/output/",
    "work_path_type": 0,
    "dataset_type": 0,
    "description": "my cars",
    "labels": [{"name": "sedan"}, {"name": "suv", "type": 0, "property": {"@modelarts:color": "#ff0000"}}],
}


def test_list_shape_and_seed(client: httpx.Client) -> None:
    response = client.get("/datasets")
    assert response.status_code == 200
    body = response.json()
    assert body["total_number"] == 3
    by_name = {d["dataset_name"]: d for d in body["datasets"]}
    assert set(by_name) == {FLOWERS, PETS, TICKETS}
    flowers = by_name[FLOWERS]
    assert ID.match(flowers["dataset_id"])
    assert (flowers["dataset_type"], flowers["total_sample_count"], flowers["annotated_sample_count"]) == (0, 120, 45)
    assert flowers["current_version_name"] == "V002" and flowers["dataset_version_count"] == 2
    assert flowers["next_version_num"] == 3 and flowers["status"] == 1
    assert flowers["work_path"] == "/demo-bucket/flowers/output/"
    inner = f"/demo-bucket/flowers/output/dataset-flowers-{flowers['dataset_id']}/"
    assert flowers["inner_work_path"] == inner
    assert flowers["inner_annotation_path"] == inner + "annotation/"
    assert isinstance(flowers["create_time"], int) and flowers["create_time"] > 1_600_000_000_000
    assert "labels" not in flowers  # with_labels defaults to false
    assert (by_name[PETS]["dataset_type"], by_name[PETS]["annotated_sample_count"]) == (1, 30)
    assert by_name[TICKETS]["total_sample_count"] == by_name[TICKETS]["annotated_sample_count"] == 60
    assert by_name[TICKETS]["current_version_name"] == "V003"
    # newest first
    times = [d["create_time"] for d in body["datasets"]]
    assert times == sorted(times, reverse=True)


def test_list_filters_and_sorting(client: httpx.Client) -> None:
    def names(**params: object) -> list[str]:
        response = client.get("/datasets", params=params)
        assert response.status_code == 200, response.text
        return [d["dataset_name"] for d in response.json()["datasets"]]

    assert names(search_content="ower") == [FLOWERS]
    assert names(search_content="nothing") == []
    assert names(dataset_type=100) == [TICKETS]
    assert names(sort_by="dataset_name", order="asc") == [FLOWERS, PETS, TICKETS]
    assert names(sort_by="dataset_name") == [TICKETS, PETS, FLOWERS]
    assert names(sort_by="create_time", order="asc")[0] == TICKETS
    labelled = client.get("/datasets", params={"with_labels": "true", "search_content": FLOWERS}).json()
    assert [label["name"] for label in labelled["datasets"][0]["labels"]] == ["rose", "daisy", "tulip"]


def test_pagination_is_a_page_index(client: httpx.Client) -> None:
    for index in range(7):
        body = dict(NEW, dataset_name=f"page-{index}", labels=[])
        assert client.post("/datasets", json=body).status_code == 201
    everything = [d["dataset_id"] for d in client.get("/datasets", params={"limit": 100}).json()["datasets"]]
    assert len(everything) == 10
    seen = [d["dataset_id"] for page in pages(client, "/datasets", "datasets", 3) for d in page]
    assert seen == everything
    second = client.get("/datasets", params={"offset": 1, "limit": 3}).json()
    assert second["total_number"] == 10
    assert [d["dataset_id"] for d in second["datasets"]] == everything[3:6]
    assert client.get("/datasets", params={"offset": 4, "limit": 3}).json()["datasets"] == []


def test_list_limits(client: httpx.Client) -> None:
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"limit": "x"},
        {"offset": -1},
        {"order": "up"},
        {"sort_by": "size"},
        {"check_running_task": "maybe"},
    ):
        response = client.get("/datasets", params=params)
        assert response.status_code == 400, params
        body = response.json()
        assert body["error_code"] == "ModelArts.4200"
        assert next(iter(params)) in body["error_msg"]
    assert len(client.get("/datasets", params={"limit": 1}).json()["datasets"]) == 1


def test_create_get_update_delete(client: httpx.Client) -> None:
    response = client.post("/datasets", json=NEW)
    assert response.status_code == 201
    new_id = response.json()["dataset_id"]
    assert ID.match(new_id)
    got = client.get(f"/datasets/{new_id}").json()
    assert got["dataset_name"] == "cars" and got["description"] == "my cars"
    assert got["total_sample_count"] == 50 and got["annotated_sample_count"] == 0
    assert got["dataset_version_count"] == 0 and got["next_version_num"] == 1
    assert "current_version_id" not in got
    assert got["labels"][0] == {"name": "sedan", "type": 0, "property": {}, "attributes": []}
    assert got["labels"][1]["property"] == {"@modelarts:color": "#ff0000"}
    assert got["data_sources"] == NEW["data_sources"]
    assert got["inner_work_path"] == f"/my-bucket/cars/output/dataset-cars-{new_id}/"

    update = {
        "dataset_name": "cars-2",
        "description": "renamed",
        "add_labels": [{"name": "truck"}],
        "delete_labels": [{"name": "sedan"}],
    }
    response = client.put(f"/datasets/{new_id}", json=update)
    assert response.status_code == 200 and response.json() == {"dataset_id": new_id}
    got = client.get(f"/datasets/{new_id}").json()
    assert got["dataset_name"] == "cars-2" and got["description"] == "renamed"
    assert [label["name"] for label in got["labels"]] == ["suv", "truck"]
    assert got["update_time"] >= got["create_time"]

    assert client.delete(f"/datasets/{new_id}").status_code == 204
    missing = client.get(f"/datasets/{new_id}")
    assert missing.status_code == 400
    assert missing.json() == {"error_code": "ModelArts.4352", "error_msg": f"Dataset {new_id} does not exist."}
    assert client.delete(f"/datasets/{new_id}").json()["error_code"] == "ModelArts.4352"
    assert client.put(f"/datasets/{new_id}", json={"description": "x"}).json()["error_code"] == "ModelArts.4352"


def test_delete_removes_everything_on_the_dataset(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    task = client.post(f"/datasets/{flowers}/tasks", json={"task_type": "auto-label"}).json()["task_id"]
    assert client.delete(f"/datasets/{flowers}").status_code == 204
    assert client.get(f"/datasets/{flowers}/tasks/{task}").json()["error_code"] == "ModelArts.4352"
    state = emulator.admin.get("/state").json()
    assert state["totals"]["datasets"] == 2 and state["totals"]["tasks"] == 0
    assert state["totals"]["versions"] == 4  # pets 1 + tickets 3


def test_duplicate_name(client: httpx.Client) -> None:
    response = client.post("/datasets", json=dict(NEW, dataset_name=FLOWERS))
    assert response.status_code == 400 and response.json()["error_code"] == "ModelArts.4351"
    pets = dataset_id(client, PETS)
    renamed = client.put(f"/datasets/{pets}", json={"dataset_name": FLOWERS})
    assert renamed.status_code == 400 and renamed.json()["error_code"] == "ModelArts.4351"


def test_create_validation(client: httpx.Client) -> None:
    cases = {
        "dataset_name": [None, "", "has space", "x" * 101, 5],
        "work_path": [None, "no-leading-slash", 3],
        "work_path_type": [None, 7, "0"],
        "data_sources": [None, [], "x", [1]],
        "dataset_type": [2, "0", True],
        "labels": ["rose", [{"type": 0}], [{"name": "a"}, {"name": "a"}]],
        "description": ["<script>", "x" * 257],
    }
    for field, values in cases.items():
        for value in values:
            body = dict(NEW)
            if value is None:
                body.pop(field)
            else:
                body[field] = value
            response = client.post("/datasets", json=body)
            assert response.status_code == 400, (field, value, response.text)
            assert response.json()["error_code"] == "ModelArts.4200"
            assert field in response.json()["error_msg"], response.json()


def test_check_running_task(slow_emulator: EmulatorProcess) -> None:
    client = aksk_client(slow_emulator)
    flowers = dataset_id(client, FLOWERS)
    idle = client.get(f"/datasets/{flowers}", params={"check_running_task": "true"}).json()
    assert idle["exist_running_task"] is False and idle["running_tasks_id"] == []
    plain = client.get(f"/datasets/{flowers}").json()
    assert "exist_running_task" not in plain
    task = client.post(f"/datasets/{flowers}/tasks", json={"task_type": "auto-label"}).json()["task_id"]
    busy = client.get(f"/datasets/{flowers}", params={"check_running_task": "true"}).json()
    assert busy["exist_running_task"] is True and busy["running_tasks_id"] == [task]
    other_type = client.get(f"/datasets/{flowers}", params={"check_running_task": "true", "running_task_type": 2})
    assert other_type.json()["running_tasks_id"] == []
