"""IntelligentTask: observe the dataset's tasks, decide once (pure), then render or carry out that decision.

Identity: the task name ``pm-<resource>-<tag hash>-<fingerprint>`` (``config.name`` when the user sets
one), sent in ``config.name`` and listed back as ``task_name``. The tag hash covers the owner's namespace
and the resource name (``identity.resource_tag``). Names are matched exactly, never by prefix. When the
API does not echo the name (``task_name`` empty, or ``config.name`` replaced by a server-generated one),
a task whose echoed request equals ours (server-filled defaults aside) is ours. A failed or stopped
attempt is never adopted: the next attempt is named ``...-r2``, ``...-r3``.

Tasks named before namespaces existed (``identity.legacy_tag``) are adopted when their fingerprint is
this request's, and never stopped or replaced: nothing in such a name says which stack owns it.

``triggers`` (any values, as pulumi-command's) are part of the identity: their fingerprint goes into the
request, in ``config.description`` (``triggers <fingerprint>``, after the user's own description), so
it is in the task name's fingerprint and in the echoed request alike. A change of triggers is a new
request (a replace, the old task stopped if it runs), and the task started for the current triggers is
recognized under every reading, also where the API echoes no name.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi_modelarts.api.errors import APIError, Meaning, meaning_of
from pulumi_modelarts.reconcile import echo, follow, identity
from pulumi_modelarts.reconcile.accept import AcceptRule, accept_auto_labels, select
from pulumi_modelarts.reconcile.board import PAGE_SIZE
from pulumi_modelarts.reconcile.changes import diff_values
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Action, Decision, Write, adopt_blocked, blocked
from pulumi_modelarts.reconcile.decision import deferred as deferred_decision
from pulumi_modelarts.reconcile.errors import (
    ChangedSinceApprovalError,
    ConflictError,
    ReconcileError,
    TaskFailedError,
)
from pulumi_modelarts.reconcile.importing import fit_inputs
from pulumi_modelarts.reconcile.locks import Deadline, while_release_locked
from pulumi_modelarts.reconcile.observe import fetch_adopted
from pulumi_modelarts.reconcile.spec import ResourceSpec
from pulumi_modelarts.reconcile.status import (
    TASK_FAILED,
    TASK_STOPPED,
    TASK_SUCCEEDED,
    TASK_TERMINAL,
    task_status_name,
)
from pulumi_modelarts.reconcile.unknown import Text, Unknown, first_unknown
from pulumi_modelarts.reconcile.waiting import Probe

API_FIELDS = ("task_type", "collect_key_sample", "model_id", "config")
TRIGGERS_NOTE = "triggers"
# One task of each of these types runs per dataset at a time (ModelArts.4386, 4387; 4964 or 4409 for grouping).
EXCLUSIVE_TYPES = frozenset({"auto-label", "pre-label", "auto-grouping"})
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

    @property
    def triggers_note(self) -> Text | None:
        """``triggers <fingerprint>`` of the declared triggers (None without any; unknown while one is)."""
        triggers = self.inputs.get("triggers")
        if triggers is None or triggers == []:
            return None
        pending = first_unknown(triggers)
        if pending is not None:
            return Unknown(f"{pending.reference} (in triggers)")
        return f"{TRIGGERS_NOTE} {identity.fingerprint(triggers)}"

    def request_body(self, name: Text | None = None) -> dict[str, Any]:
        """The POST body; ``name`` goes into ``config.name``, the task's identity, and the triggers' note
        into ``config.description`` (after the declared description, if any)."""
        body: dict[str, Any] = identity.canonical(
            {key: copy.deepcopy(self.inputs[key]) for key in API_FIELDS if key in self.inputs}
        )
        config = dict(body.get("config") or {})
        config.pop("name", None)
        note = self.triggers_note
        if isinstance(note, Unknown):
            config["description"] = note
        elif note is not None:
            config["description"] = f"{config['description']} ({note})" if config.get("description") else note
        if name is not None:
            config["name"] = name
        if config or "config" in body:
            body["config"] = config
        return body

    @property
    def fingerprint(self) -> str:
        return identity.fingerprint(self.request_body())

    @property
    def tag(self) -> str:
        return identity.resource_tag(self.resource_name, self.namespace)

    @property
    def base_name(self) -> str:
        return self.explicit_name or identity.task_name(self.tag, self.fingerprint)

    @property
    def legacy_base_name(self) -> str:
        return identity.task_name(identity.legacy_tag(self.resource_name), self.fingerprint)

    def name_for_attempt(self, attempt: int) -> str:
        return self.base_name if attempt <= 1 else f"{self.base_name}-r{attempt}"

    def owns(self, task: Mapping[str, Any]) -> bool:
        """Whether the task carries this resource's identity in this namespace (any request, any attempt)."""
        parsed = identity.parse_task_name(name_of(task))
        if self.explicit_name:
            return identity.attempt_of(name_of(task), self.explicit_name) is not None
        return parsed is not None and parsed[0] == self.tag


