"""The client over httpx.MockTransport: retry rules per kind of call, pagination, requests sent."""

from __future__ import annotations

import ssl
from collections.abc import Callable

import httpx
import pytest

from pulumi_modelarts import __version__
from pulumi_modelarts.api import (
    AlreadyRunningError,
    APIError,
    ModelArtsClient,
    ModelArtsError,
    ResponseLostError,
    RetryPolicy,
    ServerError,
    ThrottledError,
    TransportError,
)
from pulumi_modelarts.api.client import shared_http_client
from support.api_fakes import PROJECT_ID, FakeTime, Script, body_of, error, make_client, make_settings

BASE = f"/v2/{PROJECT_ID}/datasets"
TASKS = f"{BASE}/ds1/tasks"
OK_TASK = httpx.Response(200, json={"task_id": "t1", "status": 1})


def lost(kind: type[httpx.TransportError], text: str = "gone") -> Callable[[httpx.Request], httpx.Response]:
    def reply(request: httpx.Request) -> httpx.Response:
        raise kind(text, request=request)

    return reply


# --- reads are retried ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_get_is_retried_on_5xx(status: int) -> None:
    script = Script().on("GET", f"{TASKS}/t1", error(status), error(status), OK_TASK)
    time = FakeTime()
    client = make_client(script, time=time)
    assert client.get_task("ds1", "t1")["task_id"] == "t1"
    assert script.count("GET", f"{TASKS}/t1") == 3
    assert time.sleeps == [0.5, 1.0]
    assert client.stats.retries == 2


@pytest.mark.parametrize(
    "failure",
    [
        lost(httpx.ReadTimeout),
        lost(httpx.RemoteProtocolError, "Server disconnected without sending a response."),
        lost(httpx.ConnectError),
        lost(httpx.ReadError),
    ],
)
def test_get_is_retried_on_transport_failures(failure: Callable[[httpx.Request], httpx.Response]) -> None:
    script = Script().on("GET", f"{TASKS}/t1", failure, OK_TASK)
    assert make_client(script).get_task("ds1", "t1")["status"] == 1
    assert script.count("GET", f"{TASKS}/t1") == 2


def test_get_is_not_retried_on_501_or_400() -> None:
    script = Script().on("GET", f"{TASKS}/t1", error(501, "ModelArts.4386"))
    with pytest.raises(AlreadyRunningError):
        make_client(script).get_task("ds1", "t1")
    script = Script().on("GET", f"{TASKS}/t1", error(400, "ModelArts.4200"))
    with pytest.raises(APIError):
        make_client(script).get_task("ds1", "t1")
    assert len(script.requests) == 1


def test_429_retry_after_is_honoured() -> None:
    script = Script().on("GET", f"{TASKS}/t1", error(429, "APIG.0308", **{"Retry-After": "7"}), OK_TASK)
    time = FakeTime()
    client = make_client(script, time=time, retry=RetryPolicy(6, 120, random=lambda a, b: a))
    client.get_task("ds1", "t1")
    assert time.sleeps == [7.0]


def test_attempt_budget_raises_the_last_error() -> None:
    script = Script().on("GET", f"{TASKS}/t1", error(503, "ModelArts.4503"))
    time = FakeTime()
    client = make_client(script, time=time, max_retries=3)
    client._retry = RetryPolicy.from_settings(client.settings)
    with pytest.raises(ServerError, match=r"ModelArts\.4503"):
        client.get_task("ds1", "t1")
    assert script.count("GET", f"{TASKS}/t1") == 4
    assert client.stats.retries == 3


def test_time_budget() -> None:
    script = Script().on("GET", f"{TASKS}/t1", error(500))
    time = FakeTime()
    client = make_client(script, time=time, retry=RetryPolicy(100, 10, random=lambda a, b: b))
    with pytest.raises(ServerError):
        client.get_task("ds1", "t1")
    assert time.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert time.now - 1000.0 <= 10


def test_zero_retries_disables_retrying() -> None:
    script = Script().on("GET", f"{TASKS}/t1", error(500), OK_TASK)
    client = make_client(script, max_retries=0)
    client._retry = RetryPolicy.from_settings(client.settings)
    with pytest.raises(ServerError):
        client.get_task("ds1", "t1")
    assert len(script.requests) == 1


