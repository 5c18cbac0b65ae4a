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

from pulumi_modelarts.reconcile import echo, follow, identity
from pulumi_modelarts.reconcile.board import PAGE_SIZE
from pulumi_modelarts.reconcile.changes import diff_values
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Action, Decision, Write, adopt_blocked, blocked
from pulumi_modelarts.reconcile.errors import ConflictError, TaskFailedError
from pulumi_modelarts.reconcile.importing import fit_inputs
from pulumi_modelarts.reconcile.observe import fetch_adopted
from pulumi_modelarts.reconcile.spec import ResourceSpec
from pulumi_modelarts.reconcile.status import EXPORT_FAILED, EXPORT_SUCCEEDED, export_status_name
from pulumi_modelarts.reconcile.unknown import Text, Unknown, first_unknown
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


def _destination_of(task: Mapping[str, Any]) -> tuple[Any, ...]:
    params = task.get("export_params") or {}
    return (params.get("export_dest", "DIR"), task.get("path"), params.get("export_new_dataset_work_path"))


def is_active(task: Mapping[str, Any]) -> bool:
    """Not finished: initializing, running, or a status this client does not know (fail closed)."""
    return task.get("status") not in (EXPORT_SUCCEEDED, EXPORT_FAILED)


def describe_export(task: Mapping[str, Any]) -> str:
    status = task.get("status")
    name = export_status_name(status)
    parts = [str(task.get("task_id") or "?"), name if name != "unknown" else f"unknown status {status!r}"]
    if is_active(task) and isinstance(task.get("progress"), (int, float)):
        parts.append(f"{float(task['progress']):.0f}%")
    return " ".join(parts)


@dataclass(frozen=True)
class ExportObservation:
    """Everything ``decide`` needs, as observed."""

    dataset_id: str
    matching: tuple[Mapping[str, Any], ...] = ()  # our request, newest first
    previous: tuple[Mapping[str, Any], ...] = ()  # same destination, another request
    adopt_requested: bool = False
    adopted: Mapping[str, Any] | None = None  # the export adopt_task_id names; None when it does not exist
    name_taken_by: Mapping[str, Any] | None = None  # the dataset holding export_new_dataset_name, if any
    version_missing: bool = False  # version_id names no version of the dataset

    @property
    def adoptable(self) -> Mapping[str, Any] | None:
        for task in self.matching:
            if task.get("status") != EXPORT_FAILED:
                return task
        return None


def observe(ctx: ReconcileContext, spec: ExportTaskSpec, *, fresh: bool = False) -> ExportObservation:
    dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    if fresh:
        ctx.observer.invalidate(dataset_id, "exports")
    if spec.adopt_task_id:
        adopted = fetch_adopted(ctx.client.get_export_task, dataset_id, spec.adopt_task_id)
        return ExportObservation(dataset_id, adopt_requested=True, adopted=adopted)
    body = spec.request_body()
    destination = spec.destination()
    matching: list[Mapping[str, Any]] = []
    previous: list[Mapping[str, Any]] = []
    for task in ctx.observer.export_tasks(dataset_id):
        if echo.export_matches(task, body):
            matching.append(task)
        elif _destination_of(task) == destination:
            previous.append(task)
    taken = None
    adoptable = any(task.get("status") != EXPORT_FAILED for task in matching)
    if not adoptable and spec.new_dataset_name:
        taken = ctx.observer.dataset_by_name(spec.new_dataset_name)
    version_id = spec.inputs.get("version_id")
    missing = bool(
        version_id
        and not adoptable
        and not any(v.get("version_id") == version_id for v in ctx.observer.versions(dataset_id))
    )
    return ExportObservation(dataset_id, tuple(matching), tuple(previous), name_taken_by=taken, version_missing=missing)


def _echoed_body(task: Mapping[str, Any], keys: Any) -> dict[str, Any]:
    return {key: task.get(key) for key in keys if task.get(key) is not None}


def _destination_text(spec: ExportTaskSpec) -> str:
    if spec.new_dataset_name:
        return f"new dataset '{spec.new_dataset_name}'"
    return f"OBS path {spec.inputs.get('path')}"


def _follow(spec: ExportTaskSpec, dataset_id: str, task: Mapping[str, Any], adopting: bool) -> Decision:
    verb = "adopt export" if adopting else "export"
    if task.get("status") == EXPORT_FAILED:
        return blocked(
            f"{verb} {describe_export(task)} failed: {follow.failure_reason(task)}", "failed", dataset_id, target=task
        )
    if is_active(task) and spec.wait:
        return Decision("wait", f"wait for {verb} {describe_export(task)}", dataset_id, target=task)
    note = " (wait: false, so apply does not wait for it)" if is_active(task) else ""
    action: Action = "adopt" if adopting else "in-sync"
    return Decision(action, f"{verb} {describe_export(task)}{note}", dataset_id, target=task)