# --- observation (I/O) -----------------------------------------------------------------------------


def _status(task: Mapping[str, Any]) -> int | None:
    value = task.get("status")
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def is_active(task: Mapping[str, Any]) -> bool:
    """Not finished: running, queuing, stopping, or a status this client does not know (fail closed)."""
    return _status(task) not in TASK_TERMINAL


def name_of(task: Mapping[str, Any]) -> str:
    return str(task.get("task_name") or (task.get("config") or {}).get("name") or "")


def not_named_by_a_client(task: Mapping[str, Any]) -> bool:
    """Whether the task's name cannot be one a client chose: empty, or shaped like the server's own names
    (the documented examples show 19 letters and digits, such as ``ouIsrAuG226MgMknu9j``) [GUESS]."""
    name = name_of(task)
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
    previous: tuple[Mapping[str, Any], ...] = ()  # this resource's tasks (this namespace) with another request
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
    base, legacy = spec.base_name, spec.legacy_base_name
    attempts: list[tuple[int, Mapping[str, Any]]] = []
    previous: list[Mapping[str, Any]] = []
    conflict: Mapping[str, Any] | None = None
    running_others: list[Mapping[str, Any]] = []
    for task in tasks:
        name = name_of(task)
        attempt = identity.attempt_of(name, base)
        legacy_attempt = None if spec.explicit_name else identity.attempt_of(name, legacy)
        mine = True
        if attempt is not None:
            if spec.explicit_name and not request_matches(task, spec):
                conflict = conflict or task
                mine = False
            else:
                attempts.append((attempt, task))
        elif legacy_attempt is not None:
            attempts.append((legacy_attempt, task))
        elif spec.owns(task):
            previous.append(task)
        elif identity.parse_task_name(name) is None and not_named_by_a_client(task) and request_matches(task, spec):
            # The API did not echo our name (empty, or replaced by its own): identity is the echoed request.
            attempts.append((1, task))
        else:
            mine = False
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
        observed = replace(observed, acceptable=len(chosen), skipped=dict(skipped))
    return observed


def describe_task(task: Mapping[str, Any]) -> str:
    parts = [str(task.get("task_id") or "?")]
    if name_of(task):
        parts.append(f"'{name_of(task)}'")
    status = task.get("status")
    name = task_status_name(status)
    parts.append(name if name != "unknown" else f"unknown status {status!r}")
    if is_active(task) and isinstance(task.get("progress"), (int, float)):
        parts.append(f"{float(task['progress']):.0f}%")
    return " ".join(parts)


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


def _accept(spec: IntelligentTaskSpec, dataset_id: str, target: str, count: int | None) -> tuple[Write, ...]:
    """The acceptance write for the task ``target`` (its id, or the name of a task to start)."""
    if spec.accept_rule is None or count == 0:
        return ()
    text = (
        f"accept {count} auto-label{'s' if count != 1 else ''}"
        if count is not None
        else "accept auto-labels by the rule once the task succeeds"
    )
    return (Write("accept-labels", text, dataset_id, target, count=count),)


