"""The policy example (examples/policy): Open Policy Agent over plans made against the emulator, passing and failing.

Skipped when OPA is not installed here; `.ci/run` installs it and sets PULUMI_MODELARTS_OPA=require, which makes a
missing OPA a failure instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support.cli import run
from support.emulator_process import EmulatorProcess

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "examples" / "policy"
PROMOTE_DENIED = (
    "{}: an export to a new dataset must export a version pinned by a DatasetVersionRef with requirements,"
    " and depend on it"
)


def _opa() -> str | None:
    cached = sorted(Path.home().glob(".cache/pulumi-modelarts/opa-*/opa"))
    return os.environ.get("OPA") or shutil.which("opa") or (str(cached[-1]) if cached else None)


pytestmark = pytest.mark.skipif(
    _opa() is None and os.environ.get("PULUMI_MODELARTS_OPA") != "require",
    reason="Open Policy Agent is not installed (.ci/run installs it; or set OPA=/path/to/opa)",
)


def _deny(plan: Path, *data: Path) -> list[str]:
    """The policy's messages for a plan document (empty: it passes), checking OPA's exit code agrees."""
    opa = _opa()
    assert opa is not None, "PULUMI_MODELARTS_OPA=require, but no opa on PATH or in OPA"
    loaded = [argument for path in (POLICY / "modelarts.rego", *data) for argument in ("-d", str(path))]
    query = "data.modelarts.plan.deny[_]"
    result = subprocess.run(
        [opa, "eval", "--fail-defined", "--format", "raw", *loaded, "-i", str(plan), query],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = sorted(line for line in result.stdout.splitlines() if line)
    assert result.returncode == (1 if messages else 0), result.stdout + result.stderr
    return messages


def test_the_policy_is_valid_and_its_own_tests_pass() -> None:
    opa = _opa()
    assert opa is not None
    for command in (["check", "--strict"], ["test"]):
        result = subprocess.run([opa, *command, str(POLICY)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


def _copy_specs(tmp_path: Path, edit: Callable[[str], str] = lambda text: text) -> Path:
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    for path in specs.glob("*.yaml"):
        path.write_text(edit(path.read_text()))
    return specs


def test_the_shipped_pipeline_passes_and_the_same_without_requirements_fails(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    gated = run("plan", str(_copy_specs(tmp_path / "a")), "--out", str(tmp_path / "gated.json"), emulator=emulator)
    assert gated.returncode == 0, gated.stderr
    assert _deny(tmp_path / "gated.json") == []

    def ungate(text: str) -> str:  # the count requirements go; `status: ready` stays
        for line in ("min_annotated_ratio: 0.6", "min_annotated_samples: 40", "min_annotated_ratio: 0.3"):
            text = text.replace(line, "")
        return text

    specs = _copy_specs(tmp_path / "b", ungate)
    ungated = run("plan", str(specs), "--out", str(tmp_path / "ungated.json"), emulator=emulator)
    assert ungated.returncode == 0, ungated.stderr
    assert _deny(tmp_path / "ungated.json") == [
        PROMOTE_DENIED.format("pets-release"),
        "pets-version: releases version V002 without requirements",
        PROMOTE_DENIED.format("promote"),
    ]


def test_stopping_a_task_needs_review(emulator_factory: Callable[..., EmulatorProcess], tmp_path: Path) -> None:
    slow = emulator_factory("--seed", "demo", "--task-seconds", "600")
    task = (
        "  old-al:\n    type: modelarts:IntelligentTask\n"
        "    properties: {dataset_name: pets-detection, task_type: auto-label}\n    options: {wait: false}\n"
    )
    pin = (
        "  pin:\n    type: modelarts:DatasetVersionRef\n"
        "    properties: {dataset_name: pets-detection, version_name: V001}\n"
    )
    (tmp_path / "specs.yaml").write_text("resources:\n" + task + pin)
    assert run("apply", "specs.yaml", "--yes", emulator=slow, cwd=tmp_path).returncode == 0
    (tmp_path / "specs.yaml").write_text("resources:\n" + pin)  # old-al removed: its task is an orphan
    planned = run("plan", "specs.yaml", "--prune", "--out", "plan.json", emulator=slow, cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr

    denied = _deny(tmp_path / "plan.json")
    assert len(denied) == 1 and denied[0].startswith("old-al: stops task ") and "needs review" in denied[0]
    (tmp_path / "review.json").write_text('{"review": {"allow_stops": true}}')
    assert _deny(tmp_path / "plan.json", tmp_path / "review.json") == []


def test_a_plan_that_did_not_succeed_fails_the_policy(emulator: EmulatorProcess, tmp_path: Path) -> None:
    specs = _copy_specs(tmp_path, lambda text: text.replace("min_annotated_samples: 40", "min_annotated_samples: 1000"))
    blocked = run("plan", str(specs), "--out", str(tmp_path / "plan.json"), emulator=emulator)
    assert blocked.returncode == 1
    assert "the plan did not succeed: blocked: candidate" in _deny(tmp_path / "plan.json")
