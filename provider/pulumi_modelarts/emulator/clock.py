"""The virtual clock: wall-clock time plus an offset that the admin API can only move forwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone


class VirtualClock:
    def __init__(self, offset_ms: int = 0, wall: Callable[[], float] = time.time) -> None:
        self._offset_ms = offset_ms
        self._wall = wall
        self._lock = threading.Lock()

    @property
    def offset_ms(self) -> int:
        return self._offset_ms

    def now_ms(self) -> int:
        """Virtual time in epoch milliseconds."""
        return int(self._wall() * 1000) + self._offset_ms

    def real_now(self) -> float:
        """Wall-clock time in epoch seconds (X-Sdk-Date is checked against this, not virtual time)."""
        return self._wall()

    def advance(self, seconds: float) -> int:
        """Move virtual time forwards; returns the new offset in milliseconds."""
        if seconds < 0:
            raise ValueError("the clock only moves forwards")
        with self._lock:
            self._offset_ms += round(seconds * 1000)
            return self._offset_ms


def iso_utc(epoch_ms: int) -> str:
    """IAM's timestamp format: ISO-8601 UTC with microseconds, e.g. 2015-11-09T01:42:57.527363Z."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


TASK_TIME_ZONES = {"UTC": timezone.utc, "UTC+8": timezone(timedelta(hours=8))}


def task_time(epoch_ms: int, zone: str = "UTC") -> str:
    """Intelligent-task ``create_time`` format "YYYY-MM-DD HH:MM:SS": wall time of ``zone``, zone not shown."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=TASK_TIME_ZONES[zone]).strftime("%Y-%m-%d %H:%M:%S")
