"""IntelligentTask: find our own task by its deterministic name, adopt it, or start it; then follow it.

Identity: the task name ``pm-<resource>-<fingerprint>`` (``config.name`` when the user sets one),
carried in ``config.name`` of the request and listed back as ``task_name``. A failed or stopped
attempt is never adopted: the next attempt is named ``...-r2``, ``...-r3``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_modelarts.api.errors import (
    AlreadyRunningError,
    APIError,
    NotFoundError,
    ServerError,
    TransportError,
)
from pulumi_modelarts.reconcile import identity
from pulumi_modelarts.reconcile.accept import AcceptRule, accept_auto_labels
from pulumi_modelarts.reconcile.board import PAGE_SIZE
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.errors import ConflictError, ReconcileError, TaskFailedError
from pulumi_modelarts.reconcile.plan import Action, Plan, diff_values
from pulumi_modelarts.reconcile.spec import ResourceSpec
from pulumi_modelarts.reconcile.status import (
    TASK_FAILED,
    TASK_STOPPED,
    TASK_SUCCEEDED,
    TASK_TERMINAL,
    task_status_name,
)
from pulumi_modelarts.reconcile.waiting import Probe

API_FIELDS = ("task_type", "collect_key_sample", "model_id", "config")
# Only one task of these kinds may run per dataset (ModelArts.4386 / 4387).
EXCLUSIVE_TYPES = frozenset({"auto-label", "pre-label"})
NAME_IN_USE = "ModelArts.4391"
# Too many running tasks on the dataset (the limit is not documented): wait for one to end.
TOO_MANY_RUNNING = "ModelArts.4409"


@dataclass(frozen=True)
class IntelligentTaskSpec(ResourceSpec):
    """The desired task, from normalized inputs (see ``pulumi_modelarts.schema``)."""

    @property
    def task_type(self) -> str:
        return str(self.inputs["task_type"])

    @property
    def accept_rule(self) -> AcceptRule | None:
        accept = self.inputs.get("accept")
        return AcceptRule.from_inputs(accept) if isinstance(accept, Mapping) else None

    def request_body(self, name: str | None = None) -> dict[str, Any]:
        """The POST body; ``name`` goes into ``config.name``, the task's identity."""
        body: dict[str, Any] = identity.canonical(
            {key: copy.deepcopy(self.inputs[key]) for key in API_FIELDS if key in self.inputs}
        )
        config = dict(body.get("config") or {})
        config.pop("name", None)
        if name is not None:
            config["name"] = name
        if config or "config" in body:
            body["config"] = config
        return body

    @property
    def fingerprint(self) -> str:
        return identity.fingerprint(self.request_body())

    @property
    def base_name(self) -> str:
        explicit = (self.inputs.get("config") or {}).get("name")
        return str(explicit) if explicit else identity.task_name(self.resource_name, self.fingerprint)

    def name_for_attempt(self, attempt: int) -> str:
        return self.base_name if attempt <= 1 else f"{self.base_name}-r{attempt}"


# --- observation -----------------------------------------------------------------------------------


def _status(task: Mapping[str, Any]) -> int | None:
    value = task.get("status")
    return int(value) if isinstance(value, (int, float)) else None


def is_active(task: Mapping[str, Any]) -> bool:
    status = _status(task)
    return status is not None and status not in TASK_TERMINAL


@dataclass
class TaskObservation:
    dataset_id: str
    attempts: list[tuple[int, dict[str, Any]]]  # our tasks (same fingerprint), newest attempt first
    previous: list[dict[str, Any]]  # this resource's tasks with another fingerprint
    blocking: dict[str, Any] | None  # another task of an exclusive kind running on the dataset
    running_others: list[dict[str, Any]]  # other active tasks of the same kind

    @property
    def adoptable(self) -> dict[str, Any] | None:
        for _, task in self.attempts:
            if is_active(task) or _status(task) == TASK_SUCCEEDED:
                return task
        return None

    @property
    def next_attempt(self) -> int:
        return max((attempt for attempt, _ in self.attempts), default=0) + 1


