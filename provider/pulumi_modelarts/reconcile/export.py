"""ExportTask: match our export among the dataset's export tasks by the fingerprint of its request.

Export tasks have no name, so identity is the request itself: an export task whose echoed fields
equal our request (after normalization) is ours. A running or succeeded match is adopted; a failed
one is not, so a re-run starts a fresh export. The API offers nothing to stop two concurrent
runs from both starting an export (see README, "Concurrent applies").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_modelarts.api.errors import NotFoundError, ServerError, TransportError
from pulumi_modelarts.reconcile import identity
from pulumi_modelarts.reconcile.board import PAGE_SIZE
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.errors import ConflictError, ReconcileError, TaskFailedError
from pulumi_modelarts.reconcile.plan import Action, Plan, diff_values
from pulumi_modelarts.reconcile.spec import ResourceSpec
from pulumi_modelarts.reconcile.status import (
    EXPORT_FAILED,
    EXPORT_RUNNING,
    EXPORT_SUCCEEDED,
    export_status_name,
)
from pulumi_modelarts.reconcile.waiting import Probe

API_FIELDS = (
    "path",
    "export_type",
    "export_format",
    "export_params",
    "version_id",
    "version_format",
    "annotation_format",
    "sample_state",
    "samples",
    "search_conditions",
    "source_type_header",
    "with_column_header",
    "dataset_type",
)
NEW_DATASET = "NEW_DATASET"


@dataclass(frozen=True)
class ExportTaskSpec(ResourceSpec):
    def request_body(self) -> dict[str, Any]:
        body: dict[str, Any] = identity.canonical({key: self.inputs[key] for key in API_FIELDS if key in self.inputs})
        return body

    @property
    def fingerprint(self) -> str:
        return identity.fingerprint(self.request_body())

    @property
    def new_dataset_name(self) -> str | None:
        params = self.inputs.get("export_params") or {}
        if params.get("export_dest") == NEW_DATASET:
            name = params.get("export_new_dataset_name")
            return str(name) if name else None
        return None

    def destination(self) -> tuple[Any, ...]:
        params = self.inputs.get("export_params") or {}
        return (
            params.get("export_dest", "DIR"),
            self.inputs.get("path"),
            params.get("export_new_dataset_work_path"),
        )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def same(ours: Any, theirs: Any) -> bool:
    """Whether the API's echo of a field agrees with what we sent; a field it does not echo agrees."""
    if theirs is None:
        return True
    if isinstance(ours, Mapping):
        return isinstance(theirs, Mapping) and all(same(value, theirs.get(key)) for key, value in ours.items())
    if isinstance(ours, list):
        return isinstance(theirs, list) and len(ours) == len(theirs) and all(map(same, ours, theirs))
    if ours == theirs:
        return True
    if ours in ("", None) and theirs in ("", None):
        return True
    a, b = _number(ours), _number(theirs)
    return a is not None and b is not None and abs(a - b) < 1e-9


