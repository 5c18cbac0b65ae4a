"""Accepting auto-labels by rule (issue 6): all pages, idempotent, safe when an answer is lost."""

from __future__ import annotations

from typing import Any

from pulumi_modelarts.reconcile import intelligent
from pulumi_modelarts.reconcile.accept import AcceptRule, select
from pulumi_modelarts.reconcile.context import ReconcileContext
from support.emulator_process import EmulatorProcess
from support.reconcile import converge, make_ctx

LABELS_ROUTE = "/v2/{project_id}/datasets/{dataset_id}/data-annotations/samples"


def autolabel(accept: dict[str, Any] | None) -> intelligent.IntelligentTaskSpec:
    inputs: dict[str, Any] = {
        "dataset_name": "pets-detection",
        "task_type": "auto-label",
        "timeout_seconds": 60,
    }
    if accept is not None:
        inputs["accept"] = accept
    return intelligent.IntelligentTaskSpec("pets", inputs)


def test_rule_verdicts() -> None:
    rule = AcceptRule(min_score=0.6, skip_hard=True, labels=frozenset({"cat"}))
    samples = [
        {"sample_id": "a", "labels": [{"name": "cat", "score": 0.9}], "metadata": {"@modelarts:hard": False}},
        {"sample_id": "b", "labels": [{"name": "cat", "score": 0.5}], "metadata": {}},
        {"sample_id": "c", "labels": [{"name": "dog", "score": 0.99}], "metadata": {}},
        {
            "sample_id": "d",
            "labels": [{"name": "cat", "score": 0.99}],
            "metadata": {"@modelarts:hard": "true"},
        },
        {"sample_id": "e", "labels": [], "metadata": {}},
    ]
    chosen, skipped = select(samples, rule)
    assert [sample["sample_id"] for sample in chosen] == ["a"]
    assert skipped == {"low_score": 1, "label_not_allowed": 1, "hard_example": 1, "no_labels": 1}


def test_accept_confirms_by_rule_across_pages_and_only_once(ctx: ReconcileContext, emulator: EmulatorProcess) -> None:
    rule = {"min_score": 0.5, "skip_hard": True}
    outputs = converge(ctx, autolabel(rule))
    dataset = ctx.client.get_dataset(outputs["dataset_id"])
    accepted = outputs["accepted_count"]
    skipped = outputs["skipped_counts"]
    assert accepted > 0 and sum(skipped.values()) > 0
    assert accepted + sum(skipped.values()) == 50  # every unlabelled sample was auto-labelled
    assert dataset["annotated_sample_count"] == 30 + accepted

    emulator.reset_stats()
    again = converge(make_ctx(emulator), autolabel(rule))
    assert again["accepted_count"] == 0
    assert emulator.stats()["writes"] == 0
    assert ctx.client.get_dataset(outputs["dataset_id"])["annotated_sample_count"] == 30 + accepted


def test_lost_answer_to_the_label_update_converges(ctx: ReconcileContext, emulator: EmulatorProcess) -> None:
    converge(ctx, autolabel(None))
    emulator.set_faults([{"action": "drop_after_commit", "method": "PUT", "route": LABELS_ROUTE, "times": 1}])
    outputs = converge(make_ctx(emulator), autolabel({"min_score": 0.0, "skip_hard": False}))
    dataset = ctx.client.get_dataset(outputs["dataset_id"])
    assert dataset["annotated_sample_count"] == 80
    assert list(ctx.client.iter_auto_annotation_samples(outputs["dataset_id"])) == []
