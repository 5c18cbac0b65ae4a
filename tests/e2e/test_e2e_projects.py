"""The repository's own Pulumi projects under the real engine: preview, up, re-run, refresh, promotion."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from support.emulator_process import EmulatorProcess
from support.pulumi_engine import (
    EXPORTS,
    IMPORTS,
    REPO,
    TASKS,
    VERSIONS,
    EngineStack,
    copy_project,
    project_program,
    writes,
)


def test_root_project_creates_each_object_once_and_then_stays_in_sync(
    tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    emulator = e2e_emulator()
    project = copy_project(REPO, tmp_path / "root", extra=("specs",))
    stack = make_stack(project, emulator, project_program(project), project_name="modelarts-datasets")

    preview = stack.preview()
    for name in ("pets-intake", "pets-autolabel", "pets-version", "pets-release", "candidate", "promote"):
        assert "+  pulumi-python:dynamic/modelarts:" in preview.stdout
        assert name in preview.stdout
    assert "7 to create" in preview.stdout
    assert writes(emulator) == {}, "preview must not write"

    stack.up()
    first = writes(emulator)
    assert first[TASKS] == 1
    assert first[EXPORTS] == 2
    assert first[VERSIONS] == 1
    assert first[IMPORTS] == 1

    emulator.reset_stats()
    stack.preview(expect_no_changes=True)
    stack.refresh()
    stack.preview(expect_no_changes=True)
    again = stack.up()
    assert "7 unchanged" in again.stdout
    assert writes(emulator) == {}, "re-running up after success writes nothing"


def test_python_promotion_example_promotes_a_new_version_with_a_readable_replace(
    tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    emulator = e2e_emulator()
    project = copy_project(REPO / "examples" / "python-promotion", tmp_path / "promotion")
    stack = make_stack(
        project,
        emulator,
        project_program(project),
        project_name="modelarts-promotion-python",
        config={"modelarts-promotion-python:dataset": "support-tickets", "modelarts-promotion-python:version": "V002"},
    )
    stack.up()
    assert writes(emulator)[EXPORTS] == 1
    first = stack.outputs()

    stack.configure({"modelarts-promotion-python:version": "V003"})
    emulator.reset_stats()
    preview = stack.preview(diff=True)
    # The reviewer sees both replacements and why: the pinned version changes, so does the export's source.
    assert "+-pulumi-python:dynamic/modelarts:DatasetVersionRef: (replace)" in preview.stdout
    assert "+-pulumi-python:dynamic/modelarts:ExportTask: (replace)" in preview.stdout
    assert re.search(r'~ version_name\s+: "V002" => "V003"', preview.stdout)
    assert re.search(
        r'~ export_new_dataset_name\s+: "support-tickets-release-V002" => "support-tickets-release-V003"',
        preview.stdout,
    )
    assert writes(emulator) == {}

    stack.up()
    assert writes(emulator)[EXPORTS] == 1, "one export for the newly pinned version"
    promoted = stack.outputs()
    assert promoted["candidate_version_id"] != first["candidate_version_id"]
    assert promoted["promoted_dataset_id"] != first["promoted_dataset_id"]
    stack.preview(expect_no_changes=True)
