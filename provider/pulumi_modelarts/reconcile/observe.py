"""One shared observation of the live API per dataset.

Plans over hundreds of resources must cost a handful of list calls per dataset, not calls per
resource. The observer fetches each list at most once (per ``max_age`` window), lazily, and
concurrent callers asking for the same list share one fetch (single flight).

The rule that keeps a shared observation safe (docs/design.md, "One observation per dataset"): a read
that could decide a write is never older than a write it could hide.

* Our own writes: every write either ``invalidate``s what it could change, or ``note``s what it is known
  to have changed (a created export with the request we sent, a task seen finished by a wait). An
  invalidation also covers a fetch that was in flight when it happened: that answer may predate the
  write, so it is not served to anyone who asks afterwards. A note is laid over every answer fetched
  before it.
* Others' writes (another stack, the console): bounded by ``max_age``, counted from when the fetch
  started. ``None`` means "for the whole run" (the CLI, whose plan is one observation by design).
* A dataset name's id only addresses the calls (whether to write is decided from what is read under it):
  a name once resolved keeps its id for the observer's life (until everything is invalidated). A dataset
  deleted since makes the next call with that id fail (404), never a write elsewhere.
* A waiter's read of a list's newest page that holds the whole list (shorter than a page) is that list as
  of when it was sent, so it ``renew``s the observation of it; a waiter reads that page instead of its one
  object whenever it would renew an observation bounded in age (``renewable``: one call for both).
"""

from __future__ import annotations

import difflib
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pulumi_modelarts.api.errors import NotFoundError

ListKey = tuple[str, "str | None"]  # ("tasks", task type), ("exports", None), ("imports", None), ("versions", None)
Key = tuple[str, ...]  # (kind, dataset id or name[, sub-kind])


class Client(Protocol):
    """The part of ``ModelArtsClient`` that observation needs."""

    def iter_datasets(self, *, search_content: str | None = None, page_size: int = 100) -> Iterator[dict[str, Any]]: ...
    def get_dataset(self, dataset_id: str) -> dict[str, Any]: ...
    def iter_tasks(
        self, dataset_id: str, *, type: str | None = None, task_name: str | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]: ...
    def iter_export_tasks(self, dataset_id: str, *, page_size: int = 100) -> Iterator[dict[str, Any]]: ...
    def iter_import_tasks(self, dataset_id: str, *, page_size: int = 100) -> Iterator[dict[str, Any]]: ...
    def iter_versions(self, dataset_id: str) -> Iterator[dict[str, Any]]: ...
    def iter_auto_annotation_samples(self, dataset_id: str, *, page_size: int = 100) -> Iterator[dict[str, Any]]: ...


@dataclass(frozen=True)
class _Entry:
    value: Any
    started: float  # the clock when the fetch was sent: the answer is at least this recent
    generation: int  # the observer's write generation when the fetch was sent


@dataclass(frozen=True)
class _Note:
    generation: int
    item: Mapping[str, Any]
    sub_kind: str | None  # the list's sub-kind (the task type; None for exports)
    created: bool  # added to that list where missing; otherwise only replaces the item where listed


