"""Fault injection: latency, error, throttle, drop and drop_after_commit, from flags and the admin API."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

from support.emu_helpers import FLOWERS, aksk_client, dataset_id
from support.emulator_process import EmulatorProcess

TASKS = "/v2/{project_id}/datasets/{dataset_id}/tasks"
TASK = "/v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}"
DATASETS = "/v2/{project_id}/datasets"


def test_error_rule_with_times(emulator: EmulatorProcess, client: httpx.Client) -> None:
    emulator.set_faults([{"action": "error", "route": DATASETS, "method": "GET", "times": 2}])
    for _ in range(2):
        response = client.get("/datasets")
        assert response.status_code == 503
        assert response.json()["error_code"] == "ModelArts.4503"
    assert client.get("/datasets").status_code == 200
    [rule] = emulator.admin.get("/faults").json()["rules"]
    assert rule["applied"] == 2 and rule["times"] == 2


def test_error_rule_with_custom_status(emulator: EmulatorProcess, client: httpx.Client) -> None:
    emulator.set_faults([{"action": "error", "status": 500, "error_code": "ModelArts.0010", "error_msg": "boom"}])
    response = client.get("/datasets")
    assert response.status_code == 500 and response.json() == {"error_code": "ModelArts.0010", "error_msg": "boom"}
    emulator.clear_faults()
    assert client.get("/datasets").status_code == 200
    assert emulator.admin.get("/faults").json() == {"rules": []}


def test_rules_only_match_their_method_and_route(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    emulator.set_faults([{"action": "error", "route": TASKS, "method": "POST"}])
    assert client.get(f"/datasets/{flowers}/tasks").status_code == 200
    assert client.get(f"/datasets/{flowers}").status_code == 200
    assert client.post(f"/datasets/{flowers}/tasks", json={"task_type": "auto-label"}).status_code == 503
    # the failed POST created nothing
    assert client.get(f"/datasets/{flowers}/tasks").json()["total_count"] == 0


def test_throttle(emulator: EmulatorProcess, client: httpx.Client) -> None:
    emulator.set_faults([{"action": "throttle", "retry_after": 2, "times": 1}])
    response = client.get("/datasets")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert response.json()["error_code"] == "ModelArts.2799"
    emulator.set_faults([{"action": "throttle", "error_code": "APIG.0308", "times": 1}])
    response = client.get("/datasets")
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    body = response.json()
    assert body["error_code"] == "APIG.0308" and "throttling threshold" in body["error_msg"] and body["request_id"]
    assert client.get("/datasets").status_code == 200


def test_latency(emulator: EmulatorProcess, client: httpx.Client) -> None:
    emulator.set_faults([{"action": "latency", "latency_ms": 300, "route": "*"}])
    started = time.monotonic()
    assert client.get("/datasets").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_latency_flag(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    em = emulator_factory("--latency-ms", "250")
    with aksk_client(em) as http:
        started = time.monotonic()
        assert http.get("/datasets").status_code == 200
        assert time.monotonic() - started >= 0.25


def test_drop_does_not_process(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    emulator.set_faults([{"action": "drop", "route": TASKS, "method": "POST", "times": 1}])
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"/datasets/{flowers}/tasks", json={"task_type": "auto-label"})
    assert client.get(f"/datasets/{flowers}/tasks").json()["total_count"] == 0
    assert client.post(f"/datasets/{flowers}/tasks", json={"task_type": "auto-label"}).status_code == 200


def test_drop_after_commit_keeps_the_object(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    emulator.set_faults([{"action": "drop_after_commit", "route": TASKS, "method": "POST", "times": 1}])
    body = {"task_type": "auto-label", "config": {"name": "lost-response"}}
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"/datasets/{flowers}/tasks", json=body)
    listed = client.get(f"/datasets/{flowers}/tasks", params={"task_name": "lost-response"}).json()
    assert listed["total_count"] == 1
    # a retry with the same name is refused, which is how a client notices its earlier attempt
    retry = client.post(f"/datasets/{flowers}/tasks", json=body)
    assert retry.status_code == 400 and retry.json()["error_code"] == "ModelArts.4391"


def test_drop_after_commit_for_versions(emulator: EmulatorProcess, client: httpx.Client) -> None:
    flowers = dataset_id(client, FLOWERS)
    route = "/v2/{project_id}/datasets/{dataset_id}/versions"
    emulator.set_faults([{"action": "drop_after_commit", "route": route, "method": "POST", "times": 1}])
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"/datasets/{flowers}/versions", json={"version_name": "V009"})
    names = [v["version_name"] for v in client.get(f"/datasets/{flowers}/versions").json()["versions"]]
    assert names[0] == "V009"


def test_probability(emulator: EmulatorProcess, client: httpx.Client) -> None:
    emulator.set_faults([{"action": "error", "probability": 0.0}])
    assert all(client.get("/datasets").status_code == 200 for _ in range(10))
    emulator.set_faults([{"action": "error", "probability": 0.5}])
    codes = {client.get("/datasets").status_code for _ in range(60)}
    assert codes == {200, 503}


def test_auth_route_faults(emulator: EmulatorProcess) -> None:
    emulator.set_faults([{"action": "error", "route": "/v3/auth/tokens", "times": 1}])
    from support.emu_helpers import password_body

    first = httpx.post(emulator.url + "/v3/auth/tokens", json=password_body(emulator))
    assert first.status_code == 503
    assert httpx.post(emulator.url + "/v3/auth/tokens", json=password_body(emulator)).status_code == 201


def test_first_matching_action_wins_and_latency_adds(emulator: EmulatorProcess, client: httpx.Client) -> None:
    emulator.set_faults(
        [
            {"action": "latency", "latency_ms": 100},
            {"action": "throttle", "route": DATASETS},
            {"action": "error", "route": DATASETS},
        ]
    )
    started = time.monotonic()
    assert client.get("/datasets").status_code == 429
    assert time.monotonic() - started >= 0.1
    rules = emulator.admin.get("/faults").json()["rules"]
    assert [rule["applied"] for rule in rules] == [1, 1, 0]


def test_fault_flag(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    rule = {"action": "error", "route": TASK, "status": 503, "times": 1}
    em = emulator_factory("--seed", "demo", "--fault", json.dumps(rule))
    with aksk_client(em) as http:
        flowers = dataset_id(http, FLOWERS)
        task_id = http.post(f"/datasets/{flowers}/tasks", json={"task_type": "auto-label"}).json()["task_id"]
        assert http.get(f"/datasets/{flowers}/tasks/{task_id}").status_code == 503
        assert http.get(f"/datasets/{flowers}/tasks/{task_id}").status_code == 200


@pytest.mark.parametrize(
    "rules",
    [
        [{"action": "explode"}],
        [{"action": "error", "route": "/v2/datasets"}],
        [{"action": "error", "times": -1}],
        [{"action": "error", "probability": 2}],
        [{"action": "error", "colour": "red"}],
        ["error"],
        "error",
    ],
)
def test_invalid_rules(emulator: EmulatorProcess, rules: object) -> None:
    response = emulator.admin.put("/faults", json={"rules": rules})
    assert response.status_code == 400
    assert response.json()["error_msg"]


def test_admin_routes_are_not_subject_to_faults(emulator: EmulatorProcess) -> None:
    emulator.set_faults([{"action": "drop"}])
    assert emulator.admin.get("/stats").status_code == 200
    emulator.clear_faults()