def test_delete_stop_and_label_put_are_retried() -> None:
    script = (
        Script()
        .on("DELETE", f"{BASE}/ds1/versions/v1", error(503), httpx.Response(204))
        .on("POST", f"{TASKS}/t1/stop", lost(httpx.ReadTimeout), httpx.Response(204))
        .on(
            "PUT",
            f"{BASE}/ds1/data-annotations/samples",
            error(502),
            httpx.Response(200, json={"success": True}),
        )
    )
    client = make_client(script)
    assert client.delete_version("ds1", "v1") is None
    assert client.stop_task("ds1", "t1") is None
    assert client.update_sample_labels("ds1", [{"sample_id": "s1", "labels": []}]) is None
    assert len(script.requests) == 6


# --- creates are retried only when the request never arrived ---------------------------------


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("POST", TASKS, lambda c: c.create_task("ds1", {"task_type": "auto-label"})),
        ("POST", f"{BASE}/ds1/export-tasks", lambda c: c.create_export_task("ds1", {"path": "/b/"})),
        ("POST", f"{BASE}/ds1/import-tasks", lambda c: c.create_import_task("ds1", {"import_path": "/b/in/"})),
        ("POST", f"{BASE}/ds1/versions", lambda c: c.create_version("ds1", {})),
        ("POST", BASE, lambda c: c.create_dataset({"dataset_name": "x"})),
        ("PUT", f"{BASE}/ds1", lambda c: c.update_dataset("ds1", {"description": "d"})),
    ],
)
def test_writes_are_not_retried_on_5xx_or_lost_responses(
    method: str, path: str, call: Callable[[ModelArtsClient], object]
) -> None:
    script = Script().on(method, path, error(500, "ModelArts.0010"))
    with pytest.raises(ServerError):
        call(make_client(script))
    assert script.count(method, path) == 1

    for failure in (lost(httpx.RemoteProtocolError), lost(httpx.ReadTimeout), lost(httpx.WriteError)):
        script = Script().on(method, path, failure)
        with pytest.raises(ResponseLostError) as caught:
            call(make_client(script))
        assert caught.value.ambiguous is True
        assert "may have been committed" in str(caught.value)
        assert script.count(method, path) == 1


@pytest.mark.parametrize(
    "first",
    [
        error(429, "ModelArts.4395", **{"Retry-After": "1"}),
        lost(httpx.ConnectError, "connection refused"),
        lost(httpx.ConnectTimeout),
    ],
)
def test_create_is_retried_on_429_and_connect_failures(first: httpx.Response) -> None:
    script = Script().on("POST", TASKS, first, httpx.Response(200, json={"task_id": "new"}))
    client = make_client(script)
    assert client.create_task("ds1", {"task_type": "auto-label"}) == "new"
    assert script.count("POST", TASKS) == 2
    assert body_of(script.requests[-1]) == {"task_type": "auto-label"}


def test_create_without_id_in_the_answer() -> None:
    script = Script().on("POST", f"{BASE}/ds1/versions", httpx.Response(201, json={}))
    with pytest.raises(APIError, match="no 'version_id'"):
        make_client(script).create_version("ds1", {})


def test_transport_error_message() -> None:
    script = Script().on("GET", f"{TASKS}/t1", lost(httpx.ConnectError, "connection refused"))
    with pytest.raises(TransportError) as caught:
        make_client(script, max_retries=0).get_task("ds1", "t1")
    assert not isinstance(caught.value, ResponseLostError)
    assert "ConnectError on GET /v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}" in str(caught.value)


# --- requests, pagination, stats ------------------------------------------------------------


def test_requests_carry_language_user_agent_and_formatted_query() -> None:
    script = Script().on("GET", f"{BASE}/ds1", httpx.Response(200, json={"dataset_id": "ds1"}))
    make_client(script).get_dataset("ds1", check_running_task=True, running_task_type=0)
    request = script.requests[0]
    assert request.headers["X-Language"] == "en-us"
    assert request.headers["User-Agent"] == f"pulumi-modelarts/{__version__}"
    assert dict(request.url.params) == {"check_running_task": "true", "running_task_type": "0"}
    assert request.url.host == "modelarts.test"


def test_path_parameters_are_quoted_and_must_be_given() -> None:
    script = Script().on("GET", f"{BASE}/a/b", httpx.Response(200, json={}))  # decoded path
    client = make_client(script)
    with pytest.raises(ValueError, match="dataset_id"):
        client.get_dataset("")
    client.get_dataset("a/b")
    assert script.requests[0].url.raw_path.decode() == f"{BASE}/a%2Fb"


