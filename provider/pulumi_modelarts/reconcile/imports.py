"""ImportTask: bring samples (and their labels) from OBS into a dataset, once.

Import tasks have no name, so identity is the request as the API echoes it (``echo.import_matches``):
the import path read as one OBS path (``/bucket/k``, ``s3://bucket/k`` and ``obs://bucket/k`` alike),
the import type, and every other field we sent where it comes back (docs/api.md §11.2: only
``import_path``, ``import_type`` and ``data_source`` surely do). A running or completed match is
adopted; a failed one is not, so a re-run imports again.

Importing twice is not harmless (the same files may become new samples, reading ``reimport``), so a
create whose answer is lost is resolved by looking for the import it committed, never by posting again.
ModelArts runs one import per dataset at a time (ModelArts.4356): an import declared while another runs
starts after that one ends, as the decision says.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_modelarts.api.errors import APIError, Meaning, meaning_of
from pulumi_modelarts.reconcile import echo, follow, identity
from pulumi_modelarts.reconcile.board import PAGE_SIZE
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Decision, Write, blocked
from pulumi_modelarts.reconcile.decision import deferred as deferred_decision
from pulumi_modelarts.reconcile.errors import (
    ChangedSinceApprovalError,
    TaskFailedError,
)
from pulumi_modelarts.reconcile.importing import fit_inputs
from pulumi_modelarts.reconcile.locks import Deadline, while_release_locked
from pulumi_modelarts.reconcile.observe import fetch_adopted
from pulumi_modelarts.reconcile.spec import ResourceSpec
from pulumi_modelarts.reconcile.status import (
    IMPORT_COMPLETED,
    IMPORT_FAILED,
    IMPORT_NOT_EXIST,
    import_status_name,
)
from pulumi_modelarts.reconcile.unknown import Text, Unknown
from pulumi_modelarts.reconcile.waiting import Probe

TYPE_TOKEN = "modelarts:ImportTask"
API_FIELDS = echo.IMPORT_REQUEST_FIELDS
LABEL_FIELDS = ("included_labels", "excluded_labels")
MANIFEST_SUFFIX = ".manifest"


@dataclass(frozen=True)
class ImportTaskSpec(ResourceSpec):
    def request_body(self) -> dict[str, Any]:
        """The POST body. ``import_type`` is always sent (the API documents no default): omitted, it is
        ``manifest`` for a path ending in ``.manifest`` and ``dir`` otherwise. Label names in
        ``included_labels``/``excluded_labels`` are sent as Label objects, which every reading accepts."""
        body: dict[str, Any] = identity.canonical(
            {key: copy.deepcopy(self.inputs[key]) for key in API_FIELDS if key in self.inputs}
        )
        if "import_type" not in body:
            body["import_type"] = _inferred_type(body.get("import_path"))
        for key in LABEL_FIELDS:
            if isinstance(body.get(key), list):
                body[key] = [{"name": item} if isinstance(item, str) else item for item in body[key]]
        return body

    @property
    def fingerprint(self) -> str:
        return identity.fingerprint(self.request_body())

    @property
    def import_path(self) -> Any:
        return self.inputs.get("import_path")

    def describe_request(self) -> str:
        body = self.request_body()
        return f"import of {body.get('import_path')} ({body.get('import_type')})"


def _inferred_type(path: Any) -> Text:
    if isinstance(path, Unknown):
        return Unknown(f"{path.reference} (import_type from the path)")
    return "manifest" if isinstance(path, str) and path.endswith(MANIFEST_SUFFIX) else "dir"


def is_active(task: Mapping[str, Any]) -> bool:
    """Not finished: queuing, starting, running, or a status this client does not know (fail closed)."""
    return task.get("status") not in (IMPORT_COMPLETED, IMPORT_FAILED)


def describe_import(task: Mapping[str, Any]) -> str:
    status = task.get("status")
    name = import_status_name(status)
    parts = [str(task.get("task_id") or "?"), name if name != "unknown" else f"unknown status {status!r}"]
    if is_active(task) and (progress := _progress(task)) is not None:
        parts.append(f"{progress:.0f}%")
    return " ".join(parts)


def _progress(task: Mapping[str, Any]) -> float | None:
    """The share done: the answer's ``progress`` where given, else the documented file counts."""
    progress = task.get("progress")
    if isinstance(progress, (int, float)) and not isinstance(progress, bool):
        return float(progress)
    total, finished = task.get("total_file_count"), task.get("finished_file_count")
    if isinstance(total, int) and isinstance(finished, int) and total > 0:
        return 100.0 * finished / total
    return None


