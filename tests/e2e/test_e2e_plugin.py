"""The provider plugin (`pulumi-resource-modelarts`) under the real engine: a Pulumi YAML program, a detailed
`pulumi preview --diff`, and `pulumi import` of an export that exists and of one that does not."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from support.emulator_process import EmulatorProcess
from support.pulumi_engine import EXPORTS, REPO, SENTINEL_SECRET_KEY, EngineStack, writes


def yaml_project(tmp_path: Path) -> Path:
    project = tmp_path / "yaml"
    shutil.copytree(REPO / "examples" / "pulumi-yaml", project)
    return project


def test_yaml_promotion_with_the_plugin_shows_the_property_that_forces_the_replacement(
    yaml_engine: Path,
    tmp_path: Path,
    e2e_emulator: Callable[..., EmulatorProcess],
    make_stack: Callable[..., EngineStack],
) -> None:
    emulator = e2e_emulator()
    stack = make_stack(yaml_project(tmp_path), emulator, None)
    first = stack.up()
    assert "+ 3 created" in first.stdout  # the stack, the version ref and the export
    assert writes(emulator) == {EXPORTS: 1}
    assert stack.outputs()["promotedVersion"] == "V002"

    # A new release with enough labels appears; promoting it is the one config line.
    client = ModelArtsClient(resolve_settings(**emulator.client_settings()))
    ref = next(item for item in stack.resources() if item["type"] == "modelarts:index:DatasetVersionRef")
    dataset_id = ref["outputs"]["datasetId"]
    client.create_version(dataset_id, {"version_name": "V003"})
    emulator.advance_clock(60)
    stack.configure({"modelarts-promotion-yaml:versionName": "V003"})
    emulator.reset_stats()
    preview = stack.preview(diff=True)
    # The plugin's detailed diff: only the property that forces the replacement is marked, not every output.
    assert re.search(r"\+-modelarts:index:DatasetVersionRef: \(replace\)", preview.stdout)
    assert re.search(r'~ versionName\s*: "V002" => "V003"', preview.stdout)
    assert "- annotatedRatio" not in preview.stdout
    assert writes(emulator) == {}
    stack.up()
    assert writes(emulator) == {EXPORTS: 1}
    assert stack.outputs()["promotedVersion"] == "V003"
    stack.preview(expect_no_changes=True)

    # A gate that fails stops the preview itself, before a merge: V001 has 30 of 120 samples annotated.
    stack.configure({"modelarts-promotion-yaml:versionName": "V001"})
    with pytest.raises(Exception, match=r"annotated ratio is 0\.250"):
        stack.preview()
    for text in (first.stdout, preview.stdout, stack.state_text()):
        assert SENTINEL_SECRET_KEY not in text


def test_pulumi_import_adopts_an_existing_export_by_its_id(
    yaml_engine: Path,
    tmp_path: Path,
    e2e_emulator: Callable[..., EmulatorProcess],
    make_stack: Callable[..., EngineStack],
) -> None:
    emulator = e2e_emulator()
    project = tmp_path / "import"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: modelarts-import\nruntime: yaml\n")
    stack = make_stack(project, emulator, None)
    client = ModelArtsClient(resolve_settings(**emulator.client_settings()))
    dataset_id = next(item for item in client.iter_datasets() if item["dataset_name"] == "flowers")["dataset_id"]
    task_id = client.create_export_task(dataset_id, {"path": "/demo-bucket/flowers/outside/", "export_type": 0})
    emulator.advance_clock(60)
    emulator.reset_stats()

    imported = stack.pulumi("import", "modelarts:index:ExportTask", "outside", f"{dataset_id}/{task_id}", "--yes")
    assert "1 imported" in imported.stdout
    # The code Pulumi generates for the program names the export's own request, read back from the API.
    assert "type: modelarts:ExportTask" in imported.stdout  # YAML's generated code elides the module
    assert "/demo-bucket/flowers/outside/" in imported.stdout
    resource = next(item for item in stack.resources() if item["type"] == "modelarts:index:ExportTask")
    assert resource["id"] == f"{dataset_id}/{task_id}"
    assert resource["outputs"]["status"] == "SUCCESSED"
    assert writes(emulator) == {}, "import only reads"

    # An id that does not exist fails the import, instead of recording an empty resource.
    missing = stack.pulumi(
        "import", "modelarts:index:ExportTask", "gone", f"{dataset_id}/NoSuchTask000000000", "--yes", check=False
    )
    assert missing.returncode != 0
    assert f"task_id NoSuchTask000000000 does not exist on dataset {dataset_id}" in missing.stdout + missing.stderr
    assert [item["id"] for item in stack.resources() if item["type"] == "modelarts:index:ExportTask"] == [
        resource["id"]
    ]
