"""One shared observation of the live API per dataset.

Plans over hundreds of resources must cost a handful of list calls per dataset, not calls per
resource. The observer fetches each list at most once (per ``max_age`` window), lazily, and
concurrent callers asking for the same list share one fetch (single flight).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from pulumi_modelarts.api.errors import NotFoundError

ListKey = tuple[str, "str | None"]  # ("tasks", task type), ("exports", None), ("versions", None)


class Client(Protocol):
    """The part of ``ModelArtsClient`` that observation needs."""

    def iter_datasets(self, *, search_content: str | None = None, page_size: int = 100) -> Iterator[dict[str, Any]]: ...
    def get_dataset(self, dataset_id: str) -> dict[str, Any]: ...
    def iter_tasks(
        self, dataset_id: str, *, type: str | None = None, task_name: str | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]: ...
    def iter_export_tasks(self, dataset_id: str, *, page_size: int = 100) -> Iterator[dict[str, Any]]: ...
    def iter_versions(self, dataset_id: str) -> Iterator[dict[str, Any]]: ...
    def iter_auto_annotation_samples(self, dataset_id: str, *, page_size: int = 100) -> Iterator[dict[str, Any]]: ...


@dataclass
class _Entry:
    value: Any
    fetched_at: float


class DatasetObserver:
    """Caches list results per (kind, dataset); ``invalidate`` after a write or to poll again."""

    def __init__(self, client: Client, *, max_age: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.max_age = max_age
        self._clock = clock
        self._entries: dict[tuple[str, ...], _Entry] = {}
        self._locks: dict[tuple[str, ...], threading.Lock] = {}
        self._guard = threading.Lock()

    def _get(self, key: tuple[str, ...], fetch: Callable[[], Any], max_age: float | None = None) -> Any:
        limit = self.max_age if max_age is None else max_age
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            entry = self._entries.get(key)
            if entry is not None and (limit is None or self._clock() - entry.fetched_at <= limit):
                return entry.value
            value = fetch()
            self._entries[key] = _Entry(value, self._clock())
            return value

    def invalidate(self, dataset_id: str | None = None, kind: str | None = None) -> None:
        with self._guard:
            for key in list(self._entries):
                if (dataset_id is None or dataset_id in key[1:]) and (kind is None or key[0] == kind):
                    del self._entries[key]

    # --- datasets ---
    def dataset_id_for(self, dataset_id: str | None, dataset_name: str | None) -> str:
        """The dataset's id, resolving ``dataset_name`` through the datasets list."""
        if dataset_id:
            return dataset_id
        if not dataset_name:
            raise NotFoundError("neither dataset_id nor dataset_name was given")
        found = self.dataset_by_name(dataset_name)
        if found is None:
            raise NotFoundError(
                f"no dataset named '{dataset_name}' in this project"
                " (looked up through GET /v2/{project_id}/datasets)",
                error_code="ModelArts.4352",
            )
        return str(found["dataset_id"])

    def dataset_by_name(self, name: str, *, fresh: bool = False) -> dict[str, Any] | None:
        def fetch() -> dict[str, Any] | None:
            for item in self.client.iter_datasets(search_content=name):
                if item.get("dataset_name") == name:
                    return item
            return None

        if fresh:
            self.invalidate(kind="dataset-by-name")
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