def observe(ctx: ReconcileContext, spec: IntelligentTaskSpec, *, fresh: bool = False) -> TaskObservation:
    dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    if fresh:
        ctx.observer.invalidate(dataset_id, "tasks")
    tasks = ctx.observer.tasks(dataset_id, spec.task_type)
    base = spec.base_name
    prefix = identity.resource_prefix(spec.resource_name)
    attempts: list[tuple[int, dict[str, Any]]] = []
    previous: list[dict[str, Any]] = []
    blocking: dict[str, Any] | None = None
    running_others: list[dict[str, Any]] = []
    for task in tasks:
        name = str(task.get("task_name") or "")
        attempt = identity.attempt_of(name, base)
        if attempt is not None:
            attempts.append((attempt, task))
        elif name.startswith(prefix):
            previous.append(task)
        if attempt is None and is_active(task):
            running_others.append(task)
    if spec.task_type in EXCLUSIVE_TYPES and running_others:
        blocking = running_others[0]
    attempts.sort(key=lambda pair: pair[0], reverse=True)
    return TaskObservation(dataset_id, attempts, previous, blocking, running_others)


def describe_task(task: Mapping[str, Any]) -> str:
    parts = [str(task.get("task_id") or "?")]
    if task.get("task_name"):
        parts.append(f"'{task['task_name']}'")
    parts.append(task_status_name(task.get("status")))
    if is_active(task) and task.get("progress") is not None:
        parts.append(f"{float(task['progress']):.0f}%")
    return " ".join(parts)


def _echoed_body(task: Mapping[str, Any], task_type: str) -> dict[str, Any]:
    """Rebuild the request a live task was started with, from what the API echoes."""
    body: dict[str, Any] = {"task_type": task_type}
    config = dict(task.get("config") or {})
    config.pop("name", None)
    if config:
        body["config"] = config
    if task.get("model_id"):
        body["model_id"] = task["model_id"]
    return body


def plan(ctx: ReconcileContext, spec: IntelligentTaskSpec) -> Plan:
    result = _plan(ctx, spec)
    if result.dataset_id is None:
        result.dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    return result


def _plan(ctx: ReconcileContext, spec: IntelligentTaskSpec) -> Plan:
    if spec.adopt_task_id:
        dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
        try:
            task = ctx.client.get_task(dataset_id, spec.adopt_task_id)
        except NotFoundError:
            return Plan("blocked", f"adopt_task_id {spec.adopt_task_id} does not exist on dataset {dataset_id}")
        task.setdefault("task_id", spec.adopt_task_id)
        action: Action = "wait" if is_active(task) else "adopt"
        return Plan(action, f"adopt task {describe_task(task)}", task_id=spec.adopt_task_id, live=task)
    observed = observe(ctx, spec)
    found = observed.adoptable
    if found is not None:
        if is_active(found):
            return Plan(
                "wait",
                f"wait for running task {describe_task(found)}",
                task_id=found.get("task_id"),
                live=found,
            )
        return Plan("in-sync", f"task {describe_task(found)}", task_id=found.get("task_id"), live=found)
    blocked_note = ""
    if observed.blocking is not None:
        blocked_note = f" after the running task {describe_task(observed.blocking)} ends"
    if observed.attempts:
        _, last = observed.attempts[0]
        reason = last.get("error_msg") or last.get("message") or task_status_name(last.get("status"))
        return Plan(
            "retry",
            f"start attempt {observed.next_attempt} '{spec.name_for_attempt(observed.next_attempt)}'{blocked_note};"
            f" attempt {describe_task(last)} ended: {reason}",
        )
    if observed.previous:
        old = observed.previous[0]
        changes = diff_values(_echoed_body(old, spec.task_type), _echoed_body_from_spec(spec))
        return Plan(
            "replace",
            f"start '{spec.base_name}'{blocked_note}, replacing task {describe_task(old)}",
            changes=changes,
            task_id=old.get("task_id"),
        )
    return Plan("create", f"start {spec.task_type} task '{spec.base_name}'{blocked_note}")


def _echoed_body_from_spec(spec: IntelligentTaskSpec) -> dict[str, Any]:
    body = spec.request_body()
    body.pop("collect_key_sample", None)
    return body


# --- acting -----------------------------------------------------------------------------------------


class _Deadline:
    def __init__(self, ctx: ReconcileContext, seconds: float) -> None:
        self._ctx = ctx
        self._end = ctx.clock() + seconds
        self.seconds = seconds

    @property
    def remaining(self) -> float:
        return max(0.0, self._end - self._ctx.clock())


def _task_probe(task: dict[str, Any]) -> Probe:
    progress = task.get("progress")
    elapsed = task.get("elapsed_time")
    return Probe(
        done=not is_active(task),
        progress=float(progress) if isinstance(progress, (int, float)) else None,
        elapsed=float(elapsed) if isinstance(elapsed, (int, float)) and elapsed > 0 else None,
    )


