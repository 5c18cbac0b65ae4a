"""Following task-like objects (intelligent tasks, exports, imports): start one, wait for it, read it.

The kinds differ only in their endpoints and status fields; this module holds what they share:

* ``start``: send the create once. When its answer is lost (no response, a 5xx), the write may have
  been committed, so look once for the object that write would have created and adopt it; that is
  completing the same write, never another decision. Otherwise say nothing was started.
* ``wait``: poll until a terminal state within the timeout, sharing list calls between waiters on one
  dataset (``board.StatusBoard``).
* ``read``: the live object, or None when the API says it is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulumi_modelarts.api.errors import NotFoundError, ServerError, TransportError
from pulumi_modelarts.reconcile.errors import ReconcileError
from pulumi_modelarts.reconcile.waiting import Probe

if TYPE_CHECKING:
    from pulumi_modelarts.api.client import ModelArtsClient
    from pulumi_modelarts.reconcile.context import ReconcileContext

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
) -> str:
    """Send the create once and return the new id; after a lost answer, adopt what that write committed."""
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
    """Poll the object until it is no longer active; waiters of one dataset and sub-kind share list calls."""
    key = (dataset_id, f"{family.noun}:{sub_kind or ''}")
    board = ctx.board

    def get_one() -> Item:
        return family.fetch(ctx, dataset_id, object_id)

    def fetch() -> Item:
        if board is None:
            return get_one()
        return board.status(key, object_id, get_one, lambda: family.list_page(ctx.client, dataset_id, sub_kind))

    def timeout_message(item: Item) -> str:
        return (
            f"{label}: {family.noun} {family.describe(item)} on dataset {dataset_id} is not finished after"
            f" {timeout:.0f}s (timeout_seconds). It keeps running; the next `pulumi up` or"
            f" `pulumi-modelarts apply` resumes waiting on this same {family.noun} instead of starting another."
        )

    waiter = ctx.waiter(label, fetch, family.probe, timeout, timeout_message)
    if board is None:
        return waiter.run(initial)
    with board.following(key):
        return waiter.run(initial)


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
