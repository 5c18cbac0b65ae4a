"""Small Pulumi programs for the lifecycle tests, shared by the tests and the crash driver process.

Each takes its knobs from a dict so that a test can change one input between two `pulumi up` runs,
exactly as a user edits a program.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi

import pulumi_modelarts as modelarts


def export_program(knobs: dict[str, Any]) -> Callable[[], None]:
    """`count` exports of the flowers dataset to distinct OBS paths."""

    def program() -> None:
        for index in range(int(knobs.get("count", 1))):
            modelarts.ExportTask(
                f"export-{index}",
                dataset_name="flowers",
                path=f"/demo-bucket/flowers/e2e-{index}/",
                export_type=0,
                timeout_seconds=knobs.get("timeout_seconds", 1800),
            )

    return program


def release_program(knobs: dict[str, Any]) -> Callable[[], None]:
    """Release (and pin) a new version of pets-detection."""

    def program() -> None:
        ref = modelarts.DatasetVersionRef(
            "release",
            dataset_name="pets-detection",
            version_name=knobs.get("version_name", "V900"),
            release={"description": "e2e release"},
        )
        pulumi.export("version_id", ref.version_id)

    return program


def task_program(knobs: dict[str, Any]) -> Callable[[], None]:
    """An auto-label task on flowers that is not waited for (it keeps running at the emulator)."""

    def program() -> None:
        task = modelarts.IntelligentTask(
            "autolabel",
            dataset_name="flowers",
            task_type="auto-label",
            config={"algorithm_type": knobs.get("algorithm_type", "fast")},
            wait=False,
        )
        pulumi.export("task_id", task.task_id)

    return program


def grouping_program(knobs: dict[str, Any]) -> Callable[[], None]:
    """An auto-grouping task on flowers; ModelArts runs one at a time, so it waits for a running one first."""

    def program() -> None:
        modelarts.IntelligentTask(
            "grouping", dataset_name="flowers", task_type="auto-grouping", config={"n_clusters": "3"}
        )

    return program


def exports_over(knobs: dict[str, Any]) -> Callable[[], None]:
    """``count`` exports spread over the demo datasets named in ``datasets`` (round robin)."""

    def program() -> None:
        datasets = knobs["datasets"]
        for index in range(int(knobs["count"])):
            name = datasets[index % len(datasets)]
            modelarts.ExportTask(
                f"export-{index}", dataset_name=name, path=f"/demo-bucket/{name}/{index}/", export_type=0
            )

    return program


def intake_program(knobs: dict[str, Any]) -> Callable[[], None]:
    """Import a raw batch into pets-detection, then auto-label it: the task's triggers carry the import's id."""

    def program() -> None:
        intake = modelarts.ImportTask(
            "intake",
            dataset_name="pets-detection",
            import_path=f"/demo-bucket/pets-detection/raw/{knobs.get('batch', 'batch-01')}/",
        )
        label = modelarts.IntelligentTask(
            "autolabel",
            dataset_name="pets-detection",
            task_type="auto-label",
            config={"algorithm_type": "fast"},
            accept={"min_score": 0.5},
            triggers=[intake.task_id],
        )
        pulumi.export("import_id", intake.task_id)
        pulumi.export("imported", intake.imported_sample_count)
        pulumi.export("task_id", label.task_id)

    return program