def _follow(spec: IntelligentTaskSpec, observed: TaskObservation, task: Mapping[str, Any], adopting: bool) -> Decision:
    """A live task of ours: wait for it, or it is done (with labels to accept, maybe), or it failed."""
    dataset_id = observed.dataset_id
    verb = "adopt task" if adopting else "task"
    task_id = str(task.get("task_id"))
    status = _status(task)
    settled: Action = "adopt" if adopting else "in-sync"
    if status in (TASK_FAILED, TASK_STOPPED):
        return blocked(
            f"{verb} {describe_task(task)} {task_status_name(status)}: {follow.failure_reason(task)}",
            "failed",
            dataset_id,
            target=task,
        )
    if is_active(task) and not spec.wait:
        summary = f"{verb} {describe_task(task)} (wait: false, so apply does not wait for it)"
        return Decision(settled, summary, dataset_id, target=task)
    if is_active(task):
        writes = _accept(spec, dataset_id, task_id, None)
        return Decision("wait", f"wait for {verb} {describe_task(task)}", dataset_id, writes, target=task)
    writes = _accept(spec, dataset_id, task_id, observed.acceptable)
    summary = f"{verb} {describe_task(task)}" + (f"; {writes[0].text}" if writes else "")
    action: Action = "update" if writes else settled
    return Decision(action, summary, dataset_id, writes, target=task, skipped_counts=dict(observed.skipped))


def decide(observed: TaskObservation, spec: IntelligentTaskSpec) -> Decision:
    """The one decision for this task; the CLI renders and carries it out, the Pulumi adapters map it."""
    dataset_id = observed.dataset_id
    if observed.adopt_requested:
        task = observed.adopted
        if task is None or not request_matches(task, spec):
            changes = diff_values(_echoed_body(task, spec), _declared_body(spec)) if task is not None else []
            return adopt_blocked(str(spec.adopt_task_id), dataset_id, task, changes, unnamed="task type")
        return _follow(spec, observed, task, adopting=True)
    if observed.conflict is not None:
        task = observed.conflict
        return blocked(
            f"a task named '{spec.base_name}' ({describe_task(task)}) exists with another request; choose another"
            " config.name for the new request (a name is used once per dataset)",
            "conflict",
            dataset_id,
            target=task,
            changes=diff_values(_echoed_body(task, spec), _declared_body(spec)),
        )
    found = observed.adoptable
    if found is not None:
        return _follow(spec, observed, found, adopting=False)
    return _start_decision(spec, observed)


def _start_decision(spec: IntelligentTaskSpec, observed: TaskObservation) -> Decision:
    dataset_id = observed.dataset_id
    exclusive = spec.task_type in EXCLUSIVE_TYPES
    waits_for = observed.running_others[0] if exclusive and observed.running_others else None
    if waits_for is not None and not spec.wait:
        return blocked(
            f"another {spec.task_type} task runs on dataset {dataset_id}: {describe_task(waits_for)} (not this"
            " resource's), and ModelArts runs one at a time; set wait: true to start after it ends",
            "conflict",
            dataset_id,
            target=waits_for,
        )
    attempt = observed.next_attempt
    name = spec.name_for_attempt(attempt)
    after = f" after the running task {describe_task(waits_for)} ends" if waits_for is not None else ""
    start = Write(
        "start-task", f"start {spec.task_type} task '{name}'{after}", dataset_id, name, spec.request_body(name)
    )
    accept = _accept(spec, dataset_id, name, None) if spec.wait else ()
    stops = tuple(_stop_earlier(dataset_id, old) for old in observed.previous if is_active(old) and old.get("task_id"))
    # One auto-label (pre-label) task per dataset: the old one must stop before the new one starts.
    writes = (*stops, start, *accept) if exclusive else (start, *accept, *stops)
    common: dict[str, Any] = {"attempt": attempt, "waits_for": waits_for}
    if observed.attempts:
        _, last = observed.attempts[0]
        summary = (
            f"{start.text} (attempt {attempt}); attempt {describe_task(last)} ended: {follow.failure_reason(last)}"
        )
        return Decision("retry", summary, dataset_id, writes, target=None, replaces=last, **common)
    if observed.previous:
        old = observed.previous[0]
        return Decision(
            "replace",
            f"{start.text}, replacing task {describe_task(old)}",
            dataset_id,
            writes,
            changes=tuple(diff_values(_echoed_body(old, spec), _declared_body(spec))),
            replaces=old,
            **common,
        )
    return Decision("create", start.text, dataset_id, writes, **common)


