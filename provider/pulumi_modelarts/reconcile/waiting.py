"""Following a task to a terminal state with few API calls.

The delay between polls grows exponentially from ``first_delay`` but never beyond the latency the
user will accept: ``max(min_latency, latency_ratio * estimated duration)``. The duration is
estimated from the task's own ``progress`` and ``elapsed_time`` when the API reports them, so a
10-minute task costs under 20 polls and its end is noticed within seconds. Early progress readings
are unreliable (a task sits at 0-1% while it queues), so the estimate is trusted up to
``trust_factor`` times the time elapsed: a task that fails or is stopped early is still noticed
within ``max(min_latency, latency_ratio * trust_factor * elapsed)``. Jitter only shortens a delay.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pulumi_modelarts.api.errors import ServerError, ThrottledError, TransportError
from pulumi_modelarts.reconcile.errors import WaitTimeoutError

T = TypeVar("T")


class Interrupted(KeyboardInterrupt):
    """A stop was requested (Ctrl-C, SIGTERM, Pulumi's Cancel): raised by an interruptible sleep or check.

    A ``KeyboardInterrupt``, so that no ``except Exception`` on the way turns it into a resource
    error and goes on, and a caller that handles Ctrl-C handles it too.
    """


class StopSignal:
    """An event that every wait and backoff sleeps on (as kopf does): a stop request ends each sleep at once.

    Pass ``sleep`` where a sleep is injected (``ReconcileContext.sleep``, ``ModelArtsClient(sleep=...)``)
    and ``check`` where a write is about to be sent; ``request()`` is safe from signal handlers and other
    threads.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def request(self) -> None:
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise ``Interrupted`` if a stop was requested."""
        if self._event.is_set():
            raise Interrupted("stop requested")

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, or raise ``Interrupted`` as soon as a stop is requested."""
        if self._event.wait(max(0.0, seconds)):
            raise Interrupted("stop requested")

    def reset(self) -> None:
        self._event.clear()


#: The process-wide stop signal: the CLI's SIGINT/SIGTERM handler and a Pulumi Cancel handler request it.
STOP = StopSignal()


@dataclass(frozen=True)
class PollPolicy:
    """When to look again. ``first_delay`` is the first look at an object just created (short work is noticed
    soon after it could have ended); ``landing_margin`` is how long after a predicted end the poll lands;
    ``share_fraction`` of the delay just slept is how old a list shared with other waiters may be
    (``board.StatusBoard``); ``outage_delay`` starts the backoff while status reads fail."""

    first_delay: float = 0.1
    growth: float = 4.0
    max_delay: float = 300.0
    min_latency: float = 30.0
    latency_ratio: float = 0.1
    trust_factor: float = 3.0
    jitter: float = 0.15
    landing_margin: float = 1.0
    share_fraction: float = 0.25
    outage_delay: float = 1.0

    def next_delay(
        self,
        poll_index: int,
        elapsed: float,
        progress: float | None,
        rng: random.Random,
        previous: tuple[float, float] | None = None,
    ) -> float:
        """Seconds to sleep before the next poll; ``previous`` is the last (elapsed, progress) seen."""
        ramp = self.first_delay * self.growth ** min(poll_index, 30)
        estimate = self.estimate_total(elapsed, progress, previous)
        total = max(elapsed, min(estimate, self.trust_factor * elapsed))
        allowance = max(self.min_latency, self.latency_ratio * total)
        delay = min(ramp, allowance, self.max_delay)
        eta = estimate - elapsed
        if 0 < eta < delay:  # land just after the predicted end instead of overshooting it
            delay = max(self.first_delay, eta + self.landing_margin)
        return max(self.first_delay * 0.5, delay * (1.0 - self.jitter * rng.random()))

    def outage_backoff(self, failures: int) -> float:
        """The delay after ``failures`` status reads in a row failed: doubling, never beyond ``min_latency``."""
        return min(self.min_latency, self.outage_delay * 2.0 ** min(max(failures - 1, 0), 30))

    @staticmethod
    def estimate_total(elapsed: float, progress: float | None, previous: tuple[float, float] | None) -> float:
        """The task's likely total duration: from the progress rate when two readings differ (robust
        to time spent queuing at 0%), else from elapsed/progress, else just the time elapsed."""
        if progress is None or not 0 < progress < 100:
            return elapsed
        if previous is not None:
            then, earlier = previous
            if elapsed > then and progress > earlier:
                rate = (progress - earlier) / (elapsed - then)
                return elapsed + (100.0 - progress) / rate
        return elapsed * 100.0 / progress


@dataclass(frozen=True)
class Probe:
    """What one observation says: finished or not, and how far along."""

    done: bool
    progress: float | None = None
    elapsed: float | None = None


#: Failures of a status read that a wait rides out (backing off) for as long as its timeout allows: the API
#: unreachable, answering 5xx, or throttling beyond the client's own retries. Reads only: nothing is written.
TRANSIENT = (TransportError, ServerError, ThrottledError)


@dataclass
class Waiter(Generic[T]):
    """Poll ``fetch`` until ``probe`` says done, or raise WaitTimeoutError after ``timeout`` seconds.

    ``initial`` (what the caller already knows, such as an object its create has just answered) is judged
    first and the first look comes ``first_delay`` later. Status reads that fail transiently (``TRANSIENT``)
    are retried with a backoff until the timeout, which then names the last failure; ``on_error`` hears of
    each. ``last_delay`` is the delay slept before the current look (a shared list may be a part of it old).
    ``idle`` is entered for the whole wait (see ``ReconcileContext.idle``).
    """

    fetch: Callable[[], T]
    probe: Callable[[T], Probe]
    timeout: float
    timeout_message: Callable[[T], str]
    policy: PollPolicy = field(default_factory=PollPolicy)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    on_poll: Callable[[T, Probe], None] | None = None
    on_error: Callable[[Exception], None] | None = None
    idle: Callable[[], AbstractContextManager[None]] = nullcontext
    polls: int = 0
    last_delay: float = 0.0

    def run(self, initial: T | None = None) -> T:
        with self.idle():  # only waiting from here on: a driver may let another resource write meanwhile
            return self._run(initial)

    def _run(self, initial: T | None) -> T:
        start = self.clock()
        item, failure = (initial, None) if initial is not None else self._look()
        previous: tuple[float, float] | None = None
        failures = 0
        while True:
            if failure is None:
                assert item is not None
                state = self.probe(item)
                if self.on_poll is not None:
                    self.on_poll(item, state)
                if state.done:
                    return item
            remaining = self.timeout - (self.clock() - start)
            if remaining <= 0:
                raise WaitTimeoutError(self._timed_out(item, failure)) from None
            if failure is None:
                failures = 0
                elapsed = state.elapsed if state.elapsed is not None else self.clock() - start
                delay = self.policy.next_delay(self.polls, elapsed, state.progress, self.rng, previous)
                if state.progress is not None:
                    previous = (elapsed, state.progress)
            else:
                failures += 1
                delay = self.policy.outage_backoff(failures)
            self.last_delay = min(delay, remaining)
            self.sleep(self.last_delay)
            looked, failure = self._look()
            item = looked if failure is None else item

    def _look(self) -> tuple[T | None, Exception | None]:
        self.polls += 1
        try:
            return self.fetch(), None
        except TRANSIENT as error:
            if self.on_error is not None:
                self.on_error(error)
            return None, error

    def _timed_out(self, item: T | None, failure: Exception | None) -> str:
        if failure is None:
            assert item is not None
            return self.timeout_message(item)
        known = self.timeout_message(item) if item is not None else f"no status could be read in {self.timeout:.0f}s"
        return f"{known} The last status read failed: {failure}"