def pages_of(items_key: str, total_key: str, total: int) -> Callable[[httpx.Request], httpx.Response]:
    def reply(request: httpx.Request) -> httpx.Response:
        page, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        items = [{"id": n} for n in range(page * limit, min(total, (page + 1) * limit))]
        return httpx.Response(200, json={items_key: items, total_key: total})

    return reply


def test_iterators_fetch_pages_lazily_with_page_index_offsets() -> None:
    script = Script().on("GET", TASKS, pages_of("tasks", "total_count", 25))
    client = make_client(script)
    tasks = client.iter_tasks("ds1", type="auto-label", page_size=10)
    assert script.requests == []  # nothing before the first item is asked for
    first = [next(tasks) for _ in range(10)]
    assert [t["id"] for t in first] == list(range(10)) and len(script.requests) == 1
    next(tasks)
    assert len(script.requests) == 2
    assert [t["id"] for t in tasks] == list(range(11, 25))
    assert [r.url.params["offset"] for r in script.requests] == ["0", "1", "2"]
    assert script.requests[0].url.params["type"] == "auto-label"


def page_length_count(total: int) -> Callable[[httpx.Request], httpx.Response]:
    """The reading where ``sample_count`` is the length of this page, not the total."""

    def reply(request: httpx.Request) -> httpx.Response:
        page, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        items = [{"id": n} for n in range(page * limit, min(total, (page + 1) * limit))]
        return httpx.Response(200, json={"samples": items, "sample_count": len(items)})

    return reply


SAMPLES = f"{BASE}/ds1/auto-annotations/samples"


@pytest.mark.parametrize(
    ("reply", "total", "requests"),
    [
        (pages_of("samples", "sample_count", 250), 250, 3),  # short last page
        (pages_of("samples", "sample_count", 200), 200, 3),  # full last page: one empty page ends it
        (page_length_count(250), 250, 3),  # the count equals the page length: it must not stop paging
        (page_length_count(300), 300, 4),
        (pages_of("samples", "sample_count", 0), 0, 1),
    ],
)
def test_paging_stops_on_a_short_or_empty_page_never_on_a_count(
    reply: Callable[[httpx.Request], httpx.Response], total: int, requests: int
) -> None:
    script = Script().on("GET", SAMPLES, reply)
    items = list(make_client(script).iter_auto_annotation_samples("ds1"))
    assert [item["id"] for item in items] == list(range(total))
    assert len(script.requests) == requests
    assert {r.url.params["limit"] for r in script.requests} == {"100"}


def test_a_server_that_ignores_offset_is_an_error_not_an_endless_loop() -> None:
    same_page = httpx.Response(200, json={"samples": [{"id": n} for n in range(100)], "sample_count": 100})
    script = Script().on("GET", SAMPLES, lambda request: same_page)
    with pytest.raises(APIError, match="same as page 0"):
        list(make_client(script).iter_auto_annotation_samples("ds1"))
    assert len(script.requests) == 2


@pytest.mark.parametrize(
    ("method_name", "largest"),
    [
        ("iter_tasks", 100),
        ("iter_export_tasks", 100),
        ("iter_import_tasks", 100),
        ("iter_versions", 1000),
        ("iter_auto_annotation_samples", 100),
    ],
)
def test_page_size_stays_within_the_documented_limit(method_name: str, largest: int) -> None:
    script = Script()
    method = getattr(make_client(script), method_name)
    with pytest.raises(ValueError, match=f"from 1 to {largest}"):
        method("ds1", page_size=largest + 1)
    with pytest.raises(ValueError, match=f"from 1 to {largest}"):
        method("ds1", page_size=0)
    page = getattr(make_client(script), method_name.replace("iter_", "list_") + "_page")
    with pytest.raises(ValueError, match=f"from 1 to {largest}"):
        page("ds1", limit=largest + 1)
    assert script.requests == []


def test_a_200_with_modelarts_4964_and_no_task_id_is_already_running() -> None:
    answer = {"error_code": "ModelArts.4964", "error_msg": "Auto grouping task is already running."}
    script = Script().on("POST", TASKS, httpx.Response(200, json=answer))
    with pytest.raises(AlreadyRunningError) as caught:
        make_client(script).create_task("ds1", {"task_type": "auto-grouping"})
    assert caught.value.error_code == "ModelArts.4964" and caught.value.status_code == 200
    assert "ModelArts.4964 (HTTP 200)" in str(caught.value)
    assert script.count("POST", TASKS) == 1  # not retried: nothing was created, the caller decides


