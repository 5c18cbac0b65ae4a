"""The core scenarios under every reading of the API (docs/api.md §10).

Each scenario runs against an emulator playing one reading, on a dataset of its own, through the
same Runner the CLI uses, with a fresh client per run as a new CLI process would have.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from matrix import ALL_READINGS, LABELLED, Played, errors_of

from pulumi_modelarts.api.client import EXPORT_TASKS, TASKS, VERSIONS

# Every scenario runs under every reading: each reading alone, the lenient default and cloud-strict.
every_reading = pytest.mark.parametrize("played", ALL_READINGS, indirect=True)


def write(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "specs.yaml").write_text(text, encoding="utf-8")
    return directory


def four_creates(dataset: str) -> str:
    """A version release, two intelligent tasks and an export to OBS on one dataset.

    The release does not wait and the auto-label task starts after it, so the task always starts
    while the release runs (the release-lock reading); the auto-grouping task meets the 4409/4964
    reading when its identity is lost.
    """
    return f"""\
resources:
  release:
    type: modelarts:DatasetVersionRef
    properties:
      dataset_name: {dataset}
      version_name: V002
      release:
        description: released by the reading matrix
      requirements:
        status: any
    options:
      wait: false
  label:
    type: modelarts:IntelligentTask
    properties:
      dataset_name: {dataset}
      task_type: auto-label
      config:
        algorithm_type: fast
    options:
      dependsOn: [release]
  group:
    type: modelarts:IntelligentTask
    properties:
      dataset_name: {dataset}
      task_type: auto-grouping
      config:
        n_clusters: 2
  export:
    type: modelarts:ExportTask
    properties:
      dataset_name: {dataset}
      path: /bucket/{dataset}/out/
      export_type: 0
      export_params:
        export_dest: DIR
"""


AFTER_FOUR = {"tasks": 2, "export_tasks": 1, "versions": 2}  # the seed has V001


@every_reading
def test_create(played: Played, tmp_path: Path) -> None:
    results, _ = played.apply(write(tmp_path, four_creates("create")))
    assert errors_of(results) == []
    assert played.objects("create") == AFTER_FOUR


@every_reading
def test_rerun_writes_nothing(played: Played, tmp_path: Path) -> None:
    specs = write(tmp_path, four_creates("rerun"))
    first, _ = played.apply(specs)
    assert errors_of(first) == []
    again, ctx = played.apply(specs)
    assert errors_of(again) == []
    assert ctx.client.stats.writes == 0, ctx.client.stats.calls
    assert played.objects("rerun") == AFTER_FOUR


@every_reading
def test_every_create_answer_lost_ends_with_exactly_one_of_each(played: Played, tmp_path: Path) -> None:
    specs = write(tmp_path, four_creates("lost"))
    rules = [
        {"action": "drop_after_commit", "method": "POST", "route": route, "times": 1}
        for route in (TASKS, EXPORT_TASKS, VERSIONS)
    ]
    played.emulator.set_faults(rules)
    try:
        first, _ = played.apply(specs)
    finally:
        played.emulator.clear_faults()
    if errors_of(first):  # a run may fail cleanly, as long as the next one converges
        again, _ = played.apply(specs)
        assert errors_of(again) == []
    assert played.objects("lost") == AFTER_FOUR
    settled, ctx = played.apply(specs)
    assert errors_of(settled) == [] and ctx.client.stats.writes == 0
    assert played.objects("lost") == AFTER_FOUR


MIN_SCORE = 0.6


@every_reading
def test_acceptance_over_more_than_250_samples_confirms_each_qualifying_sample_once(
    played: Played, tmp_path: Path
) -> None:
    specs = write(
        tmp_path,
        f"""\
resources:
  label:
    type: modelarts:IntelligentTask
    properties:
      dataset_name: accept
      task_type: auto-label
      config:
        algorithm_type: fast
      accept:
        min_score: {MIN_SCORE}
        skip_hard: true