def decide(observed: ExportObservation, spec: ExportTaskSpec) -> Decision:
    """The one decision for this export; the CLI renders and carries it out, the Pulumi adapters map it."""
    dataset_id = observed.dataset_id
    body = spec.request_body()
    if observed.adopt_requested:
        task = observed.adopted
        if task is None or not echo.export_matches(task, body):
            changes = diff_values(_echoed_body(task, body), body) if task is not None else []
            return adopt_blocked(str(spec.adopt_task_id), dataset_id, task, changes)
        return _follow(spec, dataset_id, task, adopting=True)
    found = observed.adoptable
    if found is not None:
        return _follow(spec, dataset_id, found, adopting=False)
    if observed.version_missing:
        return blocked(
            f"version_id {spec.inputs.get('version_id')} is no version of dataset {dataset_id}; nothing to export",
            "missing",
            dataset_id,
        )
    if observed.name_taken_by is not None:
        return blocked(
            f"export_params.export_new_dataset_name '{spec.new_dataset_name}' is already taken by dataset"
            f" {observed.name_taken_by.get('dataset_id')}, and no export of this request produced it. Choose a new"
            " name (for example one that includes the version name) or delete that dataset.",
            "conflict",
            dataset_id,
        )
    start = Write("start-export", f"start export to {_destination_text(spec)}", dataset_id, None, body)
    if observed.matching:
        last = observed.matching[0]
        summary = f"{start.text} again; export {describe_export(last)}: {last.get('error_msg') or ''}".rstrip(": ")
        return Decision("retry", summary, dataset_id, (start,), replaces=last)
    if observed.previous:
        old = observed.previous[0]
        return Decision(
            "replace",
            f"{start.text}, replacing export {describe_export(old)}",
            dataset_id,
            (start,),
            changes=tuple(diff_values(_echoed_body(old, body), body)),
            replaces=old,
        )
    return Decision("create", start.text, dataset_id, (start,))


def _probe(task: dict[str, Any]) -> Probe:
    progress = task.get("progress")
    return Probe(done=not is_active(task), progress=float(progress) if isinstance(progress, (int, float)) else None)


def _list_page(client: Any, dataset_id: str, _sub_kind: str | None) -> list[dict[str, Any]]:
    return list(client.list_export_tasks_page(dataset_id, limit=PAGE_SIZE).get("export_tasks") or [])


EXPORTS = follow.Family(
    noun="export",
    get=lambda client, dataset_id, task_id: client.get_export_task(dataset_id, task_id),
    list_page=_list_page,
    is_active=is_active,
    probe=_probe,
    describe=describe_export,
)


def _start(ctx: ReconcileContext, spec: ExportTaskSpec, write: Write) -> str:
    dataset_id = str(write.dataset_id)
    body = dict(write.body or {})

    def committed() -> Mapping[str, Any] | None:
        return observe(ctx, spec, fresh=True).adoptable

    try:
        return follow.start(
            ctx,
            EXPORTS,
            spec.resource_name,
            dataset_id,
            lambda: ctx.client.create_export_task(dataset_id, body),
            committed,
            f"the export to {_destination_text(spec)}",
        )
    finally:
        ctx.observer.invalidate(dataset_id, "exports")


def execute(ctx: ReconcileContext, spec: ExportTaskSpec, decision: Decision) -> dict[str, Any]:
    """Carry out ``decision``: exactly its writes, then follow the export; returns the outputs."""
    if decision.action == "blocked":
        raise (TaskFailedError if decision.blocked == "failed" else ConflictError)(
            f"{spec.resource_name}: {decision.summary}"
        )
    dataset_id = str(decision.dataset_id)
    start = decision.first("start-export")
    initial: dict[str, Any] | None = dict(decision.target) if decision.target is not None else None
    if start is not None:
        task_id, initial = _start(ctx, spec, start), None
    else:
        task_id = str(decision.target_id)
    if spec.wait:
        task = follow.wait(ctx, EXPORTS, spec.resource_name, dataset_id, task_id, spec.timeout_seconds, initial=initial)
    else:
        task = initial if initial is not None else EXPORTS.fetch(ctx, dataset_id, task_id)
    if task.get("status") == EXPORT_FAILED:
        raise TaskFailedError(
            f"{spec.resource_name}: export {task_id} on dataset {dataset_id} failed: {follow.failure_reason(task)}",
            error_code=task.get("error_code"),
            error_msg=task.get("error_msg"),
        )
    outputs = export_outputs(task, dataset_id, adopted=start is None)
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
    task = follow.read(ctx, EXPORTS, dataset_id, task_id)
    return None if task is None else export_outputs(task, dataset_id)


def deferred(spec: ExportTaskSpec) -> Decision:
    """Inputs known only after apply: the one export this resource may start then."""
    reference = first_unknown(spec.inputs) or Unknown(spec.resource_name)
    dataset_id: Text | None = spec.dataset_id or Unknown(f"{spec.resource_name}.dataset_id")
    start = Write("start-export", f"start export to {_destination_text(spec)}", dataset_id, None, spec.request_body())
    summary = f"inputs known after apply ({reference.reference}); decided then, within the writes listed"
    return Decision("create", summary, None, (start,))


def import_inputs(
    ctx: ReconcileContext, name: str, namespace: str, dataset_id: str, task_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``pulumi import``: the inputs that declare this live export, and its outputs; None when it does not exist."""
    task = follow.read(ctx, EXPORTS, dataset_id, task_id)
    if task is None:
        return None
    echoed = {key: task[key] for key in API_FIELDS if task.get(key) is not None}
    inputs = fit_inputs("modelarts:ExportTask", {"dataset_id": dataset_id, **echoed})
    live = export_outputs(task, dataset_id, adopted=True)
    live["fingerprint"] = ExportTaskSpec(name, inputs, namespace).fingerprint
    return inputs, live
