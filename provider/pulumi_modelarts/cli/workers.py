"""Threads for the runner that a stop never waits for, and the slots that bound its writes.

``concurrent.futures.ThreadPoolExecutor`` joins its threads when the pool closes and again at interpreter
exit, so Ctrl-C waits for every read queued or in flight (a slow API: a minute). ``Workers`` runs calls on
daemon threads: closing it cancels what has not started and leaves calls in flight behind, and the
process exits without them.

``WriteSlots`` bounds how many resources decide and write at once (``--parallelism``); a resource that only
waits gives its slot back for the length of the wait (``ReconcileContext.idle``) and takes one again
before it writes anything more.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
_Job = tuple[Future[Any], Callable[[], Any]]


class Workers:
    """Up to ``size`` daemon threads, started as work arrives; ``close()`` cancels queued work, joins nothing."""

    def __init__(self, size: int, name: str = "modelarts") -> None:
        self._size = max(1, size)
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def submit(self, call: Callable[[], R]) -> Future[R]:
        future: Future[R] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("these workers are closed")
            if self._idle > 0:
                self._idle -= 1  # a thread waiting for work takes it
            elif len(self._threads) < self._size:
                thread = threading.Thread(target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
        self._jobs.put((future, call))
        return future

    def map(self, call: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``call`` of each item, in parallel; results in order, or the first error (the rest is cancelled)."""
        futures = [self.submit(functools.partial(call, item)) for item in items]
        try:
            return [future.result() for future in futures]
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        """Cancel the work not started yet; calls in flight finish (or are abandoned at exit) unobserved."""
        with self._lock:
            self._closed = True
            threads = len(self._threads)
        for _ in range(threads):
            self._jobs.put(None)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, call = job
            if self._closed:
                future.cancel()
            elif future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except BaseException as error:  # handed to whoever waits on the future
                    future.set_exception(error)
            with self._lock:
                self._idle += 1


class WriteSlots:
    """At most ``count`` holders at once; a holder that only waits lends its slot out meanwhile."""

    def __init__(self, count: int) -> None:
        self._slots = threading.Semaphore(max(1, count))
        self._holding = threading.local()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold a slot in this thread (deciding, writing)."""
        self._slots.acquire()
        self._holding.value = True
        try:
            yield
        finally:
            if getattr(self._holding, "value", False):
                self._holding.value = False
                self._slots.release()

    @contextmanager
    def idle(self) -> Iterator[None]:
        """Only waiting: give this thread's slot back, and take one again before going on."""
        if not getattr(self._holding, "value", False):
            yield
            return
        self._holding.value = False
        self._slots.release()
        try:
            yield
        finally:
            self._slots.acquire()
            self._holding.value = True