def test_a_200_without_the_id_or_an_error_code_is_an_error() -> None:
    script = Script().on("POST", TASKS, httpx.Response(200, json={}))
    with pytest.raises(APIError, match="no 'task_id'"):
        make_client(script).create_task("ds1", {})


@pytest.mark.parametrize(
    ("method_name", "path", "items_key", "total_key"),
    [
        ("iter_datasets", BASE, "datasets", "total_number"),
        ("iter_export_tasks", f"{BASE}/ds1/export-tasks", "export_tasks", "total_count"),
        ("iter_auto_annotation_samples", f"{BASE}/ds1/auto-annotations/samples", "samples", "sample_count"),
    ],
)
def test_every_iterator_pages(method_name: str, path: str, items_key: str, total_key: str) -> None:
    script = Script().on("GET", path, pages_of(items_key, total_key, 5))
    client = make_client(script)
    method = getattr(client, method_name)
    items = list(method(page_size=2) if method_name == "iter_datasets" else method("ds1", page_size=2))
    assert len(items) == 5 and len(script.requests) == 3


def test_stats_count_calls_writes_and_retries() -> None:
    script = (
        Script()
        .on("GET", f"{TASKS}/t1", error(500), OK_TASK)
        .on("POST", TASKS, httpx.Response(200, json={"task_id": "t2"}))
    )
    client = make_client(script)
    client.get_task("ds1", "t1")
    client.create_task("ds1", {})
    snapshot = client.stats.snapshot()
    assert snapshot == {
        "calls": {
            "GET /v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}": 1,
            "POST /v2/{project_id}/datasets/{dataset_id}/tasks": 1,
        },
        "total": 2,
        "writes": 1,
        "retries": 1,
    }
    client.stats.reset()
    assert client.stats.total == 0 and client.stats.retries == 0


def test_label_update_reporting_failure_raises() -> None:
    script = Script().on("PUT", f"{BASE}/ds1/data-annotations/samples", httpx.Response(200, json={"success": False}))
    with pytest.raises(APIError, match="labels were not updated"):
        make_client(script).update_sample_labels("ds1", [])


def test_closed_client_refuses_calls_and_pool_is_shared() -> None:
    script = Script().on("GET", f"{TASKS}/t1", OK_TASK)
    transport = script.transport()
    with ModelArtsClient(make_settings(), transport=transport) as one:
        two = ModelArtsClient(make_settings(), transport=transport)
        assert one._http is two._http
        one.get_task("ds1", "t1")
    with pytest.raises(ModelArtsError, match="closed"):
        one.get_task("ds1", "t1")
    two.get_task("ds1", "t1")  # the pool outlives the first client
    assert ModelArtsClient(make_settings(read_timeout=3), transport=transport)._http is not two._http


def test_throttled_error_when_429_persists() -> None:
    script = Script().on("POST", TASKS, error(429, "ModelArts.4395", **{"Retry-After": "1"}))
    client = make_client(script, retry=RetryPolicy(3, 60, random=lambda a, b: 0.0))
    with pytest.raises(ThrottledError):
        client.create_task("ds1", {})
    assert script.count("POST", TASKS) == 3


def test_plain_http_endpoints_get_a_pool_without_certificates_that_https_settings_never_share() -> None:
    """Loading the CA bundle costs about 50 ms of a CLI run, for nothing when every endpoint is plain HTTP (the
    emulator); settings that name an https endpoint get a pool of their own that verifies."""
    plain = make_settings(endpoint="http://127.0.0.1:8443", iam_endpoint="http://127.0.0.1:8443/v3")
    secure = make_settings(endpoint="https://modelarts.eu-de.example", iam_endpoint="http://127.0.0.1:8443/v3")
    plain_pool, secure_pool = shared_http_client(plain), shared_http_client(secure)
    assert plain_pool is not secure_pool and shared_http_client(plain) is plain_pool
    plain_tls, secure_tls = (pool._transport._pool._ssl_context for pool in (plain_pool, secure_pool))
    assert plain_tls.verify_mode == ssl.CERT_NONE
    assert secure_tls.verify_mode == ssl.CERT_REQUIRED and secure_tls.check_hostname
