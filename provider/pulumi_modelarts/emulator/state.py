"""State machines derived from the virtual clock; pure functions of a stored timeline and "now".

Intelligent task (``--task-seconds`` = D): queuing (-1) for the first 5% of D, initializing (0)
until 10%, running (1) until D with ``progress`` rising linearly from 0 to 100 (the last 10% of D
is the "result_processing" event), then succeeded (3). A stop request at time s gives stopping (4)
until s + max(10% of D, 0.1 s) and stopped (5) afterwards; a task that fails its preconditions
(``--preconditions fail-task``) fails (2) half-way through its initialisation.

Export task (``--export-seconds`` = D): INIT for 10% of D, RUNNING until D, then SUCCESSED or
FAILED (decided when the task is settled). Version (``--version-seconds``): 0 (creating), then 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

QUEUING, INITIALIZING, RUNNING, FAILED, SUCCEEDED, STOPPING, STOPPED = -1, 0, 1, 2, 3, 4, 5
TERMINAL = frozenset({FAILED, SUCCEEDED, STOPPED})

QUEUE_SHARE = 0.05
INIT_SHARE = 0.10
PROCESSING_SHARE = 0.90
STOP_SHARE = 0.10
FAIL_SHARE = 0.075  # a task that fails its preconditions fails half-way through initialisation
MIN_STOP_MS = 100

EXPORT_INIT, EXPORT_RUNNING, EXPORT_FAILED, EXPORT_DONE = "INIT", "RUNNING", "FAILED", "SUCCESSED"


def stop_duration_ms(duration_ms: int) -> int:
    return max(int(duration_ms * STOP_SHARE), MIN_STOP_MS)


@dataclass(frozen=True)
class TaskTimeline:
    start: int
    duration: int
    stop: int | None = None
    fail_at: int | None = None

    @classmethod
    def of(cls, doc: dict[str, Any]) -> TaskTimeline:
        return cls(doc["_start"], doc["_duration"], doc.get("_stop"), doc.get("_fail_at"))

    @property
    def queue_end(self) -> int:
        return self.start + int(self.duration * QUEUE_SHARE)

    @property
    def run_start(self) -> int:
        return self.start + int(self.duration * INIT_SHARE)

    @property
    def processing_start(self) -> int:
        return self.start + int(self.duration * PROCESSING_SHARE)

    @property
    def nominal_end(self) -> int:
        return self.start + self.duration

    @property
    def end(self) -> int:
        """When the task reaches its terminal state."""
        if self.fail_at is not None:
            return self.fail_at
        if self.stop is not None:
            return self.stop + stop_duration_ms(self.duration)
        return self.nominal_end

    @property
    def cut(self) -> int | None:
        """When the work was interrupted (failure or stop request), if it was."""
        return self.fail_at if self.fail_at is not None else self.stop

    def status(self, now: int) -> int:
        if self.fail_at is not None and now >= self.fail_at:
            return FAILED
        if self.stop is not None and now >= self.stop:
            return STOPPED if now >= self.end else STOPPING
        if now >= self.nominal_end:
            return SUCCEEDED
        if now >= self.run_start:
            return RUNNING
        if now >= self.queue_end:
            return INITIALIZING
        return QUEUING

    def progress(self, now: int) -> float:
        moment = now if self.cut is None else min(now, self.cut)
        if moment >= self.nominal_end:
            return 100.0
        span = self.nominal_end - self.run_start
        if span <= 0 or moment < self.run_start:
            return 0.0
        return round(100.0 * (moment - self.run_start) / span, 2)

    def elapsed_seconds(self, now: int) -> int:
        finish = now if self.status(now) not in TERMINAL else self.end
        return max(0, (min(now, finish) - self.start) // 1000)

    def events(self, now: int, middle: str) -> list[dict[str, Any]]:
        """The ``result.events`` tree of seed 001 (start, init, <middle>, result_processing, end)."""
        limit = now if self.cut is None else min(now, self.cut)
        interrupted = self.cut is not None and now >= self.cut

        def event(name: str, ordinal: int, level: int, begin: int, finish: int) -> dict[str, Any]:
            item: dict[str, Any] = {"name": name, "ordinal": ordinal, "level": level}
            if limit < begin:
                item["status"] = "waiting"
                return item
            item["create_time"] = begin
            if limit >= finish:
                item["status"] = "success"
                item["elapsed_time"] = max(0, (finish - begin) // 1000)
            else:
                item["status"] = "failed" if interrupted else "running"
                item["elapsed_time"] = max(0, (limit - begin) // 1000)
            return item

        run, processing, end = self.run_start, self.processing_start, self.nominal_end
        middle_event = event(middle, 3, 1, run, processing)
        middle_event["events"] = [
            event("jobstat_init", 1, 2, run, run),
            event("jobstat_waiting", 2, 2, run, run),
            event("jobstat_running", 3, 2, run, processing),
            event("jobstat_completed", 4, 2, processing, processing),
        ]
        return [
            event("start", 1, 1, self.start, self.queue_end),
            event("init", 2, 1, self.queue_end, run),
            middle_event,
            event("result_processing", 4, 1, processing, end),
            event("end", 5, 1, end, end),
        ]


def export_status(start: int, duration: int, now: int) -> tuple[str, float]:
    """(status, progress) of an export task that has not been settled yet."""
    if now >= start + duration:
        return EXPORT_DONE, 100.0
    init_end = start + int(duration * INIT_SHARE)
    if now < init_end:
        return EXPORT_INIT, 0.0
    span = start + duration - init_end
    return EXPORT_RUNNING, round(100.0 * (now - init_end) / span, 2) if span > 0 else 100.0


def version_status(ready_ms: int, now: int) -> int:
    return 1 if now >= ready_ms else 0
