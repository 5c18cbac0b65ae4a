"""The runner reports each failure on its resource and skips what depends on it; pending label
acceptance is a pending change; validate refuses two resources that make the same request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pulumi_modelarts import schema
from pulumi_modelarts.cli.runner import ResourceResult, Runner, approvals
from pulumi_modelarts.specs import SpecError, load_specs
from support.emulator_process import EmulatorProcess
from support.reconcile import make_ctx
from support.runs import apply_plan


def runner(emulator: EmulatorProcess, specs: Path, **settings: Any) -> Runner:
    return Runner(load_specs([specs]), make_ctx(emulator, **settings))


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "specs.yaml").write_text(text)
    return tmp_path


def by_name(results: list[ResourceResult]) -> dict[str, ResourceResult]:
    return {result.name: result for result in results}


PIPELINE = """
resources:
  cand:
    type: modelarts:DatasetVersionRef
    properties: {dataset_name: flowers, version_name: V002, requirements: {min_annotated_samples: %d}}
  to-obs:
    type: modelarts:ExportTask
    properties:
      dataset_name: flowers
      version_id: ${cand.version_id}
      path: /demo-bucket/flowers/${cand.version_name}/
      export_type: 0
"""


def test_dependents_of_a_blocked_gate_are_skipped_not_created(emulator: EmulatorProcess, tmp_path: Path) -> None:
    results = by_name(runner(emulator, write(tmp_path, PIPELINE % 1000)).plan())
    assert results["cand"].decision is not None and results["cand"].decision.action == "blocked"
    assert results["to-obs"].decision is None and results["to-obs"].skipped is not None
    assert "cand" in results["to-obs"].skipped


def test_with_wrong_credentials_dependents_are_skipped(emulator: EmulatorProcess, tmp_path: Path) -> None:
    results = by_name(runner(emulator, write(tmp_path, PIPELINE % 40), secret_key="wrong" * 8).plan())
    assert results["cand"].error is not None and "APIG." in results["cand"].error  # the API's code
    assert results["to-obs"].decision is None and results["to-obs"].skipped is not None


def test_a_reference_to_a_null_output_is_an_error_on_the_resource(emulator: EmulatorProcess, tmp_path: Path) -> None:
    # An export to OBS has no new dataset: its `new_dataset_id` output is null once it exists. (A reference to
    # an input the target does not set is refused earlier, by validate.)
    first = """
resources:
  to-obs:
    type: modelarts:ExportTask
    properties: {dataset_name: flowers, path: /demo-bucket/flowers/first/, export_type: 0}
"""
    assert [result.error for result in apply_plan(runner(emulator, write(tmp_path, first)))] == [None]
    specs = write(
        tmp_path,
        first
        + """
  second:
    type: modelarts:ExportTask
    properties:
      dataset_name: flowers
      path: /demo-bucket/${to-obs.new_dataset_id}/
      export_type: 0
""",
    )
    results = by_name(runner(emulator, specs).plan())  # UnresolvedReferenceError used to escape here
    error = results["second"].error
    assert error is not None and "second" in error and "to-obs.new_dataset_id" in error
    assert results["to-obs"].decision is not None and results["to-obs"].decision.action == "in-sync"


def test_a_plan_validates_only_the_resources_whose_references_it_resolved(
    emulator: EmulatorProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader validated the others already: their specs are built from what it handed on."""
    planner = runner(emulator, write(tmp_path, PIPELINE % 1))
    validated: list[str] = []
    real = schema.validate_inputs

    def counted(type_token: str, props: Any, **kwargs: Any) -> Any:
        validated.append(type_token)
        return real(type_token, props, **kwargs)

    monkeypatch.setattr(schema, "validate_inputs", counted)
    results = by_name(planner.plan())
    assert validated == ["modelarts:ExportTask"]  # to-obs, once cand's version is known
    assert results["to-obs"].decision is not None and results["to-obs"].decision.action == "create"
    assert results["cand"].inputs == planner.specs.resources["cand"].inputs


def test_label_acceptance_pending_is_a_pending_change(emulator: EmulatorProcess, tmp_path: Path) -> None:
    base = """
resources:
  pets:
    type: modelarts:IntelligentTask
    properties: {dataset_name: pets-detection, task_type: auto-label%s}
    options: {timeoutSeconds: 120}
"""
    run = runner(emulator, write(tmp_path, base % ""))
    assert [result.error for result in apply_plan(run)] == [None]
    plan = by_name(runner(emulator, write(tmp_path, base % ", accept: {min_score: 0.5}")).plan())["pets"].decision
    assert plan is not None and plan.action == "update" and plan.pending
    assert plan.writes and plan.writes[0].kind == "accept-labels" and (plan.writes[0].count or 0) > 0
    applied = by_name(apply_plan(runner(emulator, write(tmp_path, base % ", accept: {min_score: 0.5}"))))["pets"]
    assert applied.outputs is not None and applied.outputs["accepted_count"] == plan.writes[0].count
    again = by_name(runner(emulator, write(tmp_path, base % ", accept: {min_score: 0.5}")).plan())["pets"].decision
    assert again is not None and not again.pending


