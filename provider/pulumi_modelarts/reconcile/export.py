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
from pulumi_modelarts.reconcile import echo, identity
from pulumi_modelarts.reconcile.board import PAGE_SIZE
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Decision, Write, adopt_blocked
from pulumi_modelarts.reconcile.errors import ConflictError, ReconcileError, TaskFailedError
from pulumi_modelarts.reconcile.observe import fetch_adopted
from pulumi_modelarts.reconcile.plan import Action, Plan, diff_values
from pulumi_modelarts.reconcile.spec import ResourceSpec
from pulumi_modelarts.reconcile.status import (
    EXPORT_FAILED,
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
    if not any(task.get("status") != EXPORT_FAILED for task in matching) and spec.new_dataset_name:
        taken = ctx.observer.dataset_by_name(spec.new_dataset_name)
    return ExportObservation(dataset_id, tuple(matching), tuple(previous), name_taken_by=taken)


def _echoed_body(task: Mapping[str, Any], keys: Any) -> dict[str, Any]:
    return {key: task.get(key) for key in keys if task.get(key) is not None}


def _target(spec: ExportTaskSpec) -> str:
    if spec.new_dataset_name:
        return f"new dataset '{spec.new_dataset_name}'"
    return f"OBS path {spec.inputs.get('path')}"


def _failure_reason(task: Mapping[str, Any]) -> str:
    return f"{task.get('error_code') or ''} {task.get('error_msg') or ''}".strip() or "no reason given by the API"


def _follow(spec: ExportTaskSpec, dataset_id: str, task: Mapping[str, Any], verb: str) -> Decision:
    if task.get("status") == EXPORT_FAILED:
        return Decision(
            "blocked",
            f"{verb}export {describe_export(task)} failed: {_failure_reason(task)}",
            target=task,
            dataset_id=dataset_id,
        )
    if is_active(task) and spec.wait:
        return Decision("wait", f"wait for {verb}export {describe_export(task)}", target=task, dataset_id=dataset_id)
    note = " (wait: false, so apply does not wait for it)" if is_active(task) else ""
    action: Action = "adopt" if verb else "in-sync"
    return Decision(action, f"{verb}export {describe_export(task)}{note}", target=task, dataset_id=dataset_id)


def decide(observed: ExportObservation, spec: ExportTaskSpec) -> Decision:
    """The one decision for this export; ``plan`` renders it and ``ensure`` carries it out."""
    dataset_id = observed.dataset_id
    body = spec.request_body()
    if observed.adopt_requested:
        task = observed.adopted
        if task is None or not echo.export_matches(task, body):
            changes = diff_values(_echoed_body(task, body), body) if task is not None else []
            return adopt_blocked(str(spec.adopt_task_id), dataset_id, task, changes)
        return _follow(spec, dataset_id, task, "adopt ")
    found = observed.adoptable
    if found is not None:
        return _follow(spec, dataset_id, found, "")
    if observed.name_taken_by is not None:
        return Decision(
            "blocked",
            f"export_params.export_new_dataset_name '{spec.new_dataset_name}' is already taken by dataset"
            f" {observed.name_taken_by.get('dataset_id')}, and no export of this request produced it. Choose a new"
            " name (for example one that includes the version name) or delete that dataset.",
            dataset_id=dataset_id,
        )
    start = Write("start-export", f"start export to {_target(spec)}")
    if observed.matching:
        last = observed.matching[0]
        return Decision(
            "retry",
            f"{start.text} again; export {describe_export(last)}: {last.get('error_msg') or ''}".rstrip(": "),
            (start,),
            dataset_id=dataset_id,
        )
    if observed.previous:
        old = observed.previous[0]
        return Decision(
            "replace",
            f"{start.text}, replacing export {describe_export(old)}",
            (start,),
            changes=tuple(diff_values(_echoed_body(old, body), body)),
            dataset_id=dataset_id,
        )
    return Decision("create", start.text, (start,), dataset_id=dataset_id)


def plan(ctx: ReconcileContext, spec: ExportTaskSpec) -> Plan:
    """What apply would do, with every write it would make (observe, then decide; no writes)."""
    return decide(observe(ctx, spec), spec).to_plan()


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


def execute(ctx: ReconcileContext, spec: ExportTaskSpec, decision: Decision) -> dict[str, Any]:
    """Carry out ``decision``: exactly its writes, then follow the export; returns the outputs."""
    if decision.action == "blocked":
        raise ConflictError(f"{spec.resource_name}: {decision.summary}")
    dataset_id = str(decision.dataset_id)
    initial: dict[str, Any] | None = dict(decision.target) if decision.target is not None else None
    adopted = not decision.has("start-export")
    task_id = _start(ctx, spec, dataset_id) if not adopted else str(decision.target_id)
    if not adopted:
        initial = None
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


def ensure(ctx: ReconcileContext, spec: ExportTaskSpec) -> dict[str, Any]:
    """Observe, decide, execute."""
    return execute(ctx, spec, decide(observe(ctx, spec), spec))


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
