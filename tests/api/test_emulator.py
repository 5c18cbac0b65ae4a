"""The client against the emulator over real sockets: every method, auth flows, pagination, faults."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_modelarts.api import (
    AlreadyRunningError,
    APIError,
    AuthenticationError,
    ModelArtsClient,
    NotFoundError,
    ResponseLostError,
    RetryPolicy,
    ServerError,
    TransportError,
    resolve_settings,
)
from pulumi_modelarts.api.client import DATASETS, EXPORT_TASKS, IMPORT_TASK, IMPORT_TASKS, TASKS
from support.emulator_process import EmulatorProcess
from support.seed_examples import AUTO_GROUPING, AUTO_LABEL, EXPORT_TO_OBS, PRE_LABEL
from support.seed_examples import EXPORT_TO_NEW_DATASET as EXPORT_TO_DATASET

FAST = RetryPolicy(max_attempts=6, max_elapsed_seconds=30, base_delay=0.01, max_delay=0.05)


def client_for(emulator: EmulatorProcess, retry: RetryPolicy = FAST, **overrides: Any) -> ModelArtsClient:
    return ModelArtsClient(resolve_settings(environ={}, **emulator.client_settings(**overrides)), retry=retry)


def password_overrides(emulator: EmulatorProcess, **more: Any) -> dict[str, Any]:
    return {
        "access_key": None,
        "secret_key": None,
        "username": emulator.username,
        "password": emulator.password,
        "domain_name": emulator.domain_name,
        **more,
    }


def requests_to(emulator: EmulatorProcess, key: str) -> int:
    return int(emulator.stats()["requests"].get(key, 0))


def iam_requests(emulator: EmulatorProcess) -> int:
    """IAM calls (token issues, project lookups): the emulator counts them together as "auth"."""
    return int(emulator.stats()["auth"])


def wait_for(
    fetch: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool], timeout: float = 15
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def labelable_dataset(client: ModelArtsClient) -> dict[str, Any]:
    """The demo seed's image classification dataset, on which auto-labeling may start."""
    for dataset in client.iter_datasets(search_content="flowers", with_labels=True):
        if dataset["dataset_name"] == "flowers":
            assert len(dataset.get("labels") or []) >= 2
            return dataset
    pytest.fail("the demo seed has no 'flowers' dataset")


# --- every method ---------------------------------------------------------------------------


def test_dataset_methods(emulator: EmulatorProcess) -> None:
    client = client_for(emulator)
    body = {
        "dataset_name": "api-int-dataset",
        "dataset_type": 0,
        "data_sources": [{"data_type": 0, "data_path": "/test-obs/classify/input/"}],
        "work_path": "/test-obs/classify/output/",
        "work_path_type": 0,
        "description": "made by the client test",
        "labels": [{"name": "rose", "type": 0}, {"name": "daisy", "type": 0}],
    }
    dataset_id = client.create_dataset(body)
    assert client.get_dataset(dataset_id)["dataset_name"] == "api-int-dataset"
    assert any(d["dataset_id"] == dataset_id for d in client.iter_datasets(search_content="api-int"))
    page = client.list_datasets_page(limit=1)
    assert len(page["datasets"]) == 1 and page["total_number"] >= 2
    assert client.update_dataset(dataset_id, {"description": "changed"})["dataset_id"] == dataset_id
    assert client.get_dataset(dataset_id, check_running_task=True)["description"] == "changed"
    client.delete_dataset(dataset_id)
    with pytest.raises(NotFoundError) as caught:
        client.get_dataset(dataset_id)
    assert caught.value.error_code == "ModelArts.4352"
    assert "GET /v2/{project_id}/datasets/{dataset_id}" in str(caught.value)


