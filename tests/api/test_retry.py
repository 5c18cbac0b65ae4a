"""Retry arithmetic: full jitter bounds, Retry-After, the attempt and time budget."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from pulumi_modelarts.api import RetryPolicy
from pulumi_modelarts.api.retry import parse_retry_after
from support.api_fakes import FakeTime, make_settings


def test_full_jitter_stays_within_the_exponential_cap() -> None:
    rng = random.Random(7)
    policy = RetryPolicy(max_attempts=10, max_elapsed_seconds=600, base_delay=0.5, max_delay=20, random=rng.uniform)
    for attempt in range(12):
        ceiling = min(20.0, 0.5 * 2**attempt)
        delays = [policy.delay_for(attempt) for _ in range(200)]
        assert all(0.0 <= delay <= ceiling for delay in delays)
        assert max(delays) > ceiling * 0.8  # it really spreads up to the cap


def test_jitter_is_asked_for_the_capped_range() -> None:
    seen: list[tuple[float, float]] = []

    def fake_uniform(low: float, high: float) -> float:
        seen.append((low, high))
        return high

    policy = RetryPolicy(max_attempts=5, max_elapsed_seconds=60, random=fake_uniform)
    assert [policy.delay_for(n) for n in range(8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert all(low == 0.0 for low, _ in seen)
    assert policy.delay_for(10_000) == 20.0  # no overflow for absurd attempt numbers


def test_retry_after_is_a_floor_capped_by_the_budget() -> None:
    policy = RetryPolicy(max_attempts=5, max_elapsed_seconds=30, random=lambda a, b: a)
    assert policy.delay_for(0, retry_after=3) == 3
    assert policy.delay_for(0, retry_after=0) == 0
    assert policy.delay_for(0, retry_after=86_400) == 30
    assert RetryPolicy(5, 30, random=lambda a, b: b).delay_for(6, retry_after=1) == 20  # jitter above the floor


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("2", 2.0),
        (" 0.25 ", 0.25),
        ("-4", 0.0),
        ("soon", None),
        ("nan", None),
    ],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp()
    later = format_datetime(datetime(2024, 5, 1, 12, 0, 7, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after(later, now=lambda: now) == 7.0
    earlier = format_datetime(datetime(2024, 5, 1, 11, 0, 0, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after(earlier, now=lambda: now) == 0.0


def test_budget_counts_attempts() -> None:
    time = FakeTime()
    budget = RetryPolicy(max_attempts=3, max_elapsed_seconds=100, random=lambda a, b: b).start(time.clock)
    assert budget.next_delay() == 0.5
    assert budget.next_delay() == 1.0
    assert budget.next_delay() is None  # three attempts made


def test_budget_counts_elapsed_time() -> None:
    time = FakeTime()
    budget = RetryPolicy(max_attempts=100, max_elapsed_seconds=10, random=lambda a, b: b).start(time.clock)
    waited = []
    while (delay := budget.next_delay()) is not None:
        waited.append(delay)
        time.sleep(delay)
    assert waited == [0.5, 1.0, 2.0, 4.0]  # the next 8 s would end past 10 s
    assert sum(waited) <= 10


def test_a_retry_after_beyond_the_budget_gives_up_at_once() -> None:
    time = FakeTime()
    budget = RetryPolicy(max_attempts=6, max_elapsed_seconds=10, random=lambda a, b: a).start(time.clock)
    time.now += 3
    assert budget.next_delay(retry_after=3600) is None


def test_policy_from_settings_and_zero_retries() -> None:
    assert RetryPolicy.from_settings(make_settings()) == RetryPolicy(max_attempts=6, max_elapsed_seconds=120)
    disabled = RetryPolicy.from_settings(make_settings(max_retries=0))
    assert disabled.max_attempts == 1
    assert disabled.start(FakeTime().clock).next_delay() is None
