"""Live progress for waiting tasks: rich progress bars on a terminal, plain lines in CI and pipes."""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType
from typing import Any, TextIO

from pulumi_modelarts.reconcile.waiting import Probe


def _status_of(item: dict[str, Any]) -> str:
    from pulumi_modelarts.reconcile.status import export_status_name, task_status_name, version_status_name

    status = item.get("status")
    if isinstance(status, str):
        return export_status_name(status)

    if "version_name" in item:
        return version_status_name(status)
    return task_status_name(status)


def describe_item(item: dict[str, Any]) -> str:
    """A task, export or version as one phrase: what it is, its id and its status (progress if known)."""
    if "version_name" in item:
        what = f"version {item.get('version_name')} ({item.get('version_id')})"
    elif isinstance(item.get("status"), str):
        what = f"export {item.get('task_id')}"
    else:
        what = f"task {item.get('task_id')}"
    progress = item.get("progress")
    percent = f" {progress:.0f}%" if isinstance(progress, (int, float)) and not isinstance(progress, bool) else ""
    return f"{what} {_status_of(item)}{percent}"


class PlainProgress:
    """One line per observed change of status or progress step; cheap and log-friendly.

    Parallel resources report from several threads: each line is written whole, in one call.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr  # the stderr of now, not of import time
        self._last: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()

    def __call__(self, label: str, item: dict[str, Any], probe: Probe) -> None:
        step = int((probe.progress or 0) // 10) * 10
        key = (_status_of(item), step)
        with self._lock:
            if self._last.get(label) == key:
                return
            self._last[label] = key
        percent = f" {probe.progress:.0f}%" if probe.progress is not None else ""
        self.print(f"  {label}: {key[0]}{percent}")

    def print(self, message: str) -> None:
        """Write whole lines in one call under the lock, so lines of parallel resources never mix."""
        with self._lock:
            self.stream.write(message + "\n")
            self.stream.flush()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class RichProgress:
    """A progress bar per waiting resource."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, label: str, item: dict[str, Any], probe: Probe) -> None:
        with self._lock:
            if label not in self._tasks:
                self._tasks[label] = self._progress.add_task(label, total=100, status="")
            completed = 100.0 if probe.done else (probe.progress or 0.0)
            self._progress.update(self._tasks[label], completed=completed, status=_status_of(item))

    def print(self, message: str) -> None:
        """Print above the live bars instead of through them."""
        self._progress.console.print(message, markup=False, highlight=False)

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()


def make_progress(stream: TextIO | None = None) -> PlainProgress | RichProgress:
    stream = stream if stream is not None else sys.stderr
    if stream.isatty() and not os.environ.get("CI"):
        return RichProgress()
    return PlainProgress(stream)