def test_task_and_sample_methods(emulator: EmulatorProcess) -> None:
    client = client_for(emulator)
    dataset_id = labelable_dataset(client)["dataset_id"]
    task_id = client.create_task(dataset_id, AUTO_LABEL)
    assert client.get_task(dataset_id, task_id)["status"] in (-1, 0, 1, 3)
    assert task_id in {t["task_id"] for t in client.iter_tasks(dataset_id, type="auto-label")}
    assert task_id in {t["task_id"] for t in client.list_tasks_page(dataset_id, limit=100)["tasks"]}
    task = wait_for(lambda: client.get_task(dataset_id, task_id), lambda t: t["status"] in (2, 3, 5))
    assert task["status"] == 3, task

    samples = list(client.iter_auto_annotation_samples(dataset_id, page_size=10))
    assert samples and all("sample_id" in s for s in samples)
    page = client.list_auto_annotation_samples_page(dataset_id, limit=5)
    assert page["sample_count"] == len(samples)
    confirmed = [{"sample_id": s["sample_id"], "labels": s["labels"]} for s in samples[:2]]
    assert client.update_sample_labels(dataset_id, confirmed) is None

    second = client.create_task(dataset_id, AUTO_LABEL)
    client.stop_task(dataset_id, second)
    stopped = wait_for(lambda: client.get_task(dataset_id, second), lambda t: t["status"] in (2, 3, 5))
    assert stopped["status"] == 5
    with pytest.raises(NotFoundError):
        client.get_task(dataset_id, "noSuchTask000000000")


@pytest.mark.parametrize("body", [PRE_LABEL, AUTO_GROUPING], ids=["pre-label", "auto-grouping"])
def test_seed_example_task_bodies(emulator: EmulatorProcess, body: dict[str, Any]) -> None:
    client = client_for(emulator)
    dataset_id = labelable_dataset(client)["dataset_id"]
    task_id = client.create_task(dataset_id, body)
    assert client.get_task(dataset_id, task_id)["status"] in (-1, 0, 1, 3)
    assert task_id in {t["task_id"] for t in client.iter_tasks(dataset_id, type=body["task_type"])}


def test_export_methods(emulator: EmulatorProcess) -> None:
    client = client_for(emulator)
    dataset_id = labelable_dataset(client)["dataset_id"]
    first = client.create_export_task(dataset_id, EXPORT_TO_OBS)
    second = client.create_export_task(dataset_id, EXPORT_TO_DATASET)
    assert client.get_export_task(dataset_id, first)["task_id"] == first
    assert {first, second} <= {t["task_id"] for t in client.iter_export_tasks(dataset_id)}
    assert {t["task_id"] for t in client.iter_export_tasks(dataset_id, export_type=3)} >= {first, second}
    page = client.list_export_tasks_page(dataset_id, limit=1)
    assert len(page["export_tasks"]) == 1 and page["total_count"] >= 2
    done = wait_for(lambda: client.get_export_task(dataset_id, first), lambda t: t["status"] in ("SUCCESSED", "FAILED"))
    assert done["status"] == "SUCCESSED"
    with pytest.raises(NotFoundError):
        client.get_export_task(dataset_id, "noSuchExport0000000")


def test_version_methods(emulator: EmulatorProcess) -> None:
    client = client_for(emulator)
    dataset_id = labelable_dataset(client)["dataset_id"]
    body = {"version_name": "V-api-int", "train_evaluate_sample_ratio": "0.8", "description": "client test"}
    version_id = client.create_version(dataset_id, body)
    version = wait_for(lambda: client.get_version(dataset_id, version_id), lambda v: v["status"] != 0)
    assert version["version_name"] == "V-api-int" and version["status"] == 1
    assert version_id in {v["version_id"] for v in client.iter_versions(dataset_id)}
    assert version_id in {v["version_id"] for v in client.iter_versions(dataset_id, status=1, version_format=0)}
    assert client.list_versions_page(dataset_id)["total_number"] >= 1
    client.delete_version(dataset_id, version_id)
    gone = wait_for(
        lambda: {"ids": [v["version_id"] for v in client.iter_versions(dataset_id)]},
        lambda found: version_id not in found["ids"],
    )
    assert version_id not in gone["ids"]


# --- pagination -----------------------------------------------------------------------------


def test_iterators_fetch_pages_only_as_consumed(emulator: EmulatorProcess) -> None:
    client = client_for(emulator)
    dataset_id = labelable_dataset(client)["dataset_id"]
    before = len(list(client.iter_export_tasks(dataset_id)))
    for _ in range(5):
        client.create_export_task(dataset_id, EXPORT_TO_OBS)
    total = before + 5
    emulator.reset_stats()

    iterator = client.iter_export_tasks(dataset_id, page_size=2)
    next(iterator)
    assert requests_to(emulator, f"GET {EXPORT_TASKS}") == 1  # an early stop costs one page
    iterator.close()

    emulator.reset_stats()
    assert len(list(client.iter_export_tasks(dataset_id, page_size=2))) == total
    assert requests_to(emulator, f"GET {EXPORT_TASKS}") == (total + 1) // 2  # no extra empty page


