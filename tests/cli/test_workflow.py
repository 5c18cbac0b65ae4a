"""The shipped GitHub Actions workflow: linted by actionlint, its gate, and its github-script steps run by node.

The scripts run against a fake GitHub API (workflow_harness.js): which plan a merge applies, what it
refuses, the queue of applies, the sticky comment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_FILE = ROOT / "examples/github-actions/modelarts.yml"
WORKFLOW: dict[Any, Any] = yaml.safe_load(WORKFLOW_FILE.read_text())
HARNESS = Path(__file__).with_name("workflow_harness.js")
MERGE_SHA = "a" * 40
HEAD_SHA = "b" * 40


def _actionlint() -> str | None:
    return os.environ.get("ACTIONLINT") or shutil.which("actionlint")


@pytest.mark.skipif(
    _actionlint() is None and os.environ.get("PULUMI_MODELARTS_ACTIONLINT") != "require",
    reason="actionlint is not installed (.ci/run installs it)",
)
def test_actionlint_finds_nothing() -> None:
    actionlint = _actionlint()
    assert actionlint is not None, "PULUMI_MODELARTS_ACTIONLINT=require, but no actionlint on PATH or in ACTIONLINT"
    result = subprocess.run([actionlint, str(WORKFLOW_FILE)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _steps(job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = WORKFLOW["jobs"][job]["steps"]
    return steps


def _step(job: str, name: str) -> dict[str, Any]:
    return next(step for step in _steps(job) if step.get("name", "").startswith(name))


def test_it_works_as_shipped_without_placeholders_or_path_filters() -> None:
    text = WORKFLOW_FILE.read_text()
    assert "<owner>" not in text and "<tag>" not in text
    triggers = WORKFLOW[True]  # PyYAML reads the key `on` as true
    assert set(triggers) == {"pull_request", "push"} and triggers["pull_request"] is None
    assert "paths" not in triggers["push"]
    install = _step("plan", "Install")["run"]
    assert install == 'python -m pip install "$PULUMI_MODELARTS_PACKAGE"'
    assert WORKFLOW["env"]["PULUMI_MODELARTS_PACKAGE"] == "${{ vars.PULUMI_MODELARTS_PACKAGE || '.' }}"


def _gate(code: str | None, saved_plan: bool, tmp_path: Path) -> int:
    step = _step("plan", "Pass only a plan")
    if saved_plan:
        (tmp_path / "plan.json").write_text("{}")
    env = {**os.environ, "EXIT_CODE": code or ""}
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True).returncode


@pytest.mark.parametrize(
    ("code", "saved_plan", "passes"),
    [
        ("0", True, True),
        ("2", True, True),
        ("2", False, False),  # a usage error: exit 2, but no plan was saved
        ("1", True, False),
        ("130", True, False),
        ("137", True, False),
        (None, False, False),  # the plan step never ran
    ],
)
def test_the_check_passes_only_on_0_or_2_with_a_saved_plan(
    code: str | None, saved_plan: bool, passes: bool, tmp_path: Path
) -> None:
    assert (_gate(code, saved_plan, tmp_path) == 0) is passes


def test_the_pull_request_plans_with_out_and_the_merge_applies_that_plan() -> None:
    assert (
        'pulumi-modelarts plan "$SPECS" --out plan.json --format markdown --detailed-exitcode'
        in (_step("plan", "Plan")["run"])
    )
    assert "pulumi-modelarts apply --plan approved/plan.json --yes" in _step("apply", "Apply")["run"]
    download = _step("apply", "Download")["with"]
    assert download["run-id"] == "${{ steps.find.outputs.plan_run }}" and download["name"] == "${{ env.ARTIFACT }}"


def test_no_merge_is_dropped_by_concurrency_rules() -> None:
    apply = WORKFLOW["jobs"]["apply"]["concurrency"]
    assert apply == {"group": "modelarts-apply-${{ github.sha }}", "cancel-in-progress": False}
    assert "concurrency" not in WORKFLOW  # no workflow-wide group that a third merge could cancel a pending one in
    plan = WORKFLOW["jobs"]["plan"]["concurrency"]
    assert plan["group"] == "modelarts-plan-${{ github.event.pull_request.number }}" and plan["cancel-in-progress"]


# --- the github-script steps, run by node ----------------------------------------------------------------

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node runs the github-script steps")


def _run(
    job: str,
    step: str,
    api: dict[str, Any],
    env: dict[str, str] | None = None,
    files: dict[str, str] | None = None,
    run_id: int = 900,
) -> Any:
    context = {
        "repo": {"owner": "acme", "repo": "infra"},
        "runId": run_id,
        "sha": MERGE_SHA,
        "serverUrl": "https://github.com",
        "payload": {"pull_request": {"number": 7}},
    }
    document = {"script": _step(job, step)["with"]["script"], "env": {"ARTIFACT": "modelarts-plan", **(env or {})}}
    document.update(context=context, api={"runs": [], "artifacts": {}, "pulls": {}, **api}, files=files or {})
    done = subprocess.run(
        ["node", str(HARNESS)], input=json.dumps(document), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _run_record(run_id: int, event: str, status: Any, conclusion: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": run_id,
        "workflow_id": 55,
        "event": event,
        "status": status,
        "conclusion": conclusion,
        "head_sha": HEAD_SHA if event == "pull_request" else MERGE_SHA,
        "head_branch": "promote-v001" if event == "pull_request" else "main",
        "created_at": f"2025-01-01T00:{run_id % 60:02d}:00Z",
        "run_started_at": f"2025-01-01T00:{run_id % 60:02d}:00Z",
        "html_url": f"https://github.com/acme/infra/actions/runs/{run_id}",
        **extra,
    }


SELF = _run_record(900, "push", "in_progress", created_at="2025-01-01T01:00:00Z", run_started_at="2025-01-01T01:00:00Z")
PULL = {"number": 7, "merged_at": "2025-01-01T00:59:00Z", "merge_commit_sha": MERGE_SHA}
PULL.update(base={"ref": "main"}, head={"sha": HEAD_SHA})


@needs_node
def test_the_merge_applies_the_last_successful_plan_of_the_pull_requests_head() -> None:
    runs = [
        SELF,
        _run_record(10, "pull_request", "completed", "success"),
        _run_record(5, "pull_request", "completed", "failure"),
    ]
    api = {
        "runs": runs,
        "pulls": {MERGE_SHA: [PULL]},
        "artifacts": {"10": [{"name": "modelarts-plan", "expired": False}]},
    }
    result = _run("apply", "Find the approved plan", api)
    assert result["failed"] is None
    assert result["outputs"] == {
        "workflow_id": "55",
        "pr": "7",
        "plan_run_url": "https://github.com/acme/infra/actions/runs/10",
        "plan_run": "10",
    }


@pytest.mark.parametrize(
    ("runs", "pulls", "artifacts", "reason"),
    [
        ([], {}, {}, f"no merged pull request for {MERGE_SHA}"),
        ([], {MERGE_SHA: [PULL]}, {}, f"#7 has no plan run for its head {HEAD_SHA}"),
        (
            [
                _run_record(10, "pull_request", "completed", "success"),
                _run_record(11, "pull_request", "completed", "failure"),
            ],
            {MERGE_SHA: [PULL]},
            {"10": [{"name": "modelarts-plan", "expired": False}]},
            "runs/11) is failure, not a successful plan: nothing approved to apply",
        ),
        (
            [_run_record(12, "pull_request", "in_progress")],
            {MERGE_SHA: [PULL]},
            {},
            "runs/12) is in_progress, not a successful plan",
        ),
        (
            [_run_record(10, "pull_request", "completed", "success")],
            {MERGE_SHA: [PULL]},
            {"10": [{"name": "modelarts-plan", "expired": True}]},
            "kept no modelarts-plan artifact (expired?)",
        ),
    ],
)
@needs_node
def test_the_merge_refuses_without_an_approved_plan(
    runs: list[dict[str, Any]], pulls: dict[str, Any], artifacts: dict[str, Any], reason: str
) -> None:
    result = _run("apply", "Find the approved plan", {"runs": [SELF, *runs], "pulls": pulls, "artifacts": artifacts})
    assert result["failed"] is not None and reason in result["failed"]
    assert result["outputs"]["refused"] == result["failed"]
    assert "plan_run" not in result["outputs"]


@needs_node
def test_applies_wait_for_every_earlier_apply_and_never_for_a_later_one() -> None:
    earlier = _run_record(800, "push", ["in_progress", "in_progress", "completed"])  # finishes after two polls
    waiting = _run_record(850, "push", ["waiting", "completed"])  # waiting for an environment's approval
    later = _run_record(950, "push", "queued", run_started_at="2025-01-01T02:00:00Z")
    plan = _run_record(3, "pull_request", "in_progress")
    runs = [SELF, earlier, waiting, later, plan]
    result = _run("apply", "Wait for earlier applies", {"runs": runs}, env={"WORKFLOW_ID": "55"})
    assert result["sleeps"] == 2
    assert result["infos"][0] == (
        "waiting for https://github.com/acme/infra/actions/runs/850, https://github.com/acme/infra/actions/runs/800"
    )
    assert all("runs/950" not in info and "runs/3" not in info for info in result["infos"])
    # Seen from the later run's side, the order is the same: it waits for this one, so neither waits on the other.
    this = {**SELF, "status": ["in_progress", "completed"]}
    seen = _run("apply", "Wait for earlier applies", {"runs": [this, later]}, env={"WORKFLOW_ID": "55"}, run_id=950)
    assert seen["sleeps"] == 1 and seen["infos"] == ["waiting for https://github.com/acme/infra/actions/runs/900"]


@needs_node
def test_the_plan_comment_is_one_comment_updated_by_each_push() -> None:
    mine = {"id": 31, "user": {"login": "github-actions[bot]"}, "body": "<!-- pulumi-modelarts plan -->\nold"}
    forged = {"id": 30, "user": {"login": "someone"}, "body": "<!-- pulumi-modelarts plan -->\nforged"}
    files = {"plan.md": "### ModelArts plan\n\n**Plan: 1 replace**\n"}
    step = "Post the plan"
    updated = _run("plan", step, {"comments": [forged, mine]}, files=files)["calls"]
    assert [call["name"] for call in updated] == ["listComments", "updateComment"]
    assert updated[1]["params"]["comment_id"] == 31
    assert updated[1]["params"]["body"] == "<!-- pulumi-modelarts plan -->\n### ModelArts plan\n\n**Plan: 1 replace**\n"
    created = _run("plan", step, {"comments": [forged]}, files=files)["calls"]
    assert [call["name"] for call in created] == ["listComments", "createComment"]
    assert created[1]["params"]["issue_number"] == 7


@needs_node
def test_a_plan_step_that_printed_nothing_still_replaces_the_comment() -> None:
    calls = _run("plan", "Post the plan", {"comments": []}, env={"EXIT_CODE": "2"}, files={"plan.md": ""})["calls"]
    body = calls[1]["params"]["body"]
    assert body.startswith("<!-- pulumi-modelarts plan -->\n### ModelArts plan failed\n")
    assert "(exit code 2) before it printed a plan" in body and "actions/runs/900" in body


@needs_node
@pytest.mark.parametrize(
    ("env", "log", "verdict"),
    [
        ({"EXIT_CODE": "0"}, "Applied: 5 of 5 resources ok", "### ModelArts apply: applied\n"),
        ({"EXIT_CODE": "1"}, "promote: changed since the plan: ```version_id``` moved", "not applied (exit code 1)"),
        ({"REFUSED": "the last plan of #7 ... is failure"}, "", "### ModelArts apply: refused\n"),
    ],
)
def test_the_result_goes_back_to_the_pull_request(env: dict[str, str], log: str, verdict: str) -> None:
    env = {"PR": "7", "PLAN_RUN_URL": "https://github.com/acme/infra/actions/runs/10", **env}
    calls = _run("apply", "Post the result", {}, env=env, files={"apply.log": log})["calls"]
    assert [call["name"] for call in calls] == ["createComment"]
    body = calls[0]["params"]["body"]
    assert calls[0]["params"]["issue_number"] == 7 and verdict in body
    shown = env.get("REFUSED") or log
    assert f"\n````\n{shown}\n````\n" in body if "```" in shown else f"\n```\n{shown}\n```\n" in body
