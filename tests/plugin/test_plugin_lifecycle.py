"""The plugin process over gRPC, as the engine drives it: Check, Diff (detailed), Create (and preview),
Read by id alone (import), Update, Delete, Invoke, timeouts and Cancel, against the emulator."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from plugin_host import PluginHost, urn
from plugin_paths import SCENARIOS, assert_no_secrets, dumped, start_sentinel_emulator
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from emulator_process import EmulatorProcess
from engine import _serialize
from faults.faultkit import TASKS, objects, requests_to, wait_until
from pulumi_modelarts.api import ModelArtsClient, resolve_settings

TASK = "modelarts:index:IntelligentTask"
EXPORT = "modelarts:index:ExportTask"
REF = "modelarts:index:DatasetVersionRef"
DIFF = provider_pb2.PropertyDiff
AUTOLABEL = {
    "dataset_name": "flowers",
    "task_type": "auto-label",
    "collect_key_sample": True,
    "config": {"algorithm_type": "fast"},
    "timeout_seconds": 60,
}


def details(error: pytest.ExceptionInfo[grpc.RpcError]) -> str:
    text = str(error.value.details())  # type: ignore[attr-defined]
    assert "Traceback" not in text and 'File "' not in text, text
    assert_no_secrets(text)
    return text


def in_background(action: Callable[[], Any]) -> tuple[threading.Thread, list[BaseException]]:
    """Run an engine call in a thread; its exception, if any, lands in the list."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except grpc.RpcError as error:
            raised.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    return worker, raised