def wait_for_task(
    ctx: ReconcileContext,
    label: str,
    dataset_id: str,
    task_id: str,
    timeout: float,
    initial: dict[str, Any] | None = None,
    task_type: str | None = None,
) -> dict[str, Any]:
    key = (dataset_id, f"task:{task_type}") if task_type else None

    def get_one() -> dict[str, Any]:
        task = ctx.client.get_task(dataset_id, task_id)
        task.setdefault("task_id", task_id)
        return task

    def list_page() -> list[dict[str, Any]]:
        page = ctx.client.list_tasks_page(dataset_id, limit=PAGE_SIZE, type=task_type)
        return list(page.get("tasks") or [])

    def fetch() -> dict[str, Any]:
        if key is None or ctx.board is None:
            return get_one()
        return ctx.board.status(key, task_id, get_one, list_page)

    def timeout_message(task: dict[str, Any]) -> str:
        return (
            f"{label}: task {describe_task(task)} on dataset {dataset_id} is still running after"
            f" {timeout:.0f}s (timeout_seconds). It keeps running; the next `pulumi up` or"
            f" `pulumi-modelarts apply` resumes waiting on this same task instead of starting another."
        )

    waiter = ctx.waiter(label, fetch, _task_probe, timeout, timeout_message)
    if key is None or ctx.board is None:
        return waiter.run(initial)
    with ctx.board.following(key):
        return waiter.run(initial)


def _find_by_name(ctx: ReconcileContext, dataset_id: str, task_type: str, name: str) -> dict[str, Any] | None:
    ctx.observer.invalidate(dataset_id, "tasks")
    for task in ctx.client.iter_tasks(dataset_id, type=task_type, task_name=name):
        if task.get("task_name") == name:
            return task
    return None


def _start(
    ctx: ReconcileContext,
    spec: IntelligentTaskSpec,
    dataset_id: str,
    attempt: int,
    deadline: _Deadline,
) -> tuple[str, bool]:
    """Start the task; returns its id and whether an existing task was adopted instead."""
    name = spec.name_for_attempt(attempt)
    body = spec.request_body(name)
    for _ in range(2):  # a second POST only after another running task has ended
        try:
            task_id = ctx.client.create_task(dataset_id, body)
            ctx.observer.invalidate(dataset_id, "tasks")
            ctx.log(f"{spec.resource_name}: started {spec.task_type} task {task_id} '{name}' on dataset {dataset_id}")
            return task_id, False
        except (TransportError, ServerError) as lost:
            # The POST may have been committed: look before failing, never POST blindly again.
            found = _find_by_name(ctx, dataset_id, spec.task_type, name)
            if found is not None:
                ctx.log(f"{spec.resource_name}: the start request's answer was lost; adopting {found['task_id']}")
                return str(found["task_id"]), True
            raise ReconcileError(
                f"{spec.resource_name}: starting task '{name}' on dataset {dataset_id} got no answer ({lost});"
                " no task of that name exists, so nothing was started. Re-running is safe."
            ) from None
        except APIError as error:
            busy = isinstance(error, AlreadyRunningError) or error.error_code == TOO_MANY_RUNNING
            if error.error_code == NAME_IN_USE:
                found = _find_by_name(ctx, dataset_id, spec.task_type, name)
                if found is None:
                    raise
                return str(found["task_id"]), True
            if not busy:
                raise
            observed = observe(ctx, spec, fresh=True)
            mine = observed.adoptable
            if mine is not None:  # a concurrent run started our task first
                return str(mine["task_id"]), True
            if not observed.running_others:
                raise
            _wait_for_blocking(ctx, spec, dataset_id, observed.running_others[0], deadline, error)
    raise ConflictError(f"{spec.resource_name}: could not start '{name}' on dataset {dataset_id}")


def _wait_for_blocking(
    ctx: ReconcileContext,
    spec: IntelligentTaskSpec,
    dataset_id: str,
    other: dict[str, Any],
    deadline: _Deadline,
    cause: APIError | None,
) -> None:
    code = f" ({cause.error_code})" if cause is not None and cause.error_code else ""
    message = (
        f"{spec.resource_name}: another {spec.task_type} task is already running on dataset {dataset_id}{code}:"
        f" {describe_task(other)}, and ModelArts refuses to start another now."
    )
    if not spec.wait or deadline.remaining <= 0:
        raise ConflictError(message + " Set wait: true (and a timeout) to wait for it, or stop it.")
    ctx.log(message + " Waiting for it to finish first.")
    try:
        wait_for_task(
            ctx, spec.resource_name, dataset_id, str(other["task_id"]), deadline.remaining, None, spec.task_type
        )
    except ReconcileError as timeout:
        raise ConflictError(f"{message} It did not finish within timeout_seconds: {timeout}") from None
    ctx.observer.invalidate(dataset_id, "tasks")


