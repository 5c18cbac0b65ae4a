"""What one resource's reconcile decided: an action, and every write carrying it out makes.

``decide`` functions (one per kind, pure) return a :class:`Decision`. The CLI renders it (plan), saves
it (``plan --out``), and carries it out (apply); the Pulumi adapters map it onto the engine's
changes (diff) and carry it out (create/update). Execution makes exactly the listed writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pulumi_modelarts.reconcile import unknown
from pulumi_modelarts.reconcile.changes import PropertyChange
from pulumi_modelarts.reconcile.unknown import Text

Action = Literal["create", "adopt", "in-sync", "update", "replace", "wait", "retry", "blocked"]
WriteKind = Literal["start-task", "stop-task", "accept-labels", "release-version", "start-export", "start-import"]
# Why a decision is blocked: the error a driver raises for it depends on this.
BlockReason = Literal["missing", "failed", "requirements", "conflict", "adopt", "deleting"]
# Writes that create a new object: a Pulumi resource whose decision makes one is replaced, never updated.
CREATING_WRITES: frozenset[WriteKind] = frozenset({"start-task", "release-version", "start-export", "start-import"})


@dataclass(frozen=True)
class Write:
    """One write to the API.

    ``target`` is what the write acts on or creates: the task id of a stop or an acceptance, the name of
    a task or version to start or release; None where the API names nothing (an export, whose request
    ``body`` is its identity). ``count`` is the number of samples of ``accept-labels`` (None: known
    only once the task has succeeded).
    """

    kind: WriteKind
    text: str
    dataset_id: Text | None = None
    target: Text | None = None
    body: Mapping[str, Any] | None = None
    count: int | None = None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"kind": self.kind, "dataset_id": unknown.to_json(self.dataset_id)}
        document["target"] = unknown.to_json(self.target)
        if self.body is not None:
            document["body"] = unknown.to_json(self.body)
        if self.kind == "accept-labels":
            document["count"] = self.count
        document["text"] = self.text
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Write:
        body = document.get("body")
        return cls(
            kind=document["kind"],
            text=str(document.get("text") or document["kind"]),
            dataset_id=unknown.from_json(document.get("dataset_id")),
            target=unknown.from_json(document.get("target")),
            body=unknown.from_json(body) if isinstance(body, Mapping) else None,
            count=document.get("count"),
        )


@dataclass(frozen=True)
class Decision:
    """The one decision for a resource, from one observation.

    ``target`` is the live object followed (adopted, waited on, pinned, accepted for); ``replaces`` an
    earlier object of this resource that the new one supersedes; ``waits_for`` a task of someone else
    that must end before ours can start (one auto-label task per dataset). ``observed`` holds the
    further facts the decision rests on (dataset counts a release gate was judged on, say).
    """

    action: Action
    summary: str
    dataset_id: str | None = None
    writes: tuple[Write, ...] = ()
    changes: tuple[PropertyChange, ...] = ()
    target: Mapping[str, Any] | None = None
    replaces: Mapping[str, Any] | None = None
    waits_for: Mapping[str, Any] | None = None
    attempt: int = 1
    blocked: BlockReason | None = None
    skipped_counts: Mapping[str, int] = field(default_factory=dict)
    observed: Mapping[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        """Whether carrying it out writes to the API: true exactly when it lists writes."""
        return bool(self.writes)

    def has(self, kind: WriteKind) -> bool:
        return any(write.kind == kind for write in self.writes)

    def first(self, kind: WriteKind) -> Write | None:
        return next((write for write in self.writes if write.kind == kind), None)

    @property
    def creates(self) -> bool:
        """Whether it makes a new object (a Pulumi replace, never an update)."""
        return any(write.kind in CREATING_WRITES for write in self.writes)

    @property
    def target_id(self) -> str | None:
        return object_id(self.target)

    @property
    def facts(self) -> dict[str, Any]:
        """The observed facts a reviewer approves with the decision (and apply checks again)."""
        facts: dict[str, Any] = {}
        if self.target is not None:
            facts["target"] = {key: self.target.get(key) for key in _FACT_KEYS if self.target.get(key) is not None}
        if self.replaces is not None:
            facts["replaces"] = object_id(self.replaces)
        if self.waits_for is not None:
            facts["waits_for"] = object_id(self.waits_for)
        facts.update(self.observed)
        return facts


_FACT_KEYS = ("task_id", "task_name", "version_id", "version_name", "status")


def object_id(item: Mapping[str, Any] | None) -> str | None:
    if item is None:
        return None
    value = item.get("task_id") or item.get("version_id")
    return str(value) if value else None


def blocked(
    summary: str,
    reason: BlockReason,
    dataset_id: str | None,
    *,
    target: Mapping[str, Any] | None = None,
    changes: Sequence[PropertyChange] = (),
) -> Decision:
    return Decision("blocked", summary, dataset_id, target=target, changes=tuple(changes), blocked=reason)


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
        return blocked(f"adopt_task_id {adopt_task_id} does not exist on dataset {dataset_id}", "adopt", dataset_id)
    differ = ", ".join(change.path for change in changes) or unnamed
    return blocked(
        f"adopt_task_id {adopt_task_id} is not the declared request ({differ} differ); declare its request or"
        " drop adopt_task_id",
        "adopt",
        dataset_id,
        target=task,
        changes=changes,
    )
