"""429 storms with Retry-After: the run completes, waits at least as long as the server asks, and never
spends more than the retry budget on one call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_modelarts.api.errors import ThrottledError
from pulumi_modelarts.cli.runner import Runner
from pulumi_modelarts.specs import load_specs
from support.emulator_process import EmulatorProcess
from support.faultkit import (
    DATASETS,
    EXPORT,
    EXPORTS,
    TASK,
    TASKS,
    THREE_CREATES,
    VERSION,
    VERSIONS,
    Cli,
    EmulatorFactory,
    InProcess,
    Transcript,
    errors_of,
    faults_applied,
    objects,
    requests_to,
    rule,
    write_specs,
)
from support.runs import apply_plan

RETRY_AFTER = 2.0
STORM_ROUTES = (
    ("GET", DATASETS),
    ("GET", TASKS),
    ("GET", EXPORTS),
    ("GET", VERSIONS),
    ("POST", TASKS),
    ("POST", EXPORTS),
    ("POST", VERSIONS),
    ("GET", TASK),
    ("GET", EXPORT),
    ("GET", VERSION),
)
PER_ROUTE = 3  # below the default budget of 5 retries per call


def test_storm_on_every_route_completes_honouring_retry_after(
    faulty: EmulatorFactory, in_process: Callable[..., InProcess], tmp_path: Path
) -> None:
    emulator = faulty()
    run = in_process(emulator)
    specs = load_specs([write_specs(tmp_path / "specs", THREE_CREATES)])
    emulator.set_faults(
        [rule("throttle", method, route, times=PER_ROUTE, retry_after=RETRY_AFTER) for method, route in STORM_ROUTES]
    )

    planned = Runner(specs, run.ctx).plan()
    applied = apply_plan(Runner(specs, run.ctx))

    assert errors_of(planned) == [] and errors_of(applied) == []
    throttled = sum(faults_applied(emulator))
    assert throttled == PER_ROUTE * len(STORM_ROUTES), "every rule was exhausted: the storm really happened"
    # One retry per 429, each after at least the server's Retry-After (the sleeps are recorded, not slept).
    assert run.client.stats.retries == throttled
    assert len(run.sleep.delays) == throttled
    assert min(run.sleep.delays) >= RETRY_AFTER
    # Creates answered 429 were not committed, so repeating them is safe: 1 + 3 POSTs, one object each.
    for route in (TASKS, EXPORTS, VERSIONS):
        assert requests_to(emulator, "POST", route) == 1 + PER_ROUTE
    assert objects(emulator) == {"tasks": 1, "export_tasks": 1, "versions": 3}


@pytest.mark.parametrize("code", ["ModelArts.2799", "APIG.0308"])
def test_a_storm_longer_than_the_budget_fails_cleanly_after_max_retries(
    faulty: EmulatorFactory, in_process: Callable[..., InProcess], transcript: Transcript, code: str
) -> None:
    emulator = faulty()
    run = in_process(emulator, max_retries=2)
    emulator.set_faults([rule("throttle", "GET", DATASETS, retry_after=RETRY_AFTER, error_code=code)])

    with pytest.raises(ThrottledError) as raised:
        list(run.client.iter_datasets())
    transcript.add("error", str(raised.value))

    assert requests_to(emulator, "GET", DATASETS) == 3  # the first try and max_retries=2 retries
    assert run.sleep.delays and all(delay >= RETRY_AFTER for delay in run.sleep.delays)
    assert len(run.sleep.delays) == 2
    assert raised.value.retry_after == RETRY_AFTER
    assert code in str(raised.value)


def test_retry_after_larger_than_the_time_budget_is_not_waited_out(
    faulty: EmulatorFactory, in_process: Callable[..., InProcess], transcript: Transcript
) -> None:
    """An absurd Retry-After must not park the run: the call gives up within retry_max_seconds."""
    emulator = faulty()
    run = in_process(emulator, retry_max_seconds=30)
    emulator.set_faults([rule("throttle", "GET", DATASETS, retry_after=3600)])

    with pytest.raises(ThrottledError) as raised:
        list(run.client.iter_datasets())
    transcript.add("error", str(raised.value))

    assert sum(run.sleep.delays) <= 30
    assert requests_to(emulator, "GET", DATASETS) == 1 + len(run.sleep.delays)


@pytest.mark.slow
def test_cli_apply_through_a_storm(faulty: EmulatorFactory, cli: Cli, tmp_path: Path) -> None:
    """End to end with real waiting: a short Retry-After on the reads and on a create."""
    emulator: EmulatorProcess = faulty()
    specs = write_specs(tmp_path / "specs", THREE_CREATES)
    emulator.set_faults(
        [
            rule("throttle", "GET", "*", times=2, retry_after=0.25),
            rule("throttle", "POST", EXPORTS, times=2, retry_after=0.4),
        ]
    )

    # its own process: the Retry-After delays are waited out in real time (in process, they would be virtual)
    result = cli.start(emulator, "apply", str(specs), "--yes", "--format", "json").wait()

    assert result.returncode == 0, result.describe()
    document = result.json()
    throttled = sum(faults_applied(emulator))
    assert throttled == 4
    assert document["api_calls"]["retries"] == throttled
    export = next(item for item in document["resources"] if item["name"] == "export")
    assert export["seconds"] >= 0.8  # two Retry-After: 0.4 waited out on its create
    assert requests_to(emulator, "POST", EXPORTS) == 3
    assert objects(emulator) == {"tasks": 1, "export_tasks": 1, "versions": 3}
