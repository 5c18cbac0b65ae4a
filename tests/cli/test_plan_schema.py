"""The plan document's published JSON Schema (`pulumi-modelarts schema --plan`), and the check that holds every plan
document the tests produce to it (tests/support/plan_schema.py, run after each test by tests/conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pulumi_modelarts import schema
from pulumi_modelarts.cli import plan_file
from pulumi_modelarts.reconcile.decision import Action, BlockReason, WriteKind
from support import plan_schema
from support.cli import run
from support.emulator_process import EmulatorProcess, cli_env

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "pulumi_modelarts.cli.main"]


def _definitions() -> dict[str, Any]:
    definitions: dict[str, Any] = schema.plan_schema()["$defs"]
    return definitions


def test_schema_plan_prints_the_published_draft_2020_12_schema() -> None:
    result = run("schema", "--plan")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document == schema.plan_schema()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"].endswith("/plan.json")
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["properties"]["format"] == {"const": plan_file.FORMAT}
    assert document["properties"]["format_version"] == {"const": plan_file.FORMAT_VERSION}


def test_the_schema_names_every_write_kind_action_and_block_reason_of_the_code() -> None:
    definitions = _definitions()
    assert definitions["Write"]["properties"]["kind"]["enum"] == list(typing.get_args(WriteKind))
    assert definitions["Action"]["enum"] == [*typing.get_args(Action), "error", "skipped"]
    assert definitions["Resource"]["properties"]["blocked"]["enum"] == list(typing.get_args(BlockReason))


def test_every_plan_document_of_a_subprocess_or_of_this_process_reaches_the_check(tmp_path: Path) -> None:
    """The guard itself: a plan printed by a CLI subprocess and one saved in process are both spooled."""
    spool = Path(os.environ[plan_schema.SPOOL_ENV])
    before = set(spool.glob("*.json"))
    printed = subprocess.run(
        [*CLI, "plan", str(ROOT / "specs"), "--emulator", "--format", "json"],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    spooled = sorted(set(spool.glob("*.json")) - before, key=lambda path: path.stat().st_mtime)
    assert [path.read_text() for path in spooled] == [printed.stdout]

    saved = run("plan", str(ROOT / "specs"), "--emulator", "--out", str(tmp_path / "plan.json"))
    assert saved.returncode == 0, saved.stderr
    texts = [path.read_text() for path in set(spool.glob("*.json")) - before]
    assert (tmp_path / "plan.json").read_text() in texts


def test_the_check_refuses_documents_the_schema_does_not_allow(tmp_path: Path) -> None:
    printed = run("plan", str(ROOT / "specs"), "--emulator", "--format", "json")
    document = json.loads(printed.stdout)
    assert plan_schema.problems(document) == []
    # A deferred decision: its export's version is {"$unknown": ...} until the release it depends on ran.
    deferred = next(item for item in document["resources"] if item["name"] == "pets-release")
    assert deferred["writes"][0]["body"]["version_id"] == {"$unknown": "pets-version.version_id"}

    broken = json.loads(printed.stdout)
    broken["resources"][0]["writes"][0]["kind"] = "delete-dataset"
    del broken["orphans"]
    broken["resources"][2]["writes"][0]["body"]["version_id"] = {"$unknown": 7}
    found = plan_schema.problems(broken)
    assert any(problem.startswith("resources/0/writes/0/kind:") for problem in found)
    assert any("'orphans' is a required property" in problem for problem in found)
    assert any(problem.startswith("resources/2/writes/0/body/version_id/$unknown:") for problem in found)

    (tmp_path / "bad.json").write_text(json.dumps(broken))
    with pytest.raises(AssertionError, match="does not match `schema --plan`"):
        plan_schema.check_and_clear(tmp_path)
    assert list(tmp_path.glob("*.json")) == []


def test_a_plan_that_could_not_be_made_is_a_plan_document_with_ok_false(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("resources:\n  a:\n    type: modelarts:Nope\n")
    result = run("plan", str(tmp_path), "--format", "json", "--emulator")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["format"] == plan_file.FORMAT and document["ok"] is False
    assert document["specs"] is None and document["resources"] == [] and document["problems"][0]["line"] == 3
    assert plan_schema.problems(document) == []


def test_the_document_is_a_key_a_line_and_each_object_of_a_list_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(plan_schema.SPOOL_ENV)  # the layout of any mapping: this one is no plan for the schema check

    class Token:
        def __str__(self) -> str:
            return "token"

    document = {
        "ok": True,
        "specs": {"paths": ["specs", "más"], "files": [{"path": "a.yaml", "sha256": "ab"}]},
        "summary": {},
        "failed": [],
        "resources": [{"name": "a", "inputs": {"path": "/ö/", "n": [1, 2.5, None]}, "seen": Token()}, {"name": "b"}],
        "nested": [[1, {"x": 1}], []],
    }
    text = plan_file.dumps(document)

    assert text == "\n".join(
        [
            "{",
            '  "ok": true,',
            '  "specs": {',
            '    "paths": [',
            '      "specs",',
            '      "más"',
            "    ],",
            '    "files": [',
            '      {"path": "a.yaml", "sha256": "ab"}',
            "    ]",
            "  },",
            '  "summary": {},',
            '  "failed": [],',
            '  "resources": [',
            '    {"name": "a", "inputs": {"path": "/ö/", "n": [1, 2.5, null]}, "seen": "token"},',
            '    {"name": "b"}',
            "  ],",
            '  "nested": [',
            "    [",
            "      1,",
            '      {"x": 1}',
            "    ],",
            "    []",
            "  ]",
            "}",
            "",
        ]
    )
    assert json.dumps(json.loads(text), indent=2, ensure_ascii=False) == json.dumps(
        document, indent=2, ensure_ascii=False, default=str
    )


def test_the_same_state_gives_the_same_bytes_with_orphans_and_inputs(emulator: EmulatorProcess) -> None:
    first = run("plan", str(ROOT / "specs"), "--format", "json", "--prune", emulator=emulator)
    second = run("plan", str(ROOT / "specs"), "--format", "json", "--prune", emulator=emulator)
    assert first.stdout == second.stdout and first.returncode == 0
    document = json.loads(first.stdout)
    assert '"seconds"' not in first.stdout and "api_calls" not in document  # timings only with --timings
    by_name = {item["name"]: item for item in document["resources"]}
    assert by_name["promote"]["depends_on"] == ["candidate"]
    assert by_name["candidate"]["inputs"]["requirements"]["min_annotated_samples"] == 40
    assert all(item["dataset_id"] for item in document["resources"])  # resolved, deferred ones included


def test_timings_give_the_calls_and_the_seconds_of_each_phase(emulator: EmulatorProcess) -> None:
    """Where a slow plan spends its time: reading the specs, the reads before deciding, deciding."""
    emulator.reset_stats()
    result = run("plan", str(ROOT / "specs"), "--format", "json", "--timings", emulator=emulator)
    document = json.loads(result.stdout)
    assert result.returncode == 0 and set(document["phases"]) == {"load", "observe", "decide"}
    assert all(isinstance(seconds, float) and seconds >= 0 for seconds in document["phases"].values())
    assert document["api_calls"]["total"] == emulator.stats()["total"] > 0
    assert all(isinstance(item["seconds"], float) for item in document["resources"])


def test_an_acceptance_carries_the_counts_the_decision_knows(emulator: EmulatorProcess, tmp_path: Path) -> None:
    """A finished auto-label task whose accept rule is added: the write's count and what the rule leaves, by reason."""
    pipeline = (ROOT / "specs" / "autolabel.yaml").read_text()
    body = pipeline.split("\n  pets-autolabel:")[1].split("\n  pets-version:")[0]  # the task alone, no import
    task = "resources:\n  pets-autolabel:" + body.replace('      triggers: ["${pets-intake.task_id}"]\n', "")
    assert "triggers" not in task and "accept:" in task
    (tmp_path / "specs.yaml").write_text(
        task.replace("      accept:\n        min_score: 0.5\n        skip_hard: true\n", "")
    )
    assert run("apply", "specs.yaml", "--yes", emulator=emulator, cwd=tmp_path).returncode == 0
    (tmp_path / "specs.yaml").write_text(task)

    document = json.loads(run("plan", "specs.yaml", "--format", "json", emulator=emulator, cwd=tmp_path).stdout)

    (resource,) = document["resources"]
    assert resource["action"] == "update"
    (write,) = resource["writes"]
    assert write["kind"] == "accept-labels" and isinstance(write["count"], int) and write["count"] > 0
    assert write["target"] == resource["target_id"]
    assert set(resource["skipped_counts"]) <= {"low_score", "hard_example", "label_not_allowed"}
    assert sum(resource["skipped_counts"].values()) > 0