# --- execution: the decision's writes, nothing else ------------------------------------------------


def _list_page(client: Any, dataset_id: str, task_type: str | None) -> list[dict[str, Any]]:
    return list(client.list_tasks_page(dataset_id, limit=PAGE_SIZE, type=task_type).get("tasks") or [])


def _probe(task: dict[str, Any]) -> Probe:
    progress = task.get("progress")
    elapsed = task.get("elapsed_time")
    return Probe(
        done=not is_active(task),
        progress=float(progress) if isinstance(progress, (int, float)) else None,
        elapsed=float(elapsed) if isinstance(elapsed, (int, float)) and elapsed > 0 else None,
    )


TASKS = follow.Family(
    noun="task",
    get=lambda client, dataset_id, task_id: client.get_task(dataset_id, task_id),
    list_page=_list_page,
    is_active=is_active,
    probe=_probe,
    describe=describe_task,
    observed_as="tasks",
    listed=lambda task_id, body: {
        "task_id": task_id,
        "task_name": (body.get("config") or {}).get("name"),
        **body,
        "status": 0,  # initializing
        "progress": 0.0,
    },
)


def _start(ctx: ReconcileContext, spec: IntelligentTaskSpec, write: Write, deadline: Deadline) -> str:
    """Send the start; a lost answer adopts the task that start committed, anything in the way stops the run."""
    dataset_id, name = str(write.dataset_id), str(write.target)
    label = spec.resource_name

    def create() -> str:
        return while_release_locked(
            ctx, label, deadline, lambda: ctx.client.create_task(dataset_id, dict(write.body or {}))
        )

    def committed() -> dict[str, Any] | None:
        ctx.observer.invalidate(dataset_id, "tasks")
        return next((task for task in ctx.observer.tasks(dataset_id, spec.task_type) if name_of(task) == name), None)

    started = False
    try:
        task_id = follow.start(
            ctx,
            TASKS,
            label,
            dataset_id,
            create,
            committed,
            f"{spec.task_type} task '{name}'",
            body=write.body,
            sub_kind=spec.task_type,
        )
        started = True  # the new task is noted in the observation
        return task_id
    except APIError as error:
        meaning = meaning_of(error)
        if meaning not in (Meaning.NAME_TAKEN, Meaning.ALREADY_RUNNING, Meaning.TOO_MANY_TASKS):
            raise
        ctx.observer.invalidate(dataset_id, "tasks")
        running = [task for task in ctx.observer.tasks(dataset_id, spec.task_type) if is_active(task)]
        what = "; ".join(describe_task(task) for task in running[:3]) or "none listed"
        raise ChangedSinceApprovalError(
            f"{label}: changed since the plan: ModelArts refused to start '{name}' ({error.error_code}:"
            f" {error.error_msg}); running on the dataset now: {what}. Nothing was started; the next plan"
            " shows what to do."
        ) from None
    finally:
        if not started:
            ctx.observer.invalidate(dataset_id, "tasks")  # what a failed start left is not known


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
    follow.wait(ctx, TASKS, f"stopping {task_id}", dataset_id, task_id, timeout)


