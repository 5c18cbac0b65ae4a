"""Issue 6's pipeline and the preview-time behaviours, through the real dynamic-provider host."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pulumi
import pytest
from pulumi.runtime import rpc

import pulumi_modelarts as modelarts
from support.emulator_process import QUICK_FLAGS, EmulatorProcess
from support.engine import CapturedResource, ProviderHost, capture_resources


@pytest.fixture
def pipeline_emulator(emulator_factory: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    return emulator_factory(*QUICK_FLAGS, "--seed", "demo", "--release-interval-seconds", "0", fast=False)  # real waits


def start_host(emulator: EmulatorProcess) -> ProviderHost:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HW_", "OS_"))}
    provider_host = ProviderHost(env=env)
    provider_host.configure(emulator.stack_config())
    return provider_host


@pytest.fixture
def host(pipeline_emulator: EmulatorProcess) -> Iterator[ProviderHost]:
    provider_host = start_host(pipeline_emulator)
    yield provider_host
    provider_host.close()


def _capture(build: Callable[[], list[pulumi.Resource]]) -> dict[str, CapturedResource]:
    return {resource.name: resource for resource in capture_resources(build)}


def _inputs(resource: CapturedResource, **extra: object) -> dict[str, object]:
    return {**{k: v for k, v in resource.inputs.items() if v is not None}, **extra}


def test_autolabel_accept_release_export_pipeline(host: ProviderHost, pipeline_emulator: EmulatorProcess) -> None:
    captured = _capture(
        lambda: [
            modelarts.IntelligentTask(
                "pets-autolabel",
                dataset_name="pets-detection",
                task_type="auto-label",
                accept={"min_score": 0.5, "skip_hard": True},
                timeout_seconds=60,
            ),
            modelarts.DatasetVersionRef(
                "pets-version",
                dataset_name="pets-detection",
                version_name="V002",
                release={"description": "confirmed", "train_evaluate_sample_ratio": "0.80"},
                requirements={"min_annotated_ratio": 0.6},
            ),
            modelarts.ExportTask(
                "pets-release",
                dataset_name="pets-detection",
                path="/demo-bucket/pets/",
                export_type=0,
                export_params={
                    "export_dest": "NEW_DATASET",
                    "export_new_dataset_name": "pets-release-V002",
                    "export_new_dataset_work_path": "/demo-bucket/pets-release/",
                },
            ),
        ]
    )
    task = captured["pets-autolabel"]
    inputs, failures = host.check(task, _inputs(task))
    assert failures == []
    _, task_out = host.create(task, inputs)
    assert task_out["accepted_count"] > 0
    assert set(task_out["skipped_counts"]) <= {"low_score", "hard_example", "label_not_allowed", "no_labels"}

    ref = captured["pets-version"]
    ref_inputs, _ = host.check(ref, _inputs(ref))
    version_id, ref_out = host.create(ref, ref_inputs)
    assert ref_out["released"] is True and ref_out["annotated_ratio"] >= 0.6
    assert ref_out["annotated_sample_count"] == 30 + task_out["accepted_count"]

    # A re-run of both creates (a crashed `pulumi up`) releases nothing and confirms nothing twice.
    pipeline_emulator.reset_stats()
    _, again = host.create(task, inputs)
    assert again["accepted_count"] == 0
    assert host.create(ref, ref_inputs)[0] == version_id
    assert pipeline_emulator.stats()["writes"] == 0

    export = captured["pets-release"]
    export_inputs, _ = host.check(export, _inputs(export, version_id=version_id))
    _, export_out = host.create(export, export_inputs)
    assert export_out["status"] == "SUCCESSED" and export_out["new_dataset_id"]


def test_selector_resolves_again_in_diff(host: ProviderHost, pipeline_emulator: EmulatorProcess) -> None:
    captured = _capture(lambda: [modelarts.DatasetVersionRef("latest", dataset_name="flowers", selector="latest")])
    ref = captured["latest"]
    inputs, _ = host.check(ref, _inputs(ref))
    version_id, outputs = host.create(ref, inputs)
    assert outputs["version_name"] == "V002"
    assert host.diff(ref, version_id, outputs, inputs).changes == 1  # DIFF_NONE

    # Someone releases V003: the next preview (a new provider process, as the engine starts one per command)
    # shows the reference moving to it.
    from pulumi_modelarts.api import ModelArtsClient, resolve_settings

    client = ModelArtsClient(resolve_settings(**pipeline_emulator.client_settings()))
    client.create_version(outputs["dataset_id"], {"version_name": "V003"})
    next_preview = start_host(pipeline_emulator)
    try:
        diff = next_preview.diff(ref, version_id, outputs, inputs)
    finally:
        next_preview.close()
    assert list(diff.replaces) == ["version_id"]


def test_preview_unknowns_pass_check_and_replace_in_diff(host: ProviderHost) -> None:
    captured = _capture(
        lambda: [modelarts.ExportTask("exp", dataset_name="flowers", path="/b/o/", export_type=0, version_id="v1")]
    )
    export = captured["exp"]
    inputs, failures = host.check(export, _inputs(export))
    assert failures == []
    unknown_inputs, failures = host.check(export, _inputs(export, version_id=rpc.UNKNOWN, export_type=rpc.UNKNOWN))
    assert failures == []
    olds = {**inputs, "spec": {k: v for k, v in inputs.items() if k != "resource_name"}}
    diff = host.diff(export, "task", olds, unknown_inputs)
    assert set(diff.replaces) == {"export_type", "version_id"}


def test_refresh_detects_a_version_deleted_out_of_band(host: ProviderHost, pipeline_emulator: EmulatorProcess) -> None:
    captured = _capture(lambda: [modelarts.DatasetVersionRef("old", dataset_name="flowers", version_name="V001")])
    ref = captured["old"]
    inputs, _ = host.check(ref, _inputs(ref))
    version_id, outputs = host.create(ref, inputs)
    read_id, read_outputs, read_inputs = host.read(ref, version_id, outputs)
    assert read_id == version_id and read_outputs["version_name"] == "V001"
    assert read_inputs["version_name"] == "V001" and "status" not in read_inputs

    from pulumi_modelarts.api import ModelArtsClient, resolve_settings

    client = ModelArtsClient(resolve_settings(**pipeline_emulator.client_settings()))
    client.delete_version(outputs["dataset_id"], version_id)
    gone_id, _, _ = host.read(ref, version_id, outputs)
    assert gone_id == ""
