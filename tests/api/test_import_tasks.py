"""The import-task methods over httpx.MockTransport: answers checked once, import_type in one vocabulary,
NOT_EXIST as not found, paging, and the error table."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pulumi_modelarts.api import AlreadyRunningError, APIError, NotFoundError
from pulumi_modelarts.api.client import IMPORT_TASK, IMPORT_TASKS
from support.api_fakes import PROJECT_ID, Script, body_of, error, make_client

LIST = f"/v2/{PROJECT_ID}/datasets/ds1/import-tasks"
ONE = f"{LIST}/ds1_t1"
TASK: dict[str, Any] = {
    "task_id": "ds1_t1",
    "dataset_id": "ds1",
    "status": "COMPLETED",
    "import_path": "obs://bucket/in/",
    "import_type": 0,
    "imported_sample_count": 20,
}


def _page(total: int) -> Callable[[httpx.Request], httpx.Response]:
    def reply(request: httpx.Request) -> httpx.Response:
        page, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        items = [dict(TASK, task_id=f"ds1_t{n}") for n in range(page * limit, min(total, (page + 1) * limit))]
        return httpx.Response(200, json={"import_tasks": items, "total_count": total})

    return reply


def test_create_sends_the_body_and_returns_the_id() -> None:
    body = {"import_path": "/bucket/in/", "import_type": "dir", "included_labels": [{"name": "cat"}]}
    script = Script().on("POST", LIST, httpx.Response(200, json={"task_id": "ds1_new"}))
    client = make_client(script)
    assert client.create_import_task("ds1", body) == "ds1_new"
    assert body_of(script.requests[0]) == body
    assert client.stats.snapshot()["calls"] == {f"POST {IMPORT_TASKS}": 1} and client.stats.writes == 1


@pytest.mark.parametrize(
    ("answered", "expected"), [(0, "dir"), (1, "manifest"), ("dir", "dir"), ("manifest", "manifest")]
)
def test_import_type_comes_back_in_the_request_vocabulary(answered: object, expected: str) -> None:
    task = dict(TASK, import_type=answered)
    script = (
        Script()
        .on("GET", ONE, httpx.Response(200, json=task))
        .on("GET", LIST, httpx.Response(200, json={"import_tasks": [task], "total_count": 1}))
    )
    client = make_client(script)
    assert client.get_import_task("ds1", "ds1_t1") == dict(task, import_type=expected)
    assert [t["import_type"] for t in client.iter_import_tasks("ds1")] == [expected]
    page = client.list_import_tasks_page("ds1", limit=5)
    assert page["total_count"] == 1 and page["import_tasks"][0]["import_type"] == expected
    assert script.requests[-1].url.params["limit"] == "5" and script.requests[-1].url.params["offset"] == "0"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"import_type": 2}, "'import_type' 2"),
        ({"import_type": "DIR"}, "'import_type' 'DIR'"),
        ({"import_type": None}, "'import_type' None"),
        ({"import_type": True}, "'import_type' True"),
        ({"import_type": [0]}, r"'import_type' \[0\]"),
        ({"status": None}, "'status' is missing"),
        ({"status": 3}, "'status' is 3"),
        ({"task_id": ""}, "'task_id' is ''"),
    ],
)
def test_an_import_task_without_what_the_code_relies_on_is_an_error_naming_the_endpoint(
    change: dict[str, Any], problem: str
) -> None:
    task = {key: value for key, value in {**TASK, **change}.items() if value is not None}
    script = (
        Script()
        .on("GET", ONE, httpx.Response(200, json=task))
        .on("GET", LIST, httpx.Response(200, json={"import_tasks": [task], "total_count": 1}))
    )
    client = make_client(script)
    with pytest.raises(APIError, match=re.escape(f"unexpected answer on GET {IMPORT_TASK}")):
        client.get_import_task("ds1", "ds1_t1")
    with pytest.raises(APIError, match=problem) as caught:
        list(client.iter_import_tasks("ds1"))
    assert caught.value.path == IMPORT_TASKS and caught.value.status_code == 200
    assert script.count("GET", ONE) == 1  # a malformed answer is not retried


def test_status_not_exist_is_not_found_and_not_retried() -> None:
    script = Script().on("GET", ONE, httpx.Response(200, json={"task_id": "ds1_t1", "status": "NOT_EXIST"}))
    with pytest.raises(NotFoundError, match=r"import task ds1_t1 does not exist \(status NOT_EXIST\)") as caught:
        make_client(script).get_import_task("ds1", "ds1_t1")
    assert caught.value.status_code == 200 and caught.value.path == IMPORT_TASK
    assert script.count("GET", ONE) == 1


def test_a_400_not_found_is_not_found_too() -> None:
    script = Script().on("GET", ONE, error(400, "ModelArts.4612", "Task ds1_t1 does not exist."))
    with pytest.raises(NotFoundError):
        make_client(script).get_import_task("ds1", "ds1_t1")


def test_a_running_import_is_already_running() -> None:
    script = Script().on("POST", LIST, error(400, "ModelArts.4356", "Dataset ds1 already has running import task"))
    with pytest.raises(AlreadyRunningError, match=r"ModelArts\.4356 \(HTTP 400\)"):
        make_client(script).create_import_task("ds1", {"import_path": "/bucket/in/"})
    assert script.count("POST", LIST) == 1


def test_iterator_pages_lazily_until_a_short_page() -> None:
    script = Script().on("GET", LIST, _page(5))
    tasks = make_client(script).iter_import_tasks("ds1", page_size=2)
    assert script.requests == []
    assert [t["task_id"] for t in tasks] == [f"ds1_t{n}" for n in range(5)]
    assert [r.url.params["offset"] for r in script.requests] == ["0", "1", "2"]
