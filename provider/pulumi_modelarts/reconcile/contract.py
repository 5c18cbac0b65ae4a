"""The approved part of a decision, and what moved between approval and execution.

A reviewer approves a decision in a plan or preview: its action, the live object it targets, and its
writes. Before carrying anything out, drivers decide again from a fresh observation and compare: the
fresh decision may make fewer writes (work done meanwhile, a plan already applied) but never a write
the approval did not list, and never on another object. Otherwise nothing is written for that
resource and the user reads "changed since the plan: ...".

Where the plan did not know a value yet (another resource's output), any fresh value agrees. The
number of samples an acceptance confirms is what its rule selects when it runs; the rule and the
task are what was approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_modelarts.reconcile import unknown
from pulumi_modelarts.reconcile.decision import Action, Decision, Write
from pulumi_modelarts.reconcile.errors import ChangedSinceApprovalError


@dataclass(frozen=True)
class Approved:
    action: Action
    summary: str
    target_id: str | None = None
    writes: tuple[Write, ...] = ()

    @classmethod
    def of(cls, decision: Decision) -> Approved:
        return cls(decision.action, decision.summary, decision.target_id, decision.writes)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "summary": self.summary,
            "target_id": self.target_id,
            "writes": [write.to_json() for write in self.writes],
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Approved:
        return cls(
            action=document["action"],
            summary=str(document.get("summary") or ""),
            target_id=document.get("target_id"),
            writes=tuple(Write.from_json(write) for write in document.get("writes") or ()),
        )

    def allows(self, write: Write) -> bool:
        return any(_same_write(planned, write) for planned in self.writes)

    def moved(self, fresh: Decision) -> list[str]:
        """What changed since the approval; empty when carrying out ``fresh`` keeps to it."""
        if fresh.action == "blocked":
            return [] if self.action == "blocked" else [fresh.summary]
        reasons: list[str] = []
        if self.target_id is not None and fresh.target_id != self.target_id:
            now = f"it is now {fresh.target_id}" if fresh.target_id else "it is no longer there to follow"
            reasons.append(f"the plan followed {self.target_id}; {now} ({fresh.summary})")
        for write in fresh.writes:
            if not self.allows(write):
                reasons.append(f"it would now {write.text}, which the plan did not list")
        return reasons

    def check(self, resource: str, fresh: Decision, when: str = "the plan") -> None:
        """Raise ChangedSinceApprovalError naming what moved, if anything did."""
        reasons = self.moved(fresh)
        if reasons:
            raise ChangedSinceApprovalError(
                f"{resource}: changed since {when}: {'; '.join(reasons)}. Nothing was written for it;"
                " plan again to review the new decision."
            )


def _same_write(planned: Write, fresh: Write) -> bool:
    return (
        planned.kind == fresh.kind
        and unknown.agrees(planned.dataset_id, fresh.dataset_id)
        and unknown.agrees(planned.target, fresh.target)
        and (planned.body is None or unknown.agrees(planned.body, fresh.body))
    )