@pytest.mark.parametrize(
    ("first", "second", "what"),
    [
        (
            "{dataset_name: flowers, path: /b/x/, export_type: 0}",
            "{dataset_name: flowers, path: /b/x/, export_type: 0.0}",
            "same request",
        ),
        (
            "{dataset_name: flowers, task_type: auto-label, config: {name: n1}}",
            "{dataset_name: flowers, task_type: auto-label, config: {name: n1, algorithm_type: fast}}",
            "task name 'n1'",
        ),
        (
            "{dataset_name: flowers, version_name: V9, release: {}}",
            "{dataset_name: flowers, version_name: V9, release: {description: x}}",
            "release of version 'V9'",
        ),
        (
            "{dataset_name: flowers, path: /b/x/, export_type: 0, adopt_task_id: e1}",
            "{dataset_name: flowers, path: /b/y/, export_type: 0, adopt_task_id: e1}",
            "adopts e1",
        ),
    ],
)
def test_validate_refuses_two_resources_with_the_same_request(
    tmp_path: Path, first: str, second: str, what: str
) -> None:
    kind = {"path": "modelarts:ExportTask", "task_type": "modelarts:IntelligentTask"}
    token = next((value for key, value in kind.items() if key in first), "modelarts:DatasetVersionRef")
    write(
        tmp_path,
        f"resources:\n  a:\n    type: {token}\n    properties: {first}\n"
        f"  b:\n    type: {token}\n    properties: {second}\n",
    )
    with pytest.raises(SpecError) as refused:
        load_specs([tmp_path])
    text = str(refused.value)
    assert "'a' and 'b'" in text and (what in text or what == "same request")


def test_different_requests_are_not_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        "resources:\n"
        "  a: {type: modelarts:ExportTask, properties: {dataset_name: flowers, path: /b/x/, export_type: 0}}\n"
        "  b: {type: modelarts:ExportTask, properties: {dataset_name: flowers, path: /b/y/, export_type: 0}}\n"
        "  c: {type: modelarts:ExportTask, properties: {dataset_name: pets, path: /b/x/, export_type: 0}}\n"
        "  Label_A: {type: modelarts:IntelligentTask, properties: {dataset_name: flowers, task_type: auto-grouping}}\n"
        "  r1: {type: modelarts:DatasetVersionRef, properties: {dataset_name: flowers, selector: latest}}\n"
        "  r2: {type: modelarts:DatasetVersionRef, properties: {dataset_name: flowers, selector: latest}}\n",
    )
    assert len(load_specs([tmp_path]).resources) == 6


def test_waiting_resources_hold_no_parallelism_slot(emulator_factory: Any, tmp_path: Path) -> None:
    """With --parallelism 1, three exports that each take ten minutes: every export is started before the first one
    ends, because a resource that only waits gives its slot to the next one's decision and write. (Ten minutes of
    the virtual clock take a first wait some twenty polls, so it cannot end before the next starts: with exports of
    2 s, two polls of a busy machine's waiting thread could outrun the other thread's two creates.)"""
    emulator: EmulatorProcess = emulator_factory("--seed", "demo", "--export-seconds", "600")
    text = "resources:\n" + "".join(
        f"  export-{n}:\n    type: modelarts:ExportTask\n"
        f"    properties: {{dataset_name: flowers, path: /demo-bucket/flowers/slot-{n}/, export_type: 0}}\n"
        for n in range(3)
    )
    events: list[str] = []
    ctx = make_ctx(emulator)
    ctx.log = lambda line: events.append("started" * ("started" in line))
    one_at_a_time = Runner(load_specs([write(tmp_path, text)]), ctx, parallelism=1)
    planned = one_at_a_time.plan()
    one_at_a_time.on_result = lambda result: events.append(f"done {result.name}")
    results = one_at_a_time.apply(approvals(planned))
    assert [result.error for result in results] == [None] * 3
    events = [event for event in events if event]
    assert events[:3] == ["started"] * 3, events  # held slots would give: started, done, started, done, ...
    assert emulator.stats()["writes"] == 3
