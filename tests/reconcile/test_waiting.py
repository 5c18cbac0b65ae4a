"""The poll loop against simulated tasks on a fake clock: API calls and detection latency."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from pulumi_modelarts.reconcile.errors import WaitTimeoutError
from pulumi_modelarts.reconcile.waiting import PollPolicy, Probe, Waiter


@dataclass
class SimulatedTask:
    """A task whose progress rises linearly after ``idle`` (the fraction spent queuing, at 0%)."""

    duration: float
    reports_progress: bool = True
    idle: float = 0.0
    fails_at: float | None = None
    now: float = 0.0
    polls: int = 0

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    def fetch(self) -> dict[str, float]:
        self.polls += 1
        return {"t": self.now}

    @property
    def end(self) -> float:
        return self.duration if self.fails_at is None else min(self.duration, self.fails_at)

    def probe(self, item: dict[str, float]) -> Probe:
        t = item["t"]
        start = self.idle * self.duration
        progress = min(100.0, max(0.0, 100.0 * (t - start) / (self.duration - start)))
        shown = progress if self.reports_progress else None
        return Probe(done=t >= self.end, progress=shown, elapsed=t if self.reports_progress else None)


def run(task: SimulatedTask, seed: int, timeout: float = 10_000) -> None:
    Waiter(
        fetch=task.fetch,
        probe=task.probe,
        timeout=timeout,
        timeout_message=lambda item: f"still running at {item['t']}",
        clock=lambda: task.now,
        sleep=task.sleep,
        rng=random.Random(seed),
    ).run()


@pytest.mark.parametrize("idle", [0.0, 0.1])
@pytest.mark.parametrize("seed", range(20))
def test_ten_minute_task_costs_at_most_20_polls_and_is_noticed_within_a_minute(seed: int, idle: float) -> None:
    task = SimulatedTask(duration=600, idle=idle)
    run(task, seed)
    assert task.polls <= 20
    assert task.now - task.duration <= 60


@pytest.mark.parametrize("fails_at", [20, 65, 100, 180, 250, 400])
def test_a_task_that_ends_early_is_noticed_within_30_percent_of_its_running_time(fails_at: float) -> None:
    for seed in range(10):
        task = SimulatedTask(duration=600, idle=0.1, fails_at=fails_at)
        run(task, seed)
        assert task.now - fails_at <= max(30.0, 0.3 * fails_at) + 1e-9


@pytest.mark.parametrize("duration", [5, 45, 200, 3600, 6 * 3600])
def test_latency_bound_holds_without_progress(duration: float) -> None:
    task = SimulatedTask(duration=duration, reports_progress=False)
    run(task, seed=1, timeout=10 * 24 * 3600)
    assert task.now - duration <= max(30.0, 0.1 * duration) + 1e-9


@pytest.mark.parametrize("duration", [3, 30, 120])
def test_short_tasks_are_noticed_within_30_seconds(duration: float) -> None:
    task = SimulatedTask(duration=duration)
    run(task, seed=3)
    assert task.now - duration <= 30


def test_timeout_raises_with_a_resumable_message() -> None:
    task = SimulatedTask(duration=1000)
    with pytest.raises(WaitTimeoutError, match="still running"):
        run(task, seed=0, timeout=100)
    assert task.now <= 100 + 1e-9


def test_delays_never_exceed_the_cap() -> None:
    policy = PollPolicy()
    rng = random.Random(0)
    for index in range(40):
        for elapsed in (0.0, 10.0, 1_000.0, 100_000.0):
            assert 0 < policy.next_delay(index, elapsed, None, rng) <= policy.max_delay


def test_failed_status_reads_are_ridden_out_with_a_backoff_within_the_timeout() -> None:
    from pulumi_modelarts.api.errors import NotFoundError, ServerError, TransportError

    now = [0.0]
    slept: list[float] = []
    answers: list[object] = [TransportError("refused"), ServerError("503", status_code=503), TransportError("x")]
    heard: list[Exception] = []

    def fetch() -> dict[str, float]:
        answer = answers.pop(0) if answers else {"t": now[0]}
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    waiter = Waiter(
        fetch=fetch,
        probe=lambda item: Probe(done=True),
        timeout=60,
        timeout_message=lambda item: "timeout",
        clock=lambda: now[0],
        sleep=sleep,
        on_error=heard.append,
    )
    assert waiter.run() == {"t": 7.0}
    assert slept == [1.0, 2.0, 4.0] and len(heard) == 3

    answers[:] = [NotFoundError("gone")]  # not an outage: the object is gone, said at once
    with pytest.raises(NotFoundError):
        Waiter(fetch=fetch, probe=lambda item: Probe(done=True), timeout=60, timeout_message=str, sleep=sleep).run()


def test_an_object_just_created_is_first_looked_at_after_the_first_delay() -> None:
    task = SimulatedTask(duration=0.05, reports_progress=False)
    Waiter(
        fetch=task.fetch,
        probe=task.probe,
        timeout=60,
        timeout_message=str,
        clock=lambda: task.now,
        sleep=task.sleep,
        rng=random.Random(0),
    ).run(initial={"t": 0.0})
    assert task.polls == 1 and task.now <= PollPolicy().first_delay  # one look, at most 0.1 s after the create
