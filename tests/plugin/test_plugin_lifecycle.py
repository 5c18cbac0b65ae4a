"""The plugin process over gRPC, as the engine drives it: Check, Diff (detailed), Create (and preview),
Read by id alone (import), Update, Delete, Invoke, timeouts and Cancel, against the emulator."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from support.emulator_process import EmulatorProcess
from support.engine import _serialize
from support.faultkit import TASKS, objects, requests_to, wait_until
from support.plugin_host import PluginHost, urn
from support.plugin_paths import PLUGIN_SCENARIOS, assert_no_secrets, dumped, start_sentinel_emulator

TASK = "modelarts:index:IntelligentTask"
EXPORT = "modelarts:index:ExportTask"
REF = "modelarts:index:DatasetVersionRef"
DIFF = provider_pb2.PropertyDiff
AUTOLABEL = {
    "datasetName": "flowers",
    "taskType": "auto-label",
    "collectKeySample": True,
    "config": {"algorithmType": "fast"},
    "timeoutSeconds": 60,
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
    news = {**PLUGIN_SCENARIOS["ExportTask"], "exportType": 3.0, "exportParams": {"sampleState": ""}}
    inputs, failures = plugin.check(EXPORT, "to-obs", news)
    assert failures == []
    assert inputs["exportParams"]["exportDest"] == "DIR"  # a documented default is filled in
    assert inputs["sourceTypeHeader"] == "obs://"

    bad = {**news, "exportType": 1.5, "exportParams": {"exportDest": "SOMEWHERE"}, "colour": "red"}
    _, failures = plugin.check(EXPORT, "to-obs", bad)
    reasons = dict(failures)
    assert {"exportType", "exportParams.exportDest"} <= set(reasons)
    assert "NEW_DATASET" in reasons["exportParams.exportDest"]  # says what is allowed
    assert reasons["colour"].startswith("unknown property 'colour'; allowed: adoptTaskId, annotationFormat, datasetId")

    # The API's own names are not this provider's: each is named with the name to write instead.
    _, failures = plugin.check(EXPORT, "to-obs", {**news, "exportParams": {"export_dest": "DIR"}, "export_type": 0})
    assert sorted(failures) == [
        ("exportParams.export_dest", "unknown property 'export_dest'; its name here is 'exportDest'"),
        ("export_type", "unknown property 'export_type'; its name here is 'exportType'"),
    ]


def test_task_lifecycle_with_detailed_diff(plugin: PluginHost, sentinel_emulator: EmulatorProcess) -> None:
    inputs, _ = plugin.check(TASK, "autolabel", AUTOLABEL)
    resource_id, outputs = plugin.create(TASK, "autolabel", inputs)
    dataset_id, task_id = resource_id.split("/")
    assert outputs["taskId"] == task_id and outputs["datasetId"] == dataset_id
    assert outputs["statusName"] == "succeeded" and outputs["taskName"].startswith("pm-autolabel-")
    assert_no_secrets(dumped(outputs))

    same = plugin.diff(TASK, "autolabel", resource_id, outputs, inputs)
    assert same.changes == same.DIFF_NONE and not same.detailedDiff

    option = plugin.diff(TASK, "autolabel", resource_id, outputs, {**inputs, "timeoutSeconds": 120})
    assert option.changes == option.DIFF_SOME and list(option.replaces) == []
    assert dict(option.detailedDiff) == {"timeoutSeconds": DIFF(kind=DIFF.UPDATE, inputDiff=True)}
    assert {"taskId", "taskName", "datasetId"} <= set(option.stables)

    changed = {**inputs, "config": {"algorithmType": "accurate"}, "modelId": "m-1"}
    replaced = plugin.diff(TASK, "autolabel", resource_id, outputs, changed)
    assert sorted(replaced.replaces) == ["config", "modelId"]
    assert replaced.detailedDiff["config"] == DIFF(kind=DIFF.UPDATE_REPLACE, inputDiff=True)
    assert replaced.detailedDiff["modelId"] == DIFF(kind=DIFF.ADD_REPLACE, inputDiff=True)
    assert list(replaced.stables) == []

    sentinel_emulator.reset_stats()
    updated = plugin.update(TASK, "autolabel", resource_id, outputs, {**inputs, "timeoutSeconds": 120})
    assert updated["timeoutSeconds"] == 120 and updated["taskId"] == task_id
    assert sentinel_emulator.stats()["writes"] == 0

    refreshed_id, refreshed, refreshed_inputs = plugin.read(TASK, "autolabel", resource_id, updated)
    assert refreshed_id == resource_id and refreshed["status"] == 3
    assert refreshed_inputs["timeoutSeconds"] == 120 and "status" not in refreshed_inputs

    plugin.delete(TASK, "autolabel", resource_id, refreshed)  # a finished task is forgotten
    assert requests_to(sentinel_emulator, "POST", TASKS + "/{task_id}/stop") == 0


def test_secret_inputs_stay_secret_in_outputs(plugin: PluginHost) -> None:
    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": PLUGIN_SCENARIOS["ExportTask"]["path"]}
    inputs, _ = plugin.check(EXPORT, "hidden", {**PLUGIN_SCENARIOS["ExportTask"], "path": secret})
    reply = plugin.stub.Create(
        provider_pb2.CreateRequest(urn=urn(EXPORT, "hidden"), properties=_serialize({**inputs, "path": secret}))
    )

    def is_secret(key: str) -> bool:
        field = reply.properties.fields[key].struct_value.fields
        return field[rpc._special_sig_key].string_value == rpc._special_secret_sig

    assert is_secret("path") and not is_secret("taskId")
    assert "spec" not in reply.properties.fields  # no copy of the inputs that could hold the path in plaintext


def test_preview_create_and_update_make_no_write(plugin: PluginHost, sentinel_emulator: EmulatorProcess) -> None:
    inputs, _ = plugin.check(EXPORT, "preview", PLUGIN_SCENARIOS["ExportTask"])
    sentinel_emulator.reset_stats()

    resource_id, outputs = plugin.create(EXPORT, "preview", inputs, preview=True)

    assert resource_id == ""
    assert outputs["path"] == inputs["path"]
    assert not isinstance(outputs["taskId"], str)  # unknown until the real create
    assert sentinel_emulator.stats()["writes"] == 0  # the preview decides from reads, as a plan does

    real_id, real = plugin.create(EXPORT, "preview", inputs)
    sentinel_emulator.reset_stats()
    previewed = plugin.update(EXPORT, "preview", real_id, real, {**inputs, "wait": False}, preview=True)
    assert previewed["wait"] is False and previewed["taskId"] == real["taskId"]
    assert sentinel_emulator.stats()["requests"] == {}


@pytest.mark.parametrize(
    ("token", "news"),
    [
        (EXPORT, PLUGIN_SCENARIOS["ExportTask"]),
        (TASK, AUTOLABEL),
        (TASK, PLUGIN_SCENARIOS["IntelligentTask"]),  # auto-grouping: its integer type is not documented
        (REF, {"datasetName": "flowers", "versionName": "V001"}),
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
    assert inputs["datasetId"] == resource_id.split("/")[0] and "datasetName" not in inputs
    own_id = "versionId" if token == REF else "taskId"
    assert state[own_id] == outputs[own_id] and state["adopted" if token != REF else "released"] in (True, False)
    checked, failures = plugin.check(token, "imported", inputs)
    assert failures == []
    diff = plugin.diff(token, "imported", read_id, state, checked)
    assert diff.changes == diff.DIFF_NONE, diff
    # The API fields came back as declared: the same request (fingerprint) as the original's.
    assert state["fingerprint"] == outputs["fingerprint"] or token == REF
    assert sentinel_emulator.stats()["writes"] == 0


def test_import_of_a_missing_object_fails_and_a_refresh_drops_it(
    plugin: PluginHost, sentinel_emulator: EmulatorProcess
) -> None:
    dataset_id = plugin.invoke("modelarts:index:getDataset", {"datasetName": "flowers"})[0]["datasetId"]
    missing = f"{dataset_id}/NoSuchTask000000000"
    # `pulumi import` (Read by id alone) of an id that does not exist: an error, not an empty resource.
    with pytest.raises(grpc.RpcError) as failure:
        plugin.read(EXPORT, "gone", missing)
    assert "task_id NoSuchTask000000000 does not exist" in details(failure)

    # `pulumi refresh` of a recorded export that is gone: an empty answer drops it from the state.
    resource_id, outputs = created(plugin, EXPORT, "recorded", PLUGIN_SCENARIOS["ExportTask"])
    read_id, state, _ = plugin.read(EXPORT, "recorded", missing, {**outputs, "taskId": "NoSuchTask000000000"})
    assert resource_id != missing and read_id == "" and state == {}
    with pytest.raises(grpc.RpcError) as failure:
        plugin.read(EXPORT, "bad", "just-a-task-id")
    assert "<dataset_id>/<task_id>" in details(failure)


def test_version_ref_requirements_and_selector(
    plugin: PluginHost, plugin_factory: Callable[[EmulatorProcess], PluginHost], sentinel_emulator: EmulatorProcess
) -> None:
    news = {"datasetName": "flowers", "selector": "latest", "requirements": {"minAnnotatedSamples": 40}}
    inputs, _ = plugin.check(REF, "latest", news)
    resource_id, outputs = plugin.create(REF, "latest", inputs)
    assert outputs["versionName"] == "V002" and resource_id.endswith("/" + outputs["versionId"])

    # A gate that no longer holds fails the preview (Diff), before anything is merged or applied.
    stricter = {**inputs, "requirements": {"minAnnotatedSamples": 10_000}}
    with pytest.raises(grpc.RpcError) as failure:
        plugin.diff(REF, "latest", resource_id, outputs, stricter)
    assert "annotated_sample_count is 45, required at least 10000" in details(failure)
    looser = {**inputs, "requirements": {"minAnnotatedSamples": 10}}
    diff = plugin.diff(REF, "latest", resource_id, outputs, looser)
    assert list(diff.replaces) == [] and diff.detailedDiff["requirements"].kind == DIFF.UPDATE

    # A newer version makes `latest` resolve elsewhere: the next preview (a new plugin process, as the engine
    # starts one per command) says the output forces the replace.
    client = ModelArtsClient(resolve_settings(**sentinel_emulator.client_settings()))
    client.create_version(outputs["datasetId"], {"version_name": "V003-newer"})
    moved = plugin_factory(sentinel_emulator).diff(REF, "latest", resource_id, outputs, inputs)
    assert list(moved.replaces) == ["versionId"]
    assert moved.detailedDiff["versionId"] == DIFF(kind=DIFF.UPDATE_REPLACE, inputDiff=False)


def test_functions(plugin: PluginHost) -> None:
    dataset, failures = plugin.invoke("modelarts:index:getDataset", {"datasetName": "flowers"})
    assert failures == [] and dataset["datasetName"] == "flowers" and dataset["totalSampleCount"] == 120

    version, _ = plugin.invoke("modelarts:index:getDatasetVersion", {"datasetName": "flowers", "selector": "current"})
    assert version["versionName"] == "V002" and version["statusName"] == "ready"
    assert version["annotatedSampleCount"] == 45 and version["datasetId"] == dataset["datasetId"]
    by_id, _ = plugin.invoke(
        "modelarts:index:getDatasetVersion", {"datasetId": dataset["datasetId"], "versionId": version["versionId"]}
    )
    assert by_id == version

    _, failures = plugin.invoke("modelarts:index:getDatasetVersion", {"datasetName": "flowers", "selector": "newest"})
    assert failures and failures[0][0] == "selector" and "'latest'" in failures[0][1]
    _, failures = plugin.invoke("modelarts:index:getDataset", {"datasetName": "flowers", "versionName": "V1"})
    assert [path for path, _ in failures] == ["versionName"]
    with pytest.raises(grpc.RpcError) as failure:
        plugin.invoke("modelarts:index:getDatasetVersion", {"datasetName": "flowers", "versionName": "V999"})
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
    inputs, _ = plugin.check(TASK, "slow", PLUGIN_SCENARIOS["IntelligentTask"])

    with pytest.raises(grpc.RpcError) as failure:
        plugin.create(TASK, "slow", inputs, timeout=1)  # customTimeouts: create 1s

    assert "the engine's timeout of 1s ran out" in details(failure)
    assert objects(emulator)["tasks"] == 1  # the task goes on
    emulator.reset_stats()
    preview_id, _ = plugin.create(TASK, "slow", {**inputs, "wait": False})
    assert preview_id and requests_to(emulator, "POST", TASKS) == 0  # the re-run adopted it


def test_cancel_stops_a_wait_in_progress(slow_plugin: tuple[PluginHost, EmulatorProcess]) -> None:
    plugin, emulator = slow_plugin
    inputs, _ = plugin.check(TASK, "cancelled", PLUGIN_SCENARIOS["IntelligentTask"])
    worker, outcome = in_background(lambda: plugin.create(TASK, "cancelled", inputs))
    wait_until(lambda: objects(emulator)["tasks"] == 1)  # started, now waiting on it
    plugin.cancel()
    worker.join(timeout=30)

    assert not worker.is_alive()
    assert len(outcome) == 1 and "cancelled by the engine" in str(outcome[0].details())  # type: ignore[attr-defined]


def test_delete_stops_a_running_task(slow_plugin: tuple[PluginHost, EmulatorProcess]) -> None:
    plugin, emulator = slow_plugin
    resource_id, outputs = created(plugin, TASK, "stopped", {**PLUGIN_SCENARIOS["IntelligentTask"], "wait": False})
    assert outputs["statusName"] in ("queuing", "initializing", "running")

    worker, raised = in_background(lambda: plugin.delete(TASK, "stopped", resource_id, outputs))
    wait_until(lambda: requests_to(emulator, "POST", TASKS + "/{task_id}/stop") == 1)
    emulator.advance_clock(600)  # the stop completes: the delete's next poll sees it
    worker.join(timeout=60)

    assert not worker.is_alive() and raised == []
    assert requests_to(emulator, "POST", TASKS + "/{task_id}/stop") == 1
    _, state, _ = plugin.read(TASK, "stopped", resource_id, outputs)
    assert state["statusName"] == "stopped"


def test_many_waits_at_once_and_one_cancel_ends_them_all(
    emulator_factory: Callable[..., EmulatorProcess], plugin_factory: Callable[[EmulatorProcess], PluginHost]
) -> None:
    """Dynamic providers serve 4 calls at once; the plugin has no such cap (asyncio's own pool has 6
    threads on a 2-core machine, so 10 waits at once need more)."""
    emulator = start_sentinel_emulator(emulator_factory, "--export-seconds", "600")
    plugin = plugin_factory(emulator)
    exports = [{**PLUGIN_SCENARIOS["ExportTask"], "path": f"/demo-bucket/flowers/many-{n}/"} for n in range(10)]
    checked = [plugin.check(EXPORT, f"many-{n}", news)[0] for n, news in enumerate(exports)]
    calls = [in_background(lambda n=n: plugin.create(EXPORT, f"many-{n}", checked[n])) for n in range(10)]

    wait_until(lambda: objects(emulator)["export_tasks"] == 10)  # all ten started and are waiting
    plugin.cancel()
    for worker, _ in calls:
        worker.join(timeout=30)

    assert all(not worker.is_alive() for worker, _ in calls)
    assert all(len(raised) == 1 and "cancelled by the engine" in str(raised[0]) for _, raised in calls)
