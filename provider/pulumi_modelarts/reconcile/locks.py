"""Waiting out the dataset lock of a running version release (ModelArts.4381 / 4821; 4343 for an import),
within a deadline."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pulumi_modelarts.api.errors import APIError, Meaning, meaning_of
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.errors import ReconcileError

T = TypeVar("T")
LOCK_RETRY_SECONDS = 10.0


class Deadline:
    """The end of a resource's ``timeout_seconds``, on the context's clock."""

    def __init__(self, ctx: ReconcileContext, seconds: float) -> None:
        self._ctx = ctx
        self._end = ctx.clock() + seconds
        self.seconds = seconds

    @property
    def remaining(self) -> float:
        return max(0.0, self._end - self._ctx.clock())


def while_release_locked(
    ctx: ReconcileContext,
    label: str,
    deadline: Deadline,
    call: Callable[[], T],
    locked: Meaning = Meaning.RELEASE_LOCK,
) -> T:
    """``call()``, repeated while the dataset is locked by a release (an error of meaning ``locked``: the call
    was refused, so repeating it is safe), until the deadline."""
    delay = LOCK_RETRY_SECONDS / 4
    while True:
        try:
            return call()
        except APIError as error:
            if meaning_of(error) is not locked:
                raise
            if deadline.remaining <= 0:
                raise ReconcileError(
                    f"{label}: the dataset stayed locked by a version release for timeout_seconds"
                    f" ({deadline.seconds:.0f}s): {error}"
                ) from None
            ctx.log(f"{label}: {error.error_code} ({error.error_msg}); waiting for the release to finish")
            ctx.sleep(min(delay, deadline.remaining))
            delay = min(delay * 2, LOCK_RETRY_SECONDS * 3)
