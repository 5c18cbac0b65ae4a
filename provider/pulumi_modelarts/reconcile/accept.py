"""Confirming auto-labels by rule (seed 001, steps 4-5), idempotently.

Walk every page of the dataset's auto-annotated samples first, then confirm the chosen ones with
the batch label update. Confirmed samples leave the auto-annotation list, so a re-run (or a retry
after a lost answer to the update, which sets the same labels again) never confirms a sample twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_modelarts.reconcile.context import ReconcileContext
    from pulumi_modelarts.reconcile.locks import Deadline

BATCH_SIZE = 100
SKIP_LOW_SCORE = "low_score"
SKIP_HARD = "hard_example"
SKIP_LABEL = "label_not_allowed"
SKIP_UNLABELED = "no_labels"


@dataclass(frozen=True)
class AcceptRule:
    min_score: float = 0.0
    skip_hard: bool = True
    labels: frozenset[str] | None = None

    @classmethod
    def from_inputs(cls, accept: Mapping[str, Any]) -> AcceptRule:
        labels = accept.get("labels")
        return cls(
            min_score=float(accept.get("min_score", 0.0)),
            skip_hard=bool(accept.get("skip_hard", True)),
            labels=frozenset(str(label) for label in labels) if labels is not None else None,
        )

    def verdict(self, sample: Mapping[str, Any]) -> str | None:
        """None to accept the sample, or the reason to skip it."""
        labels = sample.get("labels") or []
        if not labels:
            return SKIP_UNLABELED
        if self.skip_hard and _is_hard(sample):
            return SKIP_HARD
        for label in labels:
            if self.labels is not None and label.get("name") not in self.labels:
                return SKIP_LABEL
            score = label.get("score")
            if self.min_score > 0 and (not isinstance(score, (int, float)) or score < self.min_score):
                return SKIP_LOW_SCORE
        return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def _is_hard(sample: Mapping[str, Any]) -> bool:
    metadata = sample.get("metadata") or {}
    if _truthy(metadata.get("@modelarts:hard")):
        return True
    return any(_truthy((label.get("property") or {}).get("@modelarts:hard")) for label in sample.get("labels") or [])


@dataclass
class AcceptResult:
    accepted: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


def select(samples: list[dict[str, Any]], rule: AcceptRule) -> tuple[list[dict[str, Any]], dict[str, int]]:
    chosen: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}
    for sample in samples:
        reason = rule.verdict(sample)
        if reason is None:
            chosen.append({"sample_id": sample["sample_id"], "labels": sample.get("labels") or []})
        else:
            skipped[reason] = skipped.get(reason, 0) + 1
    return chosen, skipped


def accept_auto_labels(
    ctx: ReconcileContext, dataset_id: str, rule: AcceptRule, deadline: Deadline | None = None
) -> AcceptResult:
    """Confirm what the rule chooses among the dataset's auto-labels (the observed list, if any).

    A label update refused because a version release locks the dataset (ModelArts.4381) is retried
    until ``deadline``.
    """
    from pulumi_modelarts.reconcile.locks import Deadline, while_release_locked

    samples = ctx.observer.auto_annotation_samples(dataset_id)
    chosen, skipped = select(samples, rule)
    limit = deadline if deadline is not None else Deadline(ctx, 0.0)
    for start in range(0, len(chosen), BATCH_SIZE):
        batch = chosen[start : start + BATCH_SIZE]

        def update(batch: list[dict[str, Any]] = batch) -> None:
            ctx.client.update_sample_labels(dataset_id, batch)

        while_release_locked(ctx, f"dataset {dataset_id}", limit, update)
    if chosen:
        ctx.observer.invalidate(dataset_id)
        ctx.log(f"dataset {dataset_id}: confirmed {len(chosen)} auto-labeled samples, skipped {skipped or 'none'}")
    return AcceptResult(accepted=len(chosen), skipped=skipped)
