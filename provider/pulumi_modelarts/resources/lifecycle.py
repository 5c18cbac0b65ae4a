"""The Pulumi lifecycle of every kind, on plain values: what the dynamic providers and the plugin share.

One mapping of a decision onto the engine's changes (``diff``), and the calls that carry decisions out
(``create``, ``update``) or undo what can be undone (``delete``). Both adapters translate their wire
format to plain values (API field names, unknowns as ``reconcile.unknown.Unknown``) and call these.

The contract with the engine:

* Diff decides from the live API. A resource is replaced exactly when its decision makes a new object
  (starts a task or export, releases a version) or follows another object than the one recorded (a
  selector that moved); otherwise changed inputs are an update without API writes, and writes pending
  in place (auto-labels to accept) are an update too. Changes that come from live state are reported as
  such (``PropertyDiff.input_diff`` false), old => new.
* Create and Update decide again and carry out only what Diff (or a preview Create) approved in this
  process: an Update never starts anything, and a fresh decision that moved fails with "changed since
  the preview" instead of doing something else. The next run shows the new decision.
* Delete stops a running task only when this resource owns it and no replacement claimed it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pulumi_modelarts import schema
from pulumi_modelarts.reconcile.board import StatusBoard
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.contract import Approved
from pulumi_modelarts.reconcile.decision import Decision
from pulumi_modelarts.reconcile.errors import ChangedSinceApprovalError
from pulumi_modelarts.reconcile.identity import canonical, canonical_json
from pulumi_modelarts.reconcile.kinds import Kind
from pulumi_modelarts.reconcile.observe import DatasetObserver
from pulumi_modelarts.reconcile.pending import PendingWrites
from pulumi_modelarts.reconcile.unknown import Unknown, contains_unknown
from pulumi_modelarts.reconcile.waiting import Interrupted
from pulumi_modelarts.resources import _config

if TYPE_CHECKING:
    from pulumi_modelarts.api.client import ModelArtsClient

RESOURCE_NAME = "resource_name"
NAMESPACE = "namespace"
SPEC_KEYS = "spec_keys"  # which outputs echo inputs (their values stay where the engine keeps them secret)
LEGACY_SPEC = "spec"  # state written before 0.2 recorded a copy of the inputs
RESERVED = frozenset({"__provider", RESOURCE_NAME, NAMESPACE})
STOP_TIMEOUT_SECONDS = 600.0
# How long what a host read of a dataset serves the engine's calls: a preview's (or an update's) wave of
# Diff/Create calls, not the next one. Our own writes drop or update it at once; this bounds others' writes.
# A waiter's look renews its dataset's list (one page); a dataset name's id is kept for the process.
OBSERVATION_MAX_AGE = 10.0


class ProviderError(Exception):
    """An error shown to the user by the Pulumi engine: ModelArts' code and message, no secrets."""


@dataclass(frozen=True)
class PropertyDiff:
    kind: Literal["add", "delete", "update"]
    replace: bool
    input_diff: bool  # false: the change comes from live state, not from the program
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class Change:
    """A decision mapped onto Pulumi: what the engine shows and does."""

    replaces: tuple[str, ...] = ()
    updates: tuple[str, ...] = ()
    delete_before_replace: bool = False
    detailed: Mapping[str, PropertyDiff] = field(default_factory=dict)
    stables: tuple[str, ...] = ()
    decision: Decision | None = None

    @property
    def changes(self) -> bool:
        return bool(self.replaces or self.updates)