def matches(task: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    return all(same(value, task.get(key)) for key, value in body.items())


def _destination_of(task: Mapping[str, Any]) -> tuple[Any, ...]:
    params = task.get("export_params") or {}
    return (params.get("export_dest", "DIR"), task.get("path"), params.get("export_new_dataset_work_path"))


def is_active(task: Mapping[str, Any]) -> bool:
    return task.get("status") in EXPORT_RUNNING


def describe_export(task: Mapping[str, Any]) -> str:
    parts = [str(task.get("task_id") or "?"), export_status_name(task.get("status"))]
    if is_active(task) and task.get("progress") is not None:
        parts.append(f"{float(task['progress']):.0f}%")
    return " ".join(parts)


@dataclass
class ExportObservation:
    dataset_id: str
    matching: list[dict[str, Any]]  # newest first
    previous: list[dict[str, Any]]  # same destination, another request

    @property
    def adoptable(self) -> dict[str, Any] | None:
        for task in self.matching:
            if task.get("status") != EXPORT_FAILED:
                return task
        return None


def observe(ctx: ReconcileContext, spec: ExportTaskSpec, *, fresh: bool = False) -> ExportObservation:
    dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    if fresh:
        ctx.observer.invalidate(dataset_id, "exports")
    body = spec.request_body()
    destination = spec.destination()
    matching: list[dict[str, Any]] = []
    previous: list[dict[str, Any]] = []
    for task in ctx.observer.export_tasks(dataset_id):
        if matches(task, body):
            matching.append(task)
        elif _destination_of(task) == destination:
            previous.append(task)
    return ExportObservation(dataset_id, matching, previous)


def _echoed_body(task: Mapping[str, Any], keys: Any) -> dict[str, Any]:
    return {key: task.get(key) for key in keys if task.get(key) is not None}


def plan(ctx: ReconcileContext, spec: ExportTaskSpec) -> Plan:
    result = _plan(ctx, spec)
    if result.dataset_id is None:
        result.dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    return result


def _plan(ctx: ReconcileContext, spec: ExportTaskSpec) -> Plan:
    observed = observe(ctx, spec)
    if spec.adopt_task_id:
        return Plan("adopt", f"adopt export task {spec.adopt_task_id}", task_id=spec.adopt_task_id)
    found = observed.adoptable
    if found is not None:
        action: Action = "wait" if is_active(found) else "in-sync"
        verb = "wait for running export" if is_active(found) else "export"
        return Plan(action, f"{verb} {describe_export(found)}", task_id=found.get("task_id"), live=found)
    conflict = _new_dataset_conflict(ctx, spec)
    if conflict:
        return Plan("blocked", conflict)
    body = spec.request_body()
    target = (
        f"new dataset '{spec.new_dataset_name}'" if spec.new_dataset_name else f"OBS path {spec.inputs.get('path')}"
    )
    if observed.matching:
        last = observed.matching[0]
        return Plan(
            "retry",
            f"export to {target} again; export {describe_export(last)}: {last.get('error_msg') or ''}",
        )
    if observed.previous:
        old = observed.previous[0]
        changes = diff_values(_echoed_body(old, body), body)
        return Plan(
            "replace",
            f"export to {target}, replacing export {describe_export(old)}",
            changes,
            old.get("task_id"),
        )
    return Plan("create", f"export to {target}")


def _new_dataset_conflict(ctx: ReconcileContext, spec: ExportTaskSpec) -> str | None:
    name = spec.new_dataset_name
    if not name:
        return None
    existing = ctx.observer.dataset_by_name(name)
    if existing is None:
        return None
    return (
        f"{spec.resource_name}: export_params.export_new_dataset_name '{name}' is already taken by dataset"
        f" {existing.get('dataset_id')}, and no export of this request produced it. Choose a new name"
        " (for example one that includes the version name) or delete that dataset."
    )


def _export_probe(task: dict[str, Any]) -> Probe:
    progress = task.get("progress")
    return Probe(done=not is_active(task), progress=float(progress) if isinstance(progress, (int, float)) else None)


def wait_for_export(
    ctx: ReconcileContext,
    label: str,
    dataset_id: str,
    task_id: str,
    timeout: float,
    initial: dict[str, Any] | None,
) -> dict[str, Any]:
    key = (dataset_id, "export")

    def get_one() -> dict[str, Any]:
        task = ctx.client.get_export_task(dataset_id, task_id)
        task.setdefault("task_id", task_id)
        return task

    def list_page() -> list[dict[str, Any]]:
        page = ctx.client.list_export_tasks_page(dataset_id, limit=PAGE_SIZE)
        return list(page.get("export_tasks") or [])

    def fetch() -> dict[str, Any]:
        return get_one() if ctx.board is None else ctx.board.status(key, task_id, get_one, list_page)

    def timeout_message(task: dict[str, Any]) -> str:
        return (
            f"{label}: export {describe_export(task)} on dataset {dataset_id} is still running after {timeout:.0f}s"
            " (timeout_seconds). The next `pulumi up` or `pulumi-modelarts apply` resumes waiting on it."
        )

    waiter = ctx.waiter(label, fetch, _export_probe, timeout, timeout_message)
    if ctx.board is None:
        return waiter.run(initial)
    with ctx.board.following(key):
        return waiter.run(initial)


def _start(ctx: ReconcileContext, spec: ExportTaskSpec, dataset_id: str) -> str:
    try:
        task_id = ctx.client.create_export_task(dataset_id, spec.request_body())
    except (TransportError, ServerError) as lost:
        found = observe(ctx, spec, fresh=True).adoptable
        if found is not None:
            ctx.log(f"{spec.resource_name}: the export request's answer was lost; adopting export {found['task_id']}")
            return str(found["task_id"])
        raise ReconcileError(
            f"{spec.resource_name}: creating the export on dataset {dataset_id} got no answer ({lost}); no matching"
            " export exists, so nothing was started. Re-running is safe."
        ) from None
    ctx.observer.invalidate(dataset_id, "exports")
    ctx.log(f"{spec.resource_name}: started export {task_id} on dataset {dataset_id}")
    return task_id


def ensure(ctx: ReconcileContext, spec: ExportTaskSpec) -> dict[str, Any]:
    observed = observe(ctx, spec)
    dataset_id = observed.dataset_id
    initial: dict[str, Any] | None = None
    adopted = True
    if spec.adopt_task_id:
        task_id = spec.adopt_task_id
    elif (found := observed.adoptable) is not None:
        task_id, initial = str(found["task_id"]), found
    else:
        conflict = _new_dataset_conflict(ctx, spec)
        if conflict:
            raise ConflictError(conflict)
        adopted = False
        task_id = _start(ctx, spec, dataset_id)
    if spec.wait:
        task = wait_for_export(ctx, spec.resource_name, dataset_id, task_id, spec.timeout_seconds, initial)
    else:
        task = initial if initial is not None else ctx.client.get_export_task(dataset_id, task_id)
    task.setdefault("task_id", task_id)
    if task.get("status") == EXPORT_FAILED:
        raise TaskFailedError(
            f"{spec.resource_name}: export {task_id} on dataset {dataset_id} failed: "
            f"{task.get('error_code') or ''} {task.get('error_msg') or ''}".rstrip(),
            error_code=task.get("error_code"),
            error_msg=task.get("error_msg"),
        )
    outputs = export_outputs(task, dataset_id, adopted=adopted)
    outputs["fingerprint"] = spec.fingerprint
    if spec.new_dataset_name and task.get("status") == EXPORT_SUCCEEDED:
        created = ctx.observer.dataset_by_name(spec.new_dataset_name, fresh=True)
        outputs["new_dataset_id"] = created.get("dataset_id") if created else None
    return outputs


def export_outputs(task: Mapping[str, Any], dataset_id: str, *, adopted: bool = False) -> dict[str, Any]:
    return {
        "task_id": task.get("task_id"),
        "dataset_id": dataset_id,
        "status": task.get("status"),
        "status_name": export_status_name(task.get("status")),
        "progress": float(task.get("progress") or 0.0),
        "total_sample_count": task.get("total_sample_count"),
        "finished_sample_count": task.get("finished_sample_count"),
        "create_time": task.get("create_time"),
        "update_time": task.get("update_time"),
        "error_code": task.get("error_code"),
        "error_msg": task.get("error_msg"),
        "new_dataset_id": None,
        "adopted": adopted,
    }


def read(ctx: ReconcileContext, dataset_id: str, task_id: str) -> dict[str, Any] | None:
    try:
        task = ctx.client.get_export_task(dataset_id, task_id)
    except NotFoundError:
        return None
    task.setdefault("task_id", task_id)
    return export_outputs(task, dataset_id)
