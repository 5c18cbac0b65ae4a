"""The resources through the engine path: the SDK's real dynamic-provider host over gRPC.

Inputs (``__provider`` blob included) are captured from the public classes under Pulumi mocks, then
sent to ``python -m pulumi.dynamic`` exactly as `pulumi up` would: Configure with stack config, then
Check/Diff/Create/Read/Update/Delete. Numbers travel as doubles, credentials come from config only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator

import httpx
import pytest

import pulumi_modelarts as modelarts
from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from support.emulator_process import QUICK_FLAGS, EmulatorProcess
from support.engine import CapturedResource, ProviderHost, capture_resources

SENTINEL_AK = "SENTINELAKAKAKAKAK01"
SENTINEL_SK = "SENTINEL-SK-5f1b0c1e-do-not-leak-0000000"


@pytest.fixture
def sentinel_emulator(emulator_factory: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    flags = ("--seed", "demo", "--access-key", SENTINEL_AK, "--secret-key", SENTINEL_SK)
    emulator = emulator_factory(*QUICK_FLAGS, *flags, fast=False)  # the host waits in real time
    emulator.access_key, emulator.secret_key = SENTINEL_AK, SENTINEL_SK
    return emulator


@pytest.fixture
def host(sentinel_emulator: EmulatorProcess) -> Iterator[ProviderHost]:
    env = {key: value for key, value in __import__("os").environ.items() if not key.startswith(("HW_", "OS_"))}
    provider_host = ProviderHost(env=env)
    provider_host.configure(
        {
            **sentinel_emulator.stack_config(credentials=False),
            "modelarts:accessKey": SENTINEL_AK,
            "modelarts:secretKey": SENTINEL_SK,
        }
    )
    yield provider_host
    provider_host.close()
    assert SENTINEL_SK not in provider_host.stderr()
    assert SENTINEL_AK not in provider_host.stderr()


def _captured() -> dict[str, CapturedResource]:
    def program() -> list[object]:
        return [
            modelarts.IntelligentTask(
                "autolabel",
                dataset_name="flowers",
                task_type="auto-label",
                collect_key_sample=True,
                config={"algorithm_type": "fast"},
                timeout_seconds=60,
            ),
            modelarts.IntelligentTask("grouping", dataset_name="flowers", task_type="auto-grouping"),
            modelarts.ExportTask(
                "to-obs",
                dataset_name="flowers",
                path="/demo-bucket/flowers/export/",
                export_type=3,
                export_params={"sample_state": "", "export_dest": "DIR"},
            ),
            modelarts.DatasetVersionRef(
                "candidate",
                dataset_name="flowers",
                version_name="V002",
                requirements={"min_annotated_samples": 40},
            ),
        ]

    return {resource.name: resource for resource in capture_resources(program)}  # type: ignore[arg-type]


def _inputs(resource: CapturedResource) -> dict[str, object]:
    return {key: value for key, value in resource.inputs.items() if value is not None}


def _raw_get(emulator: EmulatorProcess, path: str) -> str:
    """The raw JSON text of a ModelArts GET (so that 3 and 3.0 can be told apart), with an IAM token."""
    identity = {
        "methods": ["password"],
        "password": {
            "user": {"name": emulator.username, "password": emulator.password, "domain": {"name": emulator.domain_name}}
        },
    }
    body = {"auth": {"identity": identity, "scope": {"project": {"id": emulator.project_id}}}}
    token = httpx.post(emulator.url + "/v3/auth/tokens", json=body).headers["X-Subject-Token"]
    answer = httpx.get(f"{emulator.url}/v2/{emulator.project_id}{path}", headers={"X-Auth-Token": token})
    answer.raise_for_status()
    return answer.text


def test_provider_blob_is_small_stateless_and_free_of_credentials() -> None:
    captured = _captured()
    blobs = {name: resource.blob for name, resource in captured.items()}
    for blob in blobs.values():
        assert len(blob) <= 1024
        assert SENTINEL_SK not in base64.b64decode(blob).decode("latin-1")
    # Every resource of one type carries the identical blob (pickled by reference, no state).
    assert blobs["autolabel"] == blobs["grouping"]
    assert len({blobs["autolabel"], blobs["to-obs"], blobs["candidate"]}) == 3
    assert b"pulumi_modelarts.resources" in base64.b64decode(blobs["autolabel"])


def test_check_coerces_floats_and_reports_paths(host: ProviderHost) -> None:
    export = _captured()["to-obs"]
    news = _inputs(export)
    inputs, failures = host.check(export, news)
    assert failures == []
    assert inputs["export_type"] == 3
    assert inputs["export_params"]["export_dest"] == "DIR"

    bad = {**news, "export_type": 1.5, "export_params": {"export_dest": "SOMEWHERE"}}
    _, failures = host.check(export, bad)
    paths = {path for path, _ in failures}
    assert "export_type" in paths
    assert "export_params.export_dest" in paths
    reasons = " ".join(reason for _, reason in failures)
    assert "NEW_DATASET" in reasons  # says what is allowed


def test_create_read_diff_update_delete_intelligent_task(
    host: ProviderHost, sentinel_emulator: EmulatorProcess
) -> None:
    task = _captured()["autolabel"]
    inputs, failures = host.check(task, _inputs(task))
    assert failures == []
    task_id, outputs = host.create(task, inputs)
    assert task_id and outputs["task_id"] == task_id
    assert outputs["status_name"] == "succeeded"
    assert outputs["task_name"].startswith("pm-autolabel-")
    assert outputs["dataset_id"]
    serialized = json.dumps(outputs, default=str)
    assert SENTINEL_SK not in serialized and SENTINEL_AK not in serialized

    # The API received our deterministic name (in config.name) and the task is listed under it.
    client = ModelArtsClient(resolve_settings(**sentinel_emulator.client_settings()))
    listed = list(client.iter_tasks(outputs["dataset_id"], type="auto-label", task_name=outputs["task_name"]))
    assert [task["task_id"] for task in listed] == [task_id]

    # A second create (a retried or crashed run) adopts the same task: no second POST.
    sentinel_emulator.reset_stats()
    again_id, again = host.create(task, inputs)
    assert again_id == task_id and again["adopted"] is True
    assert sentinel_emulator.stats()["writes"] == 0

    # Diff: identical -> nothing; wait only -> in-place update; config -> replace.
    same = host.diff(task, task_id, outputs, inputs)
    assert same.changes == same.DIFF_NONE
    wait_only = host.diff(task, task_id, outputs, {**inputs, "timeout_seconds": 120})
    assert wait_only.changes == wait_only.DIFF_SOME and list(wait_only.replaces) == []
    replaced = host.diff(task, task_id, outputs, {**inputs, "config": {"algorithm_type": "accurate"}})
    assert list(replaced.replaces) == ["config"]

    updated = host.update(task, task_id, outputs, {**inputs, "timeout_seconds": 120})
    assert updated["timeout_seconds"] == 120 and updated["task_id"] == task_id

    read_id, read_outputs, read_inputs = host.read(task, task_id, outputs)
    assert read_id == task_id and read_outputs["status"] == 3
    assert read_inputs["task_type"] == "auto-label" and "status" not in read_inputs

    host.delete(task, task_id, outputs)  # a finished task is simply forgotten


def test_version_ref_and_export_through_engine(host: ProviderHost, sentinel_emulator: EmulatorProcess) -> None:
    captured = _captured()
    ref = captured["candidate"]
    ref_inputs, failures = host.check(ref, _inputs(ref))
    assert failures == []
    version_id, ref_outputs = host.create(ref, ref_inputs)
    assert ref_outputs["version_name"] == "V002" and ref_outputs["status_name"] == "ready"
    assert ref_outputs["version_id"] == version_id

    # A gate that does not hold fails the preview (diff), as `pulumi-modelarts plan` says blocked,
    # so a pull request fails before the merge; the update would refuse it the same way.
    stricter = {**ref_inputs, "requirements": {"min_annotated_samples": 10_000}}
    with pytest.raises(Exception, match=r"blocked: .*annotated_sample_count is 45, required at least 10000"):
        host.diff(ref, version_id, ref_outputs, stricter)
    with pytest.raises(Exception, match="annotated_sample_count is 45, required at least 10000"):
        host.update(ref, version_id, ref_outputs, stricter)
    looser = {**ref_inputs, "requirements": {"min_annotated_samples": 1}}
    diff = host.diff(ref, version_id, ref_outputs, looser)
    assert diff.changes == diff.DIFF_SOME and list(diff.replaces) == []

    export = captured["to-obs"]
    export_inputs, _ = host.check(export, {**_inputs(export), "version_id": version_id})
    export_id, export_outputs = host.create(export, export_inputs)
    assert export_outputs["status"] == "SUCCESSED"
    # export_type travelled through the engine as the double 3.0; the API must have received 3.
    raw = _raw_get(sentinel_emulator, f"/datasets/{export_outputs['dataset_id']}/export-tasks/{export_id}")
    assert '"export_type": 3,' in raw or '"export_type":3,' in raw
    sentinel_emulator.reset_stats()
    again_id, _ = host.create(export, export_inputs)
    assert again_id == export_id
    assert sentinel_emulator.stats()["writes"] == 0


def test_lost_create_response_converges_on_one_task(host: ProviderHost, sentinel_emulator: EmulatorProcess) -> None:
    task = _captured()["grouping"]
    inputs, _ = host.check(task, _inputs(task))
    sentinel_emulator.set_faults(
        [
            {
                "action": "drop_after_commit",
                "method": "POST",
                "route": "/v2/{project_id}/datasets/{dataset_id}/tasks",
                "times": 1,
            }
        ]
    )
    _, outputs = host.create(task, inputs)
    assert outputs["status_name"] == "succeeded"
    stats = sentinel_emulator.stats()["requests"]
    assert stats.get("POST /v2/{project_id}/datasets/{dataset_id}/tasks") == 1


def test_failures_surface_modelarts_codes_without_secrets(host: ProviderHost) -> None:
    ref = _captured()["candidate"]
    inputs, _ = host.check(ref, {**_inputs(ref), "version_name": "V999"})
    with pytest.raises(Exception) as failure:
        host.create(ref, inputs)
    text = str(failure.value)
    assert "V999" in text and "does not exist" in text
    assert SENTINEL_SK not in text