# --- authentication -------------------------------------------------------------------------


def test_password_token_is_issued_reused_and_refreshed_once(emulator: EmulatorProcess) -> None:
    client = client_for(emulator, **password_overrides(emulator, project_id=None))
    assert client.project_id == emulator.project_id  # learned from the token
    client.iter_datasets().__next__()
    client.list_datasets_page()
    other = client_for(emulator, **password_overrides(emulator, project_id=None))
    other.list_datasets_page()
    assert iam_requests(emulator) == 1

    emulator.expire_tokens()
    client.list_datasets_page()
    other.list_datasets_page()
    assert iam_requests(emulator) == 2  # exactly one re-authentication


def test_wrong_password(emulator: EmulatorProcess) -> None:
    client = client_for(emulator, **password_overrides(emulator, password="not-the-password"))
    with pytest.raises(AuthenticationError) as caught:
        client.list_datasets_page()
    assert "not-the-password" not in str(caught.value)


def test_aksk_and_wrong_secret(emulator: EmulatorProcess) -> None:
    assert client_for(emulator).list_datasets_page()["total_number"] >= 1
    with pytest.raises(AuthenticationError):
        client_for(emulator, secret_key="wrong-secret-key").list_datasets_page()


def test_temporary_credentials(emulator: EmulatorProcess) -> None:
    answer = emulator.admin.post("/credentials/temporary").raise_for_status().json()["credential"]
    temporary = {
        "access_key": answer["access"],
        "secret_key": answer["secret"],
        "security_token": answer["securitytoken"],
    }
    assert client_for(emulator, **temporary).list_datasets_page()["total_number"] >= 1
    with pytest.raises(AuthenticationError):
        client_for(emulator, **{**temporary, "security_token": "forged"}).list_datasets_page()


def test_project_id_lookup_with_aksk(emulator: EmulatorProcess) -> None:
    client = client_for(emulator, project_id=None)
    assert client.list_datasets_page()["total_number"] >= 1
    assert client.project_id == emulator.project_id
    client_for(emulator, project_id=None).list_datasets_page()
    assert iam_requests(emulator) == 1  # cached per AK and region


# --- faults ---------------------------------------------------------------------------------


class RecordingSleep:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        time.sleep(seconds)


def test_throttling_retry_after_is_honoured(emulator: EmulatorProcess) -> None:
    sleep = RecordingSleep()
    client = ModelArtsClient(resolve_settings(environ={}, **emulator.client_settings()), retry=FAST, sleep=sleep)
    emulator.set_faults(
        [
            {
                "action": "throttle",
                "method": "GET",
                "route": DATASETS,
                "times": 2,
                "status": 429,
                "error_code": "APIG.0308",
                "retry_after": 0.3,
            },
        ]
    )
    started = time.monotonic()
    client.list_datasets_page()
    assert time.monotonic() - started >= 0.6
    assert sleep.sleeps and all(s >= 0.3 for s in sleep.sleeps) and len(sleep.sleeps) == 2
    assert requests_to(emulator, f"GET {DATASETS}") == 3


def test_throttled_create_is_retried(emulator: EmulatorProcess) -> None:
    client = client_for(emulator)
    dataset_id = labelable_dataset(client)["dataset_id"]
    emulator.set_faults(
        [
            {
                "action": "throttle",
                "method": "POST",
                "route": EXPORT_TASKS,
                "times": 1,
                "status": 429,
                "error_code": "ModelArts.4395",
                "retry_after": 0.1,
            },
        ]
    )
    client.create_export_task(dataset_id, EXPORT_TO_OBS)
    assert requests_to(emulator, f"POST {EXPORT_TASKS}") == 2


def test_5xx_burst_on_get_is_retried(emulator: EmulatorProcess) -> None:
    client = client_for(emulator)
    emulator.set_faults(
        [
            {
                "action": "error",
                "method": "GET",
                "route": DATASETS,
                "times": 3,
                "status": 503,
                "error_code": "ModelArts.4503",
            }
        ]
    )
    assert client.list_datasets_page()["total_number"] >= 1
    assert requests_to(emulator, f"GET {DATASETS}") == 4
    assert client.stats.retries == 3


def test_dropped_get_is_retried(emulator: EmulatorProcess) -> None:
    client = client_for(emulator)
    emulator.set_faults([{"action": "drop", "method": "GET", "route": DATASETS, "times": 2}])
    assert client.list_datasets_page()["total_number"] >= 1
    assert requests_to(emulator, f"GET {DATASETS}") == 3


