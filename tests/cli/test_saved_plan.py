"""Saved plans: `plan --out FILE` writes the contract, `apply --plan FILE` carries it out exactly or refuses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from support.cli import run
from support.emulator_process import EmulatorProcess

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = "POST /v2/{project_id}/datasets/{dataset_id}/export-tasks"


@pytest.fixture
def follow_latest(tmp_path: Path) -> Path:
    """examples/follow-latest in a folder of its own (plans record paths relative to where they run)."""
    shutil.copy(ROOT / "examples" / "follow-latest" / "follow-latest.yaml", tmp_path / "specs.yaml")
    return tmp_path


def writes(emulator: EmulatorProcess) -> list[dict[str, Any]]:
    return emulator.writes()


def release(emulator: EmulatorProcess, name: str) -> None:
    """Someone releases a version of support-tickets (outside the specs)."""
    from support.reconcile import make_ctx

    ctx = make_ctx(emulator)
    dataset_id = ctx.observer.dataset_id_for(None, "support-tickets")
    ctx.client.create_version(dataset_id, {"version_name": name})
    emulator.advance_clock(120)


def test_apply_carries_out_the_saved_plan_and_again_writes_nothing(
    emulator: EmulatorProcess, follow_latest: Path
) -> None:
    planned = run("plan", "specs.yaml", "--out", "plan.json", emulator=emulator, cwd=follow_latest)
    assert planned.returncode == 0, planned.stderr
    plan = json.loads((follow_latest / "plan.json").read_text())
    export = next(item for item in plan["resources"] if item["name"] == "latest-to-obs")
    assert [write["kind"] for write in export["writes"]] == ["start-export"]
    assert (
        export["writes"][0]["body"]["version_id"] == {"$unknown": "latest.version_id"}
        or export["writes"][0]["body"]["version_id"]
        == next(item for item in plan["resources"] if item["name"] == "latest")["target_id"]
    )
    assert "secret" not in (follow_latest / "plan.json").read_text().lower()

    emulator.reset_stats()
    applied = run("apply", "--plan", "plan.json", "--yes", emulator=emulator, cwd=follow_latest)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert [entry["route"] for entry in writes(emulator)] == [EXPORTS]

    emulator.reset_stats()
    again = run("apply", "--plan", "plan.json", "--yes", emulator=emulator, cwd=follow_latest)
    assert again.returncode == 0, again.stdout + again.stderr  # the plan is done: nothing more is written
    assert writes(emulator) == []


def test_a_version_released_after_the_plan_is_not_exported(emulator: EmulatorProcess, follow_latest: Path) -> None:
    """The reviewer approved the export of V003; V004 appears before the merge: nothing is exported, exit 1."""
    planned = run("plan", "specs.yaml", "--out", "plan.json", emulator=emulator, cwd=follow_latest)
    assert planned.returncode == 0, planned.stderr
    assert "'V003'" in planned.stdout
    release(emulator, "V004")
    emulator.reset_stats()

    applied = run("apply", "--plan", "plan.json", "--yes", emulator=emulator, cwd=follow_latest)

    assert applied.returncode == 1
    assert "changed since the plan" in applied.stdout + applied.stderr
    assert "✗ latest " in applied.stderr and "- latest-to-obs " in applied.stderr  # what moved, what it skipped
    assert writes(emulator) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("spec", "the spec files differ from the planned ones: specs.yaml"),
        ("endpoint", "the endpoint is"),
        ("namespace", "the namespace is 'other'"),
        ("garbage", "is not a plan file"),
        ("json", "is not a plan file of pulumi-modelarts"),
        ("specs-argument", "apply --plan takes the spec files from the plan"),
    ],
)
def test_a_plan_that_does_not_fit_is_refused_whole_before_any_call(
    emulator: EmulatorProcess, emulator_factory: Any, follow_latest: Path, change: str, expected: str
) -> None:
    assert run("plan", "specs.yaml", "--out", "plan.json", emulator=emulator, cwd=follow_latest).returncode == 0
    argv = ["apply", "--plan", "plan.json", "--yes"]
    target = emulator
    if change == "spec":
        spec = follow_latest / "specs.yaml"
        spec.write_text(spec.read_text().replace("min_annotated_ratio: 0.95", "min_annotated_ratio: 0.9"))
    elif change == "endpoint":
        target = emulator_factory("--seed", "demo")
    elif change == "namespace":
        argv.append("--namespace=other")
    elif change == "garbage":
        (follow_latest / "plan.json").write_text("not json at all")
    elif change == "json":
        (follow_latest / "plan.json").write_text('{"resources": []}')
    elif change == "specs-argument":
        argv.append("specs.yaml")
    emulator.reset_stats()
    target.reset_stats()

    refused = run(*argv, emulator=target, cwd=follow_latest)

    assert refused.returncode == 1
    assert expected in refused.stderr, refused.stderr
    assert refused.stderr.count("\n") <= 2  # one line (and no traceback)
    assert emulator.stats()["total"] == 0 and target.stats()["total"] == 0


def test_a_blocked_plan_cannot_be_applied(emulator: EmulatorProcess, follow_latest: Path) -> None:
    spec = follow_latest / "specs.yaml"
    spec.write_text(spec.read_text().replace("min_annotated_ratio: 0.95", "min_annotated_samples: 100000"))
    planned = run("plan", "specs.yaml", "--out", "plan.json", emulator=emulator, cwd=follow_latest)
    assert planned.returncode == 1
    refused = run("apply", "--plan", "plan.json", "--yes", emulator=emulator, cwd=follow_latest)
    assert refused.returncode == 1 and "the plan did not succeed (latest)" in refused.stderr


def test_the_same_state_gives_the_same_plan_bytes(emulator: EmulatorProcess, follow_latest: Path) -> None:
    first = run("plan", "specs.yaml", "--format", "json", "--out", "a.json", emulator=emulator, cwd=follow_latest)
    second = run("plan", "specs.yaml", "--format", "json", "--out", "b.json", emulator=emulator, cwd=follow_latest)
    assert first.stdout == second.stdout and first.stdout
    assert (follow_latest / "a.json").read_bytes() == (follow_latest / "b.json").read_bytes()
    assert json.loads(first.stdout) == json.loads((follow_latest / "a.json").read_text())