def ensure(ctx: ReconcileContext, spec: IntelligentTaskSpec) -> dict[str, Any]:
    """Make the task exist (adopting our own earlier one), follow it, accept its labels; return outputs."""
    deadline = _Deadline(ctx, spec.timeout_seconds)
    observed = observe(ctx, spec)
    dataset_id = observed.dataset_id
    adopted = True
    initial: dict[str, Any] | None = None
    if spec.adopt_task_id:
        task_id = spec.adopt_task_id
    elif (found := observed.adoptable) is not None:
        task_id, initial = str(found["task_id"]), found
        ctx.log(f"{spec.resource_name}: adopting task {describe_task(found)}")
    else:
        if observed.blocking is not None:
            _wait_for_blocking(ctx, spec, dataset_id, observed.blocking, deadline, None)
        task_id, adopted = _start(ctx, spec, dataset_id, observed.next_attempt, deadline)
    if spec.wait:
        task = wait_for_task(ctx, spec.resource_name, dataset_id, task_id, deadline.remaining, initial, spec.task_type)
    else:
        task = initial if initial is not None else ctx.client.get_task(dataset_id, task_id)
    task.setdefault("task_id", task_id)
    status = _status(task)
    if status in (TASK_FAILED, TASK_STOPPED):
        raise TaskFailedError(
            f"{spec.resource_name}: task {describe_task(task)} on dataset {dataset_id} {task_status_name(status)}:"
            f" {_failure_reason(task)}",
            error_code=task.get("error_code") or task.get("code"),
            error_msg=task.get("error_msg") or task.get("message"),
        )
    outputs = task_outputs(task, dataset_id, adopted=adopted)
    outputs["fingerprint"] = spec.fingerprint
    rule = spec.accept_rule
    if rule is not None and status == TASK_SUCCEEDED:
        result = accept_auto_labels(ctx, dataset_id, rule)
        outputs["accepted_count"] = result.accepted
        outputs["skipped_counts"] = result.skipped
    return outputs


def _failure_reason(task: Mapping[str, Any]) -> str:
    code = task.get("error_code") or task.get("code") or ""
    message = task.get("error_msg") or task.get("message") or ""
    return f"{code} {message}".strip() or "no reason given by the API"


def task_outputs(task: Mapping[str, Any], dataset_id: str, *, adopted: bool = False) -> dict[str, Any]:
    result = task.get("result") or {}

    def pick(key: str) -> Any:
        value = result.get(key)
        return task.get(key) if value is None else value

    return {
        "task_id": task.get("task_id"),
        "task_name": task.get("task_name") or (task.get("config") or {}).get("name"),
        "dataset_id": dataset_id,
        "status": _status(task),
        "status_name": task_status_name(task.get("status")),
        "progress": float(task.get("progress") or 0.0),
        "message": task.get("message"),
        "code": task.get("code"),
        "error_code": task.get("error_code"),
        "error_msg": task.get("error_msg"),
        "total_sample_count": pick("total_sample_count"),
        "annotated_sample_count": pick("annotated_sample_count"),
        "unconfirmed_sample_count": pick("unconfirmed_sample_count"),
        "version_id": result.get("version_id") or task.get("version_id"),
        "train_job_id": result.get("train_job_id") or task.get("train_job_id"),
        "create_time": task.get("create_time"),
        "elapsed_time": task.get("elapsed_time"),
        "adopted": adopted,
    }


def read(ctx: ReconcileContext, dataset_id: str, task_id: str) -> dict[str, Any] | None:
    """Live outputs of the task, or None when the API says it is gone."""
    try:
        task = ctx.client.get_task(dataset_id, task_id)
    except NotFoundError:
        return None
    task.setdefault("task_id", task_id)
    return task_outputs(task, dataset_id)


def delete(ctx: ReconcileContext, dataset_id: str, task_id: str, timeout: float) -> None:
    """Stop a running task and wait until it has stopped; a finished one is simply forgotten."""
    try:
        task = ctx.client.get_task(dataset_id, task_id)
    except NotFoundError:
        return
    task.setdefault("task_id", task_id)
    if not is_active(task):
        return
    try:
        ctx.client.stop_task(dataset_id, task_id)
    except NotFoundError:
        return
    wait_for_task(ctx, f"stopping {task_id}", dataset_id, task_id, timeout)
