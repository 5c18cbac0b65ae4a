"""ImportTask and triggers under the real engine: a Python program that imports a batch and re-runs
auto-labeling when the batch changes, and `pulumi import` of an import task through the plugin."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support.emulator_process import EmulatorProcess
from support.programs import intake_program
from support.pulumi_engine import SENTINEL_SECRET_KEY, TASKS, EngineStack, client_for, empty_project, writes

IMPORTS = "POST /v2/{project_id}/datasets/{dataset_id}/import-tasks"
ACCEPT = "PUT /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples"


def test_a_new_batch_replaces_the_import_and_reruns_auto_labeling_after_it(
    tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    emulator = e2e_emulator()
    knobs: dict[str, Any] = {"batch": "batch-01"}
    stack = make_stack(empty_project(tmp_path, "intake"), emulator, intake_program(knobs))
    first = stack.up()
    assert writes(emulator) == {
        IMPORTS: 1,
        TASKS: 1,
        "PUT /v2/{project_id}/datasets/{dataset_id}/data-annotations/samples": 1,
    }
    assert stack.outputs()["imported"] == 20
    emulator.reset_stats()
    stack.preview(expect_no_changes=True)
    assert writes(emulator) == {}

    knobs["batch"] = "batch-02"
    preview = stack.preview(diff=True)
    # The import is replaced; the task's trigger is the new import's id, unknown until it exists: a replace too.
    assert "2 to replace" in preview.stdout, preview.stdout
    assert re.search(r"~ import_path\s*: \"[^\"]*batch-01/\" => \"[^\"]*batch-02/\"", preview.stdout)
    assert re.search(r"~ \[0\]: \"[^\"]+\" => \[unknown\]", preview.stdout), "the trigger, unknown until the import"
    assert writes(emulator) == {}, "a preview writes nothing"
    old_task = stack.outputs()["task_id"]
    stack.up()
    made = writes(emulator)
    assert made[IMPORTS] == 1 and made[TASKS] == 1
    outputs = stack.outputs()
    assert outputs["imported"] == 12 and outputs["task_id"] != old_task
    client = client_for(emulator)
    dataset_id = next(item for item in client.iter_datasets() if item["dataset_name"] == "pets-detection")["dataset_id"]
    imported = client.get_import_task(dataset_id, outputs["import_id"])
    task = client.get_task(dataset_id, outputs["task_id"])
    assert imported["status"] == "COMPLETED" and task["status"] == 3
    # the task started after the import had completed: it saw the batch's samples (80 seeded + 20 + 12)
    assert (task.get("result") or task)["total_sample_count"] == 112
    emulator.reset_stats()
    stack.preview(expect_no_changes=True)
    again = stack.up()
    assert "3 unchanged" in again.stdout and writes(emulator) == {}
    for text in (first.stdout, preview.stdout, stack.state_text()):
        assert SENTINEL_SECRET_KEY not in text


def test_pulumi_import_adopts_an_existing_import_task_by_its_id(
    yaml_engine: Path,
    tmp_path: Path,
    e2e_emulator: Callable[..., EmulatorProcess],
    make_stack: Callable[..., EngineStack],
) -> None:
    emulator = e2e_emulator()
    project = tmp_path / "import"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: modelarts-import-task\nruntime: yaml\n")
    stack = make_stack(project, emulator, None)
    client = client_for(emulator)
    dataset_id = next(item for item in client.iter_datasets() if item["dataset_name"] == "pets-detection")["dataset_id"]
    path = "/demo-bucket/pets-detection/labelled/batch-01.manifest"
    task_id = client.create_import_task(dataset_id, {"import_path": path, "import_type": "manifest"})
    emulator.advance_clock(60)
    emulator.reset_stats()

    imported = stack.pulumi("import", "modelarts:index:ImportTask", "labelled", f"{dataset_id}/{task_id}", "--yes")
    assert "1 imported" in imported.stdout
    assert "type: modelarts:ImportTask" in imported.stdout and path in imported.stdout
    resource = next(item for item in stack.resources() if item["type"] == "modelarts:index:ImportTask")
    assert resource["id"] == f"{dataset_id}/{task_id}"
    assert resource["outputs"]["status"] == "COMPLETED"
    assert writes(emulator) == {}, "import only reads"
