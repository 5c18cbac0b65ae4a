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
from dataclasses import dataclass, field
from typing import Generic, TypeVar

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
    first_delay: float = 1.0
    growth: float = 2.0
    max_delay: float = 300.0
    min_latency: float = 30.0
    latency_ratio: float = 0.1
    trust_factor: float = 3.0
    jitter: float = 0.15

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
            delay = max(self.first_delay, eta + self.first_delay)
        return max(self.first_delay * 0.5, delay * (1.0 - self.jitter * rng.random()))

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


@dataclass
class Waiter(Generic[T]):
    """Poll ``fetch`` until ``probe`` says done, or raise WaitTimeoutError after ``timeout`` seconds."""

    fetch: Callable[[], T]
    probe: Callable[[T], Probe]
    timeout: float
    timeout_message: Callable[[T], str]
    policy: PollPolicy = field(default_factory=PollPolicy)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    on_poll: Callable[[T, Probe], None] | None = None
    polls: int = 0

    def run(self, initial: T | None = None) -> T:
        start = self.clock()
        item = self.fetch() if initial is None else initial
        if initial is None:
            self.polls += 1
        previous: tuple[float, float] | None = None
        while True:
            state = self.probe(item)
            if self.on_poll is not None:
                self.on_poll(item, state)
            if state.done:
                return item
            waited = self.clock() - start
            remaining = self.timeout - waited
            if remaining <= 0:
                raise WaitTimeoutError(self.timeout_message(item))
            elapsed = state.elapsed if state.elapsed is not None else waited
            delay = self.policy.next_delay(self.polls, elapsed, state.progress, self.rng, previous)
            if state.progress is not None:
                previous = (elapsed, state.progress)
            self.sleep(min(delay, remaining))
            item = self.fetch()
            self.polls += 1
