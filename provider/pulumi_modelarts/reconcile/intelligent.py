"""IntelligentTask: observe the dataset's tasks, decide once (pure), then plan or execute that decision.

Identity: the task name ``pm-<resource>-<hash>-<fingerprint>`` (``config.name`` when the user sets
one), sent in ``config.name`` and listed back as ``task_name``. Names are matched exactly, never by
prefix. When the API does not echo the name (``task_name`` empty, or ``config.name`` replaced by a
server-generated one), a task whose echoed request equals ours (server-filled defaults aside) is
ours. A failed or stopped attempt is never adopted: the next attempt is named ``...-r2``, ``...-r3``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi_modelarts.api.errors import APIError, Meaning, NotFoundError, ServerError, TransportError, meaning_of
from pulumi_modelarts.reconcile import echo, identity
from pulumi_modelarts.reconcile.accept import AcceptRule, accept_auto_labels, select
from pulumi_modelarts.reconcile.board import PAGE_SIZE
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Decision, Write, adopt_blocked
from pulumi_modelarts.reconcile.errors import ConflictError, ReconcileError, TaskFailedError
from pulumi_modelarts.reconcile.locks import Deadline, while_release_locked
from pulumi_modelarts.reconcile.observe import fetch_adopted
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
_SERVER_NAME = re.compile(r"[A-Za-z0-9]{16,24}")


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

    @property
    def explicit_name(self) -> str | None:
        name = (self.inputs.get("config") or {}).get("name")
        return str(name) if name else None

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
        return self.explicit_name or identity.task_name(self.resource_name, self.fingerprint)

    def name_for_attempt(self, attempt: int) -> str:
        return self.base_name if attempt <= 1 else f"{self.base_name}-r{attempt}"


# --- observation (I/O) -----------------------------------------------------------------------------


def _status(task: Mapping[str, Any]) -> int | None:
    value = task.get("status")
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def is_active(task: Mapping[str, Any]) -> bool:
    """Not finished: running, queuing, stopping, or a status this client does not know (fail closed)."""
    return _status(task) not in TASK_TERMINAL


def _name_of(task: Mapping[str, Any]) -> str:
    return str(task.get("task_name") or (task.get("config") or {}).get("name") or "")


def not_named_by_a_client(task: Mapping[str, Any]) -> bool:
    """Whether the task's name cannot be one a client chose: empty, or shaped like the server's own names
    (the documented examples show 19 letters and digits, such as ``ouIsrAuG226MgMknu9j``) [GUESS]."""
    name = _name_of(task)
    return not name or _SERVER_NAME.fullmatch(name) is not None


def request_matches(task: Mapping[str, Any], spec: IntelligentTaskSpec) -> bool:
    """Whether a live task's echoed request is the declared one (server-filled defaults aside)."""
    echoed_type = task.get("task_type")
    if echoed_type not in (None, "", spec.task_type):
        return False
    model = spec.inputs.get("model_id")
    if model and task.get("model_id") not in (None, "", model):
        return False
    ours = spec.request_body().get("config") or {}
    return echo.task_config_matches(ours, task.get("config") or {})


@dataclass(frozen=True)
class TaskObservation:
    """Everything ``decide`` needs, as observed; no I/O happens after this is built."""

    dataset_id: str
    attempts: tuple[tuple[int, Mapping[str, Any]], ...] = ()  # ours, newest attempt first
    previous: tuple[Mapping[str, Any], ...] = ()  # this resource's tasks with another request
    conflict: Mapping[str, Any] | None = None  # a task with our explicit name but another request
    running_others: tuple[Mapping[str, Any], ...] = ()  # other active tasks of the same kind
    adopt_requested: bool = False
    adopted: Mapping[str, Any] | None = None  # the task adopt_task_id names, None when it does not exist
    acceptable: int | None = None  # samples the accept rule would confirm now (observed when it matters)
    skipped: Mapping[str, int] = field(default_factory=dict)

    @property
    def adoptable(self) -> Mapping[str, Any] | None:
        for _, task in self.attempts:
            if is_active(task) or _status(task) == TASK_SUCCEEDED:
                return task
        return None

    @property
    def next_attempt(self) -> int:
        return max((attempt for attempt, _ in self.attempts), default=0) + 1


