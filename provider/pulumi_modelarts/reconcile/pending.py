"""Writes decided in this run and not made yet, by dataset.

A decision that judges the dataset's counts (a release's requirements) must know when an earlier
resource of the same run will change them first (confirming auto-labels, importing samples): it
then judges again just before its write instead of refusing on counts that are about to change.
Drivers note each decision as they make it, in dependency order (the CLI's plan, a Pulumi preview).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pulumi_modelarts.reconcile.decision import Decision

# Writes that change a dataset's sample counts.
COUNT_CHANGING = frozenset({"accept-labels", "start-import"})


class PendingWrites:
    def __init__(self) -> None:
        self._by_dataset: dict[str, dict[str, None]] = {}
        self._lock = threading.Lock()

    def note(self, resource: str, decision: Decision) -> None:
        for write in decision.writes:
            if write.kind in COUNT_CHANGING and isinstance(write.dataset_id, str):
                with self._lock:
                    self._by_dataset.setdefault(write.dataset_id, {})[resource] = None

    def changing_counts(self, dataset_id: str) -> tuple[str, ...]:
        """The resources whose pending writes change this dataset's counts, in the order noted."""
        with self._lock:
            return tuple(self._by_dataset.get(dataset_id, {}))
