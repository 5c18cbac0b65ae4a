"""Sharing status polls between tasks waited on at the same time.

One waiter polls its task with GET (one call). When several waiters follow tasks of one kind on the
same dataset, a single list call (the newest page, which the API sorts first) answers all of them:
a list fetched less than ``share_window`` seconds ago is reused by every waiter whose task it holds.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

PAGE_SIZE = 100
Key = tuple[str, str]  # (dataset_id, kind): kind is "task:<type>" or "export"


class StatusBoard:
    def __init__(self, share_window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.share_window = share_window
        self._clock = clock
        self._waiters: Counter[Key] = Counter()
        self._pages: dict[Key, tuple[float, dict[str, dict[str, Any]]]] = {}
        self._locks: dict[Key, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def following(self, key: Key) -> Iterator[None]:
        with self._guard:
            self._waiters[key] += 1
            self._locks.setdefault(key, threading.Lock())
        try:
            yield
        finally:
            with self._guard:
                self._waiters[key] -= 1

    def shared(self, key: Key) -> bool:
        with self._guard:
            return self._waiters[key] > 1

    def status(
        self,
        key: Key,
        item_id: str,
        get_one: Callable[[], dict[str, Any]],
        list_page: Callable[[], list[dict[str, Any]]],
        id_field: str = "task_id",
    ) -> dict[str, Any]:
        """The item's current state: from a recent shared list when others wait too, else by GET."""
        if not self.shared(key):
            return get_one()
        with self._locks[key]:
            fetched = self._pages.get(key)
            if fetched is None or self._clock() - fetched[0] > self.share_window or item_id not in fetched[1]:
                items = {str(item.get(id_field)): item for item in list_page()}
                fetched = (self._clock(), items)
                self._pages[key] = fetched
        found = fetched[1].get(item_id)
        return dict(found) if found is not None else get_one()
