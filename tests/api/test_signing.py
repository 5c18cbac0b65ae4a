"""AK/SK signing: the Go SDK vectors of NOTES §6.3, and what AkSkAuth puts on a request."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

import httpx

from pulumi_modelarts import signing
from pulumi_modelarts.api.auth import AkSkAuth, signing_inputs

DATE = "20060102T150405Z"
MOMENT = datetime(2006, 1, 2, 15, 4, 5, tzinfo=timezone.utc)
VECTOR_GET = "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
VECTOR_POST = "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"


def _vector_signature(request: httpx.Request) -> str:
    """Sign an httpx request the way the Go test does: only x-sdk-date is signed."""
    method, path, query, headers, body = signing_inputs(request)
    value = signing.sign(
        access_key="AccessKey",
        secret_key="SecretKey",
        method=method,
        path=path,
        query=query,
        headers={**headers, "X-Sdk-Date": DATE},
        body=body,
        signed_headers=["x-sdk-date"],
    )
    return value.rsplit("Signature=", 1)[1]


def test_go_sdk_get_vector_from_an_httpx_request() -> None:
    request = httpx.Request("GET", "https://example.huaweicloud.com/path", params={"limit": "1"})
    assert _vector_signature(request) == VECTOR_GET


def test_go_sdk_post_vector_from_an_httpx_request() -> None:
    body = b'{"Name":"test","Id":1}\n'
    assert len(body) == 23
    request = httpx.Request("POST", "https://example.huaweicloud.com/path?key=value", content=body)
    assert _vector_signature(request) == VECTOR_POST


def test_go_sdk_canonical_request_for_the_get_vector() -> None:
    request = httpx.Request("GET", "https://example.huaweicloud.com/path", params={"limit": "1"})
    method, path, query, _, body = signing_inputs(request)
    canonical = signing.canonical_request(
        method, path, query, {"X-Sdk-Date": DATE}, ["x-sdk-date"], signing.payload_sha256(body, {})
    )
    assert canonical == (
        "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_query_encoding_vector_through_httpx_params() -> None:
    params = [
        ("limit", "1"),
        ("enable", "true"),
        ("test", "一 (&=?!#%.*)"),
        ("path", "/tmp/123"),
        ("multi", "3"),
        ("multi", "1"),
        ("multi", "2"),
    ]
    request = httpx.Request("GET", "https://example.huaweicloud.com/path", params=params)
    _, _, query, _, _ = signing_inputs(request)
    assert signing.canonical_query(query) == (
        "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
    )


def _independent_signature(secret: str, request: httpx.Request, names: list[str]) -> str:
    """Steps 4-10 of NOTES §6.3 written out again, without the signing module."""
    headers = {name: request.headers[name].strip() for name in names}
    canonical = "\n".join(
        [
            request.method,
            request.url.path.rstrip("/") + "/",
            "&".join(sorted(f"{k}={v}" for k, v in request.url.params.multi_items())),
            "".join(f"{name}:{headers[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(request.content).hexdigest(),
        ]
    )
    text = f"SDK-HMAC-SHA256\n{request.headers['x-sdk-date']}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def test_aksk_auth_signs_content_type_host_project_and_date() -> None:
    auth = AkSkAuth("AccessKey", "SecretKey", project_id="proj-1", utcnow=lambda: MOMENT)
    request = httpx.Request(
        "POST", "https://modelarts.eu-de.otc.t-systems.com/v2/proj-1/datasets/d1/tasks?x=1", json={"a": 1}
    )
    flow = auth.sync_auth_flow(request)
    signed = next(flow)
    names = ["content-type", "host", "x-project-id", "x-sdk-date"]
    assert signed.headers["X-Sdk-Date"] == DATE
    assert signed.headers["Host"] == "modelarts.eu-de.otc.t-systems.com"
    assert signed.headers["X-Project-Id"] == "proj-1"
    assert signed.headers["Content-Type"] == "application/json"
    expected = _independent_signature("SecretKey", signed, names)
    assert signed.headers["Authorization"] == (
        f"SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders={';'.join(names)}, Signature={expected}"
    )


def test_temporary_keys_sign_the_security_token_and_get_has_no_content_type() -> None:
    auth = AkSkAuth("AK", "SK", "TOKEN-1", project_id="proj-1", utcnow=lambda: MOMENT)
    request = httpx.Request("GET", "http://127.0.0.1:8123/v2/proj-1/datasets", params={"limit": "10"})
    signed = next(auth.sync_auth_flow(request))
    names = ["host", "x-project-id", "x-sdk-date", "x-security-token"]
    assert signed.headers["X-Security-Token"] == "TOKEN-1"
    assert signed.headers["Host"] == "127.0.0.1:8123"
    assert f"SignedHeaders={';'.join(names)}," in signed.headers["Authorization"]
    assert signed.headers["Authorization"].endswith(_independent_signature("SK", signed, names))
    parsed = signing.parse_authorization(signed.headers["Authorization"])
    assert parsed is not None and parsed.access_key == "AK"
