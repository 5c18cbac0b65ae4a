"""A connection refused by a loopback host fails at once; elsewhere a refusal stays a transient failure to retry."""

from __future__ import annotations

import socket

import httpx
import pytest

from pulumi_modelarts.api import ModelArtsClient, RetryPolicy, TransportError
from pulumi_modelarts.api.retry import refused_locally
from support.api_fakes import PROJECT_ID, FakeTime, Script, make_client, make_settings

TASK = f"/v2/{PROJECT_ID}/datasets/ds1/tasks/t1"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_refused_loopback_connection_fails_without_retrying(host: str) -> None:
    url = f"http://{host}:{_closed_port()}"
    time = FakeTime()
    client = ModelArtsClient(
        make_settings(endpoint=url, iam_endpoint=f"{url}/v3"),
        retry=RetryPolicy(max_attempts=6, max_elapsed_seconds=120),
        sleep=time.sleep,
        clock=time.clock,
    )
    with pytest.raises(TransportError, match=r"ConnectError on GET .* Connection refused"):
        client.get_task("ds1", "t1")
    assert time.sleeps == [] and client.stats.retries == 0


def _refused(request: httpx.Request) -> httpx.Response:
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except ConnectionRefusedError as refused:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request) from refused


def test_a_refusal_by_a_remote_host_is_still_retried() -> None:
    script = Script().on("GET", TASK, _refused, httpx.Response(200, json={"task_id": "t1", "status": 1}))
    client = make_client(script)  # https://modelarts.test
    assert client.get_task("ds1", "t1")["task_id"] == "t1"
    assert script.count("GET", TASK) == 2


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("api.localhost", True),
        ("10.0.0.1", False),
        ("modelarts.eu-de.otc.t-systems.com", False),
        ("localhost.example.com", False),
    ],
)
def test_which_hosts_are_loopback(host: str, local: bool) -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    wrapped = httpx.ConnectError("refused")
    wrapped.__cause__ = refused
    assert refused_locally(wrapped, host) is local
    assert refused_locally(httpx.ConnectError("timed out"), host) is False  # only refusals, never other failures