def test_response_lost_after_commit_is_ambiguous_and_not_repeated(emulator: EmulatorProcess) -> None:
    client = client_for(emulator)
    dataset_id = labelable_dataset(client)["dataset_id"]
    before = {t["task_id"] for t in client.iter_tasks(dataset_id, type="auto-label")}
    emulator.set_faults([{"action": "drop_after_commit", "method": "POST", "route": TASKS, "times": 1}])
    with pytest.raises(ResponseLostError) as caught:
        client.create_task(dataset_id, AUTO_LABEL)
    assert caught.value.ambiguous
    assert requests_to(emulator, f"POST {TASKS}") == 1
    after = {t["task_id"] for t in client.iter_tasks(dataset_id, type="auto-label")}
    assert len(after - before) == 1  # exactly one task exists: the committed one


def test_5xx_on_create_is_not_retried(emulator: EmulatorProcess) -> None:
    client = client_for(emulator)
    dataset_id = labelable_dataset(client)["dataset_id"]
    emulator.set_faults(
        [
            {
                "action": "error",
                "method": "POST",
                "route": EXPORT_TASKS,
                "times": 5,
                "status": 500,
                "error_code": "ModelArts.0010",
            }
        ]
    )
    with pytest.raises(ServerError):
        client.create_export_task(dataset_id, EXPORT_TO_OBS)
    assert requests_to(emulator, f"POST {EXPORT_TASKS}") == 1


def test_retry_budget_is_respected(emulator: EmulatorProcess) -> None:
    client = client_for(emulator, retry=RetryPolicy(max_attempts=3, max_elapsed_seconds=30, base_delay=0.01))
    emulator.set_faults([{"action": "error", "method": "GET", "route": DATASETS, "status": 502}])
    with pytest.raises(ServerError):
        client.list_datasets_page()
    assert requests_to(emulator, f"GET {DATASETS}") == 3
    emulator.clear_faults()

    settings = resolve_settings(environ={}, **emulator.client_settings(max_retries=0))
    emulator.set_faults([{"action": "drop", "method": "GET", "route": DATASETS}])
    emulator.reset_stats()
    with pytest.raises(TransportError):
        ModelArtsClient(settings).list_datasets_page()
    assert requests_to(emulator, f"GET {DATASETS}") == 1


def test_the_client_under_cloud_strict(emulator_factory: Callable[..., EmulatorProcess], tmp_path: Path) -> None:
    """All 248 proposals although sample_count is each page's length; a 200 with ModelArts.4964 is
    AlreadyRunningError; stop and delete answered 200 with {} are understood; a partial label update fails."""
    seed = {"datasets": [{"name": "big", "labels": ["cat", "dog"], "samples": 260, "labelled": 12, "versions": [{}]}]}
    (tmp_path / "seed.json").write_text(json.dumps(seed), encoding="utf-8")
    emulator = emulator_factory("--seed", str(tmp_path / "seed.json"), "--reading", "cloud-strict")
    client = client_for(emulator)
    dataset_id = next(client.iter_datasets(search_content="big"))["dataset_id"]
    client.create_task(dataset_id, AUTO_LABEL)
    emulator.advance_clock(2)
    emulator.reset_stats()
    proposals = [sample["sample_id"] for sample in client.iter_auto_annotation_samples(dataset_id)]
    assert len(proposals) == len(set(proposals)) == 248
    assert requests_to(emulator, "GET /v2/{project_id}/datasets/{dataset_id}/auto-annotations/samples") == 3

    grouping = client.create_task(dataset_id, AUTO_GROUPING)
    with pytest.raises(AlreadyRunningError) as caught:
        client.create_task(dataset_id, AUTO_GROUPING)
    assert (caught.value.status_code, caught.value.error_code) == (200, "ModelArts.4964")
    assert client.stop_task(dataset_id, grouping) is None
    version_id = next(client.iter_versions(dataset_id))["version_id"]
    assert client.delete_version(dataset_id, version_id) is None

    update = [{"sample_id": proposals[0], "labels": [{"name": "cat"}]}, {"sample_id": "f" * 32, "labels": []}]
    with pytest.raises(APIError, match=r"ModelArts\.4200"):
        client.update_sample_labels(dataset_id, update)


# --- import tasks under both presets -------------------------------------------------------------------

