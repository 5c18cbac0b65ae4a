"""Two resources that make one request on one dataset, one naming it by name and one by id, are refused at plan time.

`validate` cannot see it (the names differ until the live lookup resolves them). Before, plan said create for both,
apply started two exports, and the next plan showed both resources on one of them.
"""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import run
from support.emulator_process import EmulatorProcess
from support.reconcile import make_ctx


def _specs(folder: Path, flowers_id: str) -> None:
    request = "path: /demo-bucket/flowers/out/, export_type: 0"
    (folder / "specs.yaml").write_text(
        "resources:\n"
        f"  by-name:\n    type: modelarts:ExportTask\n    properties: {{dataset_name: flowers, {request}}}\n"
        f"  by-id:\n    type: modelarts:ExportTask\n    properties: {{dataset_id: {flowers_id}, {request}}}\n"
        "  pin:\n    type: modelarts:DatasetVersionRef\n"
        '    properties: {dataset_id: "${by-id.dataset_id}", version_name: V001}\n'
    )


def test_one_export_named_two_ways_is_blocked_naming_the_other(emulator: EmulatorProcess, tmp_path: Path) -> None:
    flowers = make_ctx(emulator).observer.dataset_id_for(None, "flowers")
    _specs(tmp_path, flowers)
    assert run("validate", "specs.yaml", cwd=tmp_path).returncode == 0  # literally, they differ

    planned = run("plan", "specs.yaml", "--format", "json", emulator=emulator, cwd=tmp_path)

    assert planned.returncode == 1
    document = json.loads(planned.stdout)
    by_name = {item["name"]: item for item in document["resources"]}
    assert by_name["by-name"]["action"] == "create"
    assert by_name["by-id"]["action"] == "blocked" and by_name["by-id"]["blocked"] == "conflict"
    assert by_name["by-id"]["summary"] == (
        f"'by-name' makes the same request on dataset {flowers} (ExportTask); both would claim one object."
        " Keep one of them."
    )
    assert by_name["pin"]["action"] == "skipped"  # what depends on it is not planned as a create
    assert document["blocked"] == ["by-id"] and document["ok"] is False

    emulator.reset_stats()
    applied = run("apply", "specs.yaml", "--yes", emulator=emulator, cwd=tmp_path)
    assert applied.returncode == 1 and "blocked, so nothing was applied" in applied.stderr
    assert emulator.stats()["writes"] == 0
