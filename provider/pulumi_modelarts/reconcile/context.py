"""What every reconcile operation needs: a client, a shared observation, time, and a way to report."""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulumi_modelarts.reconcile.board import StatusBoard
from pulumi_modelarts.reconcile.observe import DatasetObserver
from pulumi_modelarts.reconcile.pending import PendingWrites
from pulumi_modelarts.reconcile.waiting import PollPolicy, Probe, T, Waiter

if TYPE_CHECKING:
    from pulumi_modelarts.api.client import ModelArtsClient

ProgressCallback = Callable[[str, dict[str, Any], Probe], None]


def stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class ReconcileContext:
    client: ModelArtsClient
    observer: DatasetObserver
    poll_policy: PollPolicy = field(default_factory=PollPolicy)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    log: Callable[[str], None] = stderr_log
    on_progress: ProgressCallback | None = None
    board: StatusBoard | None = None
    pending: PendingWrites = field(default_factory=PendingWrites)

    def __post_init__(self) -> None:
        if self.board is None:
            # A shared list may be a few seconds old; that stays well inside the latency budget.
            self.board = StatusBoard(share_window=self.poll_policy.min_latency / 6, clock=self.clock)

    @classmethod
    def for_client(cls, client: ModelArtsClient, **kwargs: Any) -> ReconcileContext:
        return cls(client=client, observer=DatasetObserver(client), **kwargs)

    def waiter(
        self,
        label: str,
        fetch: Callable[[], T],
        probe: Callable[[T], Probe],
        timeout: float,
        timeout_message: Callable[[T], str],
    ) -> Waiter[T]:
        def report(item: T, state: Probe) -> None:
            if self.on_progress is not None and isinstance(item, dict):
                self.on_progress(label, item, state)

        return Waiter(
            fetch=fetch,
            probe=probe,
            timeout=timeout,
            timeout_message=timeout_message,
            policy=self.poll_policy,
            clock=self.clock,
            sleep=self.sleep,
            rng=self.rng,
            on_poll=report,
        )
