"""The emulator dies (SIGKILL) in the middle of an apply and comes back on the same port with the same
database: the interrupted run or its re-run converges, nothing is duplicated and nothing is lost."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from support.faultkit import TASKS, THREE_CREATES, Cli, EmulatorFactory, objects, requests_to, wait_until, write_specs

AFTER = {"tasks": 1, "export_tasks": 1, "versions": 3}


@pytest.mark.slow
def test_kill_and_restart_mid_apply(faulty: EmulatorFactory, cli: Cli, tmp_path: Path) -> None:
    database = tmp_path / "emulator.db"
    # Tasks take 3 s here, so the apply is certainly still waiting when the emulator dies.
    flags = ("--db", str(database), "--task-seconds", "3")
    emulator = faulty(*flags)
    port = urlsplit(emulator.url).port
    assert port is not None
    specs = write_specs(tmp_path / "specs", THREE_CREATES)

    running = cli.start(emulator, "apply", str(specs), "--yes")
    # Kill once the task is committed (the apply is then waiting on it, and the other creates are in
    # flight or done): what was committed must survive, what was not must be created exactly once.
    wait_until(lambda: objects(emulator)["tasks"] >= 1, timeout=60)
    emulator.kill()
    restarted = faulty(*flags, port=port)  # the demo data is seeded once per database: not again
    assert restarted.url == emulator.url
    interrupted = running.wait()

    assert "Traceback" not in interrupted.text, interrupted.describe()
    state = objects(restarted)
    assert state["tasks"] == 1, f"the task started before the crash was kept: {state}"
    assert state["export_tasks"] <= 1 and state["versions"] <= 3, f"something was duplicated: {state}"

    restarted.reset_stats()
    again = cli.run(restarted, "apply", str(specs), "--yes", "--format", "json")
    assert again.returncode == 0, f"{interrupted.describe()}\n--- re-run:\n{again.describe()}"
    assert objects(restarted) == AFTER
    assert requests_to(restarted, "POST", TASKS) == 0, "the re-run started the task again"
    assert all(item["action"] != "error" for item in again.json()["resources"])