def created(plugin: PluginHost, token: str, name: str, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    inputs, failures = plugin.check(token, name, news)
    assert failures == []
    return plugin.create(token, name, inputs)


def test_check_normalizes_and_reports_every_bad_property(plugin: PluginHost) -> None:
    news = {**SCENARIOS["ExportTask"], "export_type": 3.0, "export_params": {"sample_state": ""}}
    inputs, failures = plugin.check(EXPORT, "to-obs", news)
    assert failures == []
    assert inputs["export_params"]["export_dest"] == "DIR"  # a documented default is filled in
    assert inputs["source_type_header"] == "obs://"

    bad = {**news, "export_type": 1.5, "export_params": {"export_dest": "SOMEWHERE"}, "colour": "red"}
    _, failures = plugin.check(EXPORT, "to-obs", bad)
    reasons = dict(failures)
    assert {"export_type", "export_params.export_dest"} <= set(reasons)
    assert "NEW_DATASET" in reasons["export_params.export_dest"]  # says what is allowed
    assert any("colour" in f"{path} {reason}" for path, reason in failures)


def test_task_lifecycle_with_detailed_diff(plugin: PluginHost, sentinel_emulator: EmulatorProcess) -> None:
    inputs, _ = plugin.check(TASK, "autolabel", AUTOLABEL)
    resource_id, outputs = plugin.create(TASK, "autolabel", inputs)
    dataset_id, task_id = resource_id.split("/")
    assert outputs["task_id"] == task_id and outputs["dataset_id"] == dataset_id
    assert outputs["status_name"] == "succeeded" and outputs["task_name"].startswith("pm-autolabel-")
    assert_no_secrets(dumped(outputs))

    same = plugin.diff(TASK, "autolabel", resource_id, outputs, inputs)
    assert same.changes == same.DIFF_NONE and not same.detailedDiff

    option = plugin.diff(TASK, "autolabel", resource_id, outputs, {**inputs, "timeout_seconds": 120})
    assert option.changes == option.DIFF_SOME and list(option.replaces) == []
    assert dict(option.detailedDiff) == {"timeout_seconds": DIFF(kind=DIFF.UPDATE, inputDiff=True)}
    assert {"task_id", "task_name", "dataset_id"} <= set(option.stables)

    changed = {**inputs, "config": {"algorithm_type": "accurate"}, "model_id": "m-1"}
    replaced = plugin.diff(TASK, "autolabel", resource_id, outputs, changed)
    assert sorted(replaced.replaces) == ["config", "model_id"]
    assert replaced.detailedDiff["config"] == DIFF(kind=DIFF.UPDATE_REPLACE, inputDiff=True)
    assert replaced.detailedDiff["model_id"] == DIFF(kind=DIFF.ADD_REPLACE, inputDiff=True)
    assert list(replaced.stables) == []

    sentinel_emulator.reset_stats()
    updated = plugin.update(TASK, "autolabel", resource_id, outputs, {**inputs, "timeout_seconds": 120})
    assert updated["timeout_seconds"] == 120 and updated["task_id"] == task_id
    assert sentinel_emulator.stats()["writes"] == 0

    refreshed_id, refreshed, refreshed_inputs = plugin.read(TASK, "autolabel", resource_id, updated)
    assert refreshed_id == resource_id and refreshed["status"] == 3
    assert refreshed_inputs["timeout_seconds"] == 120 and "status" not in refreshed_inputs

    plugin.delete(TASK, "autolabel", resource_id, refreshed)  # a finished task is forgotten
    assert requests_to(sentinel_emulator, "POST", TASKS + "/{task_id}/stop") == 0


def test_secret_inputs_stay_secret_in_outputs(plugin: PluginHost) -> None:
    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": SCENARIOS["ExportTask"]["path"]}
    inputs, _ = plugin.check(EXPORT, "hidden", {**SCENARIOS["ExportTask"], "path": secret})
    reply = plugin.stub.Create(
        provider_pb2.CreateRequest(urn=urn(EXPORT, "hidden"), properties=_serialize({**inputs, "path": secret}))
    )

    def is_secret(key: str) -> bool:
        field = reply.properties.fields[key].struct_value.fields
        return field[rpc._special_sig_key].string_value == rpc._special_secret_sig

    assert is_secret("path") and not is_secret("task_id")
    assert "spec" not in reply.properties.fields  # no copy of the inputs that could hold the path in plaintext


def test_preview_create_and_update_make_no_write(plugin: PluginHost, sentinel_emulator: EmulatorProcess) -> None:
    inputs, _ = plugin.check(EXPORT, "preview", SCENARIOS["ExportTask"])
    sentinel_emulator.reset_stats()

    resource_id, outputs = plugin.create(EXPORT, "preview", inputs, preview=True)

    assert resource_id == ""
    assert outputs["path"] == inputs["path"]
    assert not isinstance(outputs["task_id"], str)  # unknown until the real create
    assert sentinel_emulator.stats()["writes"] == 0  # the preview decides from reads, as a plan does

    real_id, real = plugin.create(EXPORT, "preview", inputs)
    sentinel_emulator.reset_stats()
    previewed = plugin.update(EXPORT, "preview", real_id, real, {**inputs, "wait": False}, preview=True)
    assert previewed["wait"] is False and previewed["task_id"] == real["task_id"]
    assert sentinel_emulator.stats()["requests"] == {}


@pytest.mark.parametrize(
    ("token", "news"),
    [
        (EXPORT, SCENARIOS["ExportTask"]),
        (TASK, AUTOLABEL),
        (TASK, SCENARIOS["IntelligentTask"]),  # auto-grouping: its integer type is not documented
        (REF, {"dataset_name": "flowers", "version_name": "V001"}),
    ],
    ids=["export", "auto-label", "auto-grouping", "version-ref"],
)
def test_import_by_id_alone_reads_inputs_back_without_a_diff(
    plugin: PluginHost, sentinel_emulator: EmulatorProcess, token: str, news: dict[str, Any]
) -> None:
    resource_id, outputs = created(plugin, token, "original", news)
    sentinel_emulator.reset_stats()

    # `pulumi import <type> imported <id>`: Read with the id alone, then Check and Diff the read inputs.
    read_id, state, inputs = plugin.read(token, "imported", resource_id)

    assert read_id == resource_id
    assert inputs["dataset_id"] == resource_id.split("/")[0] and "dataset_name" not in inputs
    own_id = "version_id" if token == REF else "task_id"
    assert state[own_id] == outputs[own_id] and state["adopted" if token != REF else "released"] in (True, False)
    checked, failures = plugin.check(token, "imported", inputs)
    assert failures == []
    diff = plugin.diff(token, "imported", read_id, state, checked)
    assert diff.changes == diff.DIFF_NONE, diff
    # The API fields came back as declared: the same request (fingerprint) as the original's.
    assert state["fingerprint"] == outputs["fingerprint"] or token == REF
    assert sentinel_emulator.stats()["writes"] == 0


def test_import_of_a_missing_object_or_a_bad_id(plugin: PluginHost, sentinel_emulator: EmulatorProcess) -> None:
    dataset_id = plugin.invoke("modelarts:index:getDataset", {"dataset_name": "flowers"})[0]["dataset_id"]
    with pytest.raises(grpc.RpcError) as missing:  # nothing is recorded for an object that is not there
        plugin.read(EXPORT, "gone", f"{dataset_id}/NoSuchTask000000000")
    assert "task_id NoSuchTask000000000 does not exist" in details(missing)
    with pytest.raises(grpc.RpcError) as failure:
        plugin.read(EXPORT, "bad", "just-a-task-id")
    assert "<dataset_id>/<task_id>" in details(failure)


def test_version_ref_requirements_and_selector(plugin: PluginHost, sentinel_emulator: EmulatorProcess) -> None:
    news = {"dataset_name": "flowers", "selector": "latest", "requirements": {"min_annotated_samples": 40}}
    resource_id, outputs = created(plugin, REF, "latest", news)
    assert outputs["version_name"] == "V002" and resource_id.endswith("/" + outputs["version_id"])
    inputs = {key: outputs[key] for key in outputs["spec_keys"]}

    # A gate that no longer holds fails the preview (Diff), before anything is merged or applied.
    stricter = {**inputs, "requirements": {"min_annotated_samples": 10_000}}
    with pytest.raises(grpc.RpcError) as failure:
        plugin.diff(REF, "latest", resource_id, outputs, stricter)
    assert "annotated_sample_count is 45, required at least 10000" in details(failure)
    looser = {**inputs, "requirements": {"min_annotated_samples": 10}}
    diff = plugin.diff(REF, "latest", resource_id, outputs, looser)
    assert list(diff.replaces) == [] and diff.detailedDiff["requirements"].kind == DIFF.UPDATE

    # A newer version makes `latest` resolve elsewhere: the diff says the output forces the replace.
    client = ModelArtsClient(resolve_settings(**sentinel_emulator.client_settings()))
    client.create_version(outputs["dataset_id"], {"version_name": "V003-newer"})
    moved = plugin.diff(REF, "latest", resource_id, outputs, inputs)
    assert list(moved.replaces) == ["version_id"]
    assert moved.detailedDiff["version_id"] == DIFF(kind=DIFF.UPDATE_REPLACE, inputDiff=False)


def test_functions(plugin: PluginHost) -> None:
    dataset, failures = plugin.invoke("modelarts:index:getDataset", {"dataset_name": "flowers"})
    assert failures == [] and dataset["dataset_name"] == "flowers" and dataset["total_sample_count"] == 120

    version, _ = plugin.invoke("modelarts:index:getDatasetVersion", {"dataset_name": "flowers", "selector": "current"})
    assert version["version_name"] == "V002" and version["status_name"] == "ready"
    assert version["annotated_sample_count"] == 45 and version["dataset_id"] == dataset["dataset_id"]
    by_id, _ = plugin.invoke(
        "modelarts:index:getDatasetVersion", {"dataset_id": dataset["dataset_id"], "version_id": version["version_id"]}
    )
    assert by_id == version

    _, failures = plugin.invoke("modelarts:index:getDatasetVersion", {"dataset_name": "flowers", "selector": "newest"})
    assert failures and failures[0][0] == "selector" and "'latest'" in failures[0][1]
    _, failures = plugin.invoke("modelarts:index:getDataset", {"dataset_name": "flowers", "version_name": "V1"})
    assert [path for path, _ in failures] == ["version_name"]
    with pytest.raises(grpc.RpcError) as failure:
        plugin.invoke("modelarts:index:getDatasetVersion", {"dataset_name": "flowers", "version_name": "V999"})
    assert "version 'V999' does not exist" in details(failure)


@pytest.fixture
def slow_plugin(
    emulator_factory: Callable[..., EmulatorProcess], plugin_factory: Callable[[EmulatorProcess], PluginHost]
) -> tuple[PluginHost, EmulatorProcess]:
    """Tasks that take ten minutes: whatever ends a wait here is not the task finishing."""
    emulator = start_sentinel_emulator(emulator_factory, "--task-seconds", "600")
    return plugin_factory(emulator), emulator


def test_engine_timeout_stops_waiting_and_the_rerun_adopts(slow_plugin: tuple[PluginHost, EmulatorProcess]) -> None:
    plugin, emulator = slow_plugin
    inputs, _ = plugin.check(TASK, "slow", SCENARIOS["IntelligentTask"])

    with pytest.raises(grpc.RpcError) as failure:
        plugin.create(TASK, "slow", inputs, timeout=1)  # customTimeouts: create 1s

    assert "the engine's timeout of 1s ran out" in details(failure)
    assert objects(emulator)["tasks"] == 1  # the task goes on
    emulator.reset_stats()
    preview_id, _ = plugin.create(TASK, "slow", {**inputs, "wait": False})
    assert preview_id and requests_to(emulator, "POST", TASKS) == 0  # the re-run adopted it


def test_cancel_stops_a_wait_in_progress(slow_plugin: tuple[PluginHost, EmulatorProcess]) -> None:
    plugin, emulator = slow_plugin
    inputs, _ = plugin.check(TASK, "cancelled", SCENARIOS["IntelligentTask"])
    worker, outcome = in_background(lambda: plugin.create(TASK, "cancelled", inputs))
    wait_until(lambda: objects(emulator)["tasks"] == 1)  # started, now waiting on it
    plugin.cancel()
    worker.join(timeout=30)

    assert not worker.is_alive()
    assert len(outcome) == 1 and "cancelled by the engine" in str(outcome[0].details())  # type: ignore[attr-defined]


def test_delete_stops_a_running_task(slow_plugin: tuple[PluginHost, EmulatorProcess]) -> None:
    plugin, emulator = slow_plugin
    resource_id, outputs = created(plugin, TASK, "stopped", {**SCENARIOS["IntelligentTask"], "wait": False})
    assert outputs["status_name"] in ("queuing", "initializing", "running")

    worker, raised = in_background(lambda: plugin.delete(TASK, "stopped", resource_id, outputs))
    wait_until(lambda: requests_to(emulator, "POST", TASKS + "/{task_id}/stop") == 1)
    emulator.advance_clock(600)  # the stop completes: the delete's next poll sees it
    worker.join(timeout=60)

    assert not worker.is_alive() and raised == []
    assert requests_to(emulator, "POST", TASKS + "/{task_id}/stop") == 1
    _, state, _ = plugin.read(TASK, "stopped", resource_id, outputs)
    assert state["status_name"] == "stopped"


def test_many_waits_at_once_and_one_cancel_ends_them_all(
    emulator_factory: Callable[..., EmulatorProcess], plugin_factory: Callable[[EmulatorProcess], PluginHost]
) -> None:
    """Dynamic providers serve 4 calls at once; the plugin has no such cap (asyncio's own pool has 6
    threads on a 2-core machine, so 10 waits at once need more)."""
    emulator = start_sentinel_emulator(emulator_factory, "--export-seconds", "600")
    plugin = plugin_factory(emulator)
    exports = [{**SCENARIOS["ExportTask"], "path": f"/demo-bucket/flowers/many-{n}/"} for n in range(10)]
    checked = [plugin.check(EXPORT, f"many-{n}", news)[0] for n, news in enumerate(exports)]
    calls = [in_background(lambda n=n: plugin.create(EXPORT, f"many-{n}", checked[n])) for n in range(10)]

    wait_until(lambda: objects(emulator)["export_tasks"] == 10)  # all ten started and are waiting
    plugin.cancel()
    for worker, _ in calls:
        worker.join(timeout=30)

    assert all(not worker.is_alive() for worker, _ in calls)
    assert all(len(raised) == 1 and "cancelled by the engine" in str(raised[0]) for _, raised in calls)
