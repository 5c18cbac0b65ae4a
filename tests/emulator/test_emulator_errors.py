"""Error answers (NOTES §5) and robustness: no input makes the emulator answer 500 or stop serving."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_modelarts.emulator.routes import api_routes
from support.emu_helpers import FLOWERS, dataset_id, get_token
from support.emulator_process import EmulatorProcess, borrow_emulator, give_back
from support.properties import json_like

TEMPLATES = [route.template for route in api_routes()]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[EmulatorProcess, httpx.Client, dict[str, str]]]:
    em = borrow_emulator("--admin", "--seed", "demo", "--task-seconds", "1", "--export-seconds", "0.5")
    http = httpx.Client(base_url=em.url, headers={"X-Auth-Token": get_token(em)}, timeout=20)
    flowers = dataset_id(httpx.Client(base_url=f"{em.url}/v2/{em.project_id}", headers=http.headers), FLOWERS)
    ids = {"project_id": em.project_id, "dataset_id": flowers, "task_id": "T" * 19, "version_id": "V" * 19}
    yield em, http, ids
    http.close()
    give_back(em)


@pytest.fixture(scope="module")
def plain(target: Any) -> Iterator[httpx.Client]:
    """A client without credentials, for requests that bring their own headers."""
    with httpx.Client(base_url=target[0].url, timeout=20) as http:
        yield http


def _path(template: str, ids: dict[str, str]) -> str:
    return template.format(**ids)


def test_unknown_path(target: Any) -> None:
    _em, http, ids = target
    for path in ("/", "/v2", f"/v2/{ids['project_id']}/dataset", "/v1/x", f"/v2/{ids['project_id']}/datasets/a/b/c/d"):
        response = http.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error_code": "ModelArts.2836", "error_msg": "PathNotFound"}


def test_method_not_allowed(target: Any) -> None:
    _em, http, ids = target
    response = http.patch(f"/v2/{ids['project_id']}/datasets")
    assert response.status_code == 405
    assert response.json() == {"error_code": "ModelArts.2803", "error_msg": "MethodNotAllowed"}
    assert response.headers["Allow"] == "GET, POST"
    odd = http.request("FROB", f"/v2/{ids['project_id']}/datasets/{ids['dataset_id']}")
    assert odd.status_code == 405


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'"text"', "JSON object"),
        (b"\xff\xfe", "UTF-8"),
        (b'{"version_name": NaN}', "not valid JSON"),
        (b'{"version_name": 1e999}', "not valid JSON"),
        (b"[" * 100000, "not valid JSON"),
    ],
)
def test_malformed_bodies(target: Any, body: bytes, needle: str) -> None:
    _em, http, ids = target
    response = http.post(f"/v2/{ids['project_id']}/datasets/{ids['dataset_id']}/versions", content=body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "ModelArts.4200"
    assert needle in response.json()["error_msg"]


def test_empty_body_where_one_is_needed(target: Any) -> None:
    _em, http, ids = target
    response = http.post(f"/v2/{ids['project_id']}/datasets")
    assert response.status_code == 400 and response.json()["error_code"] == "ModelArts.4202"


def test_wrong_types_name_the_field(target: Any) -> None:
    _em, http, ids = target
    base = f"/v2/{ids['project_id']}/datasets/{ids['dataset_id']}"
    response = http.post(base + "/tasks", json={"config": {"worker_server_num": True}})
    assert response.status_code == 400
    assert "'config.worker_server_num'" in response.json()["error_msg"]
    assert "integer" in response.json()["error_msg"]
    response = http.post(base + "/tasks", json={"task_type": "x"})
    assert "auto-label" in response.json()["error_msg"]  # says what is allowed


def test_body_too_large(target: Any) -> None:
    _em, http, ids = target
    big = b'{"description": "' + b"x" * (12 * 1024 * 1024 + 10) + b'"}'
    response = http.post(f"/v2/{ids['project_id']}/datasets", content=big)
    assert response.status_code == 413
    assert response.json()["error_code"] == "ModelArts.4104"
    # the same connection keeps working
    assert http.get(f"/v2/{ids['project_id']}/datasets").status_code == 200


def test_invalid_content_length_and_garbage_request_lines(target: Any) -> None:
    em, http, ids = target
    parts = urlsplit(em.url)
    for raw in (
        b"POST /v2/x/datasets HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"GET /\x00\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /v2/x/datasets HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ):
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
            sock.sendall(raw)
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1."), raw
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, (raw, answer[:100])
    assert http.get(f"/v2/{ids['project_id']}/datasets").status_code == 200


def test_chunked_body(target: Any) -> None:
    _em, http, ids = target

    def chunks() -> Iterator[bytes]:
        yield b'{"version_name": '
        yield b'"bad name"}'

    response = http.post(f"/v2/{ids['project_id']}/datasets/{ids['dataset_id']}/versions", content=chunks())
    assert response.status_code == 400 and "version_name" in response.json()["error_msg"]


json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)


json_values = json_like(json_leaves, st.text(max_size=12), depth=2, max_list=5, max_dict=5)
FIELD_NAMES = st.sampled_from(
    [
        "task_type",
        "config",
        "collect_key_sample",
        "model_id",
        "path",
        "export_type",
        "export_format",
        "export_params",
        "version_id",
        "version_name",
        "version_format",
        "train_evaluate_sample_ratio",
        "description",
        "dataset_name",
        "data_sources",
        "work_path",
        "work_path_type",
        "labels",
        "add_labels",
        "delete_labels",
        "samples",
        "search_conditions",
        "dataset_type",
        "sample_state",
        "with_column_header",
        "name",
        "algorithm_type",
    ]
)
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(FIELD_NAMES, json_values, max_size=6).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {
            "config": st.dictionaries(
                FIELD_NAMES | st.sampled_from(["n_clusters", "inf_config_list", "export_params"]),
                json_values,
                max_size=4,
            )
        },
        optional={"task_type": st.sampled_from(["auto-label", "pre-label", "auto-grouping"])},
    ).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {
            "export_params": st.dictionaries(
                FIELD_NAMES | st.sampled_from(["export_dest", "export_new_dataset_name"]), json_values, max_size=4
            )
        },
        optional={"path": st.text(max_size=10), "export_type": st.integers(-2, 5)},
    ).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)
segments = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=25)
queries = st.dictionaries(
    st.sampled_from(
        [
            "offset",
            "limit",
            "type",
            "task_name",
            "export_type",
            "status",
            "version_format",
            "train_evaluate_ratio",
            "search_content",
            "dataset_type",
            "order",
            "sort_by",
            "check_running_task",
            "running_task_type",
            "with_labels",
            "contain_versions",
        ]
    )
    | st.text(max_size=8),
    st.text(max_size=12) | st.integers(-(10**15), 10**15).map(str),
    max_size=4,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    template=st.sampled_from(TEMPLATES),
    method=st.sampled_from(METHODS),
    body=bodies,
    query=queries,
    swap=st.booleans(),
    segment=segments,
)
def test_garbage_never_causes_a_500(
    target: Any, template: str, method: str, body: bytes, query: dict[str, str], swap: bool, segment: str
) -> None:
    _em, http, ids = target
    values = dict(ids)
    if swap:  # garbage in an id slot
        values["task_id"] = values["version_id"] = segment or "x"
        if "{task_id}" not in template and "{version_id}" not in template:
            values["dataset_id"] = segment or "x"
    path = _path(template, {key: quote(value, safe="") for key, value in values.items()})
    response = http.request(method, path, content=body, params=query)
    if response.status_code == 501:  # the documented "already running" answers are not server errors
        assert response.json()["error_code"] in ("ModelArts.4386", "ModelArts.4387"), response.text
        return
    assert response.status_code < 500, (method, path, body[:200], query, response.text)
    if response.status_code >= 400 and method != "HEAD":
        body = response.json()
        assert set(body) >= {"error_code", "error_msg"} or set(body["error"]) == {"code", "message", "title"}


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.text(max_size=60), method=st.sampled_from(METHODS), body=st.binary(max_size=100))
def test_garbage_paths(target: Any, path: str, method: str, body: bytes) -> None:
    _em, http, _ids = target
    url = "/" + quote(path, safe="/=&").lstrip("/")
    try:
        response = http.request(method, url, content=body)
    except httpx.InvalidURL:
        return
    assert response.status_code < 500, (method, url, response.text)


header_text = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80)
authorizations = st.builds(
    "SDK-HMAC-SHA256 {}={}, SignedHeaders={}, Signature={}".format,
    st.sampled_from(["Access", "Credential"]),
    st.sampled_from(["EMULATORACCESSKEY001", "OTHER", "EMULATORACCESSKEY001/2024//x", ""]) | header_text,
    st.lists(st.sampled_from(["host", "x-sdk-date", "content-type", "X-Unknown", "x-project-id"]), max_size=4).map(
        ";".join
    ),
    st.text(alphabet="0123456789abcdef", max_size=64),
)
sdk_dates = st.datetimes().map(lambda moment: moment.strftime("%Y%m%dT%H%M%SZ")) | header_text


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies,
    headers=st.fixed_dictionaries(
        {},
        optional={
            "Authorization": authorizations | header_text,
            "X-Sdk-Date": sdk_dates,
            "X-Auth-Token": header_text,
            "X-Security-Token": header_text,
            "X-Project-Id": header_text,
        },
    ),
)
def test_garbage_credentials(target: Any, plain: httpx.Client, body: bytes, headers: dict[str, str]) -> None:
    _em, _http, ids = target
    response = plain.post(f"/v2/{ids['project_id']}/datasets", content=body, headers=headers)
    assert response.status_code < 500
    iam = plain.post("/v3/auth/tokens", content=body, headers=headers)
    assert iam.status_code < 500


def test_still_serving_after_the_garbage(target: Any) -> None:
    em, http, ids = target
    assert em.process.poll() is None
    assert http.get(f"/v2/{ids['project_id']}/datasets").status_code == 200
