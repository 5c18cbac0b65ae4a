"""Intelligent tasks: the seed 000 examples, states over virtual time, stop, the one-running rules,
auto-label preconditions, and the labels a finished task proposes (seed 001)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from support.emu_helpers import FLOWERS, PETS, TICKETS, aksk_client, dataset_id, token_client
from support.emulator_process import EmulatorProcess
from support.seed_examples import AUTO_GROUPING, AUTO_LABEL, PRE_LABEL

ID = re.compile(r"^[A-Za-z0-9]{19}$")


@pytest.fixture
def slow(slow_emulator: EmulatorProcess) -> httpx.Client:
    return aksk_client(slow_emulator)


def _start(client: httpx.Client, dataset: str, body: dict[str, Any]) -> str:
    response = client.post(f"/datasets/{dataset}/tasks", json=body)
    assert response.status_code == 200, response.text
    assert list(response.json()) == ["task_id"]
    task_id: str = response.json()["task_id"]
    assert ID.match(task_id)
    return task_id


def _task(client: httpx.Client, dataset: str, task_id: str) -> dict[str, Any]:
    response = client.get(f"/datasets/{dataset}/tasks/{task_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_seed_examples_start_and_finish(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    pets = dataset_id(client, PETS)
    auto = _start(client, flowers, AUTO_LABEL)
    pre = _start(client, pets, PRE_LABEL)
    grouping = _start(client, flowers, AUTO_GROUPING)
    emulator.advance_clock(2)
    for dataset, task_id, kind in ((flowers, auto, 0), (pets, pre, 1), (flowers, grouping, 2)):
        task = _task(client, dataset, task_id)
        assert task["task_id"] == task_id and task["type"] == kind
        assert task["status"] == 3 and task["progress"] == 100.0
        assert task["code"] == "ModelArts.4996"
        assert task["resource_id"] == dataset and task["dataset_id"] == dataset
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", task["create_time"])
        assert isinstance(task["elapsed_time"], int)
    auto_task = _task(client, flowers, auto)
    assert auto_task["config"]["algorithm_type"] == "fast"
    assert auto_task["config"]["name"] == auto_task["task_name"]
    assert auto_task["result"]["train_job_name"].startswith("AUTO_TRAINING_")
    assert auto_task["result"]["train_job_id"] and auto_task["result"]["version_id"]
    assert [e["name"] for e in auto_task["result"]["events"]] == [
        "start",
        "init",
        "labeling",
        "result_processing",
        "end",
    ]
    assert all(e["status"] == "success" for e in auto_task["result"]["events"])
    assert auto_task["result"]["total_sample_count"] == 120 and auto_task["result"]["annotated_sample_count"] == 45
    assert auto_task["result"]["unconfirmed_sample_count"] == 75
    pre_task = _task(client, pets, pre)
    assert pre_task["model_id"] == PRE_LABEL["model_id"]
    assert pre_task["config"]["inf_config_list"] == PRE_LABEL["config"]["inf_config_list"]
    assert pre_task["result"]["service_id"]
    assert _task(client, flowers, grouping)["config"]["n_clusters"] == "2"


def test_states_follow_the_virtual_clock(slow_emulator: EmulatorProcess, slow: httpx.Client) -> None:
    flowers = dataset_id(slow, FLOWERS)
    task_id = _start(slow, flowers, AUTO_LABEL)
    first = _task(slow, flowers, task_id)
    assert (first["status"], first["progress"], first["code"]) == (-1, 0.0, "ModelArts.4914")
    assert first["result"]["events"][0]["status"] == "running"
    slow_emulator.advance_clock(6)
    assert _task(slow, flowers, task_id)["status"] == 0
    slow_emulator.advance_clock(10)  # 16 s of 100
    running = _task(slow, flowers, task_id)
    assert running["status"] == 1 and 5.0 < running["progress"] < 9.0
    assert running["elapsed_time"] in (15, 16, 17)
    labeling = running["result"]["events"][2]
    assert labeling["status"] == "running"
    assert [e["status"] for e in labeling["events"]] == ["success", "success", "running", "waiting"]
    slow_emulator.advance_clock(40)  # 56 s
    halfway = _task(slow, flowers, task_id)
    assert halfway["status"] == 1 and 50.0 < halfway["progress"] < 53.0
    assert halfway["progress"] > running["progress"]
    assert isinstance(halfway["progress"], float)
    slow_emulator.advance_clock(45)
    done = _task(slow, flowers, task_id)
    assert (done["status"], done["progress"], done["code"]) == (3, 100.0, "ModelArts.4996")
    assert done["elapsed_time"] in (99, 100, 101)


def test_stop(slow_emulator: EmulatorProcess, slow: httpx.Client) -> None:
    flowers = dataset_id(slow, FLOWERS)
    task_id = _start(slow, flowers, AUTO_LABEL)
    slow_emulator.advance_clock(30)
    before = _task(slow, flowers, task_id)["progress"]
    response = slow.post(f"/datasets/{flowers}/tasks/{task_id}/stop")
    assert response.status_code == 204 and response.content == b""
    stopping = _task(slow, flowers, task_id)
    assert stopping["status"] == 4 and stopping["progress"] == pytest.approx(before, abs=1)
    # stopping again is accepted
    assert slow.post(f"/datasets/{flowers}/tasks/{task_id}/stop").status_code == 204
    slow_emulator.advance_clock(11)
    stopped = _task(slow, flowers, task_id)
    assert stopped["status"] == 5 and stopped["progress"] < 100
    assert slow.post(f"/datasets/{flowers}/tasks/{task_id}/stop").status_code == 204
    # a stopped task proposes nothing, and a new one may start
    assert slow.get(f"/datasets/{flowers}/auto-annotations/samples").json()["sample_count"] == 0
    _start(slow, flowers, dict(AUTO_LABEL, config={"name": "second-try"}))


def test_stopping_a_finished_task(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    task_id = _start(client, flowers, AUTO_LABEL)
    emulator.advance_clock(2)
    response = client.post(f"/datasets/{flowers}/tasks/{task_id}/stop")
    assert response.status_code == 400
    assert response.json()["error_code"] == "ModelArts.4393" and "succeeded" in response.json()["error_msg"]


def test_one_running_task_of_a_kind(slow_emulator: EmulatorProcess, slow: httpx.Client) -> None:
    flowers = dataset_id(slow, FLOWERS)
    _start(slow, flowers, AUTO_LABEL)
    again = slow.post(f"/datasets/{flowers}/tasks", json=AUTO_LABEL)
    assert again.status_code == 501 and again.json()["error_code"] == "ModelArts.4386"
    pre = _start(slow, flowers, PRE_LABEL)  # another kind may run at the same time
    again = slow.post(f"/datasets/{flowers}/tasks", json=PRE_LABEL)
    assert again.status_code == 501 and again.json()["error_code"] == "ModelArts.4387"
    _start(slow, flowers, AUTO_GROUPING)
    again = slow.post(f"/datasets/{flowers}/tasks", json=AUTO_GROUPING)
    assert again.status_code == 400 and again.json()["error_code"] == "ModelArts.4409"
    # other datasets are not affected
    _start(slow, dataset_id(slow, PETS), AUTO_LABEL)
    # once the first ones are over, new ones start
    slow.post(f"/datasets/{flowers}/tasks/{pre}/stop")
    slow_emulator.advance_clock(11)
    _start(slow, flowers, dict(PRE_LABEL, config={"name": "pre-2"}))
    slow_emulator.advance_clock(101)
    _start(slow, flowers, dict(AUTO_LABEL, config={"name": "auto-2"}))


def test_task_names(client: httpx.Client, emulator: EmulatorProcess) -> None:
    flowers = dataset_id(client, FLOWERS)
    named = dict(AUTO_GROUPING, config=dict(AUTO_GROUPING["config"], name="pm-group-abc123"))
    task_id = _start(client, flowers, named)
    assert _task(client, flowers, task_id)["task_name"] == "pm-group-abc123"
    emulator.advance_clock(2)
    again = client.post(f"/datasets/{flowers}/tasks", json=named)
    assert again.status_code == 400 and again.json()["error_code"] == "ModelArts.4391"
    # the name is per dataset
    _start(client, dataset_id(client, PETS), named)


def test_list_tasks(client: httpx.Client, emulator: EmulatorProcess) -> None:
    flowers = dataset_id(client, FLOWERS)
    auto = _start(client, flowers, dict(AUTO_LABEL, config={"name": "one"}))
    pre = _start(client, flowers, dict(PRE_LABEL, config={"name": "two"}))
    group = _start(client, flowers, dict(AUTO_GROUPING, config={"name": "three"}))
    body = client.get(f"/datasets/{flowers}/tasks").json()
    assert body["total_count"] == 2 and body["exist_running_deploy_task"] is False
    assert [t["task_id"] for t in body["tasks"]] == [pre, auto]  # newest first, no auto-grouping
    item = body["tasks"][0]
    for field in (
        "task_id",
        "task_name",
        "dataset_id",
        "type",
        "create_time",
        "status",
        "code",
        "message",
        "elapsed_time",
        "progress",
        "result",
        "config",
        "total_sample_count",
        "annotated_sample_count",
        "unconfirmed_sample_count",
        "model_id",
    ):
        assert field in item, field
    grouping = client.get(f"/datasets/{flowers}/tasks", params={"type": "auto-grouping"}).json()
    assert [t["task_id"] for t in grouping["tasks"]] == [group] and grouping["tasks"][0]["type"] == 2
    only_auto = client.get(f"/datasets/{flowers}/tasks", params={"type": "auto-label"}).json()
    assert [t["task_id"] for t in only_auto["tasks"]] == [auto]
    by_name = client.get(f"/datasets/{flowers}/tasks", params={"task_name": "two"}).json()
    assert [t["task_id"] for t in by_name["tasks"]] == [pre]
    assert client.get(f"/datasets/{flowers}/tasks", params={"task_name": "tw"}).json()["total_count"] == 0
    page = client.get(f"/datasets/{flowers}/tasks", params={"limit": 1, "offset": 1}).json()
    assert page["total_count"] == 2 and [t["task_id"] for t in page["tasks"]] == [auto]
    bad = client.get(f"/datasets/{flowers}/tasks", params={"type": "auto-deploy"})
    assert bad.status_code == 400 and "type" in bad.json()["error_msg"]
    assert client.get(f"/datasets/{flowers}/tasks", params={"limit": 101}).status_code == 400


def test_auto_grouping_type_flag(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    em = emulator_factory("--seed", "demo", "--auto-grouping-type", "7")
    with aksk_client(em) as http:
        flowers = dataset_id(http, FLOWERS)
        task_id = _start(http, flowers, AUTO_GROUPING)
        assert _task(http, flowers, task_id)["type"] == 7


def test_missing_task(client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    response = client.get(f"/datasets/{flowers}/tasks/XXXXXXXXXXXXXXXXXXX")
    assert response.status_code == 400 and response.json()["error_code"] == "ModelArts.4612"
    stop = client.post(f"/datasets/{flowers}/tasks/XXXXXXXXXXXXXXXXXXX/stop")
    assert stop.status_code == 400 and stop.json()["error_code"] == "ModelArts.4612"
    # a task of another dataset is not found either
    task_id = _start(client, flowers, AUTO_GROUPING)
    other = client.get(f"/datasets/{dataset_id(client, PETS)}/tasks/{task_id}")
    assert other.json()["error_code"] == "ModelArts.4612"


def test_missing_task_status_404(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    em = emulator_factory("--seed", "demo", "--missing-task-status", "404")
    with aksk_client(em) as http:
        flowers = dataset_id(http, FLOWERS)
        response = http.get(f"/datasets/{flowers}/tasks/nope")
        assert response.status_code == 404 and response.json()["error_code"] == "ModelArts.4612"
        export = http.get(f"/datasets/{flowers}/export-tasks/nope")
        assert export.status_code == 404 and export.json()["error_code"] == "ModelArts.4359"
        # datasets stay 400
        assert http.get("/datasets/nope").status_code == 400


def test_auto_label_preconditions(client: httpx.Client) -> None:
    tickets = dataset_id(client, TICKETS)  # every sample labelled
    response = client.post(f"/datasets/{tickets}/tasks", json=AUTO_LABEL)
    assert response.status_code == 400 and response.json()["error_code"] == "ModelArts.4407"
    one_label = client.post(
        "/datasets",
        json={
            "dataset_name": "one-label",
            "data_sources": [{"data_type": 0, "data_path": "/b/in/"}],
            "work_path": "/b/out/",
            "work_path_type": 0,
            "labels": [{"name": "only"}],
        },
    ).json()["dataset_id"]
    response = client.post(f"/datasets/{one_label}/tasks", json=AUTO_LABEL)
    assert response.status_code == 400 and response.json()["error_code"] == "ModelArts.4405"
    client.put(f"/datasets/{one_label}", json={"add_labels": [{"name": "second"}]})
    response = client.post(f"/datasets/{one_label}/tasks", json=AUTO_LABEL)
    assert response.status_code == 400 and response.json()["error_code"] == "ModelArts.4406"
    assert "only (0)" in response.json()["error_msg"]


def test_preconditions_as_failed_task(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    em = emulator_factory("--seed", "demo", "--preconditions", "fail-task")
    with aksk_client(em) as http:
        tickets = dataset_id(http, TICKETS)
        task_id = _start(http, tickets, AUTO_LABEL)
        em.advance_clock(2)
        task = _task(http, tickets, task_id)
        assert task["status"] == 2
        assert task["error_code"] == "ModelArts.4407" and task["code"] == "ModelArts.4407"
        assert task["error_msg"]
        assert task["result"]["events"][1]["status"] == "failed"


def test_pre_label_needs_a_model(client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    response = client.post(f"/datasets/{flowers}/tasks", json={"task_type": "pre-label"})
    assert response.status_code == 400
    assert response.json()["error_code"] == "ModelArts.4200" and "model_id" in response.json()["error_msg"]
    _start(client, flowers, {"task_type": "pre-label", "config": {"model_id": "m-1"}})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"task_type": "auto-labelling"}, "task_type"),
        ({"task_type": 1}, "task_type"),
        ({"collect_key_sample": "yes"}, "collect_key_sample"),
        ({"config": []}, "config"),
        ({"config": {"algorithm_type": "fastest"}}, "config.algorithm_type"),
        ({"config": {"n_clusters": "two"}}, "config.n_clusters"),
        ({"config": {"result_type": 3}}, "config.result_type"),
        ({"config": {"inf_config_list": [{"instance_count": "1"}]}}, "config.inf_config_list[0].instance_count"),
        ({"config": {"export_params": {"export_dest": "S3"}}}, "config.export_params.export_dest"),
        ({"config": {"name": ""}}, "config.name"),
        ({"model_id": 5, "task_type": "pre-label"}, "model_id"),
    ],
)
def test_task_validation(shared_emulator: EmulatorProcess, body: dict[str, Any], field: str) -> None:
    with aksk_client(shared_emulator) as http:
        flowers = dataset_id(http, FLOWERS)
        response = http.post(f"/datasets/{flowers}/tasks", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] in ("ModelArts.4200", "ModelArts.4384")
    assert f"'{field}'" in response.json()["error_msg"]


def test_auto_annotations_and_confirmation(emulator: EmulatorProcess) -> None:
    http = token_client(emulator)
    flowers = dataset_id(http, FLOWERS)
    empty = http.get(f"/datasets/{flowers}/auto-annotations/samples").json()
    assert empty == {"sample_count": 0, "samples": []}
    _start(http, flowers, AUTO_LABEL)
    emulator.advance_clock(2)
    listing = http.get(f"/datasets/{flowers}/auto-annotations/samples", params={"limit": 100}).json()
    assert listing["sample_count"] == 75 and len(listing["samples"]) == 75
    sample = listing["samples"][0]
    assert re.fullmatch(r"[0-9a-f]{32}", sample["sample_id"])
    assert sample["sample_type"] == 0 and sample["sample_status"] == "UN_ANNOTATION" and sample["annotated_by"] == ""
    [label] = sample["labels"]
    assert label["name"] in ("rose", "daisy", "tulip") and label["type"] == 0 and label["id"]
    assert 0.3 <= label["score"] <= 1.0
    assert set(label["property"]) == {"@modelarts:hard_coefficient", "@modelarts:hard"}
    meta = sample["metadata"]
    assert isinstance(meta["@modelarts:hard"], bool) and len(meta["@modelarts:size"]) == 3
    assert isinstance(sample["sample_time"], int) and sample["source"] and sample["preview"]
    hard = [s for s in listing["samples"] if s["metadata"]["@modelarts:hard"]]
    assert 3 <= len(hard) <= 25  # roughly 15%
    assert all(s["metadata"]["@modelarts:hard_reasons"] for s in hard)
    assert all(s["labels"][0]["property"]["@modelarts:hard"] == "true" for s in hard)
    # deterministic: the same proposal for the same sample in another run is checked in test_determinism

    # paging by page index
    first = http.get(f"/datasets/{flowers}/auto-annotations/samples", params={"limit": 10, "offset": 0}).json()
    second = http.get(f"/datasets/{flowers}/auto-annotations/samples", params={"limit": 10, "offset": 1}).json()
    ids = [s["sample_id"] for s in listing["samples"]]
    assert [s["sample_id"] for s in first["samples"]] == ids[:10]
    assert [s["sample_id"] for s in second["samples"]] == ids[10:20]
    assert second["sample_count"] == 75

    dataset = http.get(f"/datasets/{flowers}").json()
    assert dataset["unconfirmed_sample_count"] == 75 and dataset["annotated_sample_count"] == 45

    # confirm two (seed 001: sample_id + labels), one with an empty list (labels removed)
    body = {"samples": [{"sample_id": s["sample_id"], "labels": s["labels"]} for s in listing["samples"][:2]]}
    body["samples"].append({"sample_id": listing["samples"][2]["sample_id"], "labels": []})
    response = http.put(f"/datasets/{flowers}/data-annotations/samples", json=body)
    assert response.status_code == 200 and response.json() == {"success": True}
    after = http.get(f"/datasets/{flowers}/auto-annotations/samples", params={"limit": 100}).json()
    assert after["sample_count"] == 72
    assert not {s["sample_id"] for s in after["samples"]} & set(ids[:3])
    dataset = http.get(f"/datasets/{flowers}").json()
    assert dataset["annotated_sample_count"] == 47 and dataset["unconfirmed_sample_count"] == 72

    # the next release snapshots the new counts
    created = http.post(f"/datasets/{flowers}/versions", json={})
    assert created.status_code == 201, created.text
    version = http.get(f"/datasets/{flowers}/versions/{created.json()['version_id']}").json()
    assert version["version_name"] == "V003"
    assert version["annotated_sample_count"] == 47 and version["previous_annotated_sample_count"] == 45
    assert version["modified_sample_count"] == 2
    assert sum(stat["sample_count"] for stat in version["label_stats"]) == 47


def test_label_update_errors(client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    url = f"/datasets/{flowers}/data-annotations/samples"
    unknown = client.put(url, json={"samples": [{"sample_id": "0" * 32, "labels": [{"name": "rose"}]}]})
    assert unknown.status_code == 400
    assert unknown.json()["error_code"] == "ModelArts.4200" and "0" * 32 in unknown.json()["error_msg"]
    for body in (
        {},
        {"samples": "x"},
        {"samples": [{"labels": []}]},
        {"samples": [{"sample_id": "a", "labels": [{}]}]},
        {"samples": [{"sample_id": "a", "labels": [{"name": "x", "score": "high"}]}]},
    ):
        response = client.put(url, json=body)
        assert response.status_code == 400, body
    assert client.put("/datasets/nope/data-annotations/samples", json={"samples": []}).json()["error_code"] == (
        "ModelArts.4352"
    )


def test_confirming_with_a_new_label_adds_it(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    _start(client, flowers, AUTO_LABEL)
    emulator.advance_clock(2)
    sample = client.get(f"/datasets/{flowers}/auto-annotations/samples", params={"limit": 1}).json()["samples"][0]
    body = {"samples": [{"sample_id": sample["sample_id"], "labels": [{"name": "sunflower", "type": 0}]}]}
    assert client.put(f"/datasets/{flowers}/data-annotations/samples", json=body).status_code == 200
    labels = [label["name"] for label in client.get(f"/datasets/{flowers}").json()["labels"]]
    assert labels == ["rose", "daisy", "tulip", "sunflower"]


def test_proposals_are_deterministic(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    results = []
    for _ in range(2):
        em = emulator_factory("--seed", "demo")
        with aksk_client(em) as http:
            flowers = dataset_id(http, FLOWERS)
            _start(http, flowers, AUTO_LABEL)
            em.advance_clock(2)
            listing = http.get(f"/datasets/{flowers}/auto-annotations/samples", params={"limit": 100}).json()
            results.append(
                [(s["sample_id"], s["labels"], s["metadata"]["@modelarts:hard"]) for s in listing["samples"]]
            )
    assert results[0] == results[1]