class Session:
    """What one provider process shares between the engine's calls of one deployment.

    ``context``: every call's reconcile context reads through one ``DatasetObserver`` (and polls through one
    ``StatusBoard``) per client, so the resources of a run observe each dataset once: concurrent Diff, Create
    and Read calls wait on one read in flight instead of sending their own. What was read is kept for at most
    ``OBSERVATION_MAX_AGE`` seconds (others' writes; a dataset name's id for the process), and our own writes
    drop or update it at once (the rules in ``reconcile.observe``). ``approve``/``approval``: the decision a
    Diff (or a preview Create) showed, for the Create or Update of the same inputs. ``claim``/``claimed``:
    objects a Create or Update of this process follows, so that the Delete of a resource they replace leaves
    them alone. ``pending``: writes decided and not made yet.
    """

    def __init__(self) -> None:
        self.pending = PendingWrites()
        self._shared: dict[int, tuple[ModelArtsClient, DatasetObserver, StatusBoard]] = {}
        self._approvals: dict[str, Approved] = {}
        self._claimed: set[tuple[str, str]] = set()
        self._exclusive: dict[tuple[str, ...], threading.Lock] = {}
        self._lock = threading.Lock()

    @contextmanager
    def one_at_a_time(self, key: tuple[str, ...] | None) -> Iterator[None]:
        """Creates and updates whose work ModelArts runs one at a time (``Kind.exclusive_key``) take turns, so
        each decides after the one before has started its task: it then waits for that task, as it shows."""
        if key is None:
            yield
            return
        with self._lock:
            lock = self._exclusive.setdefault(key, threading.Lock())
        with lock:
            yield

    def context(self, *, log: Callable[[str], None], sleep: Callable[[float], None]) -> ReconcileContext:
        """A reconcile context for one engine call: the configured client, the observation and status board
        this session shares for it, this session's pending writes."""
        client = _config.client()
        with self._lock:
            shared = self._shared.get(id(client))
            if shared is None or shared[0] is not client:
                observer = DatasetObserver(client, max_age=OBSERVATION_MAX_AGE)
                shared = self._shared[id(client)] = (client, observer, StatusBoard())
        _, observer, board = shared
        return ReconcileContext(client, observer, log=log, sleep=sleep, board=board, pending=self.pending)

    def approve(self, key: str, decision: Decision) -> None:
        with self._lock:
            self._approvals[key] = Approved.of(decision)

    def approval(self, key: str) -> Approved | None:
        with self._lock:
            return self._approvals.get(key)

    def claim(self, dataset_id: str, object_id: str) -> None:
        with self._lock:
            self._claimed.add((dataset_id, object_id))

    def claimed(self, dataset_id: str, object_id: str) -> bool:
        with self._lock:
            return (dataset_id, object_id) in self._claimed


#: The provider process's session (the dynamic-provider host and the plugin each serve one deployment).
SESSION = Session()


# --- inputs and outputs --------------------------------------------------------------------------


def normalize(kind: Kind, props: Mapping[str, Any]) -> tuple[dict[str, Any], list[schema.Violation]]:
    """Schema-normalized inputs (floats back to integers, defaults filled) and any violations."""
    raw = {key: value for key, value in props.items() if key not in RESERVED and value is not None}
    return schema.validate_inputs(kind.type_token, raw, is_unknown=lambda value: isinstance(value, Unknown))


def checked_inputs(kind: Kind, name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    inputs, violations = normalize(kind, props)
    if violations:
        details = "; ".join(str(violation) for violation in violations)
        raise ProviderError(f"{kind.type_token} '{name}': invalid inputs: {details}")
    return inputs


def echo_outputs(name: str, inputs: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs: the live state, with the inputs echoed under their own names (so the engine compares olds
    with news, and keeps an output secret when the input of that name is) and the list of their names."""
    outputs = {key: value for key, value in live.items() if value is not None or key not in inputs}
    outputs.update(inputs)
    outputs[RESOURCE_NAME] = name
    outputs[SPEC_KEYS] = sorted(inputs)
    return outputs


def recorded_inputs(olds: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs an earlier create or update recorded (from their echo, or the copy of older state)."""
    keys = olds.get(SPEC_KEYS)
    if isinstance(keys, (list, tuple)):
        return {key: olds[key] for key in keys if key in olds}
    legacy = olds.get(LEGACY_SPEC)
    return dict(legacy) if isinstance(legacy, Mapping) else {}


def live_outputs(olds: Mapping[str, Any]) -> dict[str, Any]:
    """The recorded outputs that are not echoed inputs."""
    inputs = recorded_inputs(olds)
    return {key: value for key, value in olds.items() if key not in inputs and key not in (SPEC_KEYS, LEGACY_SPEC)}


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any], keys: Any) -> list[str]:
    return [key for key in keys if contains_unknown(new.get(key)) or canonical(old.get(key)) != canonical(new.get(key))]