def classify(spec: IntelligentTaskSpec, dataset_id: str, tasks: list[dict[str, Any]]) -> TaskObservation:
    """Sort a dataset's tasks of this kind into ours, our earlier requests, and others (pure)."""
    base = spec.base_name
    own_tag = identity.resource_tag(spec.resource_name)
    attempts: list[tuple[int, Mapping[str, Any]]] = []
    previous: list[Mapping[str, Any]] = []
    conflict: Mapping[str, Any] | None = None
    running_others: list[Mapping[str, Any]] = []
    for task in tasks:
        name = _name_of(task)
        attempt = identity.attempt_of(name, base)
        parsed = identity.parse_task_name(name)
        mine = False
        if attempt is not None:
            if spec.explicit_name and not request_matches(task, spec):
                conflict = conflict or task
            else:
                attempts.append((attempt, task))
                mine = True
        elif parsed is not None and parsed[0] == own_tag and not spec.explicit_name:
            previous.append(task)
            mine = True
        elif parsed is None and not_named_by_a_client(task) and request_matches(task, spec):
            # The API did not echo our name (empty, or replaced by its own): identity is the echoed request.
            attempts.append((1, task))
            mine = True
        if not mine and is_active(task):
            running_others.append(task)
    attempts.sort(key=lambda pair: pair[0], reverse=True)
    return TaskObservation(
        dataset_id,
        attempts=tuple(attempts),
        previous=tuple(previous),
        conflict=conflict,
        running_others=tuple(running_others),
    )


def observe(ctx: ReconcileContext, spec: IntelligentTaskSpec, *, fresh: bool = False) -> TaskObservation:
    dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    if fresh:
        ctx.observer.invalidate(dataset_id, "tasks")
        ctx.observer.invalidate(dataset_id, "samples")
    if spec.adopt_task_id:
        adopted = fetch_adopted(ctx.client.get_task, dataset_id, spec.adopt_task_id)
        observed = TaskObservation(dataset_id, adopt_requested=True, adopted=adopted)
    else:
        observed = classify(spec, dataset_id, ctx.observer.tasks(dataset_id, spec.task_type))
    rule = spec.accept_rule
    target = observed.adopted if spec.adopt_task_id else observed.adoptable
    if rule is not None and target is not None and _status(target) == TASK_SUCCEEDED:
        chosen, skipped = select(ctx.observer.auto_annotation_samples(dataset_id), rule)
        observed = _with_acceptance(observed, len(chosen), skipped)
    return observed


def _with_acceptance(observed: TaskObservation, count: int, skipped: Mapping[str, int]) -> TaskObservation:
    return replace(observed, acceptable=count, skipped=dict(skipped))


def describe_task(task: Mapping[str, Any]) -> str:
    parts = [str(task.get("task_id") or "?")]
    if _name_of(task):
        parts.append(f"'{_name_of(task)}'")
    status = task.get("status")
    name = task_status_name(status)
    parts.append(name if name != "unknown" else f"unknown status {status!r}")
    if is_active(task) and isinstance(task.get("progress"), (int, float)):
        parts.append(f"{float(task['progress']):.0f}%")
    return " ".join(parts)


def _failure_reason(task: Mapping[str, Any]) -> str:
    code = task.get("error_code") or task.get("code") or ""
    message = task.get("error_msg") or task.get("message") or ""
    return f"{code} {message}".strip() or "no reason given by the API"


def _echoed_body(task: Mapping[str, Any], spec: IntelligentTaskSpec) -> dict[str, Any]:
    """The request a live task was started with, as a reviewer compares it (server-filled fields dropped)."""
    ours = spec.request_body().get("config") or {}
    body: dict[str, Any] = {"task_type": task.get("task_type") or spec.task_type}
    config = echo.without_server_filled(task.get("config") or {}, ours)
    config.pop("name", None)
    if config:
        body["config"] = config
    if task.get("model_id"):
        body["model_id"] = task["model_id"]
    return body


def _declared_body(spec: IntelligentTaskSpec) -> dict[str, Any]:
    body = spec.request_body()
    body.pop("collect_key_sample", None)
    return body


# --- the decision (pure) ---------------------------------------------------------------------------


def _accept_write(spec: IntelligentTaskSpec, observed: TaskObservation, finished: bool) -> tuple[Write, ...]:
    if spec.accept_rule is None:
        return ()
    if not finished:
        return (Write("accept-labels", "accept auto-labels by the rule once the task succeeds", None),)
    if observed.acceptable:
        return (Write("accept-labels", f"accept {observed.acceptable} auto-labels", observed.acceptable),)
    return ()


