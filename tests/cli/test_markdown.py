"""The pull-request comment without I/O: escaping, every write, the context head, the picture, and the size budget."""

from __future__ import annotations

import re

import pytest

from pulumi_modelarts.cli import markdown
from pulumi_modelarts.cli.markdown import PlanContext, failure_markdown, plan_markdown, plan_mermaid
from pulumi_modelarts.cli.orphans import Orphan, OrphanReport
from pulumi_modelarts.cli.runner import ResourceResult as Result
from pulumi_modelarts.reconcile.changes import PropertyChange
from pulumi_modelarts.reconcile.decision import Action
from support.decisions import planned

HOSTILE = "<img src=x onerror=alert(1)> @octocat #12 | **bold** [link](http://x) `code` $x$ :smile:\nnext"


def _results() -> list[Result]:
    candidate = Result("candidate", "modelarts:DatasetVersionRef", decision=planned("in-sync", "pin", task_id="v1"))
    change = PropertyChange("export_params.export_new_dataset_name", "a```b", HOSTILE)
    plan = planned("replace", HOSTILE, [change], task_id="e1", writes=[HOSTILE])
    promote = Result("promote", "modelarts:ExportTask", decision=plan)
    broken = Result("broken", "modelarts:IntelligentTask", error=HOSTILE)
    return [candidate, promote, broken]


def _outside_mermaid(text: str) -> str:
    return re.sub(r"```mermaid\n.*?\n```", "", text, flags=re.DOTALL)


@pytest.mark.parametrize(
    "raw", ["<img", "@octocat", "#12", "| **bold**", "[link](", "`code`", "$x$", ":smile:", "\nnext"]
)
def test_markdown_escapes_user_strings(raw: str) -> None:
    text = plan_markdown(_results(), {"promote": ["candidate"]}, context=PlanContext(region=HOSTILE))
    diff = re.findall(r"````diff\n.*?\n````", text, flags=re.DOTALL)  # values are literal inside the fence
    assert raw not in _outside_mermaid(text).replace(diff[0], "")


