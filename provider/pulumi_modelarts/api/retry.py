"""When to retry and how long to wait: full-jitter exponential backoff within a budget.

The policy is pure arithmetic; the caller supplies the clock and the sleep, so tests run
without real waiting. ``refused_locally`` says which transport failures are not worth a retry.
"""

from __future__ import annotations

import ipaddress
import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import parsedate_to_datetime

from pulumi_modelarts.api.config import Settings


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` counts the first try; ``max_elapsed_seconds`` bounds one call's retrying."""

    max_attempts: int
    max_elapsed_seconds: float
    base_delay: float = 0.5
    max_delay: float = 20.0
    random: Callable[[float, float], float] = field(default=_random.uniform, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(max_attempts=settings.max_retries + 1, max_elapsed_seconds=settings.retry_max_seconds)

    def delay_for(self, attempt: int, retry_after: float | None = None) -> float:
        """Wait before retry number ``attempt`` (0 = the first retry).

        Full jitter, ``uniform(0, min(max_delay, base_delay * 2**attempt))``, but never less than
        the server's ``Retry-After``, which is itself capped by the budget so that an absurd hint
        cannot park the caller.
        """
        ceiling = min(self.max_delay, self.base_delay * 2 ** min(attempt, 62))
        delay = self.random(0.0, ceiling)
        if retry_after is not None and retry_after > 0:
            delay = max(delay, min(retry_after, self.max_elapsed_seconds))
        return delay

    def start(self, clock: Callable[[], float]) -> RetryBudget:
        """A budget for one call, started now."""
        return RetryBudget(self, clock, clock())


@dataclass
class RetryBudget:
    """Tracks one call's attempts and elapsed time against its policy."""

    policy: RetryPolicy
    clock: Callable[[], float]
    started: float
    retries: int = 0

    def next_delay(self, retry_after: float | None = None) -> float | None:
        """The wait before the next attempt, or None when attempts or time are exhausted."""
        if self.retries + 1 >= self.policy.max_attempts:
            return None
        delay = self.policy.delay_for(self.retries, retry_after)
        if self.clock() - self.started + delay > self.policy.max_elapsed_seconds:
            return None
        self.retries += 1
        return delay


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        seconds = moment.timestamp() - now()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def refused_locally(error: BaseException, host: str) -> bool:
    """A connection that a loopback host (``localhost``, 127.0.0.0/8, ::1) refused: nothing listens there.

    That is a local server that is not running (an emulator not started, a wrong port), not a transient
    outage of a remote API, so one call does not spend its retry budget on it. Refusals by other hosts,
    and every other transport failure, stay retryable; a wait that rides out outages does so above
    single calls, for as long as its own timeout allows.
    """
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ConnectionRefusedError):
            return _loopback(host)
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