BATCH_01 = "/demo-bucket/pets-detection/raw/batch-01/"
BATCH_02 = "/demo-bucket/pets-detection/raw/batch-02/"


def pets_of(client: ModelArtsClient) -> str:
    return str(next(client.iter_datasets(search_content="pets-detection"))["dataset_id"])


@pytest.mark.parametrize("reading", ["lenient", "cloud-strict"])
def test_import_methods_under_each_preset(emulator_factory: Callable[..., EmulatorProcess], reading: str) -> None:
    """Whichever reading: import_type comes back as the request's string, a missing task is NotFoundError,
    a running import is AlreadyRunningError, and the samples arrive."""
    emulator = emulator_factory("--seed", "demo", "--import-seconds", "100", "--reading", reading)
    client = client_for(emulator)
    pets = pets_of(client)
    task_id = client.create_import_task(pets, {"import_path": BATCH_01, "import_type": "dir"})
    assert client.get_import_task(pets, task_id)["status"] == "QUEUING"
    with pytest.raises(AlreadyRunningError) as caught:
        client.create_import_task(pets, {"import_path": BATCH_02, "import_type": "dir"})
    assert caught.value.error_code == "ModelArts.4356"
    emulator.advance_clock(101)
    done = client.get_import_task(pets, task_id)
    assert (done["status"], done["import_type"], done["imported_sample_count"]) == ("COMPLETED", "dir", 20)
    manifest = client.create_import_task(
        pets, {"import_path": "/demo-bucket/pets-detection/labelled/batch-01.manifest", "import_type": "manifest"}
    )
    emulator.advance_clock(101)
    listed = {task["task_id"]: task for task in client.iter_import_tasks(pets, page_size=1)}
    assert set(listed) == {task_id, manifest}
    assert listed[manifest]["import_type"] == "manifest" and listed[manifest]["annotated_sample_count"] == 10
    page = client.list_import_tasks_page(pets, limit=1)
    assert page["total_count"] == 2 and [t["task_id"] for t in page["import_tasks"]] == [manifest]
    assert client.get_dataset(pets)["total_sample_count"] == 80 + 20 + 10
    with pytest.raises(NotFoundError):
        client.get_import_task(pets, f"{pets}_noSuchTask000000000")
    assert client.stats[f"POST {IMPORT_TASKS}"] == 3 and client.stats[f"GET {IMPORT_TASK}"] == 3


@pytest.mark.parametrize(
    ("fault", "raised", "created"),
    [({"action": "drop_after_commit"}, ResponseLostError, 1), ({"action": "error", "status": 500}, ServerError, 0)],
    ids=["answer-lost", "5xx"],
)
def test_an_import_create_whose_outcome_is_unknown_is_not_repeated(
    emulator: EmulatorProcess, fault: dict[str, Any], raised: type[Exception], created: int
) -> None:
    client = client_for(emulator)
    pets = pets_of(client)
    emulator.set_faults([{**fault, "method": "POST", "route": IMPORT_TASKS, "times": 1}])
    with pytest.raises(raised):
        client.create_import_task(pets, {"import_path": BATCH_01})
    assert requests_to(emulator, f"POST {IMPORT_TASKS}") == 1
    assert [task["import_path"] for task in client.iter_import_tasks(pets)] == [BATCH_01] * created


def test_import_calls_ride_out_throttling_and_server_errors(emulator: EmulatorProcess) -> None:
    client = client_for(emulator)
    pets = pets_of(client)
    emulator.set_faults(
        [
            {"action": "throttle", "method": "POST", "route": IMPORT_TASKS, "times": 1, "retry_after": 0.1},
            {"action": "error", "method": "GET", "route": IMPORT_TASK, "times": 2, "status": 503},
            {"action": "drop", "method": "GET", "route": IMPORT_TASKS, "times": 1},
        ]
    )
    task_id = client.create_import_task(pets, {"import_path": BATCH_02})
    assert client.get_import_task(pets, task_id)["task_id"] == task_id
    assert [t["task_id"] for t in client.iter_import_tasks(pets)] == [task_id]
    assert requests_to(emulator, f"POST {IMPORT_TASKS}") == 2  # a 429 provably created nothing
    assert requests_to(emulator, f"GET {IMPORT_TASK}") == 3 and requests_to(emulator, f"GET {IMPORT_TASKS}") == 2
    assert client.stats.retries == 4
