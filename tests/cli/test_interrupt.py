"""The interruptible sleep that every wait and backoff uses, and the write guard (issue 10: Ctrl-C, Cancel)."""

from __future__ import annotations

import threading

import pytest

from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from pulumi_modelarts.reconcile.waiting import Interrupted, Probe, StopSignal, Waiter
from support.emulator_process import EmulatorProcess


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
