"""The interruptible sleep that every wait and backoff uses, and the write guard (issue 10: Ctrl-C, Cancel)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator_process import EmulatorProcess, cli_env
from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from pulumi_modelarts.reconcile.waiting import Interrupted, Probe, StopSignal, Waiter

SPECS = Path(__file__).resolve().parents[2] / "specs"
CLI = [sys.executable, "-m", "pulumi_modelarts.cli.main"]


def test_a_stop_request_ends_a_long_sleep_at_once() -> None:
    stop = StopSignal()
    outcome: list[BaseException] = []

    def sleeper() -> None:
        try:
            stop.sleep(3600)
        except Interrupted as interrupted:
            outcome.append(interrupted)

    thread = threading.Thread(target=sleeper)
    thread.start()
    stop.request()
    thread.join(timeout=5)
    assert not thread.is_alive() and len(outcome) == 1
    assert isinstance(outcome[0], KeyboardInterrupt)  # no `except Exception` swallows it


def test_a_waiter_sleeping_on_the_signal_raises_instead_of_polling_on() -> None:
    stop = StopSignal()
    polls: list[int] = []

    def fetch() -> dict[str, int]:
        polls.append(1)
        if len(polls) == 2:
            stop.request()  # e.g. Ctrl-C while the next sleep starts
        return {"status": 1}

    waiter = Waiter(
        fetch=fetch,
        probe=lambda item: Probe(done=False, progress=10.0),
        timeout=3600,
        timeout_message=lambda item: "timeout",
        sleep=stop.sleep,
    )
    with pytest.raises(Interrupted):
        waiter.run()
    assert len(polls) == 2


def test_no_write_is_sent_after_a_stop_request(emulator: EmulatorProcess) -> None:
    stop = StopSignal()
    client = ModelArtsClient(
        resolve_settings(environ={}, **emulator.client_settings()), sleep=stop.sleep, before_write=stop.check
    )
    dataset_id = next(iter(client.iter_datasets()))["dataset_id"]
    stop.request()
    emulator.reset_stats()
    with pytest.raises(Interrupted):
        client.create_version(dataset_id, {"version_name": "V009"})
    client.list_datasets_page()  # reads still work, for the report of what was left running
    stats = emulator.stats()
    assert stats["writes"] == 0 and stats["total"] == 1


# --- Ctrl-C in the plan phase: the reads queued or in flight are not waited for ------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_planning_ends_the_run_at_once_with_its_json_document(
    emulator_factory: Callable[..., EmulatorProcess], tmp_path: Path, sig: signal.Signals
) -> None:
    """Every read takes 30 s (the API overloaded): a signal after the first read went out ends the run long
    before its answer comes back, with exit 130 and the JSON document, and no read queued is sent after it
    (the first call with a set of credentials goes alone, so the other reads wait behind it)."""
    emulator = emulator_factory("--seed", "demo")
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    emulator.set_faults([{"action": "latency", "method": "GET", "route": "*", "latency_ms": 30_000}])
    process = subprocess.Popen(
        [*CLI, "plan", str(specs), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(emulator),
        stdin=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            if emulator.stats()["total"] >= 1:  # the prefetch's first read is on its way
                break
            time.sleep(0.05)
        sent = emulator.stats()["total"]
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=10)  # an answer would take 30 s
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    document = json.loads(stdout)
    assert document["ok"] is False and document["interrupted"] is True and document["error"] == "interrupted"
    assert "interrupted; nothing was changed" in stderr and "Traceback" not in stderr
    assert emulator.stats()["total"] == sent == 1, "a queued read was sent after the signal"
