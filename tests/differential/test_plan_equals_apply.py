"""Differential: what the plan lists is what apply writes (counted at the emulator), and Pulumi's diff agrees.

For each observed state: bring the emulator there, plan (the action and its listed writes), apply
(count every write the emulator receives, by route), and ask the dynamic provider's ``diff`` what
it would do with the same decision.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from emulator_process import EmulatorProcess
from pulumi_modelarts import schema
from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from pulumi_modelarts.api.errors import ModelArtsError
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Decision
from pulumi_modelarts.reconcile.kinds import kind_of
from pulumi_modelarts.reconcile.waiting import PollPolicy
from pulumi_modelarts.resources._provider import RESOURCE_NAME, ModelArtsProvider, echo_outputs
from pulumi_modelarts.resources.dataset_version_ref import DatasetVersionRefProvider
from pulumi_modelarts.resources.export_task import ExportTaskProvider
from pulumi_modelarts.resources.intelligent_task import IntelligentTaskProvider

TASK = "modelarts:IntelligentTask"
EXPORT = "modelarts:ExportTask"
VERSION = "modelarts:DatasetVersionRef"
BASE = "/v2/{project_id}/datasets/{dataset_id}"
ROUTES = {
    "start-task": f"POST {BASE}/tasks",
    "stop-task": f"POST {BASE}/tasks/{{task_id}}/stop",
    "accept-labels": f"PUT {BASE}/data-annotations/samples",
    "release-version": f"POST {BASE}/versions",
    "start-export": f"POST {BASE}/export-tasks",
}
PROVIDERS: dict[str, type[ModelArtsProvider]] = {
    TASK: IntelligentTaskProvider,
    EXPORT: ExportTaskProvider,
    VERSION: DatasetVersionRefProvider,
}
POLLS = PollPolicy(first_delay=0.05, growth=1.5, max_delay=0.5, min_latency=0.2)

Inputs = dict[str, Any]


def make_ctx(emulator: EmulatorProcess) -> ReconcileContext:
    """A context whose sleeps advance the emulator's virtual clock (no wall-clock waiting)."""
    client = ModelArtsClient(resolve_settings(**emulator.client_settings()))
    return ReconcileContext.for_client(
        client, poll_policy=POLLS, log=lambda _: None, sleep=lambda seconds: emulator.advance_clock(seconds)
    )


def normalized(type_token: str, inputs: Inputs) -> Inputs:
    result, violations = schema.validate_inputs(type_token, inputs)
    assert violations == []
    return result


def label(**overrides: Any) -> Inputs:
    return {"dataset_name": "flowers", "task_type": "auto-label", "config": {"algorithm_type": "fast"}, **overrides}


def pets(**overrides: Any) -> Inputs:
    return {"dataset_name": "pets-detection", "task_type": "auto-label", "timeout_seconds": 120, **overrides}


def to_obs(**overrides: Any) -> Inputs:
    return {"dataset_name": "flowers", "path": "/demo-bucket/flowers/export/", "export_type": 0, **overrides}


def pin(**overrides: Any) -> Inputs:
    return {"dataset_name": "flowers", "version_name": "V002", **overrides}


@dataclass
class Case:
    id: str
    type_token: str
    inputs: Inputs  # what is declared now
    action: str
    before: Inputs | None = None  # what an earlier apply declared (and Pulumi recorded); None: nothing
    before_fails: bool = False  # the earlier apply ended in an error (a failed task)
    flags: tuple[str, ...] = ()
    apply_fails: bool = False
    pulumi: str | None = None  # "none" | "update" | "replace" | "error"; None: no recorded state
    setup: Callable[[ReconcileContext], None] | None = None
    name: str = "res"
    extra: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("task-missing", TASK, label(), "create"),
    Case("task-succeeded", TASK, label(), "in-sync", before=label(), pulumi="none"),
    Case(
        "task-running-waited",
        TASK,
        label(),
        "wait",
        before=label(wait=False),
        flags=("--task-seconds", "30"),
        pulumi="update",  # wait changed in place; no API write
    ),
    Case(
        "task-failed-retried",
        TASK,
        label(dataset_name="support-tickets"),  # every sample labelled: the task fails (4407)
        "retry",
        before=label(dataset_name="support-tickets"),
        before_fails=True,
        flags=("--preconditions", "fail-task"),
        apply_fails=True,
        pulumi="replace",
    ),
    Case(
        "task-pending-acceptance",  # the accept rule was added after the task succeeded
        TASK,
        pets(accept={"min_score": 0.5}),
        "update",
        before=pets(),
        pulumi="update",
    ),
    Case(
        "task-replaced-while-running",
        TASK,
        label(wait=True, timeout_seconds=120),
        "replace",
        before=label(config={"algorithm_type": "accurate"}, wait=False),
        flags=("--task-seconds", "30"),
        pulumi="replace",
    ),
    Case(
        "task-explicit-name-new-request",
        TASK,
        label(config={"name": "nightly", "algorithm_type": "accurate"}),
        "blocked",
        before=label(config={"name": "nightly", "algorithm_type": "fast"}),
        apply_fails=True,
        pulumi="error",
    ),
    Case("task-adopt-missing", TASK, label(adopt_task_id="nope"), "blocked", apply_fails=True),
    Case("export-missing", EXPORT, to_obs(), "create"),
    Case("export-succeeded", EXPORT, to_obs(), "in-sync", before=to_obs(), pulumi="none"),
    Case(
        "export-running-no-wait",
        EXPORT,
        to_obs(wait=False),
        "in-sync",
        before=to_obs(wait=False),
        flags=("--export-seconds", "60"),
        pulumi="none",
    ),
    Case(
        "export-changed",
        EXPORT,
        to_obs(export_type=1),
        "replace",
        before=to_obs(),
        pulumi="replace",
    ),
    Case("export-adopt-missing", EXPORT, to_obs(adopt_task_id="nope"), "blocked", apply_fails=True),
    Case("version-release", VERSION, pin(version_name="V003", release={}), "create"),
    Case("version-missing", VERSION, pin(version_name="V009"), "blocked", apply_fails=True),
    Case(
        "version-gate-pass",
        VERSION,
        pin(requirements={"min_annotated_samples": 40}),
        "in-sync",
        before=pin(requirements={"min_annotated_samples": 40}),
        pulumi="none",
    ),
    Case(
        "version-gate-fail",
        VERSION,
        pin(requirements={"min_annotated_samples": 1000}),
        "blocked",
        before=pin(requirements={"min_annotated_samples": 40}),
        apply_fails=True,
        pulumi="error",
    ),
]