def approval_key(kind: Kind, name: str, namespace: str, inputs: Mapping[str, Any]) -> str:
    return canonical_json([kind.type_token, namespace, name, inputs])


# --- the one mapping of a decision onto the engine's changes ---------------------------------------


def diff(
    kind: Kind, ctx: ReconcileContext, name: str, namespace: str, olds: Mapping[str, Any], news: Mapping[str, Any]
) -> Change:
    """Changed inputs, then the decision: see the module docstring. A blocked decision fails the preview."""
    old_inputs = recorded_inputs(olds)
    new_inputs, violations = normalize(kind, news)
    by_inputs = changed_keys(old_inputs, new_inputs, kind.replace_keys)
    in_place = changed_keys(old_inputs, new_inputs, kind.update_keys)
    if violations or contains_unknown(new_inputs) or not olds.get("dataset_id"):
        detailed = {key: _input_diff(key, old_inputs, new_inputs, True) for key in by_inputs}
        detailed.update({key: _input_diff(key, old_inputs, new_inputs, False) for key in in_place})
        if by_inputs:
            return Change(tuple(by_inputs), (), False, detailed)
        return Change((), tuple(in_place), False, detailed, kind.stables)
    decision = guarded(kind, name, lambda: kind.decision(ctx, kind.spec(name, new_inputs, namespace)))
    if decision.action == "blocked":
        raise ProviderError(f"{kind.type_token} '{name}': blocked: {decision.summary}")
    SESSION.approve(approval_key(kind, name, namespace, new_inputs), decision)
    ctx.pending.note(name, decision)
    return map_decision(kind, olds, old_inputs, new_inputs, decision)


def map_decision(
    kind: Kind,
    olds: Mapping[str, Any],
    old_inputs: Mapping[str, Any],
    new_inputs: Mapping[str, Any],
    decision: Decision,
) -> Change:
    recorded = olds.get(kind.id_output)
    moved = decision.target_id is not None and decision.target_id != recorded
    all_keys = (*kind.replace_keys, *kind.update_keys)
    changed = changed_keys(old_inputs, new_inputs, all_keys)
    if decision.creates or moved:
        replaces = [key for key in changed if key in kind.replace_keys] or [kind.id_output]
        detailed = {key: _input_diff(key, old_inputs, new_inputs, True) for key in changed}
        if kind.id_output not in detailed:
            new_id = decision.target_id if moved else Unknown(f"the new object: {decision.summary}")
            detailed[kind.id_output] = PropertyDiff("update", True, False, recorded, new_id)
        starts = [index for index, write in enumerate(decision.writes) if write.kind in ("start-task",)]
        stop_first = any(
            write.kind == "stop-task" and index < min(starts, default=0) for index, write in enumerate(decision.writes)
        )
        waits_on_own = decision.waits_for is not None and decision.waits_for.get("task_id") == recorded
        return Change(tuple(replaces), (), stop_first or waits_on_own, detailed, (), decision)
    detailed = {key: _input_diff(key, old_inputs, new_inputs, False) for key in changed}
    accept = decision.first("accept-labels")
    if accept is not None and accept.count is not None:
        before = live_outputs(olds).get("accepted_count") or 0
        detailed["accepted_count"] = PropertyDiff("update", False, False, before, before + accept.count)
    elif accept is not None:
        before = live_outputs(olds).get("accepted_count") or 0
        detailed["accepted_count"] = PropertyDiff("update", False, False, before, Unknown("once the task succeeds"))
    return Change((), tuple(detailed), False, detailed, kind.stables, decision)


def _input_diff(key: str, old: Mapping[str, Any], new: Mapping[str, Any], replace: bool) -> PropertyDiff:
    before, after = old.get(key), new.get(key)
    kind: Literal["add", "delete", "update"] = "update"
    if before is None and after is not None:
        kind = "add"
    elif after is None and before is not None:
        kind = "delete"
    return PropertyDiff(kind, replace, True, before, after)


# --- carrying decisions out -------------------------------------------------------------------------


