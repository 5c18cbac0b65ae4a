"""Pulumi update plans under the real engine: `pulumi preview --save-plan` then `pulumi up --plan`, for the dynamic
resources (a Python program) and the plugin (Pulumi YAML). What the saved plan showed is what runs; a live change in
between fails the `up` instead of exporting something nobody reviewed."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

import pulumi_modelarts as modelarts
from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from support.emulator_process import EmulatorProcess
from support.pulumi_engine import EXPORTS, EngineStack, writes

FOLLOW_LATEST_YAML = """\
name: plans-yaml
runtime: yaml
resources:
  latest:
    type: modelarts:index:DatasetVersionRef
    properties:
      datasetName: support-tickets
      selector: latest
  to-obs:
    type: modelarts:index:ExportTask
    properties:
      datasetId: ${latest.datasetId}
      versionId: ${latest.versionId}
      path: /demo-bucket/support-tickets/latest/
      exportType: 0
outputs:
  versionId: ${latest.versionId}
"""


def follow_latest() -> None:
    latest = modelarts.DatasetVersionRef("latest", dataset_name="support-tickets", selector="latest")
    modelarts.ExportTask(
        "to-obs",
        dataset_id=latest.dataset_id,
        version_id=latest.version_id,
        path="/demo-bucket/support-tickets/latest/",
        export_type=0,
    )
    pulumi.export("versionId", latest.version_id)


def release(emulator: EmulatorProcess, name: str) -> None:
    client = ModelArtsClient(resolve_settings(**emulator.client_settings()))
    dataset_id = next(
        item["dataset_id"] for item in client.iter_datasets() if item["dataset_name"] == "support-tickets"
    )
    client.create_version(dataset_id, {"version_name": name})
    emulator.advance_clock(120)


def python_stack(tmp_path: Path, emulator: EmulatorProcess, make_stack: Callable[..., EngineStack]) -> EngineStack:
    project = tmp_path / "plans-python"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: plans-python\nruntime: python\n")
    return make_stack(project, emulator, follow_latest)


def yaml_stack(
    engine: Path, tmp_path: Path, emulator: EmulatorProcess, make_stack: Callable[..., EngineStack]
) -> EngineStack:
    if not (engine / "pulumi-language-yaml").is_file() or shutil.which("pulumi-resource-modelarts") is None:
        pytest.skip("the YAML language host or the plugin is missing (scripts/pulumi-engine.sh, pip install -e .)")
    project = tmp_path / "plans-yaml"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(FOLLOW_LATEST_YAML)
    return make_stack(project, emulator, None)


STACKS: dict[str, Callable[..., EngineStack]] = {
    "python": lambda engine, tmp_path, emulator, make_stack: python_stack(tmp_path, emulator, make_stack),
    "yaml": yaml_stack,
}


@pytest.mark.parametrize("language", sorted(STACKS))
def test_up_with_a_saved_plan_does_what_the_plan_showed_and_refuses_a_live_change(
    language: str,
    engine: Path,
    tmp_path: Path,
    e2e_emulator: Callable[..., EmulatorProcess],
    make_stack: Callable[..., Any],
) -> None:
    emulator = e2e_emulator()
    stack = STACKS[language](engine, tmp_path, emulator, make_stack)
    first = tmp_path / "first.json"
    stack.preview(plan=str(first))
    stack.up(plan=str(first))
    assert writes(emulator) == {EXPORTS: 1}
    pinned = stack.outputs()["versionId"]

    # Reviewed: nothing to change. Then V004 is released before the approved plan is applied.
    second = tmp_path / "second.json"
    stack.preview(plan=str(second), expect_no_changes=True)
    release(emulator, "V004")
    emulator.reset_stats()
    with pytest.raises(Exception, match=r"create-replacement is not allowed by the plan: this resource is constrained"):
        stack.up(plan=str(second))
    assert writes(emulator) == {}, "nothing that the saved plan did not show was written"
    assert stack.outputs()["versionId"] == pinned

    # Planned again, the move is reviewed (old => new) and applied as shown.
    third = tmp_path / "third.json"
    preview = stack.preview(plan=str(third), diff=True)
    assert "replace" in preview.stdout
    # What the export follows is shown old => new (the ref's own line can only say its version_id is replaced).
    assert re.search(r'~ (version_id|versionId)\s*: "[^"]+" => ', preview.stdout), preview.stdout
    stack.up(plan=str(third))
    assert writes(emulator) == {EXPORTS: 1}
    assert stack.outputs()["versionId"] != pinned
