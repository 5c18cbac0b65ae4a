"""A wait rides out an outage of the API for as long as its timeout allows, and never repeats a write.

The issue's case: the emulator stops a few seconds into a 20-second export and comes back on the same port
with the same database. A refused connection to a loopback host is not retried by single calls
(api/retry.py), so the wait loop is where the outage is ridden out. Time is virtual: each sleep of the wait
advances the emulator's clock (and takes the emulator down or up at the chosen moments).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pulumi_modelarts import schema
from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from pulumi_modelarts.reconcile import export
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.errors import WaitTimeoutError
from support.emulator_process import EmulatorProcess
from support.faultkit import EXPORTS, EmulatorFactory, requests_to, rule
from support.reconcile import converge

ONE_EXPORT = "/v2/{project_id}/datasets/{dataset_id}/export-tasks/{task_id}"


class VirtualTime:
    """The wait's clock and sleep: sleeping advances the emulator that is up (if one is)."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.now = 0.0
        self.emulator: EmulatorProcess | None = emulator
        self.at: list[tuple[float, Any]] = []  # (virtual time, action) run once when time passes it

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        while self.at and self.at[0][0] <= self.now:
            _, action = self.at.pop(0)
            action()
        if self.emulator is not None:
            self.emulator.advance_clock(seconds)


def export_spec(timeout_seconds: int) -> export.ExportTaskSpec:
    inputs, violations = schema.validate_inputs(
        "modelarts:ExportTask",
        {
            "dataset_name": "flowers",
            "path": "/demo-bucket/flowers/outage/",
            "export_type": 0,
            "timeout_seconds": timeout_seconds,
        },
    )
    assert violations == []
    return export.ExportTaskSpec("through-outage", inputs)


def context(emulator: EmulatorProcess, time: VirtualTime, messages: list[str]) -> ReconcileContext:
    client = ModelArtsClient(resolve_settings(**emulator.client_settings()), sleep=lambda _seconds: None)
    return ReconcileContext.for_client(client, clock=time.clock, sleep=time.sleep, log=messages.append)


def test_a_wait_rides_out_the_api_going_away_and_coming_back(faulty: EmulatorFactory, tmp_path: Path) -> None:
    flags = ("--db", str(tmp_path / "emulator.db"), "--export-seconds", "20")
    emulator = faulty(*flags)
    port = urlsplit(emulator.url).port
    time = VirtualTime(emulator)
    restarted: list[EmulatorProcess] = []

    def go_down() -> None:
        emulator.kill()
        time.emulator = None

    def come_back() -> None:
        restarted.append(faulty(*flags, port=port or 0))
        time.emulator = restarted[0]

    time.at = [(7.0, go_down), (12.0, come_back)]  # down from 7 s to 12 s into the export
    messages: list[str] = []
    outputs = converge(context(emulator, time, messages), export_spec(timeout_seconds=600))

    assert outputs["status"] == "SUCCESSED"
    assert restarted, "the wait ended before the outage"
    assert any("reading the status failed" in message for message in messages), messages
    assert requests_to(restarted[0], "POST", EXPORTS) == 0, "the export was started again"
    assert len(restarted[0].writes()) == 0


def test_a_wait_that_cannot_read_a_status_until_its_timeout_fails_naming_the_last_failure(
    faulty: EmulatorFactory,
) -> None:
    emulator = faulty("--export-seconds", "20")
    emulator.set_faults([rule("error", "GET", ONE_EXPORT, status=503, error_code="ModelArts.0503")])
    time = VirtualTime(emulator)
    with pytest.raises(WaitTimeoutError) as failure:
        converge(context(emulator, time, []), export_spec(timeout_seconds=30))
    text = str(failure.value)
    assert "is not finished after 30s" in text and "The last status read failed" in text and "503" in text
    assert 30 <= time.now <= 31
    assert requests_to(emulator, "POST", EXPORTS) == 1
