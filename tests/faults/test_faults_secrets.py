"""Secrets stay secret under faults. Every test in this directory runs with sentinel credentials and its
transcript (CLI output and DEBUG logs, errors, outputs, emulator stderr) is scanned after it; the tests
here add what only they produce: ``__provider`` blobs, the provider host's stderr and answers, and the
errors of wrong credentials given as flags."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import pulumi_modelarts as modelarts
from support.emulator_process import EmulatorProcess
from support.engine import CapturedResource, ProviderHost, capture_resources
from support.faultkit import (
    SENTINEL_AK,
    SENTINEL_PASSWORD,
    SENTINEL_SK,
    TASKS,
    THREE_CREATES,
    Cli,
    EmulatorFactory,
    Transcript,
    requests_to,
    rule,
    write_specs,
)

WRONG_SK = "SENTINEL-wrong-sk-must-not-leak-0000000"
WRONG_PASSWORD = "SENTINEL-wrong-password-must-not-leak"


def _program() -> list[object]:
    return [
        modelarts.IntelligentTask(
            "group", dataset_name="flowers", task_type="auto-grouping", config={"n_clusters": "2"}
        ),
        modelarts.ExportTask(
            "export",
            dataset_name="flowers",
            path="/demo-bucket/flowers/secrets/",
            export_type=0,
            export_params={"export_dest": "DIR"},
        ),
        modelarts.DatasetVersionRef("missing", dataset_name="flowers", version_name="V404"),
    ]


@pytest.fixture
def host(faulty: EmulatorFactory, transcript: Transcript) -> Iterator[tuple[ProviderHost, EmulatorProcess]]:
    emulator = faulty()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HW_", "OS_", "MODELARTS_"))}
    provider_host = ProviderHost(env=env)
    provider_host.configure(
        {
            **emulator.stack_config(credentials=False),
            "modelarts:accessKey": SENTINEL_AK,
            "modelarts:secretKey": SENTINEL_SK,
        }
    )
    yield provider_host, emulator
    provider_host.close()
    transcript.add("provider host stderr", provider_host.stderr())


def _inputs(resource: CapturedResource) -> dict[str, object]:
    return {key: value for key, value in resource.inputs.items() if value is not None}


@pytest.mark.slow
def test_engine_path_under_faults_leaks_nothing(
    host: tuple[ProviderHost, EmulatorProcess], transcript: Transcript
) -> None:
    provider_host, emulator = host
    captured = {resource.name: resource for resource in capture_resources(_program)}  # type: ignore[arg-type]
    for resource in captured.values():
        transcript.add(f"__provider of {resource.name}", resource.blob)
        transcript.add(f"__provider of {resource.name}, decoded", base64.b64decode(resource.blob).decode("latin-1"))
        transcript.add(f"registered inputs of {resource.name}", resource.inputs)

    # A create whose answer is lost, through the real host: adopted, one task.
    emulator.set_faults([rule("drop_after_commit", "POST", TASKS, times=1)])
    group = captured["group"]
    inputs, failures = provider_host.check(group, _inputs(group))
    assert failures == []
    task_id, outputs = provider_host.create(group, inputs)
    transcript.add("create outputs", outputs)
    assert outputs["status_name"] == "succeeded" and outputs["task_id"] == task_id
    assert requests_to(emulator, "POST", TASKS) == 1

    # Reads and diffs answer with state only.
    _, read_outputs, read_inputs = provider_host.read(group, task_id, outputs)
    transcript.add("read", [read_outputs, read_inputs])

    # Failures: a server error on the create of the export, then a missing version.
    emulator.set_faults([rule("error", "POST", "/v2/{project_id}/datasets/{dataset_id}/export-tasks", times=1)])
    export = captured["export"]
    export_inputs, _ = provider_host.check(export, _inputs(export))
    with pytest.raises(Exception) as lost:
        provider_host.create(export, export_inputs)
    transcript.add("export create error", str(lost.value))
    assert "Re-running is safe" in str(lost.value)

    missing = captured["missing"]
    missing_inputs, _ = provider_host.check(missing, _inputs(missing))
    with pytest.raises(Exception) as absent:
        provider_host.create(missing, missing_inputs)
    transcript.add("version create error", str(absent.value))
    assert "V404" in str(absent.value)


def test_wrong_secret_key_flag_is_not_echoed(faulty: EmulatorFactory, cli: Cli, tmp_path: Path) -> None:
    emulator = faulty()
    emulator.secret_key = WRONG_SK  # what the CLI is given; the emulator expects SENTINEL_SK
    specs = write_specs(tmp_path / "specs", THREE_CREATES)

    result = cli.run(emulator, "plan", str(specs), "--secret-key", WRONG_SK, "--access-key", SENTINEL_AK)

    assert result.returncode == 1, result.describe()
    assert "APIG.0301" in result.text and "Traceback" not in result.text
    assert WRONG_SK not in result.text + result.log


def test_wrong_password_is_not_echoed(faulty: EmulatorFactory, cli: Cli, tmp_path: Path) -> None:
    emulator = faulty()
    emulator.password = WRONG_PASSWORD
    specs = write_specs(tmp_path / "specs", THREE_CREATES)

    result = cli.run(emulator, "apply", str(specs), "--yes", auth="password")

    assert result.returncode == 1, result.describe()
    assert "Traceback" not in result.text and "error:" in result.stderr
    assert WRONG_PASSWORD not in result.text + result.log
    assert SENTINEL_PASSWORD not in result.text + result.log


def test_json_reports_and_logs_carry_no_secret(faulty: EmulatorFactory, cli: Cli, tmp_path: Path) -> None:
    """A full apply with faults on the way; the JSON report (outputs, api_calls) and DEBUG logs are scanned."""
    emulator = faulty()
    specs = write_specs(tmp_path / "specs", THREE_CREATES)
    emulator.set_faults([rule("throttle", "GET", "*", times=2, retry_after=0.2), rule("drop", "GET", "*", times=1)])

    result = cli.run(emulator, "apply", str(specs), "--yes", "--format", "json")

    assert result.returncode == 0, result.describe()
    assert result.log, "the DEBUG log was captured"
    for secret in (SENTINEL_AK, SENTINEL_SK):
        assert secret not in result.stdout + result.stderr + result.log
