"""Sharing status polls between the objects waited on at the same time.

One waiter polls its object with GET (one call), unless the list is wanted anyway (``list_wanted``: its page
renews the shared observation of that list, ``observe.DatasetObserver.renewable``). When several waiters
follow objects of one kind on the same dataset, one list call (the newest page, which the API sorts first)
answers all of them: a waiter takes a page that was read while it asked (a list call in flight is waited
for, not repeated) or at most ``fresh_within`` seconds before, a small part of the delay it has just slept,
so sharing never delays noticing an end by more than that part.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

PAGE_SIZE = 100
Key = tuple[str, str]  # (dataset_id, kind): kind is "task:<type>", "export:" or another family's noun


@dataclass(frozen=True)
class _Page:
    read_at: float  # when the answer came back: it shows the API as of a moment no later than this
    items: dict[str, dict[str, Any]]


class StatusBoard:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._waiters: Counter[Key] = Counter()
        self._pages: dict[Key, _Page] = {}
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
        *,
        fresh_within: float = 0.0,
        id_field: str = "task_id",
        list_wanted: bool = False,
    ) -> dict[str, Any]:
        """The item's current state: from a shared list when others wait on the same key or the list is
        wanted anyway, else by GET.

        A page read after ``now - fresh_within`` (or in flight now) is used, also by the last waiter left;
        otherwise, while others wait too (or ``list_wanted``), one list call is made for everyone asking. An
        item the newest page does not hold is read by GET.
        """
        oldest = self._clock() - max(0.0, fresh_within)
        with self._guard:
            page = self._pages.get(key)
            lock = self._locks.get(key)
        if page is not None and page.read_at >= oldest and item_id in page.items:
            return dict(page.items[item_id])
        if lock is None or not (list_wanted or self.shared(key)):
            return get_one()
        with lock:  # single flight: who asks while a list call runs takes its answer
            page = self._pages.get(key)
            if page is None or page.read_at < oldest:
                items = {str(item.get(id_field)): item for item in list_page()}
                page = _Page(self._clock(), items)
                with self._guard:
                    self._pages[key] = page
        found = page.items.get(item_id)
        return dict(found) if found is not None else get_one()
