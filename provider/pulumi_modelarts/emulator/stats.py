"""Request counters for the admin API: ModelArts calls per "METHOD template", plus IAM calls."""

from __future__ import annotations

import threading
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[str, int] = {}
        self._total = 0
        self._writes = 0
        self._auth = 0

    def record(self, method: str, template: str, kind: str) -> None:
        with self._lock:
            if kind == "iam":
                self._auth += 1
                return
            key = f"{method} {template}"
            self._requests[key] = self._requests.get(key, 0) + 1
            self._total += 1
            if method not in ("GET", "HEAD"):
                self._writes += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(sorted(self._requests.items())),
                "total": self._total,
                "writes": self._writes,
                "auth": self._auth,
            }

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._total = self._writes = self._auth = 0
