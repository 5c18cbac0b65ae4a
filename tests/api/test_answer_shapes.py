"""Fail closed at the boundary: an answer without what the code relies on is an error naming the endpoint."""

from __future__ import annotations

import httpx
import pytest

from pulumi_modelarts.api.errors import AlreadyRunningError, APIError, Meaning, meaning_of, try_again_seconds
from support.api_fakes import PROJECT_ID, Script, make_client

TASKS = f"/v2/{PROJECT_ID}/datasets/ds1/tasks"
EXPORTS = f"/v2/{PROJECT_ID}/datasets/ds1/export-tasks"
VERSIONS = f"/v2/{PROJECT_ID}/datasets/ds1/versions"
IMPORTS = f"/v2/{PROJECT_ID}/datasets/ds1/import-tasks"


@pytest.mark.parametrize(
    ("path", "list_all"),
    [
        (TASKS, lambda client: list(client.iter_tasks("ds1"))),
        (EXPORTS, lambda client: list(client.iter_export_tasks("ds1"))),
        (VERSIONS, lambda client: list(client.iter_versions("ds1"))),
        (IMPORTS, lambda client: list(client.iter_import_tasks("ds1"))),
        (IMPORTS, lambda client: client.list_import_tasks_page("ds1")),
    ],
)
@pytest.mark.parametrize(
    "answer",
    [{}, {"total_count": 0}, {"tasks": None, "export_tasks": "x", "versions": {}, "import_tasks": [1]}],
)
def test_a_list_answer_without_its_list_is_an_error_not_nothing(path: str, list_all: object, answer: dict) -> None:
    script = Script().on("GET", path, httpx.Response(200, json=answer))
    with pytest.raises(APIError, match=r"unexpected answer on GET /v2/\{project_id\}/datasets/\{dataset_id\}/"):
        list_all(make_client(script))  # type: ignore[operator]


def test_a_200_create_answer_with_4964_and_no_task_id_is_already_running() -> None:
    answer = {"error_code": "ModelArts.4964", "error_msg": "Auto grouping task is already running"}
    script = Script().on("POST", TASKS, httpx.Response(200, json=answer))
    with pytest.raises(AlreadyRunningError, match=r"ModelArts\.4964") as raised:
        make_client(script).create_task("ds1", {"task_type": "auto-grouping"})
    assert meaning_of(raised.value) is Meaning.ALREADY_RUNNING


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("Only one version can be released per minute on a dataset; try again in 42 s.", 42.0),
        ("please retry after 7 seconds", 7.0),
        ("Only one version release per minute", None),
        (None, None),
    ],
)
def test_try_again_seconds(message: str | None, seconds: float | None) -> None:
    assert try_again_seconds(message) == seconds


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        ("ModelArts.4370", Meaning.RELEASE_THROTTLED),
        ("ModelArts.4393", Meaning.NOT_RUNNING),
        ("ModelArts.4381", Meaning.RELEASE_LOCK),
        ("ModelArts.4821", Meaning.RELEASE_LOCK),
        ("ModelArts.4391", Meaning.NAME_TAKEN),
        ("ModelArts.4409", Meaning.TOO_MANY_TASKS),
        ("ModelArts.9999", None),
    ],
)
def test_error_table(code: str, meaning: Meaning | None) -> None:
    assert meaning_of(code) is meaning