@dataclass(frozen=True)
class ImportObservation:
    """Everything ``decide`` needs, as observed."""

    dataset_id: str
    matching: tuple[Mapping[str, Any], ...] = ()  # our request, newest first
    running_others: tuple[Mapping[str, Any], ...] = ()  # other imports still running on the dataset
    adopt_requested: bool = False
    adopted: Mapping[str, Any] | None = None  # the import adopt_task_id names; None when it does not exist

    @property
    def adoptable(self) -> Mapping[str, Any] | None:
        return next((task for task in self.matching if task.get("status") != IMPORT_FAILED), None)


def classify(dataset_id: str, body: Mapping[str, Any], tasks: list[dict[str, Any]]) -> ImportObservation:
    """Sort a dataset's import tasks into ours (by the echoed request) and other running ones (pure)."""
    matching: list[Mapping[str, Any]] = []
    others: list[Mapping[str, Any]] = []
    for task in tasks:
        if task.get("status") == IMPORT_NOT_EXIST:
            continue
        if echo.import_matches(task, body):
            matching.append(task)
        elif is_active(task):
            others.append(task)
    return ImportObservation(dataset_id, tuple(matching), tuple(others))


def observe(ctx: ReconcileContext, spec: ImportTaskSpec, *, fresh: bool = False) -> ImportObservation:
    dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    if fresh:
        ctx.observer.invalidate(dataset_id, "imports")
    if spec.adopt_task_id:
        adopted = fetch_adopted(ctx.client.get_import_task, dataset_id, spec.adopt_task_id)
        return ImportObservation(dataset_id, adopt_requested=True, adopted=adopted)
    return classify(dataset_id, spec.request_body(), ctx.observer.import_tasks(dataset_id))


def _failed(task: Mapping[str, Any]) -> bool:
    return task.get("status") == IMPORT_FAILED


def decide(observed: ImportObservation, spec: ImportTaskSpec) -> Decision:
    """The one decision for this import; the CLI renders and carries it out, the Pulumi adapters map it."""
    dataset_id = observed.dataset_id
    body = spec.request_body()
    known = follow.existing(
        IMPORTS,
        observed,
        body=body,
        matches=echo.import_matches,
        failed=_failed,
        wait=spec.wait,
        adopt_task_id=spec.adopt_task_id,
    )
    if known is not None:
        return known
    waits_for = observed.running_others[0] if observed.running_others else None
    if waits_for is not None and not spec.wait:
        return blocked(
            f"another import runs on dataset {dataset_id}: {describe_import(waits_for)}, and ModelArts runs one at a"
            " time; set wait: true to start after it ends",
            "conflict",
            dataset_id,
            target=waits_for,
        )
    after = f" after the running import {describe_import(waits_for)} ends" if waits_for is not None else ""
    start = Write("start-import", f"start {spec.describe_request()}{after}", dataset_id, None, body)
    if observed.matching:
        last = observed.matching[0]
        summary = f"{start.text} again; import {describe_import(last)}: {follow.failure_reason(last)}"
        return Decision("retry", summary, dataset_id, (start,), replaces=last, waits_for=waits_for)
    return Decision("create", start.text, dataset_id, (start,), waits_for=waits_for)


# --- execution: the decision's writes, nothing else ------------------------------------------------


def _probe(task: dict[str, Any]) -> Probe:
    return Probe(done=not is_active(task), progress=_progress(task))


def _list_page(client: Any, dataset_id: str, _sub_kind: str | None) -> list[dict[str, Any]]:
    return list(client.list_import_tasks_page(dataset_id, limit=PAGE_SIZE).get("import_tasks") or [])


IMPORTS = follow.Family(
    noun="import",
    get=lambda client, dataset_id, task_id: client.get_import_task(dataset_id, task_id),
    list_page=_list_page,
    is_active=is_active,
    probe=_probe,
    describe=describe_import,
)


def _start(ctx: ReconcileContext, spec: ImportTaskSpec, write: Write, deadline: Deadline) -> str:
    """Send the create once (a release in progress, 4343, is waited out); a lost answer adopts what it committed."""
    dataset_id = str(write.dataset_id)
    body = dict(write.body or {})
    label = spec.resource_name

    def create() -> str:
        return while_release_locked(
            ctx, label, deadline, lambda: ctx.client.create_import_task(dataset_id, body), Meaning.RELEASE_RUNNING
        )

    def committed() -> Mapping[str, Any] | None:
        return observe(ctx, spec, fresh=True).adoptable

    try:
        return follow.start(ctx, IMPORTS, label, dataset_id, create, committed, f"the {spec.describe_request()}")
    except APIError as error:
        if meaning_of(error) is not Meaning.ALREADY_RUNNING:
            raise
        ctx.observer.invalidate(dataset_id, "imports")
        running = [task for task in ctx.observer.import_tasks(dataset_id) if is_active(task)]
        what = "; ".join(describe_import(task) for task in running[:3]) or "none listed"
        raise ChangedSinceApprovalError(
            f"{label}: changed since the plan: ModelArts refused the {spec.describe_request()} ({error.error_code}:"
            f" {error.error_msg}); running on the dataset now: {what}. Nothing was started; the next plan shows"
            " what to do."
        ) from None
    finally:
        ctx.observer.invalidate(dataset_id, "imports")


