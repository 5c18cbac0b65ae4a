"""Renderers without I/O: the text plan, JSON keys, apply lines, plain progress (markdown: test_markdown.py)."""

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
from support.decisions import planned

HOSTILE = "<img src=x onerror=alert(1)> @octocat #12 | **bold** [link](http://x) `code` $x$ :smile:\nnext"


def _results() -> list[ResourceResult]:
    pinned = Decision("in-sync", HOSTILE, target={"version_id": "v1"})
    candidate = ResourceResult("candidate", "modelarts:DatasetVersionRef", decision=pinned)
    change = PropertyChange("export_params.export_new_dataset_name", "a```b", HOSTILE)
    replace = Decision("replace", "export", changes=(change,), target={"task_id": "e1"})
    promote = ResourceResult("promote", "modelarts:ExportTask", decision=replace)
    broken = ResourceResult("broken", "modelarts:IntelligentTask", error=HOSTILE)
    return [candidate, promote, broken]


def test_json_names_a_versions_id_version_id() -> None:
    document = render.results_json(_results())
    assert '"version_id": "v1"' in document and '"task_id": "e1"' in document
    assert '"task_id": "v1"' not in document


def test_the_text_plan_shows_every_write_a_single_one_too() -> None:
    single = planned("create", "start export", writes=["start export to new dataset 'flowers-release-V002'"])
    two = planned("wait", "wait for task t1", writes=["wait for task t1", "accept 12 auto-labels"])
    results = [
        ResourceResult("promote", "modelarts:ExportTask", decision=single),
        ResourceResult("label", "modelarts:IntelligentTask", decision=two),
    ]
    assert render.plan_text(results).splitlines()[:5] == [
        "+ promote (ExportTask): create — start export",
        "    • start export to new dataset 'flowers-release-V002'",
        "… label (IntelligentTask): wait — wait for task t1",
        "    • wait for task t1",
        "    • accept 12 auto-labels",
    ]


@pytest.mark.parametrize(
    ("count", "text"), [(0, "0 problems"), (1, "1 problem"), (2, "2 problems"), (1500, "1,500 problems")]
)
def test_counts_agree_with_their_noun(count: int, text: str) -> None:
    assert render.plural(count, "problem") == text


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
