"""Decisions built by hand for renderer tests (no API): writes given as the text a reviewer reads."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_modelarts.reconcile.changes import PropertyChange
from pulumi_modelarts.reconcile.decision import Action, Decision, Write


def planned(
    action: Action,
    summary: str,
    changes: Sequence[PropertyChange] = (),
    *,
    writes: Sequence[str] = (),
    task_id: str | None = None,
) -> Decision:
    """A decision with ``writes`` as start-export writes of that text and ``task_id`` as the followed object."""
    return Decision(
        action,
        summary,
        "ds1",
        tuple(Write("start-export", text, "ds1") for text in writes),
        tuple(changes),
        target={"task_id": task_id} if task_id else None,
    )