def test_markdown_table_rows_stay_one_row_each() -> None:
    rows = [line for line in plan_markdown(_results()).splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 2  # the header and the two changed resources; the in-sync one is a count
    for row in rows:
        assert row.replace("\\|", "").count("|") == 7  # six cells, never more


def test_markdown_diff_fence_cannot_be_closed_by_a_value() -> None:
    text = plan_markdown(_results())
    fence = next(line for line in text.splitlines() if line.endswith("diff"))
    assert fence.startswith("````")  # longer than the ``` inside a value


def test_every_write_is_shown_a_single_one_too() -> None:
    single = planned("create", "start export", writes=["start export to new dataset 'flowers-release-V002'"])
    two = planned("wait", "wait for task t1", writes=["wait for task t1", "accept 12 auto-labels"])
    results = [
        Result("promote", "modelarts:ExportTask", decision=single),
        Result("label", "modelarts:IntelligentTask", decision=two),
    ]
    rows = {line.split(" | ")[1]: line for line in plan_markdown(results).splitlines() if line.startswith("| ")}
    assert rows["`promote`"].endswith("| • start export to new dataset 'flowers\\-release\\-V002' |")
    assert rows["`label`"].endswith("| • wait for task t1<br>• accept 12 auto\\-labels |")


def test_in_sync_resources_are_a_count() -> None:
    results = [Result(f"pin-{i}", "modelarts:DatasetVersionRef", decision=planned("in-sync", "pin")) for i in range(3)]
    assert plan_markdown(results).endswith("**Plan: 3 in-sync**\n\nAll 3 resources in sync: nothing to do.\n")
    results.append(Result("promote", "modelarts:ExportTask", decision=planned("create", "x", writes=["x"])))
    text = plan_markdown(results)
    assert "3 resources in sync, not listed." in text and "pin-0" not in text


def test_the_head_says_where_the_plan_was_made_then_the_summary() -> None:
    context = PlanContext(
        commit="0123456789abcdef0123456789abcdef01234567",
        endpoint_host="modelarts.eu-de.otc.t-systems.com",
        region="eu-de",
        project_id="0b9c1f8a2d3e4f5061728394a5b6c7d8",
        emulator=True,
        version="0.1.0",
        digest="sha256:4f1c",
    )
    lines = plan_markdown(_results(), context=context).splitlines()
    assert lines[0] == "### ModelArts plan"
    assert lines[1] == (
        "<sub>commit `0123456789ab` · endpoint `modelarts.eu-de.otc.t-systems.com` · region `eu-de` · project"
        " `0b9c1f8a2d3e4f5061728394a5b6c7d8` · **emulator** (not a cloud) · pulumi-modelarts `0.1.0` ·"
        " plan digest `sha256:4f1c`</sub>"
    )
    assert lines[3] == "**Plan: 1 error, 1 in-sync, 1 replace**"
    bare = plan_markdown(_results(), context=PlanContext(region="eu-de")).splitlines()
    assert bare[1] == "<sub>region `eu-de`</sub>"  # what is not known is left out, not shown empty


def test_an_error_says_nothing_can_be_applied_before_the_changes() -> None:
    lines = plan_markdown(_results(), error="errors in broken").splitlines()
    assert lines.index("**Nothing can be applied**: errors in broken") < lines.index(
        "| | Resource | Type | Action | Details | Writes |"
    )


# --- the picture: changed resources and their direct neighbours ----------------------------------------


def _chain(actions: list[Action]) -> list[Result]:
    return [
        Result(
            f"n{index}",
            "modelarts:ExportTask",
            decision=planned(action, "s", writes=[] if action == "in-sync" else ["w"]),
        )
        for index, action in enumerate(actions)
    ]


def test_the_picture_draws_changed_resources_and_their_direct_neighbours_only() -> None:
    results = [*_chain(["in-sync", "in-sync", "replace", "in-sync", "in-sync"])]
    # n1 -> n2 (changed) -> n3 -> n4; n0 stands alone
    graph = "\n".join(plan_mermaid(results, {"n2": ["n1"], "n3": ["n2"], "n4": ["n3"]}))
    assert re.findall(r"\b(r\d)\[", graph) == ["r1", "r2", "r3"]
    assert re.findall(r"r\d --> r\d", graph) == ["r1 --> r2", "r2 --> r3"]
    assert 'r2["n2<br/>ExportTask: replace"]:::replace' in graph
    assert plan_mermaid(_chain(["in-sync", "in-sync"]), {"n1": ["n0"]}) == []  # nothing changes: no picture


def test_the_picture_ignores_references_to_undeclared_resources() -> None:
    graph = plan_mermaid(_chain(["create"]), {"n0": ["nowhere"]})
    assert not any("-->" in line or "nowhere" in line for line in graph)


@pytest.mark.parametrize(
    ("count", "dependencies"),
    [
        (markdown.MERMAID_MAX_NODES + 1, {}),  # too many nodes
        (60, {f"n{i}": [f"n{j}" for j in range(i)] for i in range(60)}),  # 1,770 edges among 60 nodes
    ],
)
def test_the_picture_is_left_out_with_a_note_past_its_caps(count: int, dependencies: dict[str, list[str]]) -> None:
    graph = plan_mermaid(_chain(["create"] * count), dependencies)
    assert len(graph) == 1 and graph[0].startswith("_The picture of the plan is left out:")
    text = plan_markdown(_chain(["create"] * count), dependencies)
    assert "```mermaid" not in text and "_The picture of the plan is left out:" in text


# --- the budget: any size fits in one comment -------------------------------------------------------------

_ACTIONS: list[Action] = ["create", "replace", "in-sync", "blocked", "wait", "in-sync"]


def _big_plan(count: int) -> tuple[list[Result], dict[str, list[str]]]:
    results = []
    for index in range(count):
        name = f"export-{index:05d}"
        if index % 7 == 6:
            results.append(Result(name, "modelarts:ExportTask", error=f"{name}: ConnectError " + "x" * 150))
            continue
        action = _ACTIONS[index % len(_ACTIONS)]
        changes = [PropertyChange("version_id", f"old-{index}", f"new-{index}")] * (action == "replace")
        writes = [] if action == "in-sync" else [f"start export {index} to new dataset 'release-{index}'", "stop x"]
        summary = f"start export to new dataset 'flowers-release-{index}' from version V{index:04d} of dataset ds"
        results.append(Result(name, "modelarts:ExportTask", decision=planned(action, summary, changes, writes=writes)))
    dependencies = {results[i].name: [results[i - 1].name] for i in range(1, count)}
    return results, dependencies


@pytest.mark.parametrize("count", [500, 2_000, 10_000])
def test_the_comment_fits_at_any_size_and_says_what_it_left_out(count: int) -> None:
    results, dependencies = _big_plan(count)
    context = PlanContext(commit="abc", plan_file="plan.json", run_url="https://github.com/acme/infra/actions/runs/42")
    text = plan_markdown(results, dependencies, context=context)

    assert len(text) <= markdown.GITHUB_COMMENT_LIMIT and len(text.encode()) <= markdown.BUDGET
    lines = text.splitlines()
    assert lines[:4] == ["### ModelArts plan", "<sub>commit `abc`</sub>", "", lines[3]]
    assert lines[3].startswith("**Plan: ")
    changed = [result for result in results if result.decision is None or result.decision.action != "in-sync"]
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| | Resource")]
    note = re.search(r"\*\*Shortened to fit one comment\*\*: ([\d,]+) of ([\d,]+) changed resources not listed", text)
    assert note is not None
    assert int(note[1].replace(",", "")) + len(rows) == int(note[2].replace(",", "")) == len(changed)
    assert (
        "The full plan: the saved plan `plan.json`, kept as an artifact of [this run](https://github.com/acme/" in text
    )
    assert f"{count - len(changed):,} resources in sync, not listed." in text
    assert "```mermaid" not in text and "_The picture of the plan is left out: " in text  # a note, no picture
    # What fails the check is kept first: every error row is listed before any create is.
    errors = sum(1 for result in changed if result.error)
    assert sum(1 for row in rows if "**error**" in row) == min(errors, len(rows))


def test_a_plan_that_fits_is_not_shortened() -> None:
    results, dependencies = _big_plan(20)
    text = plan_markdown(results, dependencies)
    assert "Shortened" not in text and "```mermaid" in text
    assert text.count("property changes</summary>") == sum(1 for r in results if r.decision and r.decision.changes)


def test_property_changes_are_cut_before_rows() -> None:
    changes = [PropertyChange(f"export_params.p{i}", "o" * 600, "n" * 600) for i in range(20)]
    results = [Result(f"r{i}", "modelarts:ExportTask", decision=planned("replace", "s", changes)) for i in range(10)]
    text = plan_markdown(results)
    assert len(text.encode()) <= markdown.BUDGET
    assert len([line for line in text.splitlines() if line.startswith("| ± | `r")]) == 10  # every row is listed
    shown = text.count("property changes</summary>")
    assert 0 < shown < 10
    assert f"the property changes of {10 - shown} resources left out. The full plan: " in text


# --- a plan that failed --------------------------------------------------------------------------------


def test_a_failure_document_says_what_failed_and_lists_problems_within_the_budget() -> None:
    problems = [
        f"specs/p{i}.yaml:{i}:1: resource 'r{i}': unknown type 'modelarts:Nope'" + " x" * 100 for i in range(2000)
    ]
    text = failure_markdown("the specs are not valid (2,000 problems)", PlanContext(region="eu-de"), problems)
    lines = text.splitlines()
    assert lines[:4] == [
        "### ModelArts plan failed",
        "<sub>region `eu-de`</sub>",
        "",
        "**Error**: the specs are not valid \\(2,000 problems\\)",
    ]
    assert len(text.encode()) <= markdown.BUDGET
    assert re.search(r"… and [\d,]+ more problems\.", text)
    assert lines[-1] == "No plan was made, so there is nothing to approve or apply from this run."


def _orphans(count: int, prune: bool) -> OrphanReport:
    tasks = [
        Orphan(f"old-{index}", "ds1", "auto-label", {"task_id": f"t{index}", "task_name": f"pm-old-{index}-abcdef"})
        for index in range(count)
    ]
    return OrphanReport(tuple(tasks), prune)


@pytest.mark.parametrize("prune", [False, True])
def test_orphans_are_their_own_part_with_their_stops_under_prune(prune: bool) -> None:
    in_sync = [Result("pin", "modelarts:DatasetVersionRef", decision=planned("in-sync", "pin", task_id="v1"))]
    text = plan_markdown(in_sync, {}, orphans=_orphans(1, prune))
    lines = text.splitlines()
    fate = "to stop" if prune else "left running (apply --prune stops it)"
    assert lines[2] == f"**Plan: 1 in-sync; 1 orphaned task {fate}**"
    assert "#### Orphans: 1 running task of resources no longer declared" in lines
    row = next(line for line in lines if line.startswith("| ⊘ | `old-0` | auto\\-label task t0"))
    if prune:
        assert row.endswith("| • stop task t0 \\(resource 'old\\-0' is no longer declared\\) |")
        assert "All 1 resource in sync." in lines  # not "nothing to do": apply stops the orphan
    else:
        assert row.endswith("| left running\\: apply \\-\\-prune stops it |")
        assert "All 1 resource in sync: nothing to do." in lines


def test_many_orphans_are_cut_to_fit_with_a_note() -> None:
    results, dependencies = _big_plan(500)
    text = plan_markdown(
        results, dependencies, context=PlanContext(plan_file="plan.json"), orphans=_orphans(5_000, True)
    )
    assert len(text.encode()) <= markdown.BUDGET
    listed = sum(1 for line in text.splitlines() if line.startswith("| ⊘ |"))
    note = re.search(r"([\d,]+) orphaned tasks not listed", text)
    assert note is not None and int(note[1].replace(",", "")) + listed == 5_000
