"""Import tasks under faults: lost answers, 5xx, throttling, and another import running on the dataset.

A second POST of an import may import the same files again as new samples (reading ``reimport``), so the
emulators here play ``--reimport duplicate``: a create is never repeated blindly, a lost answer is resolved
by looking for the import it committed, and every scenario ends with one import and its samples once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_modelarts.api.client import IMPORT_TASK, IMPORT_TASKS
from pulumi_modelarts.cli.runner import Runner, approvals
from pulumi_modelarts.specs import load_specs
from support.emulator_process import EmulatorProcess
from support.faultkit import (
    Cli,
    EmulatorFactory,
    InProcess,
    errors_of,
    faults_applied,
    requests_to,
    rule,
    write_specs,
)
from support.runs import apply_plan

DUPLICATING = ("--reimport", "duplicate")
BATCH = 20  # the demo's /demo-bucket/pets-detection/raw/batch-01/
SEEDED = 80  # samples of pets-detection in the demo seed
ONE_IMPORT = """\
resources:
  intake:
    type: modelarts:ImportTask
    properties:
      dataset_name: pets-detection
      import_path: /demo-bucket/pets-detection/raw/batch-01/
"""


def imports_and_samples(emulator: EmulatorProcess) -> tuple[int, int]:
    state = emulator.admin.get("/state").raise_for_status().json()
    pets = next(item for item in state["datasets"] if item["dataset_name"] == "pets-detection")
    return pets["import_tasks"], pets["samples"]


def test_a_lost_import_answer_after_commit_is_adopted_not_posted_again(
    faulty: EmulatorFactory, cli: Cli, tmp_path: Path
) -> None:
    emulator = faulty(*DUPLICATING)
    specs = write_specs(tmp_path / "specs", ONE_IMPORT)
    emulator.set_faults([rule("drop_after_commit", "POST", IMPORT_TASKS, times=1)])

    first = cli.run(emulator, "apply", str(specs), "--yes")

    assert first.returncode == 0, first.describe()
    assert faults_applied(emulator) == [1] and requests_to(emulator, "POST", IMPORT_TASKS) == 1
    assert "the answer was lost after starting the import of" in first.stderr, first.describe()
    assert imports_and_samples(emulator) == (1, SEEDED + BATCH)

    emulator.reset_stats()
    again = cli.run(emulator, "apply", str(specs), "--yes")
    assert again.returncode == 0, again.describe()
    assert emulator.stats()["writes"] == 0
    assert imports_and_samples(emulator) == (1, SEEDED + BATCH)


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (
            rule("drop", "POST", IMPORT_TASKS, times=1),
            "got no answer",
        ),  # the connection dropped before the server acted
        (rule("error", "POST", IMPORT_TASKS, times=1, status=503), "ModelArts.4503"),
    ],
    ids=["dropped", "503"],
)
def test_an_import_create_without_an_answer_is_sent_once_and_the_rerun_imports_once(
    faulty: EmulatorFactory, cli: Cli, tmp_path: Path, fault: dict[str, object], said: str
) -> None:
    emulator = faulty(*DUPLICATING)
    specs = write_specs(tmp_path / "specs", ONE_IMPORT)
    emulator.set_faults([fault])

    first = cli.run(emulator, "apply", str(specs), "--yes")

    assert first.returncode == 1, first.describe()
    assert requests_to(emulator, "POST", IMPORT_TASKS) == 1, "a create that may have been committed was repeated"
    assert "Traceback" not in first.text
    assert said in first.text and "nothing was started. Re-running is safe." in first.text, first.describe()
    assert imports_and_samples(emulator) == (0, SEEDED)

    again = cli.run(emulator, "apply", str(specs), "--yes")
    assert again.returncode == 0, again.describe()
    assert imports_and_samples(emulator) == (1, SEEDED + BATCH)


def test_import_reads_are_retried_through_5xx_and_dropped_connections(
    faulty: EmulatorFactory, in_process: Callable[..., InProcess], tmp_path: Path
) -> None:
    emulator = faulty(*DUPLICATING)
    run = in_process(emulator)
    specs = load_specs([write_specs(tmp_path / "specs", ONE_IMPORT)])
    faults = [
        rule("error", "GET", IMPORT_TASKS, times=2, status=502, error_code="APIG.0502"),
        rule("drop", "GET", IMPORT_TASK, times=2),
        rule("error", "GET", IMPORT_TASK, times=1, status=500, error_code="ModelArts.0001"),
    ]
    emulator.set_faults(faults)

    applied = apply_plan(Runner(specs, run.ctx))

    assert errors_of(applied) == []
    assert faults_applied(emulator) == [2, 2, 1], "every burst happened"
    assert run.client.stats.retries == 5
    assert requests_to(emulator, "POST", IMPORT_TASKS) == 1
    assert imports_and_samples(emulator) == (1, SEEDED + BATCH)


RETRY_AFTER = 2.0


def test_an_import_completes_through_a_429_storm_honouring_retry_after(
    faulty: EmulatorFactory, in_process: Callable[..., InProcess], tmp_path: Path
) -> None:
    """A create answered 429 was not committed: repeating it is safe (1 + 3 POSTs, one import)."""
    emulator = faulty(*DUPLICATING)
    run = in_process(emulator)
    specs = load_specs([write_specs(tmp_path / "specs", ONE_IMPORT)])
    routes = (("GET", IMPORT_TASKS), ("POST", IMPORT_TASKS), ("GET", IMPORT_TASK))
    emulator.set_faults([rule("throttle", method, route, times=3, retry_after=RETRY_AFTER) for method, route in routes])

    applied = apply_plan(Runner(specs, run.ctx))

    assert errors_of(applied) == []
    assert faults_applied(emulator) == [3, 3, 3]
    assert run.client.stats.retries == 9 and len(run.sleep.delays) == 9
    assert min(run.sleep.delays) >= RETRY_AFTER
    assert requests_to(emulator, "POST", IMPORT_TASKS) == 1 + 3
    assert imports_and_samples(emulator) == (1, SEEDED + BATCH)


def test_an_import_waits_for_another_import_running_on_the_dataset(
    faulty: EmulatorFactory, in_process: Callable[..., InProcess], tmp_path: Path
) -> None:
    """ModelArts runs one import per dataset (4356): the plan says ours starts after the running one, and
    apply waits for it, then posts once."""
    emulator = faulty(*DUPLICATING)
    run = in_process(emulator)
    dataset_id = run.ctx.observer.dataset_id_for(None, "pets-detection")
    theirs = run.client.create_import_task(dataset_id, {"import_path": "/demo-bucket/pets-detection/raw/batch-02/"})
    specs = load_specs([write_specs(tmp_path / "specs", ONE_IMPORT)])

    planned = Runner(specs, run.ctx).plan()
    decision = planned[0].decision
    assert decision is not None and decision.waits_for is not None and decision.waits_for["task_id"] == theirs
    assert f"after the running import {theirs}" in decision.summary
    emulator.reset_stats()
    applied = apply_plan(Runner(specs, run.ctx))

    assert errors_of(applied) == []
    assert requests_to(emulator, "POST", IMPORT_TASKS) == 1, "started once, after the other import ended"
    assert imports_and_samples(emulator) == (2, SEEDED + 12 + BATCH)


def test_an_import_refused_because_another_started_after_the_plan_writes_nothing_more(
    faulty: EmulatorFactory, in_process: Callable[..., InProcess], tmp_path: Path
) -> None:
    """Someone starts an import between the plan and the apply: ModelArts refuses ours (4356); apply says what
    changed and starts nothing else."""
    emulator = faulty("--import-seconds", "30")
    run = in_process(emulator)
    specs = load_specs([write_specs(tmp_path / "specs", ONE_IMPORT)])
    runner = Runner(specs, run.ctx)
    approved = approvals(runner.plan())
    dataset_id = run.ctx.observer.dataset_id_for(None, "pets-detection")
    theirs = run.client.create_import_task(dataset_id, {"import_path": "/demo-bucket/pets-detection/raw/batch-02/"})
    emulator.reset_stats()
    # the run's observation is the plan's (as `apply --yes` right after its plan): the new import is not in it
    applied = runner.apply(approved)

    error = applied[0].error or ""
    assert "changed since the plan" in error and "ModelArts.4356" in error and theirs in error, error
    assert requests_to(emulator, "POST", IMPORT_TASKS) == 1
    assert imports_and_samples(emulator)[0] == 1
