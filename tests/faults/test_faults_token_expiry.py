"""The IAM token expires in the middle of a run (password authentication): exactly one re-authentication,
and the run does not fail. User and domain are the emulator's defaults; the password is a sentinel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_modelarts.cli.runner import Runner
from pulumi_modelarts.specs import load_specs
from support.emulator_process import EmulatorProcess
from support.faultkit import (
    EXPORT,
    THREE_CREATES,
    Cli,
    EmulatorFactory,
    InProcess,
    errors_of,
    objects,
    requests_to,
    rule,
    wait_until,
    write_specs,
)
from support.runs import apply_plan

AFTER = {"tasks": 1, "export_tasks": 1, "versions": 3}


def _with_password(in_process: Callable[..., InProcess], emulator: EmulatorProcess) -> InProcess:
    """An in-process run authenticating with an IAM token (user and password), not AK/SK."""
    return in_process(
        emulator,
        access_key=None,
        secret_key=None,
        username=emulator.username,
        password=emulator.password,
        domain_name=emulator.domain_name,
    )


@pytest.mark.slow
def test_token_expires_while_a_request_is_in_flight(faulty: EmulatorFactory, cli: Cli, tmp_path: Path) -> None:
    emulator = faulty()
    specs = write_specs(tmp_path / "specs", THREE_CREATES)
    # Hold the first export status request for a while; expire every token while it is held, so that
    # the server checks it against an expired token when the hold ends.
    emulator.set_faults([rule("latency", "GET", EXPORT, times=1, latency_ms=1500)])

    running = cli.start(emulator, "apply", str(specs), "--yes", "--format", "json", auth="password")
    wait_until(lambda: requests_to(emulator, "GET", EXPORT) >= 1, timeout=60)
    emulator.expire_tokens()
    result = running.wait()

    assert result.returncode == 0, result.describe()
    stats = emulator.stats()
    assert stats["auth"] == 2, f"expected the first token and one re-authentication: {stats}"
    assert stats["requests"][f"GET {EXPORT}"] >= 2  # the held request was refused once and sent again
    assert result.json()["api_calls"]["retries"] == 0  # re-authentication is not a retry of the call
    assert objects(emulator) == AFTER


def test_token_expires_between_plan_and_apply(
    faulty: EmulatorFactory, in_process: Callable[..., InProcess], tmp_path: Path
) -> None:
    emulator = faulty()
    run = _with_password(in_process, emulator)
    specs = load_specs([write_specs(tmp_path / "specs", THREE_CREATES)])

    planned = Runner(specs, run.ctx).plan()
    assert emulator.stats()["auth"] == 1
    emulator.expire_tokens()
    applied = apply_plan(Runner(specs, run.ctx))

    assert errors_of(planned) == [] and errors_of(applied) == []
    assert emulator.stats()["auth"] == 2
    assert objects(emulator) == AFTER


def test_token_expires_with_the_virtual_clock(
    faulty: EmulatorFactory, in_process: Callable[..., InProcess], tmp_path: Path
) -> None:
    """Expiry by time rather than by the admin API: the token's lifetime passes between two steps."""
    emulator = faulty("--token-ttl-seconds", "3600")
    run = _with_password(in_process, emulator)
    specs = load_specs([write_specs(tmp_path / "specs", THREE_CREATES)])

    Runner(specs, run.ctx).plan()
    emulator.advance_clock(2 * 3600)
    # The client caches the token by its own clock; the server has moved on two hours.
    applied = apply_plan(Runner(specs, run.ctx))

    assert errors_of(applied) == []
    assert emulator.stats()["auth"] == 2
    assert objects(emulator) == AFTER