def execute(ctx: ReconcileContext, spec: IntelligentTaskSpec, decision: Decision) -> dict[str, Any]:
    """Carry out ``decision``: exactly its writes, in order, then follow the task; returns the outputs."""
    follow.refuse_if_blocked(spec.resource_name, decision)
    deadline = Deadline(ctx, spec.timeout_seconds)
    dataset_id = str(decision.dataset_id)
    task_id = decision.target_id
    initial: dict[str, Any] | None = dict(decision.target) if decision.target is not None else None
    adopted = True
    for write in decision.writes:
        if write.kind == "stop-task":
            ctx.log(f"{spec.resource_name}: {write.text}")
            stop_task(ctx, dataset_id, str(write.target), deadline.remaining)
        elif write.kind == "start-task":
            if decision.waits_for is not None:
                label = spec.resource_name
                follow.wait_for_other(
                    ctx, TASKS, label, dataset_id, decision.waits_for, deadline, sub_kind=spec.task_type
                )
            task_id, adopted = _start(ctx, spec, write, deadline), False
            initial = TASKS.as_listed(task_id, write.body) if spec.wait else None
    if task_id is None:
        raise ConflictError(f"{spec.resource_name}: nothing to follow ({decision.summary})")
    if adopted and decision.target is not None:
        ctx.log(f"{spec.resource_name}: following task {describe_task(decision.target)}")
    if spec.wait:
        task = follow.wait(
            ctx,
            TASKS,
            spec.resource_name,
            dataset_id,
            task_id,
            deadline.remaining,
            initial=initial,
            sub_kind=spec.task_type,
        )
    else:
        task = initial if initial is not None else TASKS.fetch(ctx, dataset_id, task_id)
    status = _status(task)
    if status in (TASK_FAILED, TASK_STOPPED):
        raise TaskFailedError(
            f"{spec.resource_name}: task {describe_task(task)} on dataset {dataset_id} {task_status_name(status)}:"
            f" {follow.failure_reason(task)}",
            error_code=task.get("error_code") or task.get("code"),
            error_msg=task.get("error_msg") or task.get("message"),
        )
    outputs = task_outputs(task, dataset_id, adopted=adopted)
    outputs["fingerprint"] = spec.fingerprint
    if spec.accept_rule is not None and status == TASK_SUCCEEDED:
        outputs["accepted_count"], outputs["skipped_counts"] = 0, dict(decision.skipped_counts)
        if decision.has("accept-labels"):
            if not adopted:
                ctx.observer.invalidate(dataset_id, "samples")  # the task has just produced them
            result = accept_auto_labels(ctx, dataset_id, spec.accept_rule, deadline)
            outputs["accepted_count"], outputs["skipped_counts"] = result.accepted, result.skipped
    return outputs


