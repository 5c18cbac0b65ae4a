"""The readings: each open point of the API documents, played both ways (docs/api.md, readings.py).

Two emulators serve the whole module, one lenient and one ``--reading cloud-strict``; every test uses
its own seeded dataset, so the tests do not see each other's objects. Durations are long: tests move
the virtual clock themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_modelarts.emulator import readings
from pulumi_modelarts.emulator.cli import build_parser, config_from_args
from pulumi_modelarts.emulator.config import EmulatorConfig
from support.emu_helpers import aksk_client, dataset_id
from support.emulator_process import EmulatorProcess, borrow_emulator, give_back

SLOW = ("--admin", "--task-seconds", "100", "--export-seconds", "100", "--version-seconds", "100")
DATASETS = (
    "names",
    "counts",
    "times",
    "defaults",
    "grouping",
    "locks",
    "life",
    "fields",
    "paths",
    "errors",
    "filters",
    "answers",
)


def _seed(path: Path) -> Path:
    items = [
        {"name": name, "labels": ["cat", "dog"], "samples": 40, "labelled": {"cat": 6, "dog": 6}, "versions": [{}]}
        for name in DATASETS
    ]
    items[DATASETS.index("counts")]["samples"] = 260
    path.write_text(json.dumps({"datasets": items}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[EmulatorProcess, httpx.Client]]]:
    """{"lenient": (emulator, client), "strict": (...)} over the same seed."""
    seed = _seed(tmp_path_factory.mktemp("readings") / "seed.json")
    started: dict[str, tuple[EmulatorProcess, httpx.Client]] = {}
    try:
        for name, flags in (("lenient", ()), ("strict", ("--reading", "cloud-strict"))):
            emulator = borrow_emulator(*SLOW, "--seed", str(seed), *flags)
            started[name] = (emulator, aksk_client(emulator))
        yield started
    finally:
        for emulator, client in started.values():
            client.close()
            give_back(emulator)


Play = Callable[[str, str], tuple[EmulatorProcess, httpx.Client, str]]


@pytest.fixture
def play(played: dict[str, tuple[EmulatorProcess, httpx.Client]]) -> Play:
    """play(reading, dataset name) -> (emulator, client, dataset id)."""

    def pick(reading: str, name: str) -> tuple[EmulatorProcess, httpx.Client, str]:
        emulator, client = played[reading]
        return emulator, client, dataset_id(client, name)

    return pick


BOTH = pytest.mark.parametrize("reading", ["lenient", "strict"])


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _deleted(response: httpx.Response) -> None:
    assert response.status_code in (200, 204), response.text  # 200 under --empty-answer 200


def _start(client: httpx.Client, dataset: str, body: dict[str, Any]) -> str:
    task_id: str = _ok(client.post(f"/datasets/{dataset}/tasks", json=body))["task_id"]
    return task_id


# --- the flags and the preset -----------------------------------------------------------------------


def test_config_defaults_are_the_lenient_readings() -> None:
    config = EmulatorConfig()
    assert {r.field: getattr(config, r.field) for r in readings.READINGS} == readings.preset("lenient")


def test_cloud_strict_takes_every_strict_value_and_an_explicit_flag_wins() -> None:
    parser = build_parser()
    strict = config_from_args(parser.parse_args(["--reading", "cloud-strict"]))
    assert all(strict.strict(r.field) for r in readings.READINGS)
    mixed = config_from_args(parser.parse_args(["--reading", "cloud-strict", "--sample-count", "total"]))
    assert mixed.sample_count == "total" and mixed.task_name == "empty"
    lenient = config_from_args(parser.parse_args([]))
    assert not any(lenient.strict(r.field) for r in readings.READINGS)


@pytest.mark.parametrize("reading", readings.READINGS, ids=lambda r: r.field)
def test_each_reading_has_its_own_flag_listed_in_help(reading: readings.Reading) -> None:
    parser = build_parser()
    assert reading.flag in parser.format_help()
    for value in reading.choices:
        config = config_from_args(parser.parse_args([reading.flag, value]))
        assert getattr(config, reading.field) == value
        others = [r for r in readings.READINGS if r is not reading]
        assert not any(config.strict(r.field) for r in others)
    with pytest.raises(SystemExit):
        parser.parse_args([reading.flag, "neither"])


def test_an_unknown_reading_value_is_refused_by_the_config() -> None:
    with pytest.raises(ValueError, match="sample_count must be one of total, page"):
        EmulatorConfig(sample_count="pages")


# --- task names -------------------------------------------------------------------------------------


@BOTH
def test_task_name_and_config_name(play: Play, reading: str) -> None:
    _, client, dataset = play(reading, "names")
    task_id = _start(client, dataset, {"task_type": "auto-grouping", "config": {"name": "pm-mine", "n_clusters": 2}})
    task = _ok(client.get(f"/datasets/{dataset}/tasks/{task_id}"))
    listed = _ok(client.get(f"/datasets/{dataset}/tasks", params={"type": "auto-grouping"}))["tasks"]
    by_name = _ok(client.get(f"/datasets/{dataset}/tasks", params={"type": "auto-grouping", "task_name": "pm-mine"}))
    if reading == "lenient":
        assert task["task_name"] == listed[0]["task_name"] == task["config"]["name"] == "pm-mine"
        assert [t["task_id"] for t in by_name["tasks"]] == [task_id]
    else:
        assert task["task_name"] == listed[0]["task_name"] == ""
        assert re.fullmatch(r"[A-Za-z0-9]{19}", task["config"]["name"])  # the requested name is replaced
        assert by_name["tasks"] == [] and by_name["total_count"] == 0


# --- sample_count and the sample list ---------------------------------------------------------------


def _auto_labelled(emulator: EmulatorProcess, client: httpx.Client, dataset: str) -> None:
    if _ok(client.get(f"/datasets/{dataset}/auto-annotations/samples", params={"limit": 1}))["samples"]:
        return
    _start(client, dataset, {"task_type": "auto-label", "config": {"algorithm_type": "fast"}})
    emulator.advance_clock(101)


@BOTH
def test_sample_count_is_the_total_or_the_page_length(play: Play, reading: str) -> None:
    emulator, client, dataset = play(reading, "counts")
    _auto_labelled(emulator, client, dataset)
    path = f"/datasets/{dataset}/auto-annotations/samples"
    first = _ok(client.get(path, params={"limit": 100}))
    last = _ok(client.get(path, params={"limit": 100, "offset": 2}))
    assert len(first["samples"]) == 100 and len(last["samples"]) == 248 - 200
    if reading == "lenient":
        assert first["sample_count"] == last["sample_count"] == 248
    else:
        assert (first["sample_count"], last["sample_count"]) == (100, 48)


@BOTH
def test_sample_list_limit_is_1_to_100(play: Play, reading: str) -> None:
    _, client, dataset = play(reading, "counts")
    for limit in (0, 101, 500):
        answer = client.get(f"/datasets/{dataset}/auto-annotations/samples", params={"limit": limit})
        assert answer.status_code == 400 and answer.json()["error_code"] == "ModelArts.4200"
        assert "'limit'" in answer.json()["error_msg"]


def _ids(client: httpx.Client, dataset: str, **params: Any) -> list[str]:
    found: list[str] = []
    offset = 0
    while True:
        page = _ok(client.get(f"/datasets/{dataset}/auto-annotations/samples", params={**params, "offset": offset}))
        found += [sample["sample_id"] for sample in page["samples"]]
        if len(page["samples"]) < int(params.get("limit", 10)):
            return found
        offset += 1


def _score(sample: dict[str, Any]) -> float:
    return float(sample["labels"][0]["score"])


def test_sample_list_filters(play: Play) -> None:
    emulator, client, dataset = play("lenient", "filters")
    _auto_labelled(emulator, client, dataset)
    path = f"/datasets/{dataset}/auto-annotations/samples"
    everything = _ok(client.get(path, params={"limit": 100}))["samples"]
    assert len(everything) == 28
    newest_first = _ids(client, dataset, limit=5)
    assert newest_first == [s["sample_id"] for s in everything]
    assert _ids(client, dataset, limit=5, order="asc") == newest_first[::-1]
    # a condition that keeps everything pages the same way as no filter at all
    assert _ids(client, dataset, limit=5, search_conditions="[{}]") == newest_first
    assert _ids(client, dataset, limit=5, order="asc", label_type=0) == newest_first[::-1]

    confident = _ok(client.get(path, params={"limit": 100, "low_score": 0.8}))
    assert confident["sample_count"] == len(confident["samples"]) == sum(_score(s) >= 0.8 for s in everything) > 0
    assert all(_score(s) >= 0.8 for s in confident["samples"])
    doubtful = _ok(client.get(path, params={"limit": 100, "high_score": 0.5}))["samples"]
    assert doubtful and all(_score(s) <= 0.5 for s in doubtful)

    cats = _ok(client.get(path, params={"limit": 100, "label_name": "cat"}))["samples"]
    assert cats and {s["labels"][0]["name"] for s in cats} == {"cat"}
    assert len(cats) == sum(s["labels"][0]["name"] == "cat" for s in everything)

    hard = json.dumps([{"hard": "1"}])
    hard_ones = _ok(client.get(path, params={"limit": 100, "search_conditions": hard}))["samples"]
    assert [s["sample_id"] for s in hard_ones] == [
        s["sample_id"] for s in everything if s["metadata"]["@modelarts:hard"]
    ]
    dogs = json.dumps([{"label_list": {"labels": [{"name": "dog"}]}}])
    assert len(_ok(client.get(path, params={"limit": 100, "search_conditions": dogs}))["samples"]) == len(
        everything
    ) - len(cats)

    for params in ({"low_score": "x"}, {"high_score": 2}, {"low_score": 0.9, "high_score": 0.1}, {"order": "up"}):
        answer = client.get(path, params=params)
        assert answer.status_code == 400 and answer.json()["error_code"] == "ModelArts.4200", params
    assert client.get(path, params={"search_conditions": "[1]"}).status_code == 400


def test_dataset_list_filters(play: Play) -> None:
    _, client, _ = play("lenient", "filters")
    previews = _ok(client.get("/datasets", params={"search_content": "filters", "file_preview": "true"}))["datasets"]
    assert len(previews[0]["samples"]) == 4 and set(previews[0]["samples"][0]) == {"url", "create_time"}
    assert "samples" not in _ok(client.get("/datasets", params={"search_content": "filters"}))["datasets"][0]
    assert _ok(client.get("/datasets", params={"workspace_id": "other"}))["total_number"] == 0
    every = _ok(client.get("/datasets", params={"limit": 100, "contain_versions": "true"}))["datasets"]
    assert _ok(client.get("/datasets", params={"workspace_id": "0", "limit": 100}))["total_number"] == len(every)
    with_versions = sum(bool(item["versions"]) for item in every)
    assert _ok(client.get("/datasets", params={"version_format": 0, "limit": 100}))["total_number"] == with_versions
    assert _ok(client.get("/datasets", params={"version_format": 2}))["total_number"] == 0
    assert _ok(client.get("/datasets", params={"train_evaluate_ratio": "0.0,0.5"}))["total_number"] == 0
    for params in ({"limit": 101}, {"dataset_version": "v3"}, {"support_export": "maybe"}, {"order": "up"}):
        assert client.get("/datasets", params=params).status_code == 400, params


# --- create_time, elapsed_time, echoed defaults, documented fields ----------------------------------


@BOTH
def test_task_create_time_zone_and_elapsed_time_unit(play: Play, reading: str) -> None:
    emulator, client, dataset = play(reading, "times")
    now_ms = emulator.admin.get("/clock").json()["now"]
    task_id = _start(client, dataset, {"task_type": "auto-grouping", "config": {"n_clusters": 2}})
    emulator.advance_clock(7)
    task = _ok(client.get(f"/datasets/{dataset}/tasks/{task_id}"))
    shown = datetime.strptime(task["create_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    offset_hours = round((shown.timestamp() - now_ms / 1000) / 3600)
    assert offset_hours == (0 if reading == "lenient" else 8)
    assert task["elapsed_time"] == (7 if reading == "lenient" else 7000)


@BOTH
def test_echoed_server_defaults(play: Play, reading: str) -> None:
    _, client, dataset = play(reading, "defaults")
    task_id = _start(client, dataset, {"task_type": "auto-grouping", "config": {"n_clusters": 2}})
    config = _ok(client.get(f"/datasets/{dataset}/tasks/{task_id}"))["config"]
    export = {"path": "/bucket/out/", "export_type": 0}
    export_id = _ok(client.post(f"/datasets/{dataset}/export-tasks", json=export))["task_id"]
    echoed = _ok(client.get(f"/datasets/{dataset}/export-tasks/{export_id}"))
    if reading == "lenient":
        assert set(config) == {"n_clusters", "name"}
        assert "version_format" not in echoed and "export_params" not in echoed
    else:
        assert config["collect_sample"] is True and config["worker_server_num"] == 0
        assert config["confidence_scope"] == "0.00-1.00" and config["n_clusters"] == 2
        assert echoed["version_format"] == "Default" and echoed["export_format"] == 2
        assert echoed["export_params"]["clear_hard_property"] is True
        assert echoed["export_params"]["train_sample_ratio"] == 1.0


@BOTH
def test_only_documented_fields(play: Play, reading: str) -> None:
    _, client, dataset = play(reading, "fields")
    body = {"task_type": "auto-grouping", "collect_key_sample": True, "config": {"n_clusters": 2}}
    task_id = _start(client, dataset, body)
    task = _ok(client.get(f"/datasets/{dataset}/tasks/{task_id}"))
    listed = _ok(client.get(f"/datasets/{dataset}/tasks", params={"type": "auto-grouping"}))["tasks"][0]
    export = {"path": "/bucket/out/", "export_type": 3, "sample_state": "__ALL__"}
    export_id = _ok(client.post(f"/datasets/{dataset}/export-tasks", json=export))["task_id"]
    echoed = _ok(client.get(f"/datasets/{dataset}/export-tasks/{export_id}"))
    extras = {"type", "dataset_id", "collect_key_sample", "total_sample_count", "annotated_sample_count"}
    version = _ok(client.get(f"/datasets/{dataset}/versions"))["versions"][0]
    assert ("dataset_id" in version) == (reading == "lenient")
    if reading == "lenient":
        assert extras <= set(task) and "continuity" in task["result"]
        assert echoed["dataset_id"] == dataset and echoed["sample_state"] == "__ALL__"
    else:
        assert not extras & set(task) and "continuity" not in task["result"]
        assert task["result"]["total_sample_count"] == 40  # counts only inside result
        assert {"type", "dataset_id", "total_sample_count"} <= set(listed)  # the list table names them
        assert "collect_key_sample" not in listed and "resource_id" not in listed
        assert "dataset_id" not in echoed and "sample_state" not in echoed
        assert echoed["path"] == "/bucket/out/" and echoed["export_type"] == 3


# --- conflicts, locks, paths, lifecycle, error bodies ------------------------------------------------


@BOTH
def test_a_second_auto_grouping_task(play: Play, reading: str) -> None:
    emulator, client, dataset = play(reading, "grouping")
    path = f"/datasets/{dataset}/tasks"
    _start(client, dataset, {"task_type": "auto-grouping", "config": {"n_clusters": 2}})
    emulator.reset_stats()
    second = client.post(path, json={"task_type": "auto-grouping", "config": {"n_clusters": 3}})
    if reading == "lenient":
        assert second.status_code == 400 and second.json()["error_code"] == "ModelArts.4409"
    else:
        assert second.status_code == 200 and "task_id" not in second.json()
        assert second.json()["error_code"] == "ModelArts.4964"
    assert len(_ok(client.get(path, params={"type": "auto-grouping"}))["tasks"]) == 1  # nothing was started
    emulator.advance_clock(101)


@BOTH
def test_a_running_release_locks_labelling(play: Play, reading: str) -> None:
    emulator, client, dataset = play(reading, "locks")
    _ok(client.post(f"/datasets/{dataset}/versions", json={}), 201)
    update = {"samples": [{"sample_id": "x" * 32, "labels": [{"name": "cat"}]}]}
    label = client.put(f"/datasets/{dataset}/data-annotations/samples", json=update)
    start = client.post(f"/datasets/{dataset}/tasks", json={"task_type": "auto-label"})
    pre_label = client.post(f"/datasets/{dataset}/tasks", json={"task_type": "pre-label", "model_id": "m1"})
    status = _ok(client.get(f"/datasets/{dataset}"))["status"]
    if reading == "lenient":
        assert label.json()["error_code"] == "ModelArts.4200"  # the unknown sample, not a lock
        assert start.status_code == pre_label.status_code == 200 and status == 1
    else:
        assert (label.status_code, label.json()["error_code"]) == (400, "ModelArts.4381")
        assert (start.status_code, start.json()["error_code"]) == (403, "ModelArts.4821")
        assert (pre_label.status_code, pre_label.json()["error_code"]) == (403, "ModelArts.4821")
        assert status == 6  # releasing
    emulator.advance_clock(101)  # the release ends: the lock is gone
    after = client.put(f"/datasets/{dataset}/data-annotations/samples", json=update)
    assert after.json()["error_code"] == "ModelArts.4200"


@BOTH
def test_export_path_for_a_new_dataset(play: Play, reading: str) -> None:
    _, client, dataset = play(reading, "paths")
    params = {
        "export_dest": "NEW_DATASET",
        "export_new_dataset_name": f"paths-copy-{reading}",
        "export_new_dataset_work_path": "/bucket/copy/",
    }
    answer = client.post(f"/datasets/{dataset}/export-tasks", json={"export_type": 0, "export_params": params})
    if reading == "lenient":
        assert answer.status_code == 200
    else:
        assert answer.status_code == 400 and answer.json()["error_code"] == "ModelArts.4358"
        assert "new dataset" in answer.json()["error_msg"]
    no_path = client.post(f"/datasets/{dataset}/export-tasks", json={"export_type": 0})
    assert no_path.json()["error_code"] == "ModelArts.4358"


@BOTH
def test_asynchronous_dataset_and_version_lifecycle(play: Play, reading: str) -> None:
    emulator, client, dataset = play(reading, "life")
    version = _ok(client.get(f"/datasets/{dataset}/versions"))["versions"][0]
    _deleted(client.delete(f"/datasets/{dataset}/versions/{version['version_id']}"))
    gone = client.get(f"/datasets/{dataset}/versions/{version['version_id']}")
    name = f"life-new-{reading}"
    body = {"dataset_name": name, "work_path": "/b/w/", "work_path_type": 0, "data_sources": [{"data_path": "/b/d/"}]}
    new_id = _ok(client.post("/datasets", json=body), 201)["dataset_id"]
    created = _ok(client.get(f"/datasets/{new_id}"))["status"]
    if reading == "lenient":
        assert gone.status_code == 400 and gone.json()["error_code"] == "ModelArts.4353"
        assert created == 1
    else:
        assert gone.json()["status"] == 2  # deleting
        assert _ok(client.get(f"/datasets/{dataset}/versions", params={"status": 2}))["total_number"] == 1
        assert created == 0  # creating
        emulator.advance_clock(5)
        assert client.get(f"/datasets/{dataset}/versions/{version['version_id']}").status_code == 400
        assert _ok(client.get(f"/datasets/{new_id}"))["status"] == 1
    _deleted(client.delete(f"/datasets/{new_id}"))
    if reading == "strict":
        assert _ok(client.get(f"/datasets/{new_id}"))["status"] == 2
        emulator.advance_clock(5)
    assert client.get(f"/datasets/{new_id}").json()["error_code"] == "ModelArts.4352"


@BOTH
def test_request_id_in_modelarts_error_bodies(play: Play, reading: str) -> None:
    _, client, dataset = play(reading, "errors")
    answer = client.get(f"/datasets/{dataset}/tasks/{'0' * 19}")
    body = answer.json()
    assert body["error_code"] == "ModelArts.4612"
    if reading == "lenient":
        assert "request_id" not in body
    else:
        assert body["request_id"] == answer.headers["X-Request-Id"]


@BOTH
def test_empty_answers(play: Play, reading: str) -> None:
    emulator, client, dataset = play(reading, "answers")
    task_id = _start(client, dataset, {"task_type": "auto-grouping", "config": {"n_clusters": 2}})
    stop = client.post(f"/datasets/{dataset}/tasks/{task_id}/stop")
    version = _ok(client.get(f"/datasets/{dataset}/versions"))["versions"][0]["version_id"]
    delete = client.delete(f"/datasets/{dataset}/versions/{version}")
    for answer in (stop, delete):
        if reading == "lenient":
            assert answer.status_code == 204 and answer.content == b""
        else:
            assert answer.status_code == 200 and answer.json() == {}
    emulator.advance_clock(101)


@BOTH
def test_the_old_credential_form_of_the_signature(
    played: dict[str, tuple[EmulatorProcess, httpx.Client]], reading: str
) -> None:
    emulator, _ = played[reading]
    with aksk_client(emulator, old_form=True) as old:
        answer = old.get("/datasets", params={"limit": 1})
    if reading == "lenient":
        assert answer.status_code == 200
    else:
        assert answer.status_code == 401 and answer.json()["error_code"] == "APIG.0301"


@BOTH
def test_a_label_update_naming_unknown_samples(play: Play, reading: str) -> None:
    emulator, client, dataset = play(reading, "answers")
    _auto_labelled(emulator, client, dataset)
    proposed = _ok(client.get(f"/datasets/{dataset}/auto-annotations/samples", params={"limit": 1}))["samples"][0]
    update = {
        "samples": [
            {"sample_id": proposed["sample_id"], "labels": [{"name": "cat"}]},
            {"sample_id": "f" * 32, "labels": [{"name": "cat"}]},
        ]
    }
    answer = client.put(f"/datasets/{dataset}/data-annotations/samples", json=update)
    left = _ok(client.get(f"/datasets/{dataset}/auto-annotations/samples", params={"limit": 100}))["samples"]
    confirmed = proposed["sample_id"] not in {s["sample_id"] for s in left}
    if reading == "lenient":
        assert answer.status_code == 400 and not confirmed
    else:
        body = answer.json()
        assert answer.status_code == 200 and body["success"] is False and body["error_code"] == "ModelArts.4200"
        assert [r["sample_id"] for r in body["results"]] == ["f" * 32]
        assert confirmed
