"""What one resource's reconcile decided: an action, and every write carrying it out would make.

``decide`` functions (one per kind, pure) return a :class:`Decision`; ``plan`` renders it and
``ensure`` executes it, so what a reviewer approves is what apply and ``pulumi up`` do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pulumi_modelarts.reconcile.plan import Action, Plan, PropertyChange

WriteKind = Literal["start-task", "stop-task", "accept-labels", "release-version", "start-export"]


@dataclass(frozen=True)
class Write:
    """One write to the API. ``count`` is the number of samples for ``accept-labels`` (None: known later)."""

    kind: WriteKind
    text: str
    count: int | None = 1


@dataclass(frozen=True)
class Decision:
    action: Action
    summary: str
    writes: tuple[Write, ...] = ()
    changes: tuple[PropertyChange, ...] = ()
    target: Mapping[str, Any] | None = None  # the live object adopted, waited on, pinned or accepted for
    stop: Mapping[str, Any] | None = None  # a running task to stop before starting the new one
    attempt: int = 1  # for IntelligentTask: the attempt a start-task write starts
    dataset_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def has(self, kind: WriteKind) -> bool:
        return any(write.kind == kind for write in self.writes)

    @property
    def target_id(self) -> str | None:
        if self.target is None:
            return None
        value = self.target.get("task_id") or self.target.get("version_id")
        return str(value) if value else None

    def to_plan(self) -> Plan:
        return Plan(
            self.action,
            self.summary,
            changes=list(self.changes),
            task_id=self.target_id,
            dataset_id=self.dataset_id,
            live=dict(self.target) if self.target is not None else None,
            writes=[write.text for write in self.writes],
        )


def adopt_blocked(
    adopt_task_id: str,
    dataset_id: str,
    task: Mapping[str, Any] | None,
    changes: Sequence[PropertyChange] = (),
    unnamed: str = "",
) -> Decision:
    """An ``adopt_task_id`` that cannot be adopted: missing (``task`` None), or not the declared request.

    ``unnamed`` names what differs when no property path does (a task of another type, say).
    """
    if task is None:
        return Decision(
            "blocked", f"adopt_task_id {adopt_task_id} does not exist on dataset {dataset_id}", dataset_id=dataset_id
        )
    differ = ", ".join(change.path for change in changes) or unnamed
    return Decision(
        "blocked",
        f"adopt_task_id {adopt_task_id} is not the declared request ({differ} differ); declare its request or"
        " drop adopt_task_id",
        changes=tuple(changes),
        target=task,
        dataset_id=dataset_id,
    )