def _follow(spec: IntelligentTaskSpec, observed: TaskObservation, task: Mapping[str, Any], verb: str) -> Decision:
    """Adopting a live task: wait for it, or it is done (with labels to accept, maybe), or it failed."""
    dataset_id = observed.dataset_id
    status = _status(task)
    if is_active(task) and not spec.wait:
        summary = f"{verb}task {describe_task(task)} (wait: false, so apply does not wait for it)"
        return Decision("adopt" if verb else "in-sync", summary, target=task, dataset_id=dataset_id)
    if is_active(task):
        return Decision(
            "wait",
            f"wait for {verb}task {describe_task(task)}",
            _accept_write(spec, observed, False),
            target=task,
            dataset_id=dataset_id,
        )
    if status in (TASK_FAILED, TASK_STOPPED):
        return Decision(
            "blocked",
            f"{verb}task {describe_task(task)} {task_status_name(status)}: {_failure_reason(task)}",
            target=task,
            dataset_id=dataset_id,
        )
    writes = _accept_write(spec, observed, True)
    action: Action = "update" if writes else ("adopt" if verb else "in-sync")
    summary = f"{verb}task {describe_task(task)}"
    if writes:
        summary += f"; {writes[0].text}"
    return Decision(action, summary, writes, target=task, dataset_id=dataset_id, extra={"skipped": observed.skipped})


def decide(observed: TaskObservation, spec: IntelligentTaskSpec) -> Decision:
    """The one decision for this task; ``plan`` renders it and ``ensure`` carries it out."""
    dataset_id = observed.dataset_id
    if observed.adopt_requested:
        task = observed.adopted
        if task is None or not request_matches(task, spec):
            changes = diff_values(_echoed_body(task, spec), _declared_body(spec)) if task is not None else []
            return adopt_blocked(str(spec.adopt_task_id), dataset_id, task, changes, unnamed="task type")
        return _follow(spec, observed, task, "adopt ")
    if observed.conflict is not None:
        task = observed.conflict
        changes = diff_values(_echoed_body(task, spec), _declared_body(spec))
        return Decision(
            "blocked",
            f"a task named '{spec.base_name}' ({describe_task(task)}) exists with another request; choose another"
            " config.name for the new request (a name is used once per dataset)",
            changes=tuple(changes),
            target=task,
            dataset_id=dataset_id,
        )
    found = observed.adoptable
    if found is not None:
        return _follow(spec, observed, found, "")
    after = ""
    if spec.task_type in EXCLUSIVE_TYPES and observed.running_others:
        after = f" after the running task {describe_task(observed.running_others[0])} ends"
    attempt = observed.next_attempt
    start = Write("start-task", f"start {spec.task_type} task '{spec.name_for_attempt(attempt)}'{after}")
    accept = _accept_write(spec, observed, False) if spec.wait else ()
    if observed.attempts:
        _, last = observed.attempts[0]
        return Decision(
            "retry",
            f"{start.text} (attempt {attempt}); attempt {describe_task(last)} ended: {_failure_reason(last)}",
            (start, *accept),
            attempt=attempt,
            dataset_id=dataset_id,
        )
    if observed.previous:
        old = observed.previous[0]
        stop = old if spec.task_type in EXCLUSIVE_TYPES and is_active(old) else None
        stops = (Write("stop-task", f"stop task {describe_task(old)}"),) if stop is not None else ()
        return Decision(
            "replace",
            f"{start.text}, replacing task {describe_task(old)}",
            (*stops, start, *accept),
            changes=tuple(diff_values(_echoed_body(old, spec), _declared_body(spec))),
            stop=stop,
            attempt=attempt,
            dataset_id=dataset_id,
        )
    return Decision("create", start.text, (start, *accept), attempt=attempt, dataset_id=dataset_id)


def plan(ctx: ReconcileContext, spec: IntelligentTaskSpec) -> Plan:
    """What apply would do, with every write it would make (observe, then decide; no writes)."""
    return decide(observe(ctx, spec), spec).to_plan()


# --- execution -------------------------------------------------------------------------------------


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
            f"{label}: task {describe_task(task)} on dataset {dataset_id} is not finished after"
            f" {timeout:.0f}s (timeout_seconds). It keeps running; the next `pulumi up` or"
            f" `pulumi-modelarts apply` resumes waiting on this same task instead of starting another."
        )

    waiter = ctx.waiter(label, fetch, _task_probe, timeout, timeout_message)
    if key is None or ctx.board is None:
        return waiter.run(initial)
    with ctx.board.following(key):
        return waiter.run(initial)


