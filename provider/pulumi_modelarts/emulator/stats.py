"""Request counters for the admin API: ModelArts calls per "METHOD template", plus IAM calls, and the
log of every write (method, route, path parameters, JSON body) so that tests compare what was written."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

WRITE_LOG_LIMIT = 10_000  # the newest writes kept (a long-running emulator must not grow without bound)


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[str, int] = {}
        self._total = 0
        self._writes = 0
        self._auth = 0
        self._write_log: list[dict[str, Any]] = []

    def record(
        self, method: str, template: str, kind: str, params: Mapping[str, str] | None = None, body: bytes = b""
    ) -> None:
        with self._lock:
            if kind == "iam":
                self._auth += 1
                return
            key = f"{method} {template}"
            self._requests[key] = self._requests.get(key, 0) + 1
            self._total += 1
            if method not in ("GET", "HEAD"):
                self._writes += 1
                self._write_log.append({"route": key, "params": dict(params or {}), "body": _json(body)})
                del self._write_log[:-WRITE_LOG_LIMIT]

    def write_log(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._write_log]

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
            self._write_log.clear()


def _json(body: bytes) -> Any:
    """The request body as JSON, or its text when it is not JSON (what a client sent, either way)."""
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than a parser goes (the API refuses it)
        return body.decode("utf-8", "replace")
