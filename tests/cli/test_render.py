"""Renderers without I/O: markdown for pull requests (escaping, the mermaid picture), JSON keys, plain progress."""

from __future__ import annotations

import io
import threading

import pytest

from pulumi_modelarts.cli import render
from pulumi_modelarts.cli.progress import PlainProgress
from pulumi_modelarts.cli.runner import ResourceResult
from pulumi_modelarts.reconcile.changes import PropertyChange
from pulumi_modelarts.reconcile.decision import Decision
from pulumi_modelarts.reconcile.waiting import Probe

HOSTILE = "<img src=x onerror=alert(1)> @octocat #12 | **bold** [link](http://x) `code` $x$ :smile:\nnext"


def _results() -> list[ResourceResult]:
    pinned = Decision("in-sync", HOSTILE, target={"version_id": "v1"})
    candidate = ResourceResult("candidate", "modelarts:DatasetVersionRef", decision=pinned)
    change = PropertyChange("export_params.export_new_dataset_name", "a```b", HOSTILE)
    replace = Decision("replace", "export", changes=(change,), target={"task_id": "e1"})
    promote = ResourceResult("promote", "modelarts:ExportTask", decision=replace)
    broken = ResourceResult("broken", "modelarts:IntelligentTask", error=HOSTILE)
    return [candidate, promote, broken]


@pytest.mark.parametrize(
    "raw", ["<img", "@octocat", "#12", "| **bold**", "[link](", "`code`", "$x$", ":smile:", "\nnext"]
)
def test_markdown_escapes_user_strings(raw: str) -> None:
    text = render.plan_markdown(_results(), {"promote": ["candidate"]})
    table = text.split("```mermaid")[0]
    assert raw not in table


def test_markdown_table_rows_stay_one_row_each() -> None:
    table = render.plan_markdown(_results()).split("\n\n")[2].splitlines()
    rows = [line for line in table if line.startswith("| ")]
    assert len(rows) == 1 + 3
    for row in rows:
        assert row.replace("\\|", "").count("|") == 6  # five cells, never more


def test_markdown_diff_fence_cannot_be_closed_by_a_value() -> None:
    text = render.plan_markdown(_results())
    fence = next(line for line in text.splitlines() if line.endswith("diff"))
    assert fence.startswith("````")  # longer than the ``` inside a value


def test_markdown_has_a_mermaid_graph_of_resources_references_and_actions() -> None:
    text = render.plan_markdown(_results(), {"promote": ["candidate"], "broken": ["nowhere"]})
    graph = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert graph.startswith("flowchart LR")
    assert 'r0["candidate<br/>DatasetVersionRef: in-sync"]:::in_sync' in graph
    assert 'r1["promote<br/>ExportTask: replace"]:::replace' in graph
    assert "r0 --> r1" in graph and "nowhere" not in graph
    assert "classDef replace" in graph and "classDef error" in graph


def test_json_names_a_versions_id_version_id() -> None:
    document = render.results_json(_results())
    assert '"version_id": "v1"' in document and '"task_id": "e1"' in document
    assert '"task_id": "v1"' not in document


def test_apply_line_has_no_python_reprs() -> None:
    result = ResourceResult(
        "label",
        "modelarts:IntelligentTask",
        outputs={"task_id": "t1", "status_name": "succeeded", "accepted_count": 3, "skipped_counts": {"low_score": 17}},
    )
    line = render.apply_line(result)
    assert "{" not in line and "'" not in line
    assert "accepted 3 auto-labels (skipped 17 low score)" in line


class _SlowStream(io.StringIO):
    """Yields to other threads inside every write, as a pipe to a slow reader would."""

    def write(self, text: str) -> int:
        threading.Event().wait(0.0005)
        return super().write(text)


def test_plain_progress_lines_of_parallel_resources_never_share_a_line() -> None:
    stream = _SlowStream()
    progress = PlainProgress(stream)

    def report(index: int) -> None:
        for step in range(0, 100, 10):
            progress(f"resource-{index}", {"status": 2, "task_id": "t"}, Probe(done=False, progress=float(step)))
            progress.print(f"  message from resource-{index}")

    threads = [threading.Thread(target=report, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 8 * 20
    for line in lines:
        assert line.count("resource-") == 1, line
