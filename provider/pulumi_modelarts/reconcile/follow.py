"""Following task-like objects (intelligent tasks, exports, imports): start one, wait for it, read it.

The kinds differ only in their endpoints and status fields; this module holds what they share:

* ``start``: send the create once. When its answer is lost (no response, a 5xx), the write may have
  been committed, so look once for the object that write would have created and adopt it; that is
  completing the same write, never another decision. Otherwise say nothing was started.
* ``wait``: poll until a terminal state within the timeout, sharing list calls between waiters on one
  dataset (``board.StatusBoard``) and riding out failed status reads (``waiting.Waiter``).

What a create is answered with and what a wait sees last are noted in the shared observation
(``observe.DatasetObserver.note``), so the decisions that follow see them without reading the list again.
* ``read``: the live object, or None when the API says it is gone.
* ``followed``: the decision for an object of this resource that exists (failed, running or done);
  ``existing``: the same for kinds whose identity is their request (exports, imports), ``adopt_task_id``
  included; ``refuse_if_blocked``: what executing a blocked decision raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pulumi_modelarts.api.errors import NotFoundError, ServerError, TransportError
from pulumi_modelarts.reconcile.board import PAGE_SIZE
from pulumi_modelarts.reconcile.changes import diff_values
from pulumi_modelarts.reconcile.decision import Action, Decision, adopt_blocked, blocked
from pulumi_modelarts.reconcile.errors import ConflictError, ReconcileError, TaskFailedError, WaitTimeoutError
from pulumi_modelarts.reconcile.waiting import Probe

if TYPE_CHECKING:
    from pulumi_modelarts.api.client import ModelArtsClient
    from pulumi_modelarts.reconcile.context import ReconcileContext
    from pulumi_modelarts.reconcile.locks import Deadline
    from pulumi_modelarts.reconcile.observe import ListKey

Item = dict[str, Any]


@dataclass(frozen=True)
class Family:
    """One kind of task-like object: how to fetch, list, judge and describe it."""

    noun: str  # "task", "export", "import"
    get: Callable[[ModelArtsClient, str, str], Item]
    list_page: Callable[[ModelArtsClient, str, str | None], list[Item]]  # newest page; the str: a sub-kind
    is_active: Callable[[Mapping[str, Any]], bool]
    probe: Callable[[Item], Probe]
    describe: Callable[[Mapping[str, Any]], str]
    observed_as: str | None = None  # the observer's list of this family ("exports", "tasks"); None: not observed
    listed: Callable[[str, Mapping[str, Any]], Item] | None = None  # a new object as its list shows it, from the body

    def as_listed(self, object_id: str, body: Mapping[str, Any] | None) -> Item | None:
        """The object a create has just made, as its list would show it (active, our request); None if unknown."""
        if self.listed is None or body is None:
            return None
        return self.listed(object_id, body)

    def fetch(self, ctx: ReconcileContext, dataset_id: str, object_id: str) -> Item:
        item = self.get(ctx.client, dataset_id, object_id)
        item.setdefault("task_id", object_id)
        return item


def start(
    ctx: ReconcileContext,
    family: Family,
    label: str,
    dataset_id: str,
    create: Callable[[], str],
    find_committed: Callable[[], Mapping[str, Any] | None],
    what: str,
    *,
    body: Mapping[str, Any] | None = None,
    sub_kind: str | None = None,
) -> str:
    """Send the create once and return the new id; after a lost answer, adopt what that write committed.

    With the request ``body`` (and the list's ``sub_kind``), the new object is noted in the shared observation.
    """
    try:
        object_id = create()
    except (TransportError, ServerError) as lost:
        found = find_committed()
        if found is not None and found.get("task_id"):
            ctx.log(f"{label}: the answer was lost after starting {what}; it was committed as {found['task_id']}")
            return str(found["task_id"])
        raise ReconcileError(
            f"{label}: starting {what} on dataset {dataset_id} got no answer ({lost}); no such {family.noun}"
            " exists, so nothing was started. Re-running is safe."
        ) from None
    ctx.log(f"{label}: started {what}: {family.noun} {object_id} on dataset {dataset_id}")
    created = family.as_listed(object_id, body)
    if created is not None and family.observed_as is not None:
        ctx.observer.note(dataset_id, (family.observed_as, sub_kind), created, created=True)
    return object_id


def wait(
    ctx: ReconcileContext,
    family: Family,
    label: str,
    dataset_id: str,
    object_id: str,
    timeout: float,
    *,
    initial: Item | None = None,
    sub_kind: str | None = None,
) -> Item:
    """Poll the object until it is no longer active; waiters of one dataset and sub-kind share list calls.

    ``initial``: the object as known already (observed, or ``Family.as_listed`` after a create): judged first,
    then the first look comes after the poll policy's first delay.
    """
    key = (dataset_id, f"{family.noun}:{sub_kind or ''}")
    board = ctx.board
    observed: ListKey | None = (family.observed_as, sub_kind) if family.observed_as is not None else None

    def get_one() -> Item:
        return family.fetch(ctx, dataset_id, object_id)

    def list_page() -> list[Item]:
        def read() -> list[Item]:
            return family.list_page(ctx.client, dataset_id, sub_kind)

        return read() if observed is None else ctx.observer.renew(dataset_id, observed, read, PAGE_SIZE)

    def fetch() -> Item:
        if board is None:
            return get_one()
        return board.status(
            key,
            object_id,
            get_one,
            list_page,
            fresh_within=ctx.poll_policy.share_fraction * waiter.last_delay,
            list_wanted=observed is not None and ctx.observer.renewable(dataset_id, observed, PAGE_SIZE),
        )

    def timeout_message(item: Item) -> str:
        return (
            f"{label}: {family.noun} {family.describe(item)} on dataset {dataset_id} is not finished after"
            f" {timeout:.0f}s (timeout_seconds). It keeps running; the next `pulumi up` or"
            f" `pulumi-modelarts apply` resumes waiting on this same {family.noun} instead of starting another."
        )

    waiter = ctx.waiter(label, fetch, family.probe, timeout, timeout_message)
    with board.following(key) if board is not None else nullcontext():
        item = waiter.run(initial)
    if family.observed_as is not None:
        ctx.observer.note(dataset_id, (family.observed_as, sub_kind), item)
    return item


def wait_for_other(
    ctx: ReconcileContext,
    family: Family,
    label: str,
    dataset_id: str,
    other: Mapping[str, Any],
    deadline: Deadline,
    *,
    sub_kind: str | None = None,
) -> None:
    """Wait until someone else's object ends (ModelArts runs one of its kind per dataset); nothing is started
    when it does not end within the deadline."""
    running = f"the running {family.noun} {family.describe(other)}"
    ctx.log(f"{label}: waiting for {running} to end before starting")
    try:
        wait(ctx, family, label, dataset_id, str(other["task_id"]), deadline.remaining, sub_kind=sub_kind)
    except WaitTimeoutError:
        raise ConflictError(
            f"{label}: {running} did not end within timeout_seconds ({deadline.seconds:.0f}s); nothing was started"
        ) from None


def followed(
    family: Family, dataset_id: str, item: Mapping[str, Any], *, failed: bool, wait: bool, adopting: bool
) -> Decision:
    """The decision for an object of this resource that exists: failed (blocked, quoting the API), running
    (waited for, unless ``wait`` is false), or done."""
    verb = f"adopt {family.noun}" if adopting else family.noun
    described = family.describe(item)
    if failed:
        return blocked(f"{verb} {described} failed: {failure_reason(item)}", "failed", dataset_id, target=item)
    active = family.is_active(item)
    if active and wait:
        return Decision("wait", f"wait for {verb} {described}", dataset_id, target=item)
    note = " (wait: false, so apply does not wait for it)" if active else ""
    action: Action = "adopt" if adopting else "in-sync"
    return Decision(action, f"{verb} {described}{note}", dataset_id, target=item)


def echoed(item: Mapping[str, Any], keys: Any) -> dict[str, Any]:
    """The fields of ``keys`` a live object echoes (what a reviewer compares with the declared request)."""
    return {key: item.get(key) for key in keys if item.get(key) is not None}


class RequestObservation(Protocol):
    """What a kind identified by its request observed (``export.ExportObservation``, ``imports.ImportObservation``)."""

    @property
    def dataset_id(self) -> str: ...
    @property
    def adopt_requested(self) -> bool: ...
    @property
    def adopted(self) -> Mapping[str, Any] | None: ...
    @property
    def adoptable(self) -> Mapping[str, Any] | None: ...


def existing(
    family: Family,
    observed: RequestObservation,
    *,
    body: Mapping[str, Any],
    matches: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
    failed: Callable[[Mapping[str, Any]], bool],
    wait: bool,
    adopt_task_id: str | None,
) -> Decision | None:
    """The decision about what exists of a request (``body``): the object ``adopt_task_id`` names (blocked when
    it is missing or another request), else the newest adoptable match; None when there is nothing to follow."""
    dataset_id = observed.dataset_id
    if observed.adopt_requested:
        item = observed.adopted
        if item is None or not matches(item, body):
            changes = diff_values(echoed(item, body), body) if item is not None else []
            return adopt_blocked(str(adopt_task_id), dataset_id, item, changes)
        return followed(family, dataset_id, item, failed=failed(item), wait=wait, adopting=True)
    found = observed.adoptable
    if found is None:
        return None
    return followed(family, dataset_id, found, failed=failed(found), wait=wait, adopting=False)


def refuse_if_blocked(label: str, decision: Decision) -> None:
    """A blocked decision is carried out by raising: a failed object's error, else a conflict."""
    if decision.action == "blocked":
        raise (TaskFailedError if decision.blocked == "failed" else ConflictError)(f"{label}: {decision.summary}")


def read(ctx: ReconcileContext, family: Family, dataset_id: str, object_id: str) -> Item | None:
    """The live object, or None when the API says it does not exist."""
    try:
        return family.fetch(ctx, dataset_id, object_id)
    except NotFoundError:
        return None


def failure_reason(item: Mapping[str, Any]) -> str:
    code = item.get("error_code") or item.get("code") or ""
    message = item.get("error_msg") or item.get("message") or ""
    return f"{code} {message}".strip() or "no reason given by the API"