def execute(ctx: ReconcileContext, spec: ImportTaskSpec, decision: Decision) -> dict[str, Any]:
    """Carry out ``decision``: exactly its writes, then follow the import; returns the outputs."""
    follow.refuse_if_blocked(spec.resource_name, decision)
    deadline = Deadline(ctx, spec.timeout_seconds)
    dataset_id = str(decision.dataset_id)
    start = decision.first("start-import")
    initial: dict[str, Any] | None = dict(decision.target) if decision.target is not None else None
    if start is not None:
        if decision.waits_for is not None:
            follow.wait_for_other(ctx, IMPORTS, spec.resource_name, dataset_id, decision.waits_for, deadline)
        task_id, initial = _start(ctx, spec, start, deadline), None
    else:
        task_id = str(decision.target_id)
    if spec.wait:
        task = follow.wait(ctx, IMPORTS, spec.resource_name, dataset_id, task_id, deadline.remaining, initial=initial)
    else:
        task = initial if initial is not None else IMPORTS.fetch(ctx, dataset_id, task_id)
    if task.get("status") == IMPORT_FAILED:
        raise TaskFailedError(
            f"{spec.resource_name}: import {task_id} of {spec.import_path} into dataset {dataset_id} failed:"
            f" {follow.failure_reason(task)}",
            error_code=task.get("error_code"),
            error_msg=task.get("error_msg"),
        )
    if task.get("status") == IMPORT_COMPLETED:  # the dataset has new samples: its counts moved
        ctx.observer.invalidate(dataset_id, "dataset")
        ctx.observer.invalidate(dataset_id, "samples")
    outputs = import_outputs(task, dataset_id, adopted=start is None)
    outputs["fingerprint"] = spec.fingerprint
    return outputs


def import_outputs(task: Mapping[str, Any], dataset_id: str, *, adopted: bool = False) -> dict[str, Any]:
    status = task.get("status")
    progress = _progress(task)
    return {
        "task_id": task.get("task_id"),
        "dataset_id": dataset_id,
        "status": status,
        "status_name": import_status_name(status),
        "progress": 100.0 if status == IMPORT_COMPLETED else progress or 0.0,
        "total_sample_count": task.get("total_sample_count"),
        "imported_sample_count": task.get("imported_sample_count"),
        "annotated_sample_count": task.get("annotated_sample_count"),
        "unconfirmed_sample_count": task.get("unconfirmed_sample_count"),
        "create_time": task.get("create_time"),
        "elapsed_time": task.get("elapsed_time"),
        "error_code": task.get("error_code"),
        "error_msg": task.get("error_msg"),
        "adopted": adopted,
    }


def read(ctx: ReconcileContext, dataset_id: str, task_id: str) -> dict[str, Any] | None:
    task = follow.read(ctx, IMPORTS, dataset_id, task_id)
    return None if task is None else import_outputs(task, dataset_id)


def deferred(spec: ImportTaskSpec) -> Decision:
    """Inputs known only after apply: the one import this resource may start then."""
    text = f"start {spec.describe_request()}"
    return deferred_decision(spec.awaited, (Write("start-import", text, spec.dataset_text, None, spec.request_body()),))


def identity_key(spec: ImportTaskSpec) -> str:
    """What tells two imports apart under every reading: the path as one OBS path, the type, the data source."""
    body = spec.request_body()
    key = {"import_path": echo.obs_path(body.get("import_path")), "import_type": body.get("import_type")}
    if body.get("data_source") is not None:
        key["data_source"] = body["data_source"]
    return identity.canonical_json(key)


def import_inputs(
    ctx: ReconcileContext, name: str, namespace: str, dataset_id: str, task_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``pulumi import``: the inputs that declare this live import, and its outputs; None when it does not exist."""
    task = follow.read(ctx, IMPORTS, dataset_id, task_id)
    if task is None:
        return None
    echoed = {key: task[key] for key in API_FIELDS if task.get(key) is not None}
    inputs = fit_inputs(TYPE_TOKEN, {"dataset_id": dataset_id, **echoed})
    live = import_outputs(task, dataset_id, adopted=True)
    live["fingerprint"] = ImportTaskSpec(name, inputs, namespace).fingerprint
    return inputs, live
