"""ExportTask reconcile: identity by request fingerprint, new datasets, conflicts."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_modelarts import schema
from pulumi_modelarts.reconcile import echo, export
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.errors import ConflictError
from support.emulator_process import EmulatorProcess
from support.reconcile import converge, decide, make_ctx

EXPORT_ROUTE = "/v2/{project_id}/datasets/{dataset_id}/export-tasks"


def spec(**inputs: Any) -> export.ExportTaskSpec:
    raw = {"dataset_name": "flowers", "path": "/demo-bucket/flowers/export/", "export_type": 0, **inputs}
    normalized, violations = schema.validate_inputs("modelarts:ExportTask", raw)
    assert violations == []
    return export.ExportTaskSpec("to-obs", normalized)


def new_dataset(name: str, **inputs: Any) -> export.ExportTaskSpec:
    params = {
        "export_dest": "NEW_DATASET",
        "export_new_dataset_name": name,
        "export_new_dataset_work_path": "/b/o/",
    }
    return spec(export_params=params, **inputs)


def test_export_is_adopted_on_rerun(ctx: ReconcileContext, emulator: EmulatorProcess) -> None:
    first = converge(ctx, spec())
    assert first["status"] == "SUCCESSED" and first["adopted"] is False
    emulator.reset_stats()
    again = converge(make_ctx(emulator), spec())
    assert again["task_id"] == first["task_id"] and again["adopted"] is True
    assert emulator.stats()["writes"] == 0
    other = decide(make_ctx(emulator), spec(export_type=2))
    assert other.action == "replace"
    assert [(c.path, c.old, c.new) for c in other.changes] == [("export_type", 0, 2)]


def test_export_to_new_dataset_reports_its_id(ctx: ReconcileContext) -> None:
    outputs = converge(ctx, new_dataset("flowers-copy"))
    created = ctx.observer.dataset_by_name("flowers-copy", fresh=True)
    assert created is not None and outputs["new_dataset_id"] == created["dataset_id"]


def test_taken_new_dataset_name_is_refused_before_any_write(ctx: ReconcileContext, emulator: EmulatorProcess) -> None:
    emulator.reset_stats()
    with pytest.raises(ConflictError, match="already taken by dataset"):
        converge(ctx, new_dataset("pets-detection"))
    assert emulator.stats()["writes"] == 0
    assert decide(ctx, new_dataset("pets-detection")).action == "blocked"


def test_lost_export_response_converges(ctx: ReconcileContext, emulator: EmulatorProcess) -> None:
    emulator.set_faults([{"action": "drop_after_commit", "method": "POST", "route": EXPORT_ROUTE, "times": 1}])
    outputs = converge(ctx, spec())
    assert outputs["status"] == "SUCCESSED"
    assert emulator.stats()["requests"]["POST " + EXPORT_ROUTE] == 1
    dataset_id = outputs["dataset_id"]
    assert (
        len([t for t in ctx.client.iter_export_tasks(dataset_id) if echo.export_matches(t, spec().request_body())]) == 1
    )
