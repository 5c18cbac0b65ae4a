"""Sentinel credentials never show in reprs, exceptions or DEBUG logs (of any logger)."""

from __future__ import annotations

import dataclasses
import logging
import threading

import httpx
import pytest

from pulumi_modelarts.api import (
    APIError,
    AuthenticationError,
    ModelArtsClient,
    ModelArtsError,
    RetryPolicy,
    resolve_settings,
)
from pulumi_modelarts.api.auth import make_auth
from support.api_fakes import PROJECT_ID, Script, error, make_client
from support.emulator_process import EmulatorProcess

SENTINELS = {
    "access_key": "SENTINEL-AK-0001",
    "secret_key": "SENTINEL-SK-0001",
    "security_token": "SENTINEL-ST-0001",
    "password": "SENTINEL-PW-0001",
    "auth_token": "SENTINEL-TOK-0001",
}
DATASET = f"/v2/{PROJECT_ID}/datasets/ds1"


def assert_clean(text: str) -> None:
    assert "SENTINEL" not in text, text


def echo_everything(request: httpx.Request) -> httpx.Response:
    """A hostile server that echoes every header and the body in its error message."""
    echoed = " ".join(f"{k}={v}" for k, v in request.headers.items()) + " " + request.content.decode()
    return httpx.Response(401, json={"error_code": "APIG.0301", "error_msg": echoed, "request_id": "r"})


@pytest.mark.parametrize(
    "overrides",
    [
        {"access_key": SENTINELS["access_key"], "secret_key": SENTINELS["secret_key"]},
        {
            "access_key": SENTINELS["access_key"],
            "secret_key": SENTINELS["secret_key"],
            "security_token": SENTINELS["security_token"],
        },
        {
            "access_key": None,
            "secret_key": None,
            "username": "u",
            "password": SENTINELS["password"],
            "domain_name": "d",
        },
        {"access_key": None, "secret_key": None, "auth_token": SENTINELS["auth_token"]},
    ],
)
def test_no_secret_in_reprs_errors_or_logs(overrides: dict[str, str | None], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    script = (
        Script()
        .on("POST", "/v3/auth/tokens", echo_everything)
        .on("GET", DATASET, echo_everything)
        .on("POST", f"{DATASET}/tasks", httpx.ReadTimeout("timed out"))
        .on("GET", f"{DATASET}/tasks/t1", error(500, "ModelArts.0010", "internal"))
    )
    client = make_client(script, **overrides)
    assert_clean(repr(client.settings))
    assert_clean(repr(client))
    assert_clean(repr(client._auth))
    assert_clean(repr(make_auth(client.settings)))
    for call in (
        lambda: client.get_dataset("ds1"),
        lambda: client.create_task("ds1", {"task_type": "auto-label"}),
        lambda: client.get_task("ds1", "t1"),
    ):
        with pytest.raises(ModelArtsError) as caught:
            call()
        assert_clean(str(caught.value))
        assert_clean(repr(caught.value))
        if isinstance(caught.value, APIError):
            assert_clean(str(caught.value.error_msg))
        assert_clean(repr(caught.value.__cause__))
    assert caplog.records, "expected DEBUG records"
    assert_clean(caplog.text)
    assert_clean("\n".join(str(record.args) for record in caplog.records))


def test_configuration_errors_do_not_echo_secrets() -> None:
    with pytest.raises(ModelArtsError) as caught:
        resolve_settings(environ={}, region="eu-de", security_token=SENTINELS["security_token"])
    assert_clean(str(caught.value))
    with pytest.raises(ModelArtsError) as caught:
        resolve_settings(environ={}, region="eu-de", password=SENTINELS["password"])
    assert_clean(str(caught.value))


# --- issue 10: transport errors, rejected credentials -------------------------------------------------


@pytest.mark.parametrize("setting", ["access_key", "security_token"])
def test_transport_errors_never_quote_a_header_value(emulator: EmulatorProcess, setting: str) -> None:
    """h11 refuses a header value with a line break and repeats the value; the client never passes it on.

    resolve_settings refuses such values first; Settings built by hand still must not leak them.
    """
    settings = resolve_settings(environ={}, **emulator.client_settings())
    settings = dataclasses.replace(settings, **{setting: "SENTINEL-VALUE-0001\nX"})
    client = ModelArtsClient(settings, retry=RetryPolicy(max_attempts=1, max_elapsed_seconds=5))
    with pytest.raises(ModelArtsError) as caught:
        client.get_dataset("ds1")
    assert_clean(str(caught.value) + repr(caught.value))
    assert "header" in str(caught.value) and "127.0.0.1" in str(caught.value)


def test_wrong_keys_from_many_threads_are_one_rejected_signature(emulator: EmulatorProcess) -> None:
    settings = resolve_settings(environ={}, **emulator.client_settings(secret_key="SENTINEL-WRONG-SK"))
    clients = [ModelArtsClient(settings, retry=RetryPolicy(max_attempts=1, max_elapsed_seconds=5)) for _ in range(3)]
    emulator.reset_stats()
    errors: list[BaseException] = []

    def call(client: ModelArtsClient) -> None:
        try:
            client.get_dataset("ds1")
        except AuthenticationError as error:
            errors.append(error)

    threads = [threading.Thread(target=call, args=(clients[index % 3],)) for index in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = emulator.stats()
    assert stats["total"] + stats["auth"] == 1, stats
    assert len(errors) == 12 and len({str(error) for error in errors}) == 1
    message = str(errors[0])
    assert "authentication failed" in message and "access key from Pulumi config modelarts:accessKey" in message
    assert_clean(message)
    assert clients[0].credential_rejection is not None


def test_accepted_credentials_are_not_serialized(emulator: EmulatorProcess) -> None:
    client = ModelArtsClient(resolve_settings(environ={}, **emulator.client_settings()))
    emulator.reset_stats()
    pages = [threading.Thread(target=client.list_datasets_page) for _ in range(4)]
    for thread in pages:
        thread.start()
    for thread in pages:
        thread.join()
    assert emulator.stats()["total"] == 4
    assert client.credential_rejection is None
