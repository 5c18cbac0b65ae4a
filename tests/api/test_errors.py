"""Error answers become the right exception, with a message that names the route template."""

from __future__ import annotations

import httpx
import pytest

from pulumi_modelarts.api import (
    AlreadyRunningError,
    APIError,
    AuthenticationError,
    NotFoundError,
    ServerError,
    ThrottledError,
)
from pulumi_modelarts.api.responses import error_from_response, parse_error_body
from support.api_fakes import PROJECT_ID, Script, error, make_client

DATASET_PATH = f"/v2/{PROJECT_ID}/datasets/ds1"


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "ModelArts.4352", NotFoundError),
        (400, "ModelArts.4353", NotFoundError),
        (400, "ModelArts.4359", NotFoundError),
        (400, "ModelArts.4612", NotFoundError),
        (400, "ModelArts.4700", NotFoundError),
        (404, "ModelArts.2836", NotFoundError),
        (404, None, NotFoundError),
        (501, "ModelArts.4385", AlreadyRunningError),
        (501, "ModelArts.4386", AlreadyRunningError),
        (501, "ModelArts.4387", AlreadyRunningError),
        (400, "ModelArts.4356", AlreadyRunningError),
        (501, "ModelArts.4383", APIError),
        (429, "ModelArts.2799", ThrottledError),
        (429, "ModelArts.4206", ThrottledError),
        (429, "ModelArts.4395", ThrottledError),
        (429, "ModelArts.6101", ThrottledError),
        (429, "APIG.0308", ThrottledError),
        (429, None, ThrottledError),
        (500, "ModelArts.0010", ServerError),
        (502, None, ServerError),
        (503, "ModelArts.4302", ServerError),
        (401, "ModelArts.0203", AuthenticationError),
        (401, "APIG.0301", AuthenticationError),
        (403, "ModelArts.0206", AuthenticationError),
        (400, "ModelArts.4370", APIError),
    ],
)
def test_error_families(status: int, code: str | None, cls: type[APIError]) -> None:
    response = error(status, code, "what went wrong")
    caught = error_from_response(response, method="GET", route="/v2/{project_id}/datasets/{dataset_id}")
    assert type(caught) is cls
    assert (caught.status_code, caught.error_code, caught.error_msg) == (status, code, "what went wrong")


def test_message_uses_the_template_and_carries_the_request_id() -> None:
    script = Script().on(
        "GET",
        DATASET_PATH,
        httpx.Response(
            400,
            json={
                "error_code": "ModelArts.4352",
                "error_msg": "Dataset does not exist",
                "request_id": "req-42",
            },
        ),
    )
    with pytest.raises(NotFoundError) as caught:
        make_client(script).get_dataset("ds1")
    assert str(caught.value) == (
        "ModelArts.4352 (HTTP 400) on GET /v2/{project_id}/datasets/{dataset_id}: "
        "Dataset does not exist [request id req-42]"
    )
    assert PROJECT_ID not in str(caught.value)
    assert caught.value.path == "/v2/{project_id}/datasets/{dataset_id}"
    assert caught.value.request_id == "req-42"


def test_iam_error_shape_and_request_id_header() -> None:
    response = httpx.Response(
        401,
        json={"error": {"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}},
        headers={"X-Request-Id": "hdr-1"},
    )
    assert parse_error_body(response) == (None, "The username or password is wrong.", "hdr-1")
    caught = error_from_response(response, method="POST", route="/v3/auth/tokens")
    assert isinstance(caught, AuthenticationError)
    assert str(caught) == ("HTTP 401 on POST /v3/auth/tokens: The username or password is wrong. [request id hdr-1]")


def test_non_json_error_uses_the_reason_phrase() -> None:
    caught = error_from_response(httpx.Response(502, text="<html>bad</html>"), method="GET", route="/x")
    assert isinstance(caught, ServerError)
    assert str(caught) == "HTTP 502 on GET /x: Bad Gateway"


def test_throttled_error_carries_retry_after() -> None:
    caught = error_from_response(error(429, "APIG.0308", "slow down", **{"Retry-After": "3"}), method="GET", route="/")
    assert isinstance(caught, ThrottledError) and caught.retry_after == 3.0


def test_echoed_secrets_are_scrubbed() -> None:
    response = error(403, "APIG.0301", "bad key SENTINEL-SK-abcdef given")
    caught = error_from_response(response, method="GET", route="/", secrets=["SENTINEL-SK-abcdef"])
    assert "SENTINEL" not in str(caught) and "SENTINEL" not in repr(caught)
    assert caught.error_msg == "bad key *** given"