def _start(ctx: ReconcileContext, spec: IntelligentTaskSpec, dataset_id: str, attempt: int, deadline: Deadline) -> str:
    """Start the task and return its id; a lost answer, a name in use or a busy dataset look again first."""
    name = spec.name_for_attempt(attempt)
    body = spec.request_body(name)
    label = spec.resource_name
    for _ in range(2):  # a second POST only after another running task has ended
        try:
            task_id = while_release_locked(ctx, label, deadline, lambda: ctx.client.create_task(dataset_id, body))
            ctx.observer.invalidate(dataset_id, "tasks")
            ctx.log(f"{label}: started {spec.task_type} task {task_id} '{name}' on dataset {dataset_id}")
            return task_id
        except (TransportError, ServerError) as lost:
            # The POST may have been committed: look before failing, never POST blindly again.
            found = observe(ctx, spec, fresh=True).adoptable
            if found is not None:
                ctx.log(f"{label}: the start request's answer was lost; adopting {found['task_id']}")
                return str(found["task_id"])
            raise ReconcileError(
                f"{label}: starting task '{name}' on dataset {dataset_id} got no answer ({lost});"
                " no such task exists, so nothing was started. Re-running is safe."
            ) from None
        except APIError as error:
            meaning = meaning_of(error)
            if meaning not in (Meaning.NAME_TAKEN, Meaning.ALREADY_RUNNING, Meaning.TOO_MANY_TASKS):
                raise
            observed = observe(ctx, spec, fresh=True)
            mine = observed.adoptable
            if mine is not None:  # a concurrent run (or a lost answer) started our task first
                ctx.log(f"{label}: {error.error_code}; adopting our task {describe_task(mine)}")
                return str(mine["task_id"])
            if meaning is Meaning.NAME_TAKEN or not observed.running_others:
                raise
            _wait_for_blocking(ctx, spec, dataset_id, observed.running_others[0], deadline, error)
    raise ConflictError(f"{label}: could not start '{name}' on dataset {dataset_id}")


def _wait_for_blocking(
    ctx: ReconcileContext,
    spec: IntelligentTaskSpec,
    dataset_id: str,
    other: Mapping[str, Any],
    deadline: Deadline,
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


def stop_task(ctx: ReconcileContext, dataset_id: str, task_id: str, timeout: float) -> None:
    """Stop a task and wait until it has stopped; one that ends at the same moment counts as stopped."""
    try:
        ctx.client.stop_task(dataset_id, task_id)
    except APIError as error:
        if meaning_of(error) in (Meaning.NOT_FOUND, Meaning.NOT_RUNNING):
            return
        raise
    finally:
        ctx.observer.invalidate(dataset_id, "tasks")
    wait_for_task(ctx, f"stopping {task_id}", dataset_id, task_id, timeout)


def execute(ctx: ReconcileContext, spec: IntelligentTaskSpec, decision: Decision) -> dict[str, Any]:
    """Carry out ``decision``: exactly its writes, then follow the task; returns the outputs."""
    if decision.action == "blocked":
        raise ConflictError(f"{spec.resource_name}: {decision.summary}")
    deadline = Deadline(ctx, spec.timeout_seconds)
    dataset_id = str(decision.dataset_id)
    initial: dict[str, Any] | None = dict(decision.target) if decision.target is not None else None
    adopted = True
    if decision.has("start-task"):
        if decision.stop is not None:
            ctx.log(f"{spec.resource_name}: stopping the task it replaces, {describe_task(decision.stop)}")
            stop_task(ctx, dataset_id, str(decision.stop["task_id"]), deadline.remaining)
        observed = observe(ctx, spec)
        if spec.task_type in EXCLUSIVE_TYPES and observed.running_others:
            _wait_for_blocking(ctx, spec, dataset_id, observed.running_others[0], deadline, None)
        task_id = _start(ctx, spec, dataset_id, decision.attempt, deadline)
        adopted, initial = False, None
    else:
        task_id = str(decision.target_id)
        if decision.target is not None:
            ctx.log(f"{spec.resource_name}: adopting task {describe_task(decision.target)}")
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
        if decision.has("accept-labels"):
            if decision.action != "update":
                ctx.observer.invalidate(dataset_id, "samples")  # the task has just produced them
            result = accept_auto_labels(ctx, dataset_id, rule, deadline)
            outputs["accepted_count"], outputs["skipped_counts"] = result.accepted, result.skipped
        else:
            outputs["accepted_count"], outputs["skipped_counts"] = 0, dict(decision.extra.get("skipped") or {})
    return outputs


def ensure(ctx: ReconcileContext, spec: IntelligentTaskSpec) -> dict[str, Any]:
    """Observe, decide, execute: make the task exist, follow it, accept its labels; return outputs."""
    return execute(ctx, spec, decide(observe(ctx, spec), spec))


def task_outputs(task: Mapping[str, Any], dataset_id: str, *, adopted: bool = False) -> dict[str, Any]:
    result = task.get("result") or {}

    def pick(key: str) -> Any:
        value = result.get(key)
        return task.get(key) if value is None else value

    return {
        "task_id": task.get("task_id"),
        "task_name": _name_of(task) or None,
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
    if is_active(task):
        stop_task(ctx, dataset_id, task_id, timeout)
