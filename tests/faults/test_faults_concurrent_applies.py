"""Two `apply` runs of the same specs at the same time.

Intelligent tasks: the deterministic task name makes the API refuse the second start (ModelArts.4391, name
in use; a second running task of an exclusive kind would get 4386/4387), and the losing run adopts the
winner's task. Exports: the API has no name, key or lock for an export, so both runs start one. This
test pins down that behaviour so that the README can state it; if it starts failing because only one
export is created, the product has gained a guard and the README should say so instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.faultkit import EXPORTS, TASKS, Cli, EmulatorFactory, objects, requests_to, rule, write_specs

SPECS = """\
resources:
  labels:
    type: modelarts:IntelligentTask
    properties:
      dataset_name: pets-detection
      task_type: auto-label
      config:
        algorithm_type: fast
      accept:
        min_score: 0.5
  to-obs:
    type: modelarts:ExportTask
    properties:
      dataset_name: pets-detection
      path: /demo-bucket/pets/concurrent/
      export_type: 0
      export_params:
        export_dest: DIR
"""
# Both runs must observe before either start is committed: hold every start for a while in the server.
# (Without the hold the window is narrower but the same: observation and creation are separate calls.)
HOLD_MS = 2500


@pytest.mark.slow
def test_two_applies_at_once(faulty: EmulatorFactory, cli: Cli, tmp_path: Path) -> None:
    emulator = faulty()
    specs = write_specs(tmp_path / "specs", SPECS)
    emulator.set_faults(
        [
            rule("latency", "POST", TASKS, latency_ms=HOLD_MS),
            rule("latency", "POST", EXPORTS, latency_ms=HOLD_MS),
        ]
    )

    first = cli.start(emulator, "apply", str(specs), "--yes", "--format", "json")
    second = cli.start(emulator, "apply", str(specs), "--yes", "--format", "json")
    results = [first.wait(), second.wait()]

    # Intelligent task: both runs planned to start it and tried; the API refused the second start. The run that
    # lost says so ("changed since the plan") and writes nothing more for it; it never picks another action.
    assert requests_to(emulator, "POST", TASKS) == 2
    assert objects(emulator, "pets-detection")["tasks"] == 1
    assert sorted(result.returncode for result in results) == [0, 1], [r.describe() for r in results]
    winner, loser = sorted(results, key=lambda result: result.returncode)
    labels = {item["name"]: item for item in loser.json()["resources"]}["labels"]
    assert "changed since the plan" in labels["error"] and "ModelArts.43" in labels["error"]  # 4391, 4386
    won = {item["name"]: item["outputs"] for item in winner.json()["resources"]}

    # Export: nothing in the API stops the race; each run started and followed its own export.
    assert requests_to(emulator, "POST", EXPORTS) == 2
    assert objects(emulator, "pets-detection")["export_tasks"] == 2
    lost = {item["name"]: item.get("outputs") for item in loser.json()["resources"]}
    assert lost["to-obs"] and won["to-obs"]["task_id"] != lost["to-obs"]["task_id"]
    assert won["to-obs"]["status_name"] == lost["to-obs"]["status_name"] == "succeeded"

    # Afterwards the duplicate is harmless to later runs: they adopt and write nothing.
    emulator.clear_faults()
    emulator.reset_stats()
    later = cli.run(emulator, "apply", str(specs), "--yes", "--format", "json")
    assert later.returncode == 0, later.describe()
    assert emulator.stats()["writes"] == 0
    assert later.json()["changes_pending"] is False
    assert objects(emulator, "pets-detection") == {"tasks": 1, "export_tasks": 2, "versions": 1}


@pytest.mark.slow
def test_two_applies_without_a_forced_window(faulty: EmulatorFactory, cli: Cli, tmp_path: Path) -> None:
    """The same race with no help from the test: the task is never duplicated; the export may be. A run that
    lost the race for the task says so and exits 1; it never takes another course on its own."""
    emulator = faulty()
    specs = write_specs(tmp_path / "specs", SPECS)

    runs = [cli.start(emulator, "apply", str(specs), "--yes") for _ in range(2)]
    results = [run.wait() for run in runs]

    assert 0 in [result.returncode for result in results], [result.describe() for result in results]
    for result in results:
        assert result.returncode == 0 or "changed since the plan" in result.text, result.describe()
    state = objects(emulator, "pets-detection")
    assert state["tasks"] == 1
    assert state["export_tasks"] in (1, 2)
    assert requests_to(emulator, "POST", EXPORTS) == state["export_tasks"]


TWO_GROUPINGS = """\
resources:
  clusters-2:
    type: modelarts:IntelligentTask
    properties:
      dataset_name: flowers
      task_type: auto-grouping
      config:
        n_clusters: "2"
  clusters-3:
    type: modelarts:IntelligentTask
    properties:
      dataset_name: flowers
      task_type: auto-grouping
      config:
        n_clusters: "3"
"""


def test_two_grouping_tasks_on_one_dataset_run_one_after_the_other(
    faulty: EmulatorFactory, cli: Cli, tmp_path: Path
) -> None:
    emulator = faulty()
    specs = write_specs(tmp_path / "specs", TWO_GROUPINGS)

    result = cli.run(emulator, "apply", str(specs), "--yes")

    assert "Traceback" not in result.text
    assert result.returncode == 0, result.describe()
    assert objects(emulator)["tasks"] == 2
