"""Secrets and bad credentials through the gRPC dynamic-provider host (`pulumi up`'s path), issue 10.

A sentinel value in each credential setting, with the whitespace a pasted CI secret carries, or with
a character that cannot go into a header, never appears in outputs (state), errors or the host's
stderr. Wrong credentials are rejected once per run, however many resources there are.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

import pulumi_modelarts as modelarts
from support.emulator_process import EmulatorProcess
from support.engine import CapturedResource, ProviderHost, capture_resources

SENTINEL_AK = "SENTINELAKAKAKAKAK02"
SENTINEL_SK = "SENTINEL-SK-9d3c-do-not-leak-00000000000"
SENTINEL_PASSWORD = "SENTINEL-PW-7e1a-do-not-leak"
SENTINEL = "SENTINEL"


@pytest.fixture
def sentinel_emulator(emulator_factory: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    emulator = emulator_factory(
        "--seed",
        "demo",
        "--access-key",
        SENTINEL_AK,
        "--secret-key",
        SENTINEL_SK,
        "--password",
        SENTINEL_PASSWORD,
    )
    emulator.access_key, emulator.secret_key, emulator.password = SENTINEL_AK, SENTINEL_SK, SENTINEL_PASSWORD
    return emulator


@pytest.fixture
def start_host() -> Iterator[Callable[[dict[str, str]], ProviderHost]]:
    hosts: list[ProviderHost] = []

    def start(config: dict[str, str]) -> ProviderHost:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("HW_", "OS_", "MODELARTS_"))}
        host = ProviderHost(env=env)
        hosts.append(host)
        host.configure(config)
        return host

    yield start
    for host in hosts:
        host.close()


def _versions(count: int) -> list[CapturedResource]:
    def program() -> list[object]:
        return [
            modelarts.DatasetVersionRef(f"ref-{index}", dataset_name="flowers", version_name="V002")
            for index in range(count)
        ]

    return capture_resources(program)  # type: ignore[arg-type]


def _inputs(resource: CapturedResource) -> dict[str, object]:
    return {key: value for key, value in resource.inputs.items() if value is not None}


AKSK = {"modelarts:accessKey": f"  {SENTINEL_AK}\n", "modelarts:secretKey": f"{SENTINEL_SK}\r\n"}
PASSWORD = {
    "modelarts:username": "emulator-user",
    "modelarts:password": f"{SENTINEL_PASSWORD}\n",
    "modelarts:domainName": "emulator-domain",
}


@pytest.mark.parametrize("credentials", [AKSK, PASSWORD], ids=["aksk", "password"])
def test_credentials_with_surrounding_whitespace_work_and_never_show(
    sentinel_emulator: EmulatorProcess,
    start_host: Callable[[dict[str, str]], ProviderHost],
    credentials: dict[str, str],
) -> None:
    host = start_host({**sentinel_emulator.stack_config(credentials=False), **credentials})
    resource = _versions(1)[0]
    inputs, failures = host.check(resource, _inputs(resource))
    assert failures == []
    version_id, outputs = host.create(resource, inputs)
    assert version_id and SENTINEL not in repr(outputs)
    _, read, read_inputs = host.read(resource, version_id, outputs)
    assert SENTINEL not in repr(read) + repr(read_inputs)
    host.close()
    assert SENTINEL not in host.stderr()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("modelarts:accessKey", f"{SENTINEL_AK}\nX"),
        ("modelarts:secretKey", f"{SENTINEL_SK}\u00e9"),
        ("modelarts:securityToken", f"{SENTINEL}-TOKEN\n\nX"),
        ("modelarts:authToken", f"{SENTINEL}-TOKEN\x00"),
        ("modelarts:authToken", f"{SENTINEL}-TOKEN-NOT-VALID"),
        ("modelarts:secretKey", f"{SENTINEL}-WRONG-SECRET-KEY"),
    ],
)
def test_unusable_or_wrong_secrets_fail_without_showing(
    sentinel_emulator: EmulatorProcess, start_host: Callable[[dict[str, str]], ProviderHost], key: str, value: str
) -> None:
    config = {
        **sentinel_emulator.stack_config(credentials=False),
        "modelarts:accessKey": SENTINEL_AK,
        "modelarts:secretKey": SENTINEL_SK,
    }
    if key == "modelarts:authToken":
        del config["modelarts:accessKey"], config["modelarts:secretKey"]
    config[key] = value
    host = start_host(config)
    resource = _versions(1)[0]
    inputs, _ = host.check(resource, _inputs(resource))
    with pytest.raises(Exception) as failure:
        host.create(resource, inputs)
    text = str(failure.value) + repr(failure.value)
    assert SENTINEL not in text
    assert key.split(":")[1] in text or "authentication failed" in text
    host.close()
    assert SENTINEL not in host.stderr()


def test_wrong_secret_key_is_one_rejected_signature_for_all_resources(
    sentinel_emulator: EmulatorProcess, start_host: Callable[[dict[str, str]], ProviderHost]
) -> None:
    config = {
        **sentinel_emulator.stack_config(credentials=False),
        "modelarts:accessKey": SENTINEL_AK,
        "modelarts:secretKey": "wrong-key-1234",
    }
    del config["modelarts:projectId"]  # the project id lookup is the first call; it must not be repeated
    host = start_host(config)
    sentinel_emulator.reset_stats()
    messages = []
    for resource in _versions(4):
        inputs, _ = host.check(resource, _inputs(resource))
        with pytest.raises(Exception) as failure:
            host.create(resource, inputs)
        messages.append(str(failure.value))
    stats = sentinel_emulator.stats()
    assert stats["total"] + stats["auth"] == 1, stats
    assert all("authentication failed" in message and "modelarts:secretKey" in message for message in messages)


def test_a_misspelled_config_key_is_warned_about_with_the_closest_key(
    sentinel_emulator: EmulatorProcess, start_host: Callable[[dict[str, str]], ProviderHost]
) -> None:
    config = {**sentinel_emulator.stack_config(credentials=False), **AKSK, "modelarts:regoin": "eu-de"}
    host = start_host(config)
    resource = _versions(1)[0]
    inputs, _ = host.check(resource, _inputs(resource))
    host.create(resource, inputs)
    host.close()
    assert "modelarts:regoin is not a pulumi-modelarts setting; did you mean modelarts:region?" in host.stderr()
