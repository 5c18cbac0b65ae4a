"""The CLI end to end against the emulator (in process, on its virtual clock): validate, plan, apply, apply again,
promote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from support.cli import run
from support.emulator_process import EmulatorProcess

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"


@pytest.fixture
def specs_copy(tmp_path: Path) -> Path:
    target = tmp_path / "specs"
    shutil.copytree(SPECS, target)
    return target


def test_validate_shipped_specs_needs_no_credentials() -> None:
    result = run("validate", str(SPECS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout


def test_validate_reports_every_problem_with_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "resources:\n"
        "  ref:\n"
        "    type: modelarts:DatasetVersionRef\n"
        "    properties:\n"
        "      dataset_name: flowers\n"
        "      selector: newest\n"
        "  exp:\n"
        "    type: modelarts:ExportTask\n"
        "    properties:\n"
        "      dataset_id: ${nowhere.dataset_id}\n"
        "      export_type: 9\n"
    )
    result = run("validate", str(bad), "--format", "json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)
    text = json.dumps(problems)
    assert "selector" in text and "nowhere" in text and "export_type" in text
    github = run("validate", str(bad), "--format", "github")
    assert github.stdout.startswith("::error file=")


def test_plan_apply_apply_again(emulator: EmulatorProcess, specs_copy: Path) -> None:
    plan = run("plan", str(specs_copy), "--detailed-exitcode", emulator=emulator)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "promote" in plan.stdout and "create" in plan.stdout

    markdown = run("plan", str(specs_copy), "--format", "markdown", emulator=emulator)
    assert markdown.returncode == 0 and "| `promote` |" in markdown.stdout

    emulator.reset_stats()
    apply = run("apply", str(specs_copy), "--yes", emulator=emulator)
    assert apply.returncode == 0, apply.stdout + apply.stderr
    assert emulator.stats()["writes"] > 0

    emulator.reset_stats()
    again = run("apply", str(specs_copy), "--yes", "--format", "json", emulator=emulator)
    assert again.returncode == 0, again.stdout + again.stderr
    assert emulator.stats()["writes"] == 0
    document: dict[str, Any] = json.loads(again.stdout)
    assert document["changes_pending"] is False

    settled = run("plan", str(specs_copy), "--detailed-exitcode", emulator=emulator)
    assert settled.returncode == 0, settled.stdout + settled.stderr

    # Promote another version: one line in Git, a replace in the plan, then apply.
    promotion = specs_copy / "promotion.yaml"
    promotion.write_text(promotion.read_text().replace("version_name: V002", "version_name: V001"))
    text = promotion.read_text().replace("min_annotated_samples: 40", "min_annotated_samples: 20")
    promotion.write_text(text.replace("min_annotated_ratio: 0.3", "min_annotated_ratio: 0.2"))
    changed = run("plan", str(specs_copy), "--format", "json", "--detailed-exitcode", emulator=emulator)
    assert changed.returncode == 2, changed.stdout + changed.stderr
    by_name = {item["name"]: item for item in json.loads(changed.stdout)["resources"]}
    assert by_name["promote"]["action"] in ("replace", "create")
    paths = {change["path"] for change in by_name["promote"]["changes"]}
    assert "version_id" in paths or by_name["promote"]["action"] == "create"
    applied = run("apply", str(specs_copy), "--yes", emulator=emulator)
    assert applied.returncode == 0, applied.stdout + applied.stderr


def test_failing_gate_stops_the_export(emulator: EmulatorProcess, specs_copy: Path) -> None:
    promotion = specs_copy / "promotion.yaml"
    promotion.write_text(promotion.read_text().replace("min_annotated_samples: 40", "min_annotated_samples: 1000"))
    (specs_copy / "autolabel.yaml").unlink()
    emulator.reset_stats()
    result = run("apply", str(specs_copy), "--yes", emulator=emulator)
    assert result.returncode == 1
    assert "annotated_sample_count is 45, required at least 1000" in result.stdout + result.stderr
    assert "nothing was applied" in result.stderr
    assert emulator.stats()["writes"] == 0


def test_apply_refuses_without_yes_when_not_interactive(emulator: EmulatorProcess, specs_copy: Path) -> None:
    result = run("apply", str(specs_copy), emulator=emulator)
    assert result.returncode == 1 and "--yes" in result.stderr


def test_missing_credentials_is_a_clear_error(specs_copy: Path) -> None:
    result = run("plan", str(specs_copy))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr


def test_schema_command_prints_json_schema() -> None:
    result = run("schema")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert "resources" in json.dumps(document)
