"""5xx bursts and dropped connections: reads are retried; creates are never repeated blindly (the
reconcile layer looks again, then either adopts what was committed or reports a clean error)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_modelarts.cli.runner import Runner
from pulumi_modelarts.specs import load_specs
from support.faultkit import (
    DATASETS,
    EXPORT,
    EXPORTS,
    TASK,
    TASKS,
    THREE_CREATES,
    VERSIONS,
    Cli,
    EmulatorFactory,
    InProcess,
    errors_of,
    faults_applied,
    objects,
    requests_to,
    rule,
    write_specs,
)
from support.runs import apply_plan

AFTER = {"tasks": 1, "export_tasks": 1, "versions": 3}


def test_read_failures_are_retried(
    faulty: EmulatorFactory, in_process: Callable[..., InProcess], tmp_path: Path
) -> None:
    emulator = faulty()
    run = in_process(emulator)
    specs = load_specs([write_specs(tmp_path / "specs", THREE_CREATES)])
    faults = [
        rule("error", "GET", DATASETS, times=2, status=503),
        rule("error", "GET", TASKS, times=2, status=502, error_code="APIG.0502"),
        rule("drop", "GET", EXPORTS, times=2),
        rule("error", "GET", VERSIONS, times=1, status=500, error_code="ModelArts.0001"),
        rule("drop", "GET", TASK, times=2),
        rule("error", "GET", EXPORT, times=2, status=504),
    ]
    emulator.set_faults(faults)

    planned = Runner(specs, run.ctx).plan()
    applied = apply_plan(Runner(specs, run.ctx))

    assert errors_of(planned) == [] and errors_of(applied) == []
    applied_counts = faults_applied(emulator)
    assert applied_counts == [fault["times"] for fault in faults], "every burst happened"
    assert run.client.stats.retries == sum(applied_counts)
    assert all(delay <= 20 for delay in run.sleep.delays)  # backoff stays within the policy's cap
    assert objects(emulator) == AFTER
    for route in (TASKS, EXPORTS, VERSIONS):
        assert requests_to(emulator, "POST", route) == 1


@pytest.mark.parametrize(
    ("route", "kind", "left"),
    [
        (TASKS, "task", {"tasks": 0, "export_tasks": 1, "versions": 3}),
        (EXPORTS, "export", {"tasks": 1, "export_tasks": 0, "versions": 3}),
        (VERSIONS, "release", {"tasks": 1, "export_tasks": 1, "versions": 2}),
    ],
)
def test_503_on_a_create_is_sent_once_and_reported_cleanly(
    faulty: EmulatorFactory, cli: Cli, tmp_path: Path, route: str, kind: str, left: dict[str, int]
) -> None:
    emulator = faulty()
    specs = write_specs(tmp_path / "specs", THREE_CREATES)
    emulator.set_faults([rule("error", "POST", route, times=1, status=503)])

    first = cli.run(emulator, "apply", str(specs), "--yes")

    assert requests_to(emulator, "POST", route) == 1, "a create that may have been committed was repeated"
    assert first.returncode == 1, first.describe()
    assert "Traceback" not in first.text
    assert "ModelArts.4503" in first.text and "Re-running is safe" in first.text, first.describe()
    assert objects(emulator) == left  # the 503 came before the server acted: nothing to adopt

    again = cli.run(emulator, "apply", str(specs), "--yes")
    assert again.returncode == 0, again.describe()
    assert objects(emulator) == AFTER


def test_committed_creates_without_answers_are_adopted_in_process(
    faulty: EmulatorFactory, in_process: Callable[..., InProcess], tmp_path: Path
) -> None:
    """The backend committed, the answer went missing (the emulator can only fail before acting, so the
    "committed, then broken answer" case is a connection dropped after the commit): the run adopts."""
    emulator = faulty()
    run = in_process(emulator)
    specs = load_specs([write_specs(tmp_path / "specs", THREE_CREATES)])
    emulator.set_faults([rule("drop_after_commit", "POST", route, times=1) for route in (TASKS, EXPORTS, VERSIONS)])

    Runner(specs, run.ctx).plan()
    applied = apply_plan(Runner(specs, run.ctx))

    assert errors_of(applied) == []
    assert objects(emulator) == AFTER
    for route in (TASKS, EXPORTS, VERSIONS):
        assert requests_to(emulator, "POST", route) == 1
    assert any("answer was lost" in message for message in run.messages)