""",
    )
    labelled_before = sum(LABELLED.values())
    results, ctx = played.apply(specs)
    assert errors_of(results) == []
    outputs = results[0].outputs or {}
    accepted = outputs["accepted_count"]
    state = played.state_of("accept")
    assert accepted > 100, "more than one page of samples qualifies"
    assert state["labelled"] == labelled_before + accepted
    # What is left unconfirmed does not qualify; everything proposed was either confirmed or skipped.
    dataset_id = state["dataset_id"]
    left = list(ctx.client.iter_auto_annotation_samples(dataset_id))
    assert len(left) == state["unconfirmed"] == state["samples"] - state["labelled"]
    for sample in left:
        label = sample["labels"][0]
        assert label["score"] < MIN_SCORE or sample["metadata"]["@modelarts:hard"], sample["sample_id"]
    assert sum(outputs["skipped_counts"].values()) == len(left)
    # Once: a re-run confirms nothing more and writes nothing.
    again, ctx = played.apply(specs)
    assert errors_of(again) == [] and ctx.client.stats.writes == 0
    assert played.state_of("accept")["labelled"] == labelled_before + accepted


@every_reading
def test_refresh_after_apply_shows_no_drift(played: Played, tmp_path: Path) -> None:
    specs = write(tmp_path, four_creates("refresh"))
    applied, _ = played.apply(specs)
    assert errors_of(applied) == []
    planned, ctx = played.plan(specs)
    assert errors_of(planned) == []
    actions = {r.name: (r.decision.action if r.decision else None) for r in planned}
    assert actions == {"release": "in-sync", "label": "in-sync", "group": "in-sync", "export": "in-sync"}, [
        (r.name, r.decision and r.decision.summary, r.decision and r.decision.changes) for r in planned
    ]
    assert ctx.client.stats.writes == 0


@every_reading
def test_an_export_started_earlier_is_adopted_not_repeated(played: Played, tmp_path: Path) -> None:
    """An export started before (by a run whose answer was lost, or by hand with the documented body)."""
    request = {
        "path": "/bucket/adopt/copy/",
        "export_type": 0,
        "export_params": {
            "export_dest": "NEW_DATASET",
            "export_new_dataset_name": "adopt-copy",
            "export_new_dataset_work_path": "/bucket/adopt/copy-work/",
        },
    }
    ctx = played.context()
    dataset_id = next(ctx.client.iter_datasets(search_content="adopt"))["dataset_id"]
    started = ctx.client.create_export_task(dataset_id, request)
    params = request["export_params"]
    assert isinstance(params, dict)
    specs = write(
        tmp_path,
        f"""\
resources:
  copy:
    type: modelarts:ExportTask
    properties:
      dataset_name: adopt
      path: {request["path"]}
      export_type: 0
      export_params:
        export_dest: NEW_DATASET
        export_new_dataset_name: {params["export_new_dataset_name"]}
        export_new_dataset_work_path: {params["export_new_dataset_work_path"]}
""",
    )
    results, run = played.apply(specs)
    assert errors_of(results) == []
    assert run.client.stats[f"POST {EXPORT_TASKS}"] == 0, "the export was started again"
    assert (results[0].outputs or {}).get("task_id") == started
    assert played.objects("adopt")["export_tasks"] == 1


@every_reading
def test_a_task_started_while_another_of_its_kind_runs_waits_for_it(played: Played, tmp_path: Path) -> None:
    """Someone else's auto-grouping task runs (ModelArts refuses a second one: 400 ModelArts.4409, or 200
    ModelArts.4964 without a task_id): the plan says the start waits for it, and apply waits, then starts once."""
    ctx = played.context()
    dataset_id = next(ctx.client.iter_datasets(search_content="busy"))["dataset_id"]
    theirs = ctx.client.create_task(dataset_id, {"task_type": "auto-grouping", "config": {"n_clusters": 3}})
    specs = write(
        tmp_path,
        """\
resources:
  group:
    type: modelarts:IntelligentTask
    properties:
      dataset_name: busy
      task_type: auto-grouping
      config:
        n_clusters: 2
""",
    )
    results, run = played.apply(specs)
    assert errors_of(results) == []
    assert run.client.stats[f"POST {TASKS}"] == 1, "started once, after the other task ended"
    assert (results[0].outputs or {}).get("task_id") not in (None, theirs)
    assert played.objects("busy")["tasks"] == 2
