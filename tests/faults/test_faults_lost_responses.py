"""Creates whose answer never arrives: the server committed (or did not), the client cannot tell.

The API has no idempotency keys, so the reconcile layer must look before it creates again: a run whose
create answers are all lost, or its re-run, ends with exactly one object of each kind.
"""

from __future__ import annotations

from pathlib import Path

from support.faultkit import (
    EXPORTS,
    TASKS,
    THREE_CREATES,
    VERSIONS,
    Cli,
    EmulatorFactory,
    faults_applied,
    objects,
    requests_to,
    rule,
    write_specs,
)

CREATES = (TASKS, EXPORTS, VERSIONS)
BEFORE = {"tasks": 0, "export_tasks": 0, "versions": 2}  # demo data: flowers has V001 and V002
AFTER = {"tasks": 1, "export_tasks": 1, "versions": 3}


def test_every_create_answer_lost_after_commit_ends_with_one_of_each(
    faulty: EmulatorFactory, cli: Cli, tmp_path: Path
) -> None:
    emulator = faulty()
    specs = write_specs(tmp_path / "specs", THREE_CREATES)
    assert objects(emulator) == BEFORE
    emulator.set_faults([rule("drop_after_commit", "POST", route, times=1) for route in CREATES])

    first = cli.run(emulator, "apply", str(specs), "--yes")

    assert faults_applied(emulator) == [1, 1, 1], "every create's answer was dropped"
    for route in CREATES:
        assert requests_to(emulator, "POST", route) == 1, f"POST {route} was repeated blindly"
    if first.returncode != 0:  # allowed to fail cleanly, as long as the re-run converges
        assert "Traceback" not in first.text, first.describe()
        again = cli.run(emulator, "apply", str(specs), "--yes")
        assert again.returncode == 0, again.describe()
    else:
        assert "answer was lost" in first.stderr, first.describe()
    assert objects(emulator) == AFTER

    # And a further run finds everything in place: nothing written, nothing duplicated.
    emulator.reset_stats()
    settled = cli.run(emulator, "apply", str(specs), "--yes", "--format", "json")
    assert settled.returncode == 0, settled.describe()
    assert emulator.stats()["writes"] == 0
    assert settled.json()["changes_pending"] is False
    assert objects(emulator) == AFTER


def test_create_dropped_before_commit_is_reported_and_the_rerun_creates_once(
    faulty: EmulatorFactory, cli: Cli, tmp_path: Path
) -> None:
    """A connection dropped before the server acted: the run must not guess; it looks, finds nothing,
    reports that re-running is safe, and the re-run creates exactly one task."""
    emulator = faulty()
    specs = write_specs(tmp_path / "specs", THREE_CREATES)
    emulator.set_faults([rule("drop", "POST", TASKS, times=1)])

    first = cli.run(emulator, "apply", str(specs), "--yes")

    assert first.returncode == 1, first.describe()
    assert requests_to(emulator, "POST", TASKS) == 1
    assert "Traceback" not in first.text
    assert "nothing was started. Re-running is safe." in first.text, first.describe()
    # The other two resources do not depend on the task: they were applied.
    assert objects(emulator) == {"tasks": 0, "export_tasks": 1, "versions": 3}

    again = cli.run(emulator, "apply", str(specs), "--yes")
    assert again.returncode == 0, again.describe()
    assert objects(emulator) == AFTER