def task_outputs(task: Mapping[str, Any], dataset_id: str, *, adopted: bool = False) -> dict[str, Any]:
    result = task.get("result") or {}

    def pick(key: str) -> Any:
        value = result.get(key)
        return task.get(key) if value is None else value

    return {
        "task_id": task.get("task_id"),
        "task_name": name_of(task) or None,
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
    task = follow.read(ctx, TASKS, dataset_id, task_id)
    return None if task is None else task_outputs(task, dataset_id)


def stop_if_owned(
    ctx: ReconcileContext, spec: IntelligentTaskSpec, dataset_id: str, task_id: str, timeout: float, started: bool
) -> str:
    """Delete: stop the running task when this resource owns it; returns what was done, for the log.

    Owned: the task carries this resource's identity in its namespace, or it is a task this resource
    started (``started``: the state says so) or adopted by ``adopt_task_id``. A task of another
    namespace, or one only shared through a legacy name, is left running.
    """
    task = follow.read(ctx, TASKS, dataset_id, task_id)
    if task is None or not is_active(task):
        return "finished; nothing to stop"
    legacy = identity.parse_task_name(name_of(task))
    owned = spec.owns(task) or bool(spec.adopt_task_id) or (started and legacy is not None)
    if not owned:
        return (
            f"running, but {describe_task(task)} is not this resource's in namespace {spec.namespace!r}; left running"
        )
    stop_task(ctx, dataset_id, task_id, timeout)
    return f"stopped {describe_task(task)}"


def deferred(ctx: ReconcileContext, spec: IntelligentTaskSpec) -> Decision:
    """Inputs known only after apply: every write this resource may make then, and nothing else.

    The stops are of this resource's tasks that run now (a changed trigger makes a new request, and the
    earlier one is stopped). A task of this resource that starts running after the plan is not listed: apply
    then refuses ("changed since the plan"). Only when the dataset, type or name are themselves unknown is
    the stop listed without its target.
    """
    dataset_id, name = spec.dataset_text, spec.awaited
    start = Write(
        "start-task",
        f"start {spec.task_type} task (named from inputs known after apply)",
        dataset_id,
        name,
        spec.request_body(name),
    )
    accept = (Write("accept-labels", "accept auto-labels by the rule", dataset_id, name),) if spec.accept_rule else ()
    stops = _running_earlier(ctx, spec)
    after = (start, *(accept if spec.wait else ()))
    writes = (*stops, *after) if spec.task_type in EXCLUSIVE_TYPES else (*after, *stops)
    return deferred_decision(name, writes)


def _running_earlier(ctx: ReconcileContext, spec: IntelligentTaskSpec) -> tuple[Write, ...]:
    """Stops a deferred decision may make: of this resource's running tasks, observed now when it can be."""
    if spec.adopt_task_id is not None:  # an adopted task is followed; nothing of this resource is stopped
        return ()
    identity_inputs = (spec.dataset_id, spec.dataset_name, spec.inputs.get("task_type"), spec.explicit_name)
    if any(isinstance(value, Unknown) for value in identity_inputs):
        unseen = Unknown("task_id")
        return (Write("stop-task", "stop this resource's earlier task, if one still runs", spec.dataset_text, unseen),)
    dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    return tuple(
        _stop_earlier(dataset_id, task)
        for task in ctx.observer.tasks(dataset_id, spec.task_type)
        if spec.owns(task) and is_active(task) and task.get("task_id")
    )


def _stop_earlier(dataset_id: str, task: Mapping[str, Any]) -> Write:
    """The stop of this resource's running task of another request (a new request replaces it)."""
    text = f"stop task {describe_task(task)} (this resource's earlier request)"
    return Write("stop-task", text, dataset_id, str(task["task_id"]))


_TASK_TYPE_CODES = {0: "auto-label", 1: "pre-label"}


def import_inputs(
    ctx: ReconcileContext, name: str, namespace: str, dataset_id: str, task_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``pulumi import``: the inputs that declare this live task, and its outputs; None when it does not exist."""
    task = follow.read(ctx, TASKS, dataset_id, task_id)
    if task is None:
        return None
    code = task.get("type")
    task_type = task.get("task_type") or (_TASK_TYPE_CODES.get(code) if isinstance(code, int) else None)
    if task_type is None:
        # The integer type of auto-grouping tasks is not documented: find the task in that list instead.
        if not any(item.get("task_id") == task_id for item in ctx.observer.tasks(dataset_id, "auto-grouping")):
            raise ReconcileError(f"cannot tell the type of task {task_id} (type {task.get('type')})")
        task_type = "auto-grouping"
    config = dict(task.get("config") or {})
    generated = identity.parse_task_name(str(config.get("name") or ""))
    own_tags = (identity.resource_tag(name, namespace), identity.legacy_tag(name))
    if generated is not None and generated[0] in own_tags:
        config.pop("name")  # our own generated name: it follows from the resource name and the request
    candidate: dict[str, Any] = {"dataset_id": dataset_id, "task_type": task_type}
    for key in ("collect_key_sample", "model_id"):
        if task.get(key) is not None:
            candidate[key] = task[key]
    if config:
        candidate["config"] = config
    inputs = fit_inputs("modelarts:IntelligentTask", candidate)
    live = task_outputs(task, dataset_id, adopted=True)
    live["fingerprint"] = IntelligentTaskSpec(name, inputs, namespace).fingerprint
    return inputs, live
