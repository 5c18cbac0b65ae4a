"""The core scenarios under every reading of the API (docs/api.md §10, §11).

Each scenario runs against an emulator playing one reading, on a dataset of its own, through the
same Runner the CLI uses, with a fresh client per run as a new CLI process would have.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_modelarts.api.client import EXPORT_TASKS, IMPORT_TASKS, TASKS, VERSIONS
from pulumi_modelarts.reconcile.kinds import KINDS
from support.matrix import ALL_READINGS, LABELLED, MANIFEST_FILES, RAW_BATCHES, Played, errors_of

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


AFTER_FOUR = {"tasks": 2, "export_tasks": 1, "import_tasks": 0, "versions": 2}  # the seed has V001


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


# --- ImportTask and triggers ----------------------------------------------------------------------------


def two_imports(dataset: str) -> str:
    """A raw folder (in the s3:// spelling the doc examples send) and a manifest whose labels filter by name
    (sent as Label objects, which every reading takes); the manifest's type follows from its path."""
    return f"""\
resources:
  raw:
    type: modelarts:ImportTask
    properties:
      dataset_name: {dataset}
      import_path: s3://bucket/{dataset}/raw/batch-01/
  labelled:
    type: modelarts:ImportTask
    properties:
      dataset_name: {dataset}
      import_path: /bucket/{dataset}/labelled/batch-01.manifest
      included_labels: [cat]
      final_annotation: false
"""


@every_reading
def test_imports_once_and_a_rerun_writes_nothing(played: Played, tmp_path: Path) -> None:
    specs = write(tmp_path, two_imports("import"))
    before = played.state_of("import")
    results, ctx = played.apply(specs)
    assert errors_of(results) == []
    outputs = {r.name: r.outputs or {} for r in results}
    assert (
        outputs["raw"]["status"] == "COMPLETED" and outputs["raw"]["imported_sample_count"] == RAW_BATCHES["batch-01"]
    )
    assert outputs["labelled"]["imported_sample_count"] == MANIFEST_FILES["cat"]
    assert outputs["labelled"]["unconfirmed_sample_count"] == MANIFEST_FILES["cat"]  # labels to be confirmed
    assert ctx.client.stats[f"POST {IMPORT_TASKS}"] == 2
    after = played.state_of("import")
    assert after["samples"] == before["samples"] + RAW_BATCHES["batch-01"] + MANIFEST_FILES["cat"]

    again, ctx = played.apply(specs)
    assert errors_of(again) == [] and ctx.client.stats.writes == 0, ctx.client.stats.calls
    planned, _ = played.plan(specs)
    assert [r.decision and r.decision.action for r in planned] == ["in-sync", "in-sync"]
    assert played.objects("import")["import_tasks"] == 2
    assert played.state_of("import")["samples"] == after["samples"]
    # refresh of an import that does not exist: gone (400/404, or 200 with status NOT_EXIST)
    dataset_id = after["dataset_id"]
    assert KINDS["modelarts:ImportTask"].read(ctx, dataset_id, f"{dataset_id}_nope") is None


@every_reading
def test_a_lost_import_answer_ends_with_one_import(played: Played, tmp_path: Path) -> None:
    """A second POST would import the batch twice (reading reimport): the lost answer is resolved by looking."""
    specs = write(
        tmp_path,
        """\
resources:
  raw:
    type: modelarts:ImportTask
    properties:
      dataset_name: import-lost
      import_path: /bucket/import-lost/raw/batch-01/
""",
    )
    before = played.state_of("import-lost")["samples"]
    played.emulator.set_faults([{"action": "drop_after_commit", "method": "POST", "route": IMPORT_TASKS, "times": 1}])
    try:
        first, ctx = played.apply(specs)
    finally:
        played.emulator.clear_faults()
    assert errors_of(first) == [] and ctx.client.stats[f"POST {IMPORT_TASKS}"] == 1
    assert played.objects("import-lost")["import_tasks"] == 1
    again, ctx = played.apply(specs)
    assert errors_of(again) == [] and ctx.client.stats.writes == 0
    assert played.state_of("import-lost")["samples"] == before + RAW_BATCHES["batch-01"]


def pipeline(batch: str) -> str:
    return f"""\
resources:
  intake:
    type: modelarts:ImportTask
    properties:
      dataset_name: pipeline
      import_path: /bucket/pipeline/raw/{batch}/
  label:
    type: modelarts:IntelligentTask
    properties:
      dataset_name: pipeline
      task_type: auto-label
      config:
        algorithm_type: fast
      accept:
        min_score: 0.5
      triggers: ["${{intake.task_id}}"]
"""


@every_reading
def test_a_new_batch_reruns_auto_labeling_after_its_import(played: Played, tmp_path: Path) -> None:
    """The triggers carry the import's id, so a new batch starts a new auto-label task, in the same apply, once
    the import has completed; re-applying writes nothing, also where the API echoes no task name."""
    first, _ = played.apply(write(tmp_path / "one", pipeline("batch-01")))
    assert errors_of(first) == []
    again, ctx = played.apply(write(tmp_path / "one", pipeline("batch-01")))
    assert errors_of(again) == [] and ctx.client.stats.writes == 0, ctx.client.stats.calls

    second, ctx = played.apply(write(tmp_path / "two", pipeline("batch-02")))
    assert errors_of(second) == []
    assert ctx.client.stats[f"POST {IMPORT_TASKS}"] == 1 and ctx.client.stats[f"POST {TASKS}"] == 1
    outputs = {r.name: r.outputs or {} for r in second}
    dataset_id = outputs["intake"]["dataset_id"]
    imported = ctx.client.get_import_task(dataset_id, outputs["intake"]["task_id"])
    task = ctx.client.get_task(dataset_id, outputs["label"]["task_id"])
    assert task["status"] == 3 and imported["status"] == "COMPLETED"
    assert outputs["label"]["task_id"] != (first[1].outputs or {})["task_id"]
    assert played.objects("pipeline") == {"tasks": 2, "export_tasks": 0, "import_tasks": 2, "versions": 1}
    settled, ctx = played.apply(write(tmp_path / "two", pipeline("batch-02")))
    assert errors_of(settled) == [] and ctx.client.stats.writes == 0, ctx.client.stats.calls


@every_reading
def test_an_import_with_nothing_to_import_fails_quoting_the_api(played: Played, tmp_path: Path) -> None:
    """Refused at the POST, or a task that FAILED (reading import_path_check): an error with ModelArts' words."""
    specs = write(
        tmp_path,
        """\
resources:
  nothing:
    type: modelarts:ImportTask
    properties:
      dataset_name: import-fail
      import_path: /bucket/import-fail/raw/nothing-here/
""",
    )
    results, _ = played.apply(specs)
    assert results[0].error is not None and "ModelArts.4374" in results[0].error, results[0].error
    assert "Invalid path" in results[0].error