def create(kind: Kind, ctx: ReconcileContext, name: str, namespace: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """Decide, keep to what the preview approved (if anything did), carry it out; returns the outputs."""
    inputs = checked_inputs(kind, name, props)
    spec = kind.spec(name, inputs, namespace)

    def run() -> dict[str, Any]:
        with SESSION.one_at_a_time(kind.exclusive_key(inputs)):
            decision = kind.decision(ctx, spec)
            approved = SESSION.approval(approval_key(kind, name, namespace, inputs))
            if approved is not None:
                approved.check(f"{kind.type_token} '{name}'", decision, "the preview")
            _claim(kind, decision)
            return kind.execute(ctx, spec, decision)

    return echo_outputs(name, inputs, guarded(kind, name, run))


def update(
    kind: Kind,
    ctx: ReconcileContext,
    name: str,
    namespace: str,
    olds: Mapping[str, Any],
    props: Mapping[str, Any],
) -> dict[str, Any]:
    """In-place changes only: decide again; anything that would make a new object fails as changed."""
    inputs = checked_inputs(kind, name, props)
    spec = kind.spec(name, inputs, namespace)

    def run() -> dict[str, Any]:
        decision = kind.decision(ctx, spec)
        change = map_decision(kind, olds, recorded_inputs(olds), inputs, decision)
        if change.replaces or decision.action == "blocked":
            raise ChangedSinceApprovalError(
                f"{kind.type_token} '{name}': changed since the preview: {decision.summary}. Nothing was written;"
                " the next `pulumi up` shows the new decision."
            )
        approved = SESSION.approval(approval_key(kind, name, namespace, inputs))
        if approved is not None:
            approved.check(f"{kind.type_token} '{name}'", decision, "the preview")
        _claim(kind, decision)
        live = kind.execute(ctx, spec, decision)
        for key in kind.kept_on_read:
            if key in olds and key not in ("accepted_count", "skipped_counts", "fingerprint"):
                live[key] = olds[key]
        return {**live_outputs(olds), **live}

    return echo_outputs(name, inputs, guarded(kind, name, run))


def _claim(kind: Kind, decision: Decision) -> None:
    if decision.dataset_id and decision.target_id:
        SESSION.claim(decision.dataset_id, decision.target_id)


def read(
    kind: Kind, ctx: ReconcileContext, name: str, object_id: str, props: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Refresh: the live outputs (recorded inputs echoed), or None when the object is gone."""
    dataset_id = props.get("dataset_id")
    if not dataset_id:
        return None
    live = guarded(kind, name, lambda: kind.read(ctx, str(dataset_id), object_id))
    if live is None:
        return None
    live.update({key: props[key] for key in kind.kept_on_read if key in props})
    return echo_outputs(name, recorded_inputs(props), live)


def delete(
    kind: Kind, ctx: ReconcileContext, name: str, namespace: str, object_id: str, props: Mapping[str, Any]
) -> str:
    """Undo what can be undone (a running task this resource owns is stopped); says what was done."""
    dataset_id = props.get("dataset_id")
    if kind.delete is None or not dataset_id:
        return "nothing to undo"
    if SESSION.claimed(str(dataset_id), object_id):
        return f"{object_id} is followed by the resource that replaces this one; left running"
    spec = kind.spec(name, recorded_inputs(props), namespace)
    started = props.get("adopted") is False
    action = kind.delete
    return str(
        guarded(kind, name, lambda: action(ctx, spec, str(dataset_id), object_id, STOP_TIMEOUT_SECONDS, started))
    )


def guarded(kind: Kind, name: str, action: Any) -> Any:
    """Run reconcile code; a ModelArts or reconcile error becomes one line naming the resource, and so does a
    stop (Pulumi's Cancel, the engine gone): no write starts after it."""
    from pulumi_modelarts.api.errors import ModelArtsError

    try:
        return action()
    except ModelArtsError as error:
        message = str(error)
    except Interrupted:
        message = (
            "stopped: the operation was cancelled; nothing more was written. Work already started goes on in"
            " ModelArts, and the next `pulumi up` resumes waiting on it."
        )
    if name and name not in message:
        message = f"{kind.type_token} '{name}': {message}"
    raise ProviderError(message) from None