def expected_writes(decision: Decision, accepted: int | None) -> Counter[str]:
    counts: Counter[str] = Counter()
    for write in decision.writes:
        if write.kind == "accept-labels":
            samples = write.count if write.count is not None else (accepted or 0)
            counts[ROUTES[write.kind]] += math.ceil(samples / 100)
        else:
            counts[ROUTES[write.kind]] += 1
    return +counts


def writes_at(emulator: EmulatorProcess) -> Counter[str]:
    requests = emulator.stats()["requests"]
    return +Counter(
        {
            key: count
            for key, count in requests.items()
            if key.split(" ")[0] in ("POST", "PUT", "DELETE") and "/v2/" in key
        }
    )


def pulumi_diff(case: Case, emulator: EmulatorProcess, live: dict[str, Any] | None) -> str:
    """What the dynamic provider's diff says, from the state an earlier `pulumi up` recorded."""
    assert case.before is not None
    kind = kind_of(case.type_token)
    provider = PROVIDERS[case.type_token]()
    provider.context = lambda: make_ctx(emulator)  # type: ignore[method-assign]
    before = normalized(case.type_token, case.before)
    recorded = echo_outputs(case.name, before, live or {})
    news = {**case.inputs, RESOURCE_NAME: case.name}
    try:
        diff = provider.diff(str(recorded.get(kind.id_output)), recorded, news)
    except Exception as error:  # the provider's error is what the engine shows
        assert "blocked" in str(error)
        return "error"
    if diff.replaces:
        return "replace"
    return "update" if diff.changes else "none"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_plan_lists_exactly_the_writes_apply_makes(case: Case, emulator_factory: Callable[..., Any]) -> None:
    emulator: EmulatorProcess = emulator_factory("--seed", "demo", *case.flags)
    kind = kind_of(case.type_token)
    live: dict[str, Any] | None = None
    if case.before is not None:
        try:
            live = kind.ensure(make_ctx(emulator), kind.spec(case.name, normalized(case.type_token, case.before)))
        except ModelArtsError:
            assert case.before_fails
            dataset_id = make_ctx(emulator).observer.dataset_id_for(None, case.before["dataset_name"])
            task = next(iter(make_ctx(emulator).client.iter_tasks(dataset_id, type="auto-label")))
            live = {"task_id": task["task_id"], "dataset_id": dataset_id}
    spec = kind.spec(case.name, normalized(case.type_token, case.inputs))

    decision = kind.decision(make_ctx(emulator), spec)
    plan = decision.to_plan()
    assert plan.action == case.action, plan.summary
    assert plan.pending == bool(decision.writes)
    if case.pulumi is not None:
        assert pulumi_diff(case, emulator, live) == case.pulumi

    emulator.reset_stats()
    outputs: dict[str, Any] | None = None
    try:
        outputs = kind.ensure(make_ctx(emulator), spec)
        assert not case.apply_fails
    except ModelArtsError as error:
        assert case.apply_fails, str(error)
    accepted = (outputs or {}).get("accepted_count")
    assert writes_at(emulator) == expected_writes(decision, accepted)
    counted = [write.count for write in decision.writes if write.kind == "accept-labels" and write.count is not None]
    if counted:  # "accept N auto-labels" in the plan is N confirmed by apply
        assert counted == [accepted] and accepted > 0

    if not case.apply_fails:  # converged: the next plan has nothing to write
        again = kind.plan(make_ctx(emulator), spec)
        assert not again.pending, again.summary
