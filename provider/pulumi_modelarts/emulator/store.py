"""SQLite persistence: one JSON document per object, plus a sample table with counting columns.

One connection, guarded by a lock; every change runs inside ``with store.transaction()`` so a
crash (even ``kill -9``) never leaves half a record. Without a file the database lives in memory.

Object kinds: ``dataset``, ``task``, ``export``, ``import``, ``version`` (keyed by id, with the owning
dataset id), ``obs`` (seeded OBS folders and manifests, keyed by path), ``token`` (keyed by the SHA-256 of
the token) and ``credential`` (temporary AK/SK).
``due_ms`` marks objects that still have a pending transition (see ``settle.py``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

Doc = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    row INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    dataset_id TEXT,
    created_ms INTEGER NOT NULL,
    due_ms INTEGER,
    doc TEXT NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS objects_by_dataset ON objects (kind, dataset_id, created_ms);
CREATE INDEX IF NOT EXISTS objects_due ON objects (due_ms) WHERE due_ms IS NOT NULL;
CREATE TABLE IF NOT EXISTS samples (
    dataset_id TEXT NOT NULL,
    sample_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    labelled INTEGER NOT NULL,
    unconfirmed INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (dataset_id, sample_id)
);
CREATE INDEX IF NOT EXISTS samples_by_seq ON samples (dataset_id, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def _flags(doc: Doc) -> tuple[int, int]:
    labelled = 1 if doc.get("labels") else 0
    unconfirmed = 1 if not labelled and doc.get("auto_labels") else 0
    return labelled, unconfirmed


class Store:
    def __init__(self, path: str | None = None) -> None:
        self.path = path or ":memory:"
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level="DEFERRED")
        self.lock = threading.RLock()
        with self.lock:
            if path:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
            self._conn.commit()

    def close(self) -> None:
        with self.lock:
            self._conn.close()

    def clear(self) -> None:
        """Remove every object, sample and meta value (the admin API's reset)."""
        with self.transaction():
            for statement in ("DELETE FROM objects", "DELETE FROM samples", "DELETE FROM meta"):
                self._conn.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Hold the lock and commit everything done inside the block (or roll it back on error)."""
        with self.lock, self._conn:
            yield self

    # --- objects ---
    def get(self, kind: str, object_id: str) -> Doc | None:
        row = self._conn.execute("SELECT doc FROM objects WHERE kind=? AND id=?", (kind, object_id)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(
        self,
        kind: str,
        object_id: str,
        doc: Doc,
        *,
        dataset_id: str | None = None,
        created_ms: int = 0,
        due_ms: int | None = None,
    ) -> None:
        self._conn.execute(
            "INSERT INTO objects (kind, id, dataset_id, created_ms, due_ms, doc) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, id) DO UPDATE SET dataset_id=excluded.dataset_id, due_ms=excluded.due_ms, "
            "doc=excluded.doc",
            (kind, object_id, dataset_id, created_ms, due_ms, _dumps(doc)),
        )

    def delete(self, kind: str, object_id: str) -> None:
        self._conn.execute("DELETE FROM objects WHERE kind=? AND id=?", (kind, object_id))

    def objects(self, kind: str, dataset_id: str | None = None) -> list[Doc]:
        """Objects of a kind, newest first."""
        if dataset_id is None:
            rows = self._conn.execute(
                "SELECT doc FROM objects WHERE kind=? ORDER BY created_ms DESC, row DESC", (kind,)
            )
        else:
            rows = self._conn.execute(
                "SELECT doc FROM objects WHERE kind=? AND dataset_id=? ORDER BY created_ms DESC, row DESC",
                (kind, dataset_id),
            )
        return [dict(json.loads(row[0])) for row in rows]

    def items(self, kind: str) -> list[tuple[str, Doc]]:
        """(id, doc) of every object of a kind, oldest first."""
        rows = self._conn.execute("SELECT id, doc FROM objects WHERE kind=? ORDER BY row", (kind,))
        return [(str(object_id), dict(json.loads(doc))) for object_id, doc in rows]

    def count(self, kind: str, dataset_id: str | None = None) -> int:
        if dataset_id is None:
            row = self._conn.execute("SELECT count(*) FROM objects WHERE kind=?", (kind,)).fetchone()
        else:
            row = self._conn.execute(
                "SELECT count(*) FROM objects WHERE kind=? AND dataset_id=?", (kind, dataset_id)
            ).fetchone()
        return int(row[0])

    def due(self, now_ms: int) -> list[tuple[str, Doc]]:
        """(kind, doc) of every object whose pending transition is due, earliest first."""
        rows = self._conn.execute(
            "SELECT kind, doc FROM objects WHERE due_ms IS NOT NULL AND due_ms <= ? ORDER BY due_ms, row",
            (now_ms,),
        )
        return [(str(kind), dict(json.loads(doc))) for kind, doc in rows]

    def delete_dataset_objects(self, dataset_id: str) -> None:
        self._conn.execute("DELETE FROM objects WHERE dataset_id=?", (dataset_id,))
        self._conn.execute("DELETE FROM samples WHERE dataset_id=?", (dataset_id,))

    def update_all(self, kind: str, docs: Iterable[tuple[str, Doc]]) -> None:
        self._conn.executemany(
            "UPDATE objects SET doc=? WHERE kind=? AND id=?",
            [(_dumps(doc), kind, object_id) for object_id, doc in docs],
        )

    # --- samples ---
    def add_samples(self, dataset_id: str, docs: Iterable[Doc]) -> None:
        start = self._next_seq(dataset_id)
        self._conn.executemany(
            "INSERT INTO samples (dataset_id, sample_id, seq, labelled, unconfirmed, doc) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (dataset_id, doc["sample_id"], start + index, *_flags(doc), _dumps(doc))
                for index, doc in enumerate(docs)
            ],
        )

    def _next_seq(self, dataset_id: str) -> int:
        row = self._conn.execute("SELECT max(seq) FROM samples WHERE dataset_id=?", (dataset_id,)).fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def save_samples(self, dataset_id: str, docs: Iterable[Doc]) -> None:
        self._conn.executemany(
            "UPDATE samples SET labelled=?, unconfirmed=?, doc=? WHERE dataset_id=? AND sample_id=?",
            [(*_flags(doc), _dumps(doc), dataset_id, doc["sample_id"]) for doc in docs],
        )

    def samples(self, dataset_id: str, *, unconfirmed_only: bool = False) -> list[Doc]:
        where = " AND unconfirmed=1" if unconfirmed_only else ""
        rows = self._conn.execute(f"SELECT doc FROM samples WHERE dataset_id=?{where} ORDER BY seq", (dataset_id,))
        return [dict(json.loads(row[0])) for row in rows]

    def unconfirmed_page(self, dataset_id: str, *, offset: int, limit: int, newest_first: bool) -> list[Doc]:
        """One page of the samples with unconfirmed proposals, in sample order or the reverse."""
        direction = "DESC" if newest_first else "ASC"
        rows = self._conn.execute(
            f"SELECT doc FROM samples WHERE dataset_id=? AND unconfirmed=1 ORDER BY seq {direction} LIMIT ? OFFSET ?",
            (dataset_id, limit, offset),
        )
        return [dict(json.loads(row[0])) for row in rows]

    def samples_by_id(self, dataset_id: str, sample_ids: Iterable[str]) -> dict[str, Doc]:
        found: dict[str, Doc] = {}
        for sample_id in set(sample_ids):
            row = self._conn.execute(
                "SELECT doc FROM samples WHERE dataset_id=? AND sample_id=?", (dataset_id, sample_id)
            ).fetchone()
            if row is not None:
                found[sample_id] = dict(json.loads(row[0]))
        return found

    def sample_counts(self, dataset_id: str) -> tuple[int, int, int]:
        """(total, labelled, unconfirmed) for a dataset."""
        row = self._conn.execute(
            "SELECT count(*), coalesce(sum(labelled), 0), coalesce(sum(unconfirmed), 0) FROM samples "
            "WHERE dataset_id=?",
            (dataset_id,),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    # --- meta ---
    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (key, value),
        )