class DatasetObserver:
    """Caches reads per (kind, dataset); ``invalidate`` or ``note`` after a write; ``max_age`` bounds the rest."""

    def __init__(self, client: Client, *, max_age: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.max_age = max_age
        self._clock = clock
        self._entries: dict[Key, _Entry] = {}
        self._locks: dict[Key, threading.Lock] = {}
        self._guard = threading.Lock()
        self._generation = 0  # counts invalidations and notes
        self._stale_before: dict[tuple[str | None, str | None], int] = {}  # (dataset, kind) -> generation
        self._notes: dict[tuple[str, str], dict[str, _Note]] = {}  # (kind, dataset) -> item id -> note
        self._dataset_names: set[str] = set()  # every name a dataset lookup saw, for "did you mean"

    def _valid(self, key: Key, entry: _Entry, max_age: float | None) -> bool:
        limit = self.max_age if max_age is None else max_age
        if limit is not None and self._clock() - entry.started > limit:
            return False
        kind, scope = key[0], key[1]
        stale = max(
            self._stale_before.get((None, None), 0),
            self._stale_before.get((scope, None), 0),
            self._stale_before.get((None, kind), 0),
            self._stale_before.get((scope, kind), 0),
        )
        return entry.generation >= stale

    def _get(self, key: Key, fetch: Callable[[], Any], max_age: float | None = None) -> Any:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # single flight: who asks while a fetch runs waits for it, then judges its answer
            with self._guard:
                entry = self._entries.get(key)
                if entry is not None and self._valid(key, entry, max_age):
                    return self._noted(key, entry)
                generation, started = self._generation, self._clock()
            value = fetch()
            with self._guard:
                return self._noted(key, self._store(key, _Entry(value, started, generation)))

    def _store(self, key: Key, entry: _Entry) -> _Entry:
        """Keep the newer of ``entry`` and the one held (by when each fetch was sent); returns the one kept."""
        held = self._entries.get(key)
        if held is not None and held.started > entry.started:
            return held
        self._entries[key] = entry
        return entry

    @staticmethod
    def _list_entry(dataset_id: str, list_key: ListKey) -> Key:
        kind, sub_kind = list_key
        return (kind, dataset_id) if sub_kind is None else (kind, dataset_id, sub_kind)

    def renewable(self, dataset_id: str, list_key: ListKey, page_size: int) -> bool:
        """Whether a page of this list would renew what is observed of it: held, bounded in age (an observation
        for the whole run is never read again), and shorter than a page. A waiter then reads the list's page
        instead of its object (``renew``), so the list stays as fresh as the last look on its dataset."""
        key = self._list_entry(dataset_id, list_key)
        with self._guard:
            entry = self._entries.get(key)
            if entry is None or self.max_age is None or not isinstance(entry.value, list):
                return False
            return len(entry.value) < page_size

    def renew(
        self, dataset_id: str, list_key: ListKey, read_page: Callable[[], list[dict[str, Any]]], page_size: int
    ) -> list[dict[str, Any]]:
        """Read a list's newest page (for a waiter) and return it as the API answered. A page shorter than
        ``page_size`` is the whole list, so it renews an observation of that list held now, as a fetch of
        the list sent at the same moment would (notes made after it was sent are laid over it)."""
        key = self._list_entry(dataset_id, list_key)
        with self._guard:
            generation, started = self._generation, self._clock()
        items = read_page()
        if len(items) < page_size:
            with self._guard:
                if key in self._entries:
                    self._store(key, _Entry([dict(item) for item in items], started, generation))
        return items

    def _noted(self, key: Key, entry: _Entry) -> Any:
        """The entry's value with every note made after its fetch was sent laid over it (under the guard)."""
        notes = self._notes.get((key[0], key[1])) if len(key) >= 2 else None
        later = [note for note in (notes or {}).values() if note.generation > entry.generation]
        if not later or not isinstance(entry.value, list):
            return entry.value
        sub_kind = key[2] if len(key) > 2 else None
        items = list(entry.value)
        index = {str(item.get("task_id")): position for position, item in enumerate(items)}
        added: list[dict[str, Any]] = []
        for note in sorted(later, key=lambda note: note.generation):
            item_id = str(note.item.get("task_id"))
            if item_id in index:
                items[index[item_id]] = dict(note.item)
            elif note.created and note.sub_kind == sub_kind:
                added.insert(0, dict(note.item))
        return added + items

    def invalidate(self, dataset_id: str | None = None, kind: str | None = None) -> None:
        """Nothing read before now of this dataset (all when None) and kind (all when None) is served again."""
        with self._guard:
            self._generation += 1
            self._stale_before[(dataset_id, kind)] = self._generation

    def note(self, dataset_id: str, list_key: ListKey, item: Mapping[str, Any], *, created: bool = False) -> None:
        """What a write of ours, or a wait, is known to have made of one item (by ``task_id``) of a list.

        Every answer of that list fetched before now shows ``item`` instead of its older state, and with
        ``created`` (our create was answered with this id) shows it where missing; a ``list_key`` without a
        sub-kind (``("tasks", None)``) replaces the item in every list of that kind. What is fetched from
        now on is the API's own answer.
        """
        kind, sub_kind = list_key
        item_id = str(item.get("task_id"))
        with self._guard:
            self._generation += 1
            notes = self._notes.setdefault((kind, dataset_id), {})
            earlier = notes.get(item_id)
            if earlier is not None and earlier.created:  # still missing from the lists fetched before its create
                sub_kind, created = earlier.sub_kind, True
            notes[item_id] = _Note(self._generation, dict(item), sub_kind, created)

    # --- datasets ---
    def dataset_id_for(self, dataset_id: str | None, dataset_name: str | None) -> str:
        """The dataset's id, resolving ``dataset_name`` through the datasets list once for the observer's life
        (only a name found is kept; ``invalidate()`` of everything drops it)."""
        if dataset_id:
            return dataset_id
        if not dataset_name:
            raise NotFoundError("neither dataset_id nor dataset_name was given")
        key: Key = ("dataset-id", dataset_name)
        with self._guard:
            known = self._entries.get(key)
            if known is not None and self._valid(key, known, math.inf):
                return str(known.value)
            generation, started = self._generation, self._clock()
        found = self.dataset_by_name(dataset_name)
        if found is None:
            close = difflib.get_close_matches(dataset_name, sorted(self._dataset_names), n=1)
            raise NotFoundError(
                f"no dataset named '{dataset_name}' in this project"
                " (looked up through GET /v2/{project_id}/datasets)"
                + (f"; did you mean '{close[0]}'?" if close else ""),
                error_code="ModelArts.4352",
            )
        with self._guard:
            return str(self._store(key, _Entry(str(found["dataset_id"]), started, generation)).value)

    def dataset_by_name(self, name: str, *, fresh: bool = False) -> dict[str, Any] | None:
        def fetch() -> dict[str, Any] | None:
            for item in self.client.iter_datasets(search_content=name):
                self._dataset_names.add(str(item.get("dataset_name")))
                if item.get("dataset_name") == name:
                    return item
            return None

        if fresh:
            self.invalidate(name, "dataset-by-name")
        result: dict[str, Any] | None = self._get(("dataset-by-name", name), fetch)
        return result

    def dataset(self, dataset_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._get(("dataset", dataset_id), lambda: self.client.get_dataset(dataset_id))
        return result

    # --- lists per dataset ---
    def tasks(self, dataset_id: str, task_type: str, *, max_age: float | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._get(
            ("tasks", dataset_id, task_type),
            lambda: list(self.client.iter_tasks(dataset_id, type=task_type)),
            max_age,
        )
        return result

    def export_tasks(self, dataset_id: str, *, max_age: float | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._get(
            ("exports", dataset_id), lambda: list(self.client.iter_export_tasks(dataset_id)), max_age
        )
        return result

    def import_tasks(self, dataset_id: str, *, max_age: float | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._get(
            ("imports", dataset_id), lambda: list(self.client.iter_import_tasks(dataset_id)), max_age
        )
        return result

    def versions(self, dataset_id: str, *, max_age: float | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._get(
            ("versions", dataset_id), lambda: list(self.client.iter_versions(dataset_id)), max_age
        )
        return result

    def fetch(self, dataset_id: str, key: ListKey) -> None:
        """Read one list ahead (a driver prefetching what its resources will observe)."""
        kind, sub_kind = key
        if kind == "tasks" and sub_kind:
            self.tasks(dataset_id, sub_kind)
        elif kind == "exports":
            self.export_tasks(dataset_id)
        elif kind == "imports":
            self.import_tasks(dataset_id)
        elif kind == "versions":
            self.versions(dataset_id)
        else:
            raise ValueError(f"unknown list {key!r}")

    def auto_annotation_samples(self, dataset_id: str) -> list[dict[str, Any]]:
        """The dataset's auto-labeled, unconfirmed samples (what an accept rule chooses from)."""
        result: list[dict[str, Any]] = self._get(
            ("samples", dataset_id), lambda: list(self.client.iter_auto_annotation_samples(dataset_id))
        )
        return result


def fetch_adopted(get: Callable[[str, str], dict[str, Any]], dataset_id: str, task_id: str) -> dict[str, Any] | None:
    """The object an ``adopt_task_id`` names (with its ``task_id``), or None when the API says it does not exist."""
    try:
        adopted = get(dataset_id, task_id)
    except NotFoundError:
        return None
    adopted.setdefault("task_id", task_id)
    return adopted
